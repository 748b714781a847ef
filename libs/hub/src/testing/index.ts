// Test support of @datasmith/hub: imported by tests and demo tools as `@datasmith/hub/testing`,
// never by production code (its index does not export it, and no step hashes it).
export type { HubRequest, HubStoredFile, HubCommit, FakeHubOptions, HubHold, FakeHub } from './fake-hub';
export { startFakeHub } from './fake-hub';
