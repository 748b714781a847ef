export type { DockerClientOptions, EngineStatus } from './client';
export { createDockerClient, probeEngine, isEngineUnreachableError, DEFAULT_DOCKER_SOCKET } from './client';
export { sanitizeNameComponent, taskImageName, taskContainerName } from './names';
export type { ProgressEvent } from './progress';
export { followProgressStrict, ProgressError } from './progress';
export type { ContextFile, ContextDirectory } from './context-tar';
export { packContext, contextStream } from './context-tar';
export type { BuildImageOptions, BuildImageResult } from './build';
export { buildImage, BuildError } from './build';
export type { CommandResult, CommandOptions, ContainerSpec } from './run';
export { runContainer, ProbeContainer } from './run';
export {
  imageId,
  imageLayers,
  tagImage,
  removeImageQuietly,
  removeContainersByLabel,
  removeDanglingImagesByLabel,
  removeUntaggedImages,
} from './images';
export type {
  BaseImageRecipe,
  DebootstrapRecipe,
  RegistryImageRecipe,
  BaseImage,
  EnsureBaseImageOptions,
  DebianRelease,
  ImageRuntime,
} from './base-image';
export {
  ensureBaseImage,
  offlineBaseRecipe,
  onlineBaseRecipe,
  hostDebianMirror,
  removeBaseImage,
  pythonVersionOf,
  describeImage,
  OFFLINE_BASE_PACKAGES,
  ONLINE_PIP_PACKAGES,
  BASE_RECIPE_VERSION,
  BASE_PACKAGE_INDEX,
  BASE_RELEASE_FILE,
  DH_PYTHON_FALLBACK,
  DEBIAN_RELEASES,
  DEBIAN_RELEASE_NAMES,
} from './base-image';
export type { AsvSource, AsvArchive } from './asv-source';
export {
  readAsvSource,
  asvSourceFromEnv,
  asvInstallLayer,
  ASV_SOURCE_KEY,
  ASV_SOURCE_ENV,
} from './asv-source';
export { TailBuffer, tailOf } from './tail';
export { DATASMITH_LABEL_KEYS } from './labels';
