import { z } from 'zod';
import { partitionTable } from './table-spec';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-hex commit sha');

/** The columns synthesize reads from classify's `perf` table (other columns pass unread). */
export const SynthesizeInputRow = z.object({
  repo_name: z.string(),
  pr_number: z.number().int().nullable().describe('null for a rebase merge found without PR files'),
  sha: sha.describe('the landed commit'),
  pr_base_sha: sha.nullable().describe('the task is built at this commit'),
  pr_merged_at: z.string(),
  container_name: z.string().nullable().optional(),
});
export type SynthesizeInputRow = z.infer<typeof SynthesizeInputRow>;

/** Where a build context came from (spec §3). */
export const SynthesisStrategy = z.enum(['cached', 'similar', 'rules', 'agent']);
export type SynthesisStrategy = z.infer<typeof SynthesisStrategy>;

/** The stage a task reached: where it failed, or `validated`. */
export const SynthesisStage = z.enum([
  'input',
  'engine',
  'context',
  'base',
  'deps',
  'build',
  'repo',
  'secrets',
  'shim',
  'import',
  'discover',
  'benchmark',
  'tests',
  'validated',
]);
export type SynthesisStage = z.infer<typeof SynthesisStage>;

/** Why a task failed: one stable code per failure (spec §6 "Validation is strict"). */
export const SynthesisReason = z.enum([
  // input
  'missing_base_sha',
  'mirror_missing',
  'unknown_sha',
  'no_asv_config',
  // engine and images
  'engine_unreachable',
  'no_build_system',
  'base_build_failed',
  'deps_build_failed',
  'install_script_invalid',
  'install_failed',
  'submodule_unavailable',
  'build_timeout',
  // repository lock
  'head_mismatch',
  'later_commit_present',
  'extra_ref_present',
  'tag_present',
  'stash_present',
  'remote_present',
  'alternates_present',
  // secrets and shims
  'secret_in_env',
  'secret_in_file',
  'customize_shim',
  // functional checks
  'import_failed',
  'asv_machine_failed',
  'discovery_failed',
  'no_benchmarks',
  'benchmark_failed',
  'dependency_unavailable',
  'network_required',
  'benchmark_timeout',
  'tests_collect_failed',
  'check_timeout',
  // the cascade and its budgets
  'attempts_exhausted',
  'build_budget_exhausted',
  'agent_no_script',
  'llm_failed',
  // anything unexpected (a bug or a git failure), with its message in the tails
  'internal_error',
]);
export type SynthesisReason = z.infer<typeof SynthesisReason>;

/** One build-and-validate attempt of a task. */
export const SynthesisAttempt = z.object({
  attempt: z.number().int(),
  strategy: SynthesisStrategy.default('rules').describe("where the attempt's context came from"),
  variant: z.string().describe('the rules candidate (editable, regular), `similar:<sha12>`, `agent-<n>`, or cached'),
  script: z.string().default('').describe('the install script (docker_build_pkg.sh) that was built'),
  ok: z.boolean(),
  rc: z.number().int(),
  stage: SynthesisStage,
  reason: SynthesisReason.nullable(),
  duration_s: z.number(),
  build_s: z.number().describe('docker build time of this attempt (dependency layer when built, then commit layer)'),
  deps_reused: z
    .boolean()
    .nullable()
    .describe('the dependency layer was already in the engine; null when no build ran'),
  stderr_tail: z.string(),
  stdout_tail: z.string(),
});
export type SynthesisAttempt = z.infer<typeof SynthesisAttempt>;

/**
 * A line of `results.jsonl` (spec §9, reference §7.7 plus `strategy`): one per task, i.e. per
 * (repository, base sha).
 */
export const SynthesisResult = z.object({
  owner: z.string(),
  repo: z.string(),
  sha: sha.describe('the base commit the image is built at'),
  image_name: z.string().describe('`<owner>-<repo>-<sha>:final`'),
  ok: z.boolean(),
  rc: z.number().int().describe('0 ok, 124 timeout, 1 other failure'),
  duration_s: z.number(),
  stage: SynthesisStage,
  strategy: SynthesisStrategy,
  attempts: z.array(SynthesisAttempt),
  reason: SynthesisReason.nullable(),
  image_id: z.string().nullable(),
  pr_numbers: z.array(z.number().int()),
  benchmarks: z.array(z.string()),
  python_requested: z.string().nullable(),
  python_used: z.string().nullable(),
  base_release: z
    .string()
    .nullable()
    .default(null)
    .describe('Debian codename of the base (offline), or its image online'),
  install_mode: z
    .enum(['editable', 'regular', 'source'])
    .nullable()
    .default(null)
    .describe('how the validated image installed the project (null when none validated)'),
  asv_version: z.string().nullable().default(null).describe('asv in the image, measured (`asv --version`)'),
  benchmarks_excluded: z
    .array(z.object({ module: z.string(), error: z.string() }))
    .default([])
    .describe('benchmark modules left out of offline validation because they failed to import'),
  warnings: z.array(z.string()),
  stderr_tail: z.string(),
  stdout_tail: z.string(),
});
export type SynthesisResult = z.infer<typeof SynthesisResult>;

/** `contexts` (step 4): one build context per (repository, base sha), nested parts as JSON text. */
export const ContextRow = z.object({
  repo_name: z.string(),
  sha: sha,
  strategy: SynthesisStrategy,
  context_hash: z.string().nullable(),
  files_json: z
    .string()
    .describe('JSON object: file name → content (Dockerfile.deps, Dockerfile, docker_build_pkg.sh)'),
  facts_json: z.string().describe('JSON of the repository facts the rules read'),
  attempts_json: z.string().describe('JSON array of attempts with log tails'),
  validation_json: z.string().describe('JSON of the validation result (checks, benchmarks)'),
  benchmarks: z.array(z.string()),
  image_name: z.string(),
  image_id: z.string().nullable(),
  deps_image: z.string().nullable(),
  base_image: z.string().nullable(),
  ok: z.boolean(),
  stage: SynthesisStage,
  reason: SynthesisReason.nullable(),
  python_requested: z.string().nullable(),
  python_used: z.string().nullable(),
  base_release: z.string().nullable().default(null),
  install_mode: z.string().nullable().default(null).describe('editable, regular or source (the rules variant)'),
  asv_version: z.string().nullable().default(null),
  warnings: z.array(z.string()),
  code_version: z.string(),
});
export type ContextRow = z.infer<typeof ContextRow>;

/** Sort keys of the synthesize tables. */
export const SYNTHESIZE_TABLE_KEYS = { contexts: ['repo_name', 'sha'] } as const;

/** `synthesize/<repo>/<month>/contexts.parquet`. */
export const CONTEXTS_TABLE = partitionTable('synthesize', 'contexts', ContextRow, SYNTHESIZE_TABLE_KEYS.contexts);
