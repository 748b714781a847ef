// Test support of @datasmith/github: imported by tests and demo tools as `@datasmith/github/testing`,
// never by production code (its index does not export it, and no step hashes it).
export type {
  FakeGitHub,
  FakeGitHubOptions,
  FakeRepositorySpec,
  FakePullSpec,
  FakeFault,
  FakeRequest,
} from './fake-github';
export { startFakeGitHub, secondaryRateLimit } from './fake-github';
export { PullHistory } from './pull-history';
export type { ListingScenario } from './scenario';
export { buildListingScenario } from './scenario';
