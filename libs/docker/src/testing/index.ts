// Test support of @datasmith/docker: imported by tests and demo tools as `@datasmith/docker/testing`,
// never by production code (its index does not export it, and no step hashes it).
export type { DockerTestEngine } from './docker-test';
export {
  dockerTestEngine,
  testOnlyAsvSource,
  testOnlyBaseRecipe,
  testOnlyBaseImage,
} from './docker-test';
