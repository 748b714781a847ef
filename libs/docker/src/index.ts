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
} from './base-image';
export {
  ensureBaseImage,
  offlineBaseRecipe,
  onlineBaseRecipe,
  asvStandInBaseRecipe,
  ASV_STAND_IN_PATH,
  ASV_STAND_IN_WARNING,
  hostDebianMirror,
  removeBaseImage,
  pythonVersionOf,
  OFFLINE_BASE_PACKAGES,
  ONLINE_PIP_PACKAGES,
  BASE_RECIPE_VERSION,
} from './base-image';
export { TailBuffer, tailOf } from './tail';
export { DATASMITH_LABEL_KEYS } from './labels';
export type { DockerTestEngine } from './testing/docker-test';
export {
  dockerTestEngine,
  testOnlyBaseRecipe,
  testOnlyBaseImage,
  TEST_ONLY_ASV_SHIM_PATH,
} from './testing/docker-test';
