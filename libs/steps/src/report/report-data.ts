/**
 * What the report shows, as plain data: everything here comes from the tables through the queries
 * of `queries.ts`, and `render.ts` turns it into HTML without reading anything else.
 */

/** The stages of the funnel, in order. Stage 0 counts every merged PR; stage i passed step i. */
export const FUNNEL_STAGES = [
  { key: 'merged', step: null, label: 'merged PRs' },
  { key: 'collected', step: 'collect', label: 'collected' },
  { key: 'candidates', step: 'prepare', label: 'perf candidates' },
  { key: 'performance', step: 'classify', label: 'performance PRs' },
  { key: 'validated', step: 'synthesize', label: 'validated images' },
  { key: 'published', step: 'publish', label: 'published images' },
  { key: 'tasks', step: 'dataset', label: 'dataset tasks' },
  { key: 'verified', step: 'verify', label: 'speed-up verified' },
] as const;
export type FunnelStageKey = (typeof FUNNEL_STAGES)[number]['key'];
/** A step of the funnel (every stage but the first). */
export type FunnelStep = NonNullable<(typeof FUNNEL_STAGES)[number]['step']>;

/**
 * Reasons the report adds to the tables' own drop reasons, for PRs whose next step has no row:
 * the step has no partition for the PR's repository and month yet, or it has one without the PR.
 */
export const PSEUDO_REASONS = {
  not_run: 'the step has not run for this repository and month (no partition)',
  no_row: "the step's table has no row for the PR",
  no_result: 'synthesize ran for the month but has no result for the base commit',
  no_image: 'publish ran for the month but has no image row for the base commit',
  not_in_dataset: 'the image is published but the dataset has no task for the PR',
  not_measured: 'verify ran for the month but has no row for the task',
} as const;

/** A count under a name (a drop reason, a strategy, a backend). */
export interface ReasonCount {
  reason: string;
  count: number;
}

/** One stage of a month's (or repository's) funnel. */
export interface FunnelStage {
  key: FunnelStageKey;
  label: string;
  /** PRs that passed this stage. */
  count: number;
  /** False when the step wrote no partition at all for the month: the stage is shown as "no data". */
  hasData: boolean;
  /** Why PRs that reached the previous stage did not pass this one; empty for `merged`. */
  drops: ReasonCount[];
}

/** Docker work of synthesize (results.jsonl), one month or all. */
export interface DockerStats {
  /** Tasks (one per repository and base commit). */
  tasks: number;
  ok: number;
  failed: number;
  /** Sum of `attempts[].build_s` / 60. */
  buildMinutes: number;
  /** Sum of `duration_s` / 60 (builds and validation). */
  totalMinutes: number;
  attempts: number;
  /** Failed tasks by reason (the result's `reason`, else `stage:<stage>`). */
  failures: ReasonCount[];
  strategies: ReasonCount[];
}

/** A row of the dataset's month config, with its PR title when the classify table has it. */
export interface PublishedTask {
  taskId: string;
  repo: string;
  prNumber: number | null;
  title: string | null;
  mergedAt: string | null;
  classification: string;
  difficulty: string;
  imageName: string;
}

/** Decisions of one classifier backend and model. */
export interface ClassifierUsage {
  backend: string;
  model: string | null;
  promptVersion: string | null;
  decided: number;
  performance: number;
  notPerformance: number;
  errors: number;
  /** Mean `classification_confidence`, null when none. */
  meanConfidence: number | null;
}

/**
 * LLM usage of one prompt version. Memo entries carry the prompt version but not the model (it is
 * hashed into the key), so calls and tokens are per version; `models` lists who decided its rows.
 */
export interface LlmUsage {
  promptVersion: string;
  models: string[];
  /** Rows of the classify tables decided by the LLM (each one completion, live or from the memo). */
  decisions: number;
  /** Completions paid for: memo entries of this prompt version (null without a memo). */
  calls: number | null;
  /** Decisions that needed no new call: decisions − calls, at least 0 (null without a memo). */
  cacheHits: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

/** One month of the report. */
export interface MonthReport {
  month: string;
  stages: FunnelStage[];
  classifiers: ClassifierUsage[];
  /** Null when synthesize wrote no results for the month. */
  docker: DockerStats | null;
  tasks: PublishedTask[];
}

/** One repository over every month. */
export interface RepoYield {
  repo: string;
  months: number;
  stages: FunnelStage[];
}

/** How many partition files of each table the report read. */
export interface SourceCount {
  table: string;
  files: number;
}

/** Everything the page shows. */
/** One task's measured speed-up (verify), for the report's chart. */
export interface MeasuredSpeedup {
  repo: string;
  month: string;
  prNumber: number | null;
  speedup: number;
  verified: boolean;
}

export interface ReportData {
  months: MonthReport[];
  /** Tasks verify measured, best speed-up first. */
  speedups: MeasuredSpeedup[];
  /** Every month together. */
  total: { stages: FunnelStage[]; docker: DockerStats | null };
  repos: RepoYield[];
  classifiers: ClassifierUsage[];
  llm: LlmUsage[];
  sources: SourceCount[];
}
