import { type PartitionedStep, STEP_TABLES } from './layout';

/** Steps over all of the data: one run each, no month. */
export const GLOBAL_STEPS = ['scrape-repos', 'merge', 'dataset', 'report'] as const;
export type GlobalStep = (typeof GLOBAL_STEPS)[number];
export type PipelineStep = PartitionedStep | GlobalStep;

/**
 * A table of the data layout, by the step that writes it: a partitioned step's `<table>.parquet` in
 * each repository × month folder (a global step that reads one reads every partition), or a global
 * step's one file, named by its `DataLayout` member. The zod schema of each is its `TableSpec` in
 * `@datasmith/tables`, which this light module must not load (the Nx plugin imports it).
 */
export type TableRef =
  | { step: PartitionedStep; table: string }
  | { step: GlobalStep; layout: 'reposTable' | 'reposCsv' | 'masterTable' | 'datasetDir' | 'reportHtml' };

/**
 * One step of the pipeline, as data: the Nx plugin, `datasmith update`, the demo and the docs derive
 * their targets, order and settings from {@link PIPELINE}. The CLI's step runner reads and writes
 * the tables it lists; its code is its CLI command and what that imports.
 */
export interface StepDefinition {
  name: PipelineStep;
  /** `repository-month`: one run per repository and UTC month; `global`: one run over every partition. */
  partition: 'repository-month' | 'global';
  /** The Nx project of a global step (roots `data/projects/<name>`, never created on disk). */
  project: string | null;
  /** One line, shown by `nx show project`. */
  description: string;
  /** Environment variables that change its result besides DATASMITH_CONFIG (hashed into its target). */
  env: readonly string[];
  /** The config section it reads at run time (turned into flags by tools/nx-plugin/config-flags.cjs). */
  configSection: string | null;
  /** Runs alone: Nx starts no other task beside it (`parallelism: false`), as a measurement needs. */
  exclusive: boolean;
  /** The tables it reads in partition or global mode (besides the store and the JSONL sidecars). */
  reads: readonly TableRef[];
  /** The tables it writes; for a partitioned step, the layout's `STEP_TABLES` entry. */
  writes: readonly TableRef[];
}

const LLM_ENV = ['DSPY_MODEL_NAME', 'DSPY_TEMPERATURE', 'DSPY_MAX_TOKENS', 'OPENAI_MODEL'];

const partitioned = (
  name: PartitionedStep,
  description: string,
  settings: { env?: readonly string[]; configSection?: string; exclusive?: boolean; reads?: readonly TableRef[] } = {},
): StepDefinition => ({
  name,
  partition: 'repository-month',
  project: null,
  description,
  env: settings.env ?? [],
  configSection: settings.configSection ?? null,
  exclusive: settings.exclusive ?? false,
  reads: settings.reads ?? [],
  writes: STEP_TABLES[name].map((table) => ({ step: name, table })),
});

const global = (
  name: GlobalStep,
  project: string,
  description: string,
  tables: { reads: readonly TableRef[]; writes: readonly TableRef[] },
  env: readonly string[] = [],
): StepDefinition => ({
  name,
  partition: 'global',
  project,
  description,
  env,
  configSection: null,
  exclusive: false,
  ...tables,
});

const COMMITS: TableRef = { step: 'collect', table: 'commits' };
const PREPARED: TableRef = { step: 'prepare', table: 'prepared' };
const CLASSIFIED: TableRef = { step: 'classify', table: 'classified' };
const PERF: TableRef = { step: 'classify', table: 'perf' };
const CONTEXTS: TableRef = { step: 'synthesize', table: 'contexts' };
const VERIFIED: TableRef = { step: 'verify', table: 'verified' };
const IMAGES: TableRef = { step: 'publish', table: 'images' };
const MASTER: TableRef = { step: 'merge', layout: 'masterTable' };

/**
 * The pipeline in order. The global steps before the first per-repository one run before the months
 * (scrape-repos finds the repositories), the others after every month. The DATASMITH_* variables are
 * how `datasmith update` passes its original flags to the targets.
 */
export const PIPELINE: readonly StepDefinition[] = [
  global(
    'scrape-repos',
    'repos',
    'List repositories with ASV benchmarks from the store (step 0): repos.parquet and repos.csv',
    {
      reads: [],
      writes: [
        { step: 'scrape-repos', layout: 'reposTable' },
        { step: 'scrape-repos', layout: 'reposCsv' },
      ],
    },
  ),
  partitioned('collect', 'Mine the merged PRs of one repository in one UTC month (step 1): commits.parquet'),
  partitioned(
    'prepare',
    'Token counts, cheap performance gate and container names for one month (step 2): prepared.parquet',
    { configSection: 'prepare', reads: [COMMITS] },
  ),
  partitioned(
    'classify',
    'Classify one month of PRs as performance work or not (step 3): classified.parquet, perf.parquet',
    { env: LLM_ENV, configSection: 'classify', reads: [PREPARED] },
  ),
  partitioned(
    'synthesize',
    'Build and validate a Docker context per base commit for one month (step 4): contexts.parquet',
    {
      env: [...LLM_ENV, 'DATASMITH_CONTEXTS', 'DATASMITH_ASV_SOURCE'],
      configSection: 'synthesize',
      reads: [PERF],
    },
  ),
  partitioned(
    'verify',
    "Measure each task's gold patch against its base with real asv in the validated image (step 4b): verify.jsonl, verified.parquet",
    { env: ['DATASMITH_CONTEXTS'], configSection: 'verify', exclusive: true, reads: [PERF] },
  ),
  partitioned('publish', 'Push the validated images of one month (step 5): images.parquet', {
    env: ['DOCKERHUB_NAMESPACE', 'DATASMITH_IMAGE_REGISTRY', 'DATASMITH_SKIP_EXISTING'],
    // and synthesize's results.jsonl, the tasks themselves
    reads: [CONTEXTS],
  }),
  global('merge', 'merge', 'Merge every partition into the master table (step 6): master.parquet', {
    reads: [PERF, VERIFIED],
    writes: [MASTER],
  }),
  global(
    'dataset',
    'dataset',
    'Write the dataset in the Hugging Face layout (step 7)',
    { reads: [MASTER, IMAGES], writes: [{ step: 'dataset', layout: 'datasetDir' }] },
    ['DATASMITH_HF_REPO', 'DATASMITH_VERIFIED', 'HF_ENDPOINT'],
  ),
  global(
    'report',
    'report',
    'Write the funnel report over every table: data/report/index.html (inline SVG, nothing from the network)',
    {
      // and synthesize's results.jsonl, the dataset's default config and the LLM memo
      reads: [COMMITS, PREPARED, CLASSIFIED, VERIFIED, IMAGES],
      writes: [{ step: 'report', layout: 'reportHtml' }],
    },
  ),
];

/** The definition of a step. */
export function stepDefinition(name: PipelineStep): StepDefinition {
  const step = PIPELINE.find((s) => s.name === name);
  if (!step) throw new Error(`unknown pipeline step ${JSON.stringify(name)}`);
  return step;
}

/** The pipeline as it runs: global steps before the months, the per-repository steps of each month, global steps after. */
export function pipelineStages(): { before: GlobalStep[]; perMonth: PartitionedStep[]; after: GlobalStep[] } {
  const first = PIPELINE.findIndex((s) => s.partition === 'repository-month');
  const globals = (steps: readonly StepDefinition[]) =>
    steps.filter((s) => s.partition === 'global').map((s) => s.name as GlobalStep);
  return {
    before: globals(PIPELINE.slice(0, first)),
    perMonth: PIPELINE.filter((s) => s.partition === 'repository-month').map((s) => s.name as PartitionedStep),
    after: globals(PIPELINE.slice(first)),
  };
}
