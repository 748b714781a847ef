import { defineConfig } from 'vitest/config';

const include = ['libs/*/src/**/*.test.ts', 'tools/**/*.test.ts'];
const exclude = ['**/node_modules/**', 'data/**'];
const dockerTests = ['libs/*/src/**/*.docker.test.ts', 'tools/**/*.docker.test.ts'];

export default defineConfig({
  test: {
    // include/exclude live in the projects only: `extends: true` would merge the root lists into each.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include, exclude: [...exclude, '**/*.docker.test.ts'] },
      },
      {
        // Tests against a real Docker engine: one file at a time, after the unit tests (builds are
        // CPU-bound on 2 cores); the first one may build the shared base image (~2 min).
        extends: true,
        test: {
          name: 'docker',
          include: dockerTests,
          exclude,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
