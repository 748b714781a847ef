import { z } from 'zod';
import { partitionTable } from './table-spec';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-hex commit sha');

/** Why a task did not verify (one stable code each). */
export const VerifyReason = z.enum([
  'no_validated_image',
  'image_missing',
  'patch_unavailable',
  'patch_failed',
  'rebuild_failed',
  'no_benchmarks',
  'no_benchmark_result',
  'benchmark_failed_after',
  'benchmark_timeout',
  'flaky',
  'slower',
  'no_significant_speedup',
  'not_covered',
  'measurement_failed',
  'engine_unreachable',
  'machine_busy',
]);
export type VerifyReason = z.infer<typeof VerifyReason>;

/** One side (before or after the gold patch) of one benchmark, as asv recorded it. */
export const VerifySide = z.object({
  status: z.enum(['ok', 'failed', 'skipped', 'missing']),
  value: z.number().nullable().describe('asv result (seconds for time benchmarks)'),
  stats: z
    .record(z.string(), z.number().nullable())
    .nullable()
    .describe("asv's stats: ci_99_a, ci_99_b, q_25, q_75, repeat, number"),
  samples: z.number().int().describe('raw samples asv recorded'),
});
export type VerifySide = z.infer<typeof VerifySide>;

/** One benchmark (one parameter combination) measured before and after the gold patch. */
export const VerifyBenchmark = z.object({
  name: z.string(),
  tier: z.enum(['names', 'imports', 'rest']).describe('why it was selected'),
  why: z.string(),
  before: VerifySide,
  after: VerifySide,
  speedup: z.number().nullable().describe('before / after; >1 is faster'),
  significant: z.boolean().nullable().describe('asv.statistics.is_different (null: a single repeat, not applied)'),
  change: z.enum([
    'faster',
    'slower',
    'same',
    'failed_after',
    'failed_before',
    'failed_both',
    'skipped',
    'not_comparable',
  ]),
  asv_mark: z.string().describe("asv compare's own mark for it: '-' better, '+' worse, ' ' same, '!' failed, 'x'"),
  halves: z
    .array(z.number())
    .nullable()
    .default(null)
    .describe('ABBA: before/after ratio of the medians of pass 1 vs 2 and of pass 4 vs 3 (null: AB or no samples)'),
  noisy: z
    .boolean()
    .describe("the two sides' interquartile ranges overlap: a change does not hold across the samples (not counted)"),
});
export type VerifyBenchmark = z.infer<typeof VerifyBenchmark>;

/** `verify.jsonl`: one row per task (perf row) of the month. */
export const VerifyResult = z.object({
  repo_name: z.string(),
  sha: sha.describe('the landed commit (the gold patch is pr_base_sha..sha)'),
  pr_merge_commit_sha: sha.describe('same as sha, the master and dataset key'),
  pr_base_sha: sha.nullable(),
  pr_number: z.number().int().nullable(),
  image_name: z.string().nullable(),
  image_id: z.string().nullable(),
  verified: z.boolean(),
  speedup: z
    .number()
    .nullable()
    .describe('best before/after among significantly faster benchmarks; else the best measured'),
  speedup_gmean: z.number().nullable(),
  reason: VerifyReason.nullable(),
  message: z.string(),
  factor: z.number(),
  untraced_factor: z
    .number()
    .default(1.2)
    .describe('a benchmark that does not reach the changed code counted only beyond this ratio'),
  install_mode: z.string().nullable(),
  rebuilt: z.boolean().describe('the install script ran again after the patch (compiled or non-editable install)'),
  changed_files: z.array(z.string()),
  changed_names: z.array(z.string()).describe('functions and classes the patch changes'),
  selection: z.string().describe('how many benchmarks per tier, and the limit'),
  benchmarks: z.array(VerifyBenchmark),
  cpuset: z.string().nullable(),
  cpu_probe_s: z
    .array(z.number())
    .default([])
    .describe(
      'a fixed CPU loop timed in the container before each pass and after the last: the pinned CPU is pinned, not reserved',
    ),
  cpu_probe_spread: z
    .number()
    .nullable()
    .default(null)
    .describe('slowest ÷ fastest of cpu_probe_s: well above 1, other work shared the CPU during the measurement'),
  foreign_cpu_share: z
    .array(z.number().nullable())
    .default([])
    .describe(
      "per asv pass: the share of the pinned CPUs' time that other processes (or the hypervisor's steal) used while the pass ran; null when the container cannot read its CPU time",
    ),
  asv_version: z.string().nullable(),
  duration_s: z.number(),
  code_version: z.string(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

/** `verified.parquet`: the flat form of verify.jsonl. */
export const VerifiedRow = z.object({
  repo_name: z.string(),
  pr_merge_commit_sha: sha,
  pr_base_sha: sha.nullable(),
  pr_number: z.number().int().nullable(),
  verified: z.boolean(),
  speedup: z.number().nullable(),
  speedup_gmean: z.number().nullable(),
  verify_reason: z.string().nullable(),
  benchmarks_measured: z.number().int(),
  benchmarks_faster: z.number().int(),
  benchmarks_slower: z.number().int(),
  duration_s: z.number(),
});
export type VerifiedRow = z.infer<typeof VerifiedRow>;

export const VERIFY_TABLE_KEYS = { verified: ['repo_name', 'pr_merge_commit_sha'] } as const;

/**
 * The rows of a verify.jsonl: a line that is torn (a killed run) or of another shape (another code
 * version) is left out, so that the task is measured again.
 */
export function parseVerifyJsonl(text: string): VerifyResult[] {
  const out: VerifyResult[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = VerifyResult.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // A torn line of a killed run.
    }
  }
  return out;
}

/** `verify/<repo>/<month>/verified.parquet`. */
export const VERIFIED_TABLE = partitionTable('verify', 'verified', VerifiedRow, VERIFY_TABLE_KEYS.verified);
