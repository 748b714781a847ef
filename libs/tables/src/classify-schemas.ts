import { z } from 'zod';
import { partitionTable } from './table-spec';
import { CommitRow } from './schemas';

/** Where a row's `patch` came from: the mirror (`git diff pr_base_sha sha`) or the GitHub diff API. */
export const PatchSource = z.enum(['git', 'github']);
export type PatchSource = z.infer<typeof PatchSource>;

/** `prepared` (step 2): a `commits` row plus size measures and the cheap performance gate. */
export const PreparedRow = CommitRow.extend({
  n_patch_tokens: z.number().int().nullable().describe('o200k_base tokens of patch; null when patch is null'),
  total_changes: z.number().int().describe('total_additions + total_deletions'),
  n_files_changed: z.number().int().describe('number of paths in files_changed'),
  is_perf_candidate: z
    .boolean()
    .describe('the row goes on to classify: kept upstream, within the size limits and passed by the gate'),
  perf_gate_explanation: z.string().describe('the gate signals found, their weights and the verdict'),
  container_name: z
    .string()
    .nullable()
    .describe('lower-cased `<owner>-<repo>-<pr_base_sha>:final`; null without pr_base_sha'),
  patch_source: PatchSource.nullable().describe('null when patch is null'),
});
export type PreparedRow = z.infer<typeof PreparedRow>;

/** The 14 optimisation categories of the original classifier (reference §6.2). */
export const OptimizationCategory = z.enum([
  'use_better_algorithm',
  'use_better_data_structure_and_layout',
  'use_lower_level_system',
  'accept_less_precise_solution',
  'use_parallelization',
  'remove_or_reduce_work',
  'cache_and_reuse',
  'do_it_earlier_batch_throttle',
  'scale_platform',
  'database_and_storage_tuning',
  'micro_optimizations',
  'io_and_latency_hiding',
  'use_higher_level_system',
  'uncategorized',
]);
export type OptimizationCategory = z.infer<typeof OptimizationCategory>;

/** Task difficulty; `unknown` for rows that were not classified as performance work. */
export const Difficulty = z.enum(['easy', 'medium', 'hard', 'unknown']);
export type Difficulty = z.infer<typeof Difficulty>;

/** The classifier that decided a row. */
export const ClassifierBackend = z.enum(['rules', 'llm']);
export type ClassifierBackend = z.infer<typeof ClassifierBackend>;

/**
 * `classified` (step 3, every row) and `perf` (step 3, performance rows only). A row dropped by an
 * earlier step keeps its `drop_reason` and has `backend` null.
 */
export const ClassifiedRow = PreparedRow.extend({
  is_performance_commit: z.boolean(),
  classification: OptimizationCategory.nullable().describe('null unless is_performance_commit'),
  difficulty: Difficulty,
  classification_explanation: z.string().describe('why the backend decided so, or the error of a failed row'),
  classification_confidence: z
    .number()
    .int()
    .min(0)
    .max(100)
    .nullable()
    .describe('0–100; null when no backend decided the row'),
  has_linked_issue: z.boolean().describe('the PR header references an issue the source could read'),
  problem_statement: z.string().describe('the problem, never the solution: no added patch line, no fix description'),
  final_md: z.string().describe('the agent brief: repository, problem statement, relevant issues'),
  backend: ClassifierBackend.nullable(),
  model: z.string().nullable().describe('the LLM model name; null for the rules backend'),
  prompt_version: z.string().nullable().describe('PROMPT_VERSION for llm, RULES_VERSION for rules'),
});
export type ClassifiedRow = z.infer<typeof ClassifiedRow>;

/** Sort keys of the prepare and classify tables: the same order as `commits`. */
export const CLASSIFY_TABLE_KEYS = {
  prepared: ['repo_name', 'pr_merged_at', 'pr_number'],
  classified: ['repo_name', 'pr_merged_at', 'pr_number'],
  perf: ['repo_name', 'pr_merged_at', 'pr_number'],
} as const;

/** `prepare/<repo>/<month>/prepared.parquet`. */
export const PREPARED_TABLE = partitionTable('prepare', 'prepared', PreparedRow, CLASSIFY_TABLE_KEYS.prepared);
/** `classify/<repo>/<month>/classified.parquet`: every row with its decision. */
export const CLASSIFIED_TABLE = partitionTable('classify', 'classified', ClassifiedRow, CLASSIFY_TABLE_KEYS.classified);
/** `classify/<repo>/<month>/perf.parquet`: the performance rows only. */
export const PERF_TABLE = partitionTable('classify', 'perf', ClassifiedRow, CLASSIFY_TABLE_KEYS.perf);
