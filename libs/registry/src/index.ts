export type { RegistryEndpoint, RepositoryMode, ImageReference, ReferencePlan } from './reference';
export {
  DOCKER_HUB,
  parseRegistryUrl,
  sanitizeRepositoryComponent,
  splitLocalRef,
  encodeSingleRepoTag,
  decodeSingleRepoTag,
  planImageReference,
  parseImageReference,
} from './reference';
export type { RegistryCredentials, DockerAuthConfig, CredentialOptions } from './credentials';
export {
  credentialsFromDockerConfig,
  defaultDockerConfigFile,
  resolveCredentials,
  dockerAuthConfig,
} from './credentials';
export type { RegistryRetryPolicy, FailureKind } from './retry';
export {
  DEFAULT_REGISTRY_RETRY_POLICY,
  normalizeRegistryRetryPolicy,
  registryRetryDelayMs,
  kindOfStatus,
  kindOfPushMessage,
  sleepMs,
} from './retry';
export type { DistributionClientOptions, DistributionRequest } from './distribution';
export { DistributionClient, MANIFEST_ACCEPT, parseChallenge } from './distribution';
export type { PushEvent, PushOutcome, LocalImage, ImageEngine, PushOptions, PushResult } from './push';
export { readPushEvents, dockerImageEngine, PushFailedError, pushWithRetry } from './push';
