import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dataLayout, repoProjectName } from '@datasmith/paths';
import { FixtureRepo } from '@datasmith/git/testing';
import type { CreateNodesContextV2, ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ENABLED_GLOBAL_STEPS,
  ENABLED_REPO_STEPS,
  GLOBAL_PROJECTS,
  createDatasmithProjects,
  createNodesV2,
  normalizeOptions,
  repoStateCommand,
} from './index';

/** The global projects of the enabled global steps, in pipeline order. */
const GLOBALS = ENABLED_GLOBAL_STEPS.map((step) => GLOBAL_PROJECTS[step]);

let root: string;
const savedEnv = process.env.DATASMITH_CONFIG;

/** Writes a throw-away workspace from a `{ path: contents }` map. */
function workspace(files: Record<string, string | object>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
}

function context(): CreateNodesContextV2 {
  return { workspaceRoot: root, nxJsonConfiguration: {} };
}

async function run(options?: Parameters<typeof createDatasmithProjects>[0]) {
  const [glob, createNodes] = createNodesV2;
  expect(glob).toBe('datasmith.config.json');
  return createNodes(['datasmith.config.json'], options, context());
}

function projects(options?: Parameters<typeof createDatasmithProjects>[0], env: NodeJS.ProcessEnv = {}) {
  return createDatasmithProjects(options, context(), env).projects as Record<string, ProjectConfiguration>;
}

function byName(all: Record<string, ProjectConfiguration>): Record<string, ProjectConfiguration> {
  return Object.fromEntries(Object.values(all).map((p) => [p.name, p]));
}

/** Step names as the fixture's functions spell them: `scrape-repos` → `scrapeRepos`. */
const camel = (step: string) => step.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
const FIXTURE_STEPS = [...ENABLED_GLOBAL_STEPS, ...ENABLED_REPO_STEPS];

/**
 * A miniature of the CLI and the steps library, enough for the plugin to walk the import graph:
 * a bin script, main, the command registry, one command per step, a package index that re-exports
 * every step, a classify prompt read next to its module, npm imports, and test code nobody imports.
 */
function writeCodeFixture(): void {
  workspace({
    'package.json': { name: 'fixture', private: true, workspaces: ['libs/*'] },
    'libs/cli/package.json': { name: 'datasmith', exports: { '.': './src/main.ts' } },
    'libs/cli/bin/datasmith.js':
      "import { register } from 'tsx/esm/api';\nregister();\nconst { main } = await import('../src/main.ts');\nmain();\n",
    'libs/cli/src/main.ts':
      "import { Command } from 'commander';\nimport { registerCommands } from './commands/index';\nexport const main = () => registerCommands(new Command());\n",
    'libs/cli/src/commands/index.ts': `${FIXTURE_STEPS.map((s) => `import { register as ${camel(s)} } from './${s}';`).join('\n')}\nexport const registerCommands = (p: unknown) => [${FIXTURE_STEPS.map(camel).join(', ')}].map((r) => r(p));\n`,
    'libs/cli/src/commands/cli-test-helpers.ts': "export const BIN = 'libs/cli/bin/datasmith.js';\n",
    'libs/steps/package.json': {
      name: '@datasmith/steps',
      exports: { '.': './src/index.ts', './testing': './src/testing/index.ts' },
    },
    'libs/steps/src/index.ts': FIXTURE_STEPS.map((s) => `export { ${camel(s)} } from './${s}/${s}';\n`).join(''),
    'libs/steps/src/testing/index.ts': "export const fakeLlm = 'a fake';\n",
    'libs/steps/src/collect/rules.ts': "export const isDocs = (f: string) => f.endsWith('.md');\n",
    'libs/steps/src/classify/prompt.md': 'Is this change about performance?\n',
  });
  for (const step of FIXTURE_STEPS) {
    const body: Record<string, string> = {
      'scrape-repos': "import { isDocs } from '../collect/rules';\nexport const scrapeRepos = isDocs;\n",
      collect:
        "import { simpleGit } from 'simple-git';\nimport { isDocs } from './rules';\nexport const collect = () => [simpleGit, isDocs];\n",
      classify:
        "import { readFileSync } from 'node:fs';\nimport OpenAI from 'openai';\nexport const classify = () => [OpenAI, readFileSync(new URL('./prompt.md', import.meta.url), 'utf8')];\n",
    };
    workspace({
      [`libs/cli/src/commands/${step}.ts`]: `import { ${camel(step)} } from '@datasmith/steps';\nexport const register = (p: unknown) => [p, ${camel(step)}];\n`,
      [`libs/steps/src/${step}/${step}.ts`]: body[step] ?? `export const ${camel(step)} = '${step}';\n`,
    });
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'datasmith-plugin-'));
  writeCodeFixture();
  delete process.env.DATASMITH_CONFIG;
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  if (savedEnv === undefined) delete process.env.DATASMITH_CONFIG;
  else process.env.DATASMITH_CONFIG = savedEnv;
});

describe('repository list override', () => {
  it('takes the list from DATASMITH_REPOS (datasmith update --repos) instead of the config', () => {
    workspace({
      'datasmith.config.json': { source: 'store', store: 'data/store', repos: { file: 'data/config/repos.csv' } },
      'data/config/repos.csv': 'repo_name\nnumpy/numpy\n',
      'other.csv': 'repo_name\npandas-dev/pandas\nscipy/scipy\n',
    });
    const names = (env: NodeJS.ProcessEnv) =>
      Object.values(projects(undefined, env))
        .map((p) => p.name)
        .filter((n) => n?.startsWith('repo-'))
        .sort();
    expect(names({})).toEqual(['repo-numpy__numpy']);
    expect(names({ DATASMITH_REPOS: 'other.csv' })).toEqual(['repo-pandas-dev__pandas', 'repo-scipy__scipy']);
  });
});

describe('createNodesV2', () => {
  it('infers one project per repository and the global projects', async () => {
    workspace({
      'datasmith.config.json': { source: 'store', store: 'data/store', repos: { file: 'data/config/repos.csv' } },
      'data/config/repos.csv': 'repo_name,stars\nnumpy/numpy,25000\n',
    });
    expect(await run()).toMatchInlineSnapshot(`
      [
        [
          "datasmith.config.json",
          {
            "projects": {
              "data/projects/dataset": {
                "implicitDependencies": [
                  "merge",
                ],
                "metadata": {
                  "description": "Global step dataset (no month)",
                },
                "name": "dataset",
                "root": "data/projects/dataset",
                "tags": [
                  "global",
                ],
                "targets": {
                  "dataset": {
                    "cache": true,
                    "dependsOn": [
                      {
                        "projects": [
                          "merge",
                        ],
                        "target": "merge",
                      },
                    ],
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/dataset.ts",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/dataset/dataset.ts",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "env": "DATASMITH_HF_REPO",
                      },
                      {
                        "env": "DATASMITH_VERIFIED",
                      },
                      {
                        "env": "HF_ENDPOINT",
                      },
                      {
                        "dependentTasksOutputFiles": "**/*",
                      },
                    ],
                    "metadata": {
                      "description": "Write the dataset in the Hugging Face layout (step 7)",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js dataset --help",
                        "example": {},
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "node libs/cli/bin/datasmith.js dataset --out-root data",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/dataset",
                    ],
                  },
                },
              },
              "data/projects/merge": {
                "implicitDependencies": [
                  "repo-numpy__numpy",
                ],
                "metadata": {
                  "description": "Global step merge (no month)",
                },
                "name": "merge",
                "root": "data/projects/merge",
                "tags": [
                  "global",
                ],
                "targets": {
                  "merge": {
                    "cache": true,
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/commands/merge.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      "{workspaceRoot}/libs/steps/src/merge/merge.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "runtime": "find -L data/classify data/verify data/publish -type f -name '*.parquet' 2>/dev/null | LC_ALL=C sort | { f=$(cat); printf '%s\\n' "$f"; printf '%s\\n' "$f" | xargs git hash-object --; } 2>/dev/null | git hash-object --stdin",
                      },
                    ],
                    "metadata": {
                      "description": "Merge every partition into the master table (step 6): master.parquet",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js merge --help",
                        "example": {},
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "node libs/cli/bin/datasmith.js merge --out-root data",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/master",
                    ],
                  },
                },
              },
              "data/projects/numpy__numpy": {
                "implicitDependencies": [
                  "repos",
                ],
                "metadata": {
                  "description": "Per-month steps of numpy/numpy",
                },
                "name": "repo-numpy__numpy",
                "root": "data/projects/numpy__numpy",
                "tags": [
                  "repo",
                ],
                "targets": {
                  "classify": {
                    "cache": true,
                    "dependsOn": [
                      {
                        "params": "forward",
                        "target": "prepare",
                      },
                    ],
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/classify.ts",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/classify/classify.ts",
                      "{workspaceRoot}/libs/steps/src/classify/prompt.md",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "openai",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "env": "DSPY_MODEL_NAME",
                      },
                      {
                        "env": "DSPY_TEMPERATURE",
                      },
                      {
                        "env": "DSPY_MAX_TOKENS",
                      },
                      {
                        "env": "OPENAI_MODEL",
                      },
                      "{workspaceRoot}/tools/nx-plugin/config-flags.cjs",
                      {
                        "fields": [
                          "classify",
                        ],
                        "json": "{workspaceRoot}/datasmith.config.json",
                      },
                      {
                        "runtime": "{ git -C data/store/numpy/numpy.git show-ref --head --heads; cd data/store/numpy/numpy && f=$(find -L repo.json pulls issues -type f | LC_ALL=C sort) && printf '%s\\n' "$f" && printf '%s\\n' "$f" | xargs git hash-object --; } 2>/dev/null | git hash-object --stdin",
                      },
                      {
                        "dependentTasksOutputFiles": "**/*.parquet",
                      },
                    ],
                    "metadata": {
                      "description": "Classify one month of PRs as performance work or not (step 3): classified.parquet, perf.parquet",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js classify --help",
                        "example": {
                          "options": {
                            "month": "2024-01",
                          },
                        },
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "flags=$(node tools/nx-plugin/config-flags.cjs classify) && node libs/cli/bin/datasmith.js classify --repo numpy/numpy --out-root data --store data/store $flags",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/classify/numpy__numpy/{options.month}",
                    ],
                  },
                  "collect": {
                    "cache": true,
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/collect.ts",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/collect/collect.ts",
                      "{workspaceRoot}/libs/steps/src/collect/rules.ts",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "simple-git",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "runtime": "{ git -C data/store/numpy/numpy.git show-ref --head --heads; cd data/store/numpy/numpy && f=$(find -L repo.json pulls issues -type f | LC_ALL=C sort) && printf '%s\\n' "$f" && printf '%s\\n' "$f" | xargs git hash-object --; } 2>/dev/null | git hash-object --stdin",
                      },
                    ],
                    "metadata": {
                      "description": "Mine the merged PRs of one repository in one UTC month (step 1): commits.parquet",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js collect --help",
                        "example": {
                          "options": {
                            "month": "2024-01",
                          },
                        },
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "node libs/cli/bin/datasmith.js collect --repo numpy/numpy --store data/store --out-root data",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/collect/numpy__numpy/{options.month}",
                    ],
                  },
                  "prepare": {
                    "cache": true,
                    "dependsOn": [
                      {
                        "params": "forward",
                        "target": "collect",
                      },
                    ],
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/commands/prepare.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      "{workspaceRoot}/libs/steps/src/prepare/prepare.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      "{workspaceRoot}/tools/nx-plugin/config-flags.cjs",
                      {
                        "fields": [
                          "prepare",
                        ],
                        "json": "{workspaceRoot}/datasmith.config.json",
                      },
                      {
                        "dependentTasksOutputFiles": "**/*.parquet",
                      },
                    ],
                    "metadata": {
                      "description": "Token counts, cheap performance gate and container names for one month (step 2): prepared.parquet",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js prepare --help",
                        "example": {
                          "options": {
                            "month": "2024-01",
                          },
                        },
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "flags=$(node tools/nx-plugin/config-flags.cjs prepare) && node libs/cli/bin/datasmith.js prepare --repo numpy/numpy --out-root data $flags",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/prepare/numpy__numpy/{options.month}",
                    ],
                  },
                  "publish": {
                    "cache": true,
                    "dependsOn": [
                      {
                        "params": "forward",
                        "target": "verify",
                      },
                    ],
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/commands/publish.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      "{workspaceRoot}/libs/steps/src/publish/publish.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "env": "DOCKERHUB_NAMESPACE",
                      },
                      {
                        "env": "DATASMITH_IMAGE_REGISTRY",
                      },
                      {
                        "env": "DATASMITH_SKIP_EXISTING",
                      },
                      {
                        "dependentTasksOutputFiles": "**/*",
                        "transitive": true,
                      },
                    ],
                    "metadata": {
                      "description": "Push the validated images of one month (step 5): images.parquet",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js publish --help",
                        "example": {
                          "options": {
                            "month": "2024-01",
                          },
                        },
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "node libs/cli/bin/datasmith.js publish --repo numpy/numpy --out-root data",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/publish/numpy__numpy/{options.month}",
                    ],
                  },
                  "synthesize": {
                    "cache": true,
                    "dependsOn": [
                      {
                        "params": "forward",
                        "target": "classify",
                      },
                    ],
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/commands/synthesize.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      "{workspaceRoot}/libs/steps/src/synthesize/synthesize.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "env": "DSPY_MODEL_NAME",
                      },
                      {
                        "env": "DSPY_TEMPERATURE",
                      },
                      {
                        "env": "DSPY_MAX_TOKENS",
                      },
                      {
                        "env": "OPENAI_MODEL",
                      },
                      {
                        "env": "DATASMITH_CONTEXTS",
                      },
                      {
                        "env": "DATASMITH_ASV_SOURCE",
                      },
                      "{workspaceRoot}/tools/nx-plugin/config-flags.cjs",
                      {
                        "fields": [
                          "synthesize",
                        ],
                        "json": "{workspaceRoot}/datasmith.config.json",
                      },
                      {
                        "runtime": "{ git -C data/store/numpy/numpy.git show-ref --head --heads; cd data/store/numpy/numpy && f=$(find -L repo.json pulls issues -type f | LC_ALL=C sort) && printf '%s\\n' "$f" && printf '%s\\n' "$f" | xargs git hash-object --; } 2>/dev/null | git hash-object --stdin",
                      },
                      {
                        "dependentTasksOutputFiles": "**/*.parquet",
                      },
                    ],
                    "metadata": {
                      "description": "Build and validate a Docker context per base commit for one month (step 4): contexts.parquet",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js synthesize --help",
                        "example": {
                          "options": {
                            "month": "2024-01",
                          },
                        },
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "flags=$(node tools/nx-plugin/config-flags.cjs synthesize) && node libs/cli/bin/datasmith.js synthesize --repo numpy/numpy --out-root data --store data/store $flags",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/synthesize/numpy__numpy/{options.month}",
                    ],
                  },
                  "verify": {
                    "cache": true,
                    "dependsOn": [
                      {
                        "params": "forward",
                        "target": "synthesize",
                      },
                    ],
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/commands/verify.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      "{workspaceRoot}/libs/steps/src/verify/verify.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "env": "DATASMITH_CONTEXTS",
                      },
                      "{workspaceRoot}/tools/nx-plugin/config-flags.cjs",
                      {
                        "fields": [
                          "verify",
                        ],
                        "json": "{workspaceRoot}/datasmith.config.json",
                      },
                      {
                        "runtime": "{ git -C data/store/numpy/numpy.git show-ref --head --heads; cd data/store/numpy/numpy && f=$(find -L repo.json pulls issues -type f | LC_ALL=C sort) && printf '%s\\n' "$f" && printf '%s\\n' "$f" | xargs git hash-object --; } 2>/dev/null | git hash-object --stdin",
                      },
                      {
                        "dependentTasksOutputFiles": "**/*",
                      },
                    ],
                    "metadata": {
                      "description": "Measure each task's gold patch against its base with real asv in the validated image (step 4b): verify.jsonl, verified.parquet",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js verify --help",
                        "example": {
                          "options": {
                            "month": "2024-01",
                          },
                        },
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "flags=$(node tools/nx-plugin/config-flags.cjs verify) && node libs/cli/bin/datasmith.js verify --repo numpy/numpy --out-root data --store data/store $flags",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/verify/numpy__numpy/{options.month}",
                    ],
                    "parallelism": false,
                  },
                },
              },
              "data/projects/report": {
                "implicitDependencies": [
                  "dataset",
                ],
                "metadata": {
                  "description": "Global step report (no month)",
                },
                "name": "report",
                "root": "data/projects/report",
                "tags": [
                  "global",
                ],
                "targets": {
                  "report": {
                    "cache": true,
                    "dependsOn": [
                      {
                        "projects": [
                          "dataset",
                        ],
                        "target": "dataset",
                      },
                    ],
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/commands/report.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      "{workspaceRoot}/libs/steps/src/report/report.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "dependentTasksOutputFiles": "**/*",
                      },
                      {
                        "runtime": "{ find -L data/collect data/prepare data/classify data/synthesize data/verify data/publish data/dataset -type f \\( -name '*.parquet' -o -name 'results.jsonl' \\) 2>/dev/null | LC_ALL=C sort | { f=$(cat); printf '%s\\n' "$f"; printf '%s\\n' "$f" | xargs git hash-object --; }; find -L data/memo/llm -type f -name '*.json' 2>/dev/null | LC_ALL=C sort; } 2>/dev/null | git hash-object --stdin",
                      },
                    ],
                    "metadata": {
                      "description": "Write the funnel report over every table: data/report/index.html (inline SVG, nothing from the network)",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js report --help",
                        "example": {},
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "node libs/cli/bin/datasmith.js report --out-root data",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/report",
                    ],
                  },
                },
              },
              "data/projects/repos": {
                "metadata": {
                  "description": "Global step scrape-repos (no month)",
                },
                "name": "repos",
                "root": "data/projects/repos",
                "tags": [
                  "global",
                ],
                "targets": {
                  "scrape-repos": {
                    "cache": true,
                    "executor": "nx:run-commands",
                    "inputs": [
                      "{workspaceRoot}/libs/cli/bin/datasmith.js",
                      "{workspaceRoot}/libs/cli/package.json",
                      "{workspaceRoot}/libs/cli/src/commands/index.ts",
                      "{workspaceRoot}/libs/cli/src/commands/scrape-repos.ts",
                      "{workspaceRoot}/libs/cli/src/main.ts",
                      "{workspaceRoot}/libs/steps/package.json",
                      "{workspaceRoot}/libs/steps/src/collect/rules.ts",
                      "{workspaceRoot}/libs/steps/src/index.ts",
                      "{workspaceRoot}/libs/steps/src/scrape-repos/scrape-repos.ts",
                      {
                        "externalDependencies": [
                          "commander",
                          "tsx",
                        ],
                      },
                      {
                        "env": "DATASMITH_CONFIG",
                      },
                      {
                        "runtime": "cd data/store && { cat repos.csv; for m in */*.git; do printf '%s ' "$m"; git -C "$m" rev-parse HEAD; done; printf '%s\\n' */*/repo.json; git hash-object -- */*/repo.json; } 2>/dev/null | git hash-object --stdin",
                      },
                    ],
                    "metadata": {
                      "description": "List repositories with ASV benchmarks from the store (step 0): repos.parquet and repos.csv",
                      "help": {
                        "command": "node libs/cli/bin/datasmith.js scrape-repos --help",
                        "example": {},
                      },
                      "technologies": [
                        "datasmith",
                      ],
                    },
                    "options": {
                      "command": "node libs/cli/bin/datasmith.js scrape-repos --store data/store --out data/repos/repos.parquet --min-stars 500 --max-repos 150",
                    },
                    "outputs": [
                      "{workspaceRoot}/data/repos/repos.parquet",
                      "{workspaceRoot}/data/repos/repos.csv",
                    ],
                  },
                },
              },
            },
          },
        ],
      ]
    `);
  });

  it('ignores config files outside the workspace root', async () => {
    workspace({ 'sub/datasmith.config.json': { store: 'x' } });
    const [, createNodes] = createNodesV2;
    expect(await createNodes(['sub/datasmith.config.json'], undefined, context())).toEqual([]);
  });
});

describe('the repository list', () => {
  it.each([
    ['a CSV with a repo_name header and other columns', 'stars,repo_name\n1,a/x\n2,b/y\n', ['a/x', 'b/y']],
    ["the original's headerless one-column file", 'a/x\nb/y\n\n', ['a/x', 'b/y']],
    ['a header and no rows', 'repo_name\n', []],
    ['duplicates, also in another case', 'repo_name\na/x\nA/X\na/x\n', ['a/x']],
  ])('reads %s', (_name, csv, expected) => {
    workspace({
      'datasmith.config.json': { store: 's', repos: { file: 'list.csv' } },
      'list.csv': csv,
    });
    const names = Object.values(projects())
      .filter((p) => p.tags?.includes('repo'))
      .map((p) => p.name);
    expect(names).toEqual(expected.map(repoProjectName));
  });

  it('reads an inline list', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: ['a/x', 'b/y'] } });
    expect(Object.keys(byName(projects()))).toEqual(['repo-a__x', 'repo-b__y', ...GLOBALS]);
  });

  it('makes no repository project while the list file does not exist yet', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: { file: 'data/repos/repos.csv' } } });
    expect(Object.keys(byName(projects()))).toEqual(GLOBALS);
  });

  it('reads a repos.parquet list through the repos.csv written beside it', () => {
    workspace({
      'datasmith.config.json': { store: 's', repos: { file: 'data/repos/repos.parquet' } },
      'data/repos/repos.csv': 'repo_name,stars\na/x,10\n',
    });
    expect(Object.keys(byName(projects()))).toEqual(['repo-a__x', ...GLOBALS]);
  });

  it('fails naming the file and row of a malformed name', () => {
    workspace({
      'datasmith.config.json': { store: 's', repos: { file: 'list.csv' } },
      'list.csv': 'repo_name\na/x\nnot a repo\n',
    });
    expect(() => projects()).toThrow(/list\.csv:3/);
  });
});

describe('code inputs from the import graph', () => {
  /** The workspace files and npm packages a step of repository a/x hashes as code. */
  function code(step: string): { files: string[]; packages: string[] } {
    const project = ['scrape-repos', 'merge', 'dataset', 'report'].includes(step)
      ? byName(projects())[GLOBAL_PROJECTS[step as 'merge']]
      : byName(projects())['repo-a__x'];
    const inputs = project?.targets?.[step]?.inputs ?? [];
    return {
      files: inputs
        .filter((i): i is string => typeof i === 'string' && i.startsWith('{workspaceRoot}/libs/'))
        .map((i) => i.replace('{workspaceRoot}/', '')),
      packages: inputs.flatMap((i) =>
        typeof i === 'object' && 'externalDependencies' in i ? i.externalDependencies : [],
      ),
    };
  }

  beforeEach(() => workspace({ 'datasmith.config.json': { store: 's', repos: ['a/x'] } }));

  it("follows a package index only for the names imported: collect hashes its own modules, not classify's", () => {
    expect(code('collect').files).toEqual([
      'libs/cli/bin/datasmith.js',
      'libs/cli/package.json',
      'libs/cli/src/commands/collect.ts',
      'libs/cli/src/commands/index.ts',
      'libs/cli/src/main.ts',
      'libs/steps/package.json',
      'libs/steps/src/collect/collect.ts',
      'libs/steps/src/collect/rules.ts',
      'libs/steps/src/index.ts',
    ]);
    expect(code('collect').packages).toEqual(['commander', 'simple-git', 'tsx']);
    expect(code('classify').packages).toEqual(['commander', 'openai', 'tsx']);
  });

  it("hashes a module another step's folder holds when the step imports it (scrape-repos → collect/rules.ts)", () => {
    expect(code('scrape-repos').files).toContain('libs/steps/src/collect/rules.ts');
  });

  it('hashes a file read next to a module (classify reads its prompt with new URL(..., import.meta.url))', () => {
    expect(code('classify').files).toContain('libs/steps/src/classify/prompt.md');
    expect(code('collect').files).not.toContain('libs/steps/src/classify/prompt.md');
  });

  it('never hashes a test helper or a testing entry point, nor a file nothing imports', () => {
    workspace({ 'libs/steps/src/collect/unused.ts': 'export const unused = 1;\n' });
    for (const step of FIXTURE_STEPS) {
      expect(
        code(step).files.filter((f) => /test-helpers|testing|unused/.test(f)),
        step,
      ).toEqual([]);
    }
  });

  it('picks up a new import at once: the inputs are recomputed from the files on every run', () => {
    workspace({
      'libs/steps/src/collect/unused.ts': 'export const unused = 1;\n',
      'libs/steps/src/collect/collect.ts':
        "import { unused } from './unused';\nimport { isDocs } from './rules';\nexport const collect = () => [unused, isDocs];\n",
    });
    expect(code('collect').files).toContain('libs/steps/src/collect/unused.ts');
    expect(code('collect').packages).not.toContain('simple-git');
  });

  it('follows a command registry that imports each command on demand: a step still hashes only its own command', () => {
    workspace({
      'libs/cli/src/commands/index.ts': `const COMMANDS = [${FIXTURE_STEPS.map((s) => `() => import('./${s}')`).join(', ')}];\nexport const registerCommands = async (p: unknown) => { for (const load of COMMANDS) (await load()).register(p); };\n`,
    });
    expect(code('collect').files).toContain('libs/cli/src/commands/collect.ts');
    expect(code('collect').files).toContain('libs/steps/src/collect/collect.ts');
    expect(code('collect').files.filter((f) => /classify/.test(f))).toEqual([]);
    expect(code('classify').packages).toEqual(['commander', 'openai', 'tsx']);
  });

  it('hashes a package loaded on first use with require (createRequire), not only static imports', () => {
    workspace({
      'libs/steps/src/collect/collect.ts':
        "import { createRequire } from 'node:module';\nimport { isDocs } from './rules';\nconst require = createRequire(import.meta.url);\nexport const collect = () => [require('simple-git'), isDocs];\n",
    });
    expect(code('collect').packages).toEqual(['commander', 'simple-git', 'tsx']);
  });

  it('resolves a subpath pattern of the exports map (@datasmith/steps/* → src/*.ts) to the module itself', () => {
    workspace({
      'libs/steps/package.json': {
        name: '@datasmith/steps',
        exports: { '.': './src/index.ts', './testing': './src/testing/index.ts', './*': './src/*.ts' },
      },
      'libs/cli/src/commands/collect.ts':
        "import { collect } from '@datasmith/steps/collect/collect';\nexport const register = (p: unknown) => [p, collect];\n",
    });
    expect(code('collect').files).toContain('libs/steps/src/collect/collect.ts');
    expect(code('collect').files).not.toContain('libs/steps/src/index.ts');
    expect(code('classify').files).toContain('libs/steps/src/index.ts');
  });

  it('fails naming the importer when an import does not resolve', () => {
    workspace({
      'libs/steps/src/collect/collect.ts': "import { gone } from './gone';\nexport const collect = gone;\n",
    });
    expect(() => projects()).toThrow(/cannot resolve "\.\/gone" imported by libs\/steps\/src\/collect\/collect\.ts/);
  });
});

describe('the config', () => {
  it('is the one DATASMITH_CONFIG names, relative to the workspace root', () => {
    workspace({
      'datasmith.config.json': { store: 'data/store', repos: ['a/x'] },
      'tools/demo/demo.json': { store: 'data/demo/store', repos: ['d/y'], classify: { backend: 'llm' } },
    });
    const all = byName(projects(undefined, { DATASMITH_CONFIG: 'tools/demo/demo.json' }));
    expect(Object.keys(all)).toEqual(['repo-d__y', ...GLOBALS]);
    const targets = all['repo-d__y']?.targets ?? {};
    expect(targets.collect?.options.command).toContain('--store data/demo/store');
    expect(targets.classify?.inputs).toContainEqual({
      json: '{workspaceRoot}/tools/demo/demo.json',
      fields: ['classify'],
    });
  });

  it('fails with the path when DATASMITH_CONFIG names a missing file', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: [] } });
    expect(() => projects(undefined, { DATASMITH_CONFIG: 'nope.json' })).toThrow(/nope\.json does not exist/);
  });

  it('keeps the classify backend out of the project configuration, which Nx hashes into every sibling task', () => {
    // Nx hashes a project's whole configuration (every target's options) into each of its tasks,
    // so a backend written into classify's command would re-run collect and prepare (spec §2.3).
    workspace({ 'datasmith.config.json': { store: 's', repos: ['a/x'], classify: { backend: 'rules' } } });
    const before = projects();
    workspace({ 'datasmith.config.json': { store: 's', repos: ['a/x'], classify: { backend: 'llm', model: 'm' } } });
    expect(projects()).toEqual(before);
    const classify = byName(before)['repo-a__x']?.targets?.classify as TargetConfiguration;
    expect(classify.options.command).toBe(
      'flags=$(node tools/nx-plugin/config-flags.cjs classify) && node libs/cli/bin/datasmith.js classify --repo a/x --out-root data --store s $flags',
    );
    expect(classify.inputs).toContainEqual({ json: '{workspaceRoot}/datasmith.config.json', fields: ['classify'] });
    const collect = byName(before)['repo-a__x']?.targets?.collect as TargetConfiguration;
    const positive = (collect.inputs ?? []).filter((i) => typeof i !== 'string' || !i.startsWith('!'));
    expect(JSON.stringify(positive)).not.toMatch(/classify|llm|"json"/);
  });

  it('hashes the config section through a runtime input when the config lies outside the workspace', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: ['a/x'] } });
    const outside = mkdtempSync(join(tmpdir(), 'datasmith-config-'));
    writeFileSync(join(outside, 'c.json'), JSON.stringify({ store: 's', repos: ['a/x'] }));
    const classify = byName(projects(undefined, { DATASMITH_CONFIG: join(outside, 'c.json') }))['repo-a__x']?.targets
      ?.classify;
    expect(classify?.inputs).toContainEqual({ runtime: 'node tools/nx-plugin/config-flags.cjs classify' });
    rmSync(outside, { recursive: true });
  });

  it('rejects an output root outside the workspace', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: [], outputRoot: '../elsewhere' } });
    expect(() => projects()).toThrow(/outputRoot.*outside the workspace/);
  });

  it('drops --store and the store input when the source is GitHub', () => {
    workspace({ 'datasmith.config.json': { source: 'github', repos: ['a/x'] } });
    const collect = byName(projects())['repo-a__x']?.targets?.collect;
    expect(collect?.options.command).toBe('node libs/cli/bin/datasmith.js collect --repo a/x --out-root data');
    expect(JSON.stringify(collect?.inputs)).not.toContain('runtime');
  });
});

describe('config-flags.cjs', () => {
  const helper = join(import.meta.dirname, 'config-flags.cjs');
  function flags(step: string, env: NodeJS.ProcessEnv = {}): { status: number; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [helper, step], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  it.each([
    [
      'every key set',
      { backend: 'llm', model: 'local/openai/gpt-oss-120b' },
      '--backend llm --model local/openai/gpt-oss-120b',
    ],
    ['only the backend', { backend: 'rules', model: null }, '--backend rules'],
    ['the learned rules', { backend: 'rules', rulesModel: 'learned' }, '--backend rules --rules-model learned'],
    ['no section (the CLI defaults apply)', undefined, ''],
  ])('turns the classify section into flags: %s', (_name, section, expected) => {
    workspace({ 'datasmith.config.json': { store: 's', repos: [], ...(section ? { classify: section } : {}) } });
    expect(flags('classify')).toEqual({ status: 0, stdout: expected, stderr: '' });
  });

  it.each([
    ['online', { backend: 'rules', online: true }, '--backend rules --online'],
    ['offline', { backend: 'rules', online: false }, '--backend rules'],
  ])('turns a boolean key of the synthesize section into a switch: %s', (_name, section, expected) => {
    workspace({ 'datasmith.config.json': { store: 's', repos: [], synthesize: section } });
    expect(flags('synthesize')).toEqual({ status: 0, stdout: expected, stderr: '' });
  });

  it('turns the prepare section into the gate flags', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: [], prepare: { gateMode: 'rank', gateShare: 0.6 } } });
    expect(flags('prepare')).toEqual({ status: 0, stdout: '--gate-mode rank --gate-share 0.6', stderr: '' });
  });

  it('turns the numbers of the verify section into flags', () => {
    workspace({
      'datasmith.config.json': {
        store: 's',
        repos: [],
        verify: {
          passes: 1,
          maxBenchmarks: 3,
          maxParamSets: 2,
          factor: 1.1,
          maxForeignShare: 0.5,
          untracedFactor: 1.3,
        },
      },
    });
    expect(flags('verify')).toEqual({
      status: 0,
      stdout:
        '--passes 1 --max-benchmarks 3 --max-param-sets 2 --factor 1.1 --max-foreign-share 0.5 --untraced-factor 1.3',
      stderr: '',
    });
  });

  it('reads the config DATASMITH_CONFIG names', () => {
    workspace({
      'datasmith.config.json': { store: 's', repos: [] },
      'demo.json': { store: 's', repos: [], synthesize: { backend: 'agent' } },
    });
    expect(flags('synthesize', { DATASMITH_CONFIG: 'demo.json' }).stdout).toBe('--backend agent');
  });

  it.each([
    ['a value the shell would split', { classify: { model: 'two words' } }, 'classify', /classify\.model/],
    ['an unknown step', {}, 'collect', /unknown step "collect"/],
  ])('fails on %s', (_name, config, step, message) => {
    workspace({ 'datasmith.config.json': { store: 's', repos: [], ...config } });
    const result = flags(step);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it('fails when the config is missing', () => {
    expect(flags('classify').stderr).toMatch(/cannot read .*datasmith\.config\.json/);
  });
});

describe('naming', () => {
  it('agrees with @datasmith/paths on project names and partition folders', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: ['Org.io/my.pkg-2'], outputRoot: './out/' } });
    const all = byName(projects({ steps: [...ENABLED_REPO_STEPS] }));
    const project = all[repoProjectName('Org.io/my.pkg-2')];
    expect(project).toBeDefined();
    for (const step of ENABLED_REPO_STEPS) {
      const outputs = project?.targets?.[step]?.outputs ?? [];
      expect(outputs.map((o) => o.replace('{workspaceRoot}/', '').replace('{options.month}', '2024-05'))).toEqual([
        dataLayout('out').partitionDir(step, 'Org.io/my.pkg-2', '2024-05'),
      ]);
    }
  });
});

describe('normalizeOptions', () => {
  it('defaults to the steps whose commands exist', () => {
    const normalized = normalizeOptions(undefined);
    expect(normalized.repoSteps).toEqual(ENABLED_REPO_STEPS);
    expect(normalized.globalSteps).toEqual(ENABLED_GLOBAL_STEPS);
    expect(normalized.targetNames.collect).toBe('collect');
  });

  it('renames targets and keeps the chain', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: ['a/x'] } });
    const targets = byName(projects({ targetNames: { collect: 'mine', prepare: 'prep' } }))['repo-a__x']?.targets ?? {};
    expect(Object.keys(targets).slice(0, 3)).toEqual(['mine', 'prep', 'classify']);
    expect(targets.prep?.dependsOn).toEqual([{ target: 'mine', params: 'forward' }]);
    expect(targets.classify?.dependsOn).toEqual([{ target: 'prep', params: 'forward' }]);
  });

  it.each([
    ['an unknown step', { steps: ['fetch'] }, /unknown step "fetch"/],
    ['two steps sharing a name', { targetNames: { collect: 'x', prepare: 'x' } }, /two steps use the target name "x"/],
  ])('rejects %s', (_name, options, error) => {
    expect(() => normalizeOptions(options as never)).toThrow(error);
  });

  it('builds the whole graph of spec §2 when every step is enabled', () => {
    workspace({ 'datasmith.config.json': { store: 's', repos: ['a/x', 'b/y'] } });
    const all = byName(
      projects({
        steps: [
          'scrape-repos',
          'collect',
          'prepare',
          'classify',
          'synthesize',
          'publish',
          'merge',
          'dataset',
          'report',
        ],
      }),
    );
    const chain = Object.entries(all['repo-a__x']?.targets ?? {}).map(([name, t]) => [name, t.dependsOn?.[0]]);
    expect(chain).toEqual([
      ['collect', undefined],
      ['prepare', { target: 'collect', params: 'forward' }],
      ['classify', { target: 'prepare', params: 'forward' }],
      ['synthesize', { target: 'classify', params: 'forward' }],
      ['publish', { target: 'synthesize', params: 'forward' }],
    ]);
    expect(all['repo-a__x']?.implicitDependencies).toEqual(['repos']);
    expect(all.merge?.implicitDependencies).toEqual(['repo-a__x', 'repo-b__y']);
    expect(all.dataset?.targets?.dataset?.dependsOn).toEqual([{ target: 'merge', projects: ['merge'] }]);
    expect(all.report?.targets?.report?.dependsOn).toEqual([{ target: 'dataset', projects: ['dataset'] }]);
    for (const project of Object.values(all)) {
      for (const target of Object.values(project.targets ?? {})) {
        expect(target.metadata?.description).toBeTruthy();
        // Nx fails to hash a target without explicit inputs when its root does not exist (stack-notes §2c).
        expect(target.inputs?.length).toBeGreaterThan(0);
        expect(JSON.stringify(target.inputs)).not.toContain('{projectRoot}');
      }
    }
  });
});

describe('repoStateCommand', () => {
  function state(): string {
    return execFileSync('sh', ['-c', repoStateCommand('data/store', 'o/r')], { cwd: root, encoding: 'utf8' }).trim();
  }

  it('changes with a new commit or an edited PR file, and follows symlinks', () => {
    // The store usually sits inside the workspace's own git work tree.
    execFileSync('git', ['init', '-q', root]);
    const source = new FixtureRepo(join(root, 'src'));
    source.commit({ 'asv.conf.json': '{}' }, 'Initial', '2024-01-01T00:00:00Z');
    mkdirSync(join(root, 'mirrors'));
    execFileSync('git', ['clone', '-q', '--bare', join(root, 'src'), join(root, 'mirrors/r.git')]);
    mkdirSync(join(root, 'data/store/o'), { recursive: true });
    symlinkSync(join(root, 'mirrors/r.git'), join(root, 'data/store/o/r.git'));
    workspace({ 'data/store/o/r/pulls/1.json': { number: 1, title: 'a' } });

    const first = state();
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(state()).toBe(first);

    source.squashPull(2, 'Faster', { 'x.py': 'x' }, '2024-01-02T00:00:00Z');
    execFileSync('git', ['-C', join(root, 'src'), 'push', '-q', join(root, 'mirrors/r.git'), 'main']);
    const afterCommit = state();
    expect(afterCommit).not.toBe(first);

    workspace({ 'data/store/o/r/pulls/1.json': { number: 1, title: 'b' } });
    const afterEdit = state();
    expect(afterEdit).not.toBe(afterCommit);

    workspace({ 'data/store/o/r/pulls/1.json': { number: 1, title: 'a' } });
    expect(state()).toBe(afterCommit);
  });

  it('prints a stable hash for a missing repository instead of failing', () => {
    expect(state()).toMatch(/^[0-9a-f]{40}$/);
  });
});
