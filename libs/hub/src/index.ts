export type { CardConfig, DatasetCardOptions } from './card';
export { configDataPath, sizeCategory, renderDatasetCard } from './card';
export type { HubFile, LocalLayoutResult } from './files';
export { isStaleCandidate, sha256Hex, gitBlobSha1, writeLocalLayout } from './files';
export type { HubUploadOptions, HubUploadResult } from './upload';
export { DEFAULT_HUB_URL, uploadDatasetFiles } from './upload';
