export type { CardConfig, DatasetCardOptions } from './card';
export { configDataPath, sizeCategory, renderDatasetCard } from './card';
export type { HubFile, LocalLayoutResult } from './files';
export { isStaleCandidate, sha256Hex, gitBlobSha1, writeLocalLayout } from './files';
export type { HubUploadOptions, HubUploadResult } from './upload';
export { DEFAULT_HUB_URL, uploadDatasetFiles } from './upload';
// Test support: a real listener on 127.0.0.1 speaking the Hub's upload protocol.
export type { HubRequest, HubStoredFile, HubCommit, FakeHubOptions, HubHold, FakeHub } from './testing/fake-hub';
export { startFakeHub } from './testing/fake-hub';
