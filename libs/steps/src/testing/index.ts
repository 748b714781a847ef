// Test support of @datasmith/steps: imported by tests and demo tools as `@datasmith/steps/testing`,
// never by production code (its index does not export it, and no step hashes it).
export type { AsvFixtureOptions } from '../synthesize/testing/asv-fixture';
export { asvFixtureFiles, REGISTRY_V2_FIXTURES_DIR } from '../synthesize/testing/asv-fixture';
export {
  fakeSha,
  perfRow,
  writePerfPartition,
  imageRowFor,
  writeImagesPartition,
} from '../merge/testing/perf-fixtures';
