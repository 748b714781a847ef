// Test support of @datasmith/git: imported by tests and demo tools as `@datasmith/git/testing`,
// never by production code (its index does not export it, and no step hashes it).
export { FixtureRepo } from './fixture-repo';
