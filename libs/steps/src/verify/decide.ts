import type { VerifyReason } from '@datasmith/tables';

/**
 * The verdict of a measurement, with asv's own semantics (`asv compare` / `asv continuous`): a
 * benchmark changed only when the ratio passes the factor **and** asv's statistics say the two
 * sides differ (`asv.statistics.is_different`: Mann-Whitney U on the raw samples at p < 0.002, else
 * non-overlapping 99 % confidence intervals; not applied when either side ran a single repeat).
 */

/** One side of one benchmark (one parameter combination), as asv recorded it. */
export interface SideResult {
  /** `ok`: a value; `failed`: asv recorded null; `skipped`: NaN (asv's NotImplementedError / skip); `missing`: no result. */
  status: 'ok' | 'failed' | 'skipped' | 'missing';
  value: number | null;
  /** asv's stats: ci_99_a, ci_99_b, q_25, q_75, repeat, number (absent on failure). */
  stats: Record<string, number | null> | null;
  /** How many raw samples asv recorded. */
  samples: number;
}

/** What asv's `is_different` said, computed in the container (null: not applied, see above). */
export type Significance = boolean | null;

export type BenchmarkChange =
  | 'faster'
  | 'slower'
  | 'same'
  | 'failed_after'
  | 'failed_before'
  | 'failed_both'
  | 'skipped'
  | 'not_comparable';

/** asv's `_is_result_better(a, b, …)`: a is better (lower) than b by the factor, and significantly so when stats apply. */
export function isResultBetter(a: number, b: number, significant: Significance, factor: number): boolean {
  if (significant === false) return false;
  return a < b / factor;
}

/**
 * Do the two sides' interquartile ranges overlap? Then a change, even one asv finds significant by its
 * medians, does not hold across the spread of the samples: it is not counted as a speed-up (`flaky`).
 */
export function isNoisy(before: SideResult, after: SideResult): boolean {
  const b25 = before.stats?.q_25;
  const b75 = before.stats?.q_75;
  const a25 = after.stats?.q_25;
  const a75 = after.stats?.q_75;
  if (b25 == null || b75 == null || a25 == null || a75 == null) return false;
  return a25 <= b75 && b25 <= a75;
}

/**
 * Does a change fail to hold in each half of an ABBA measurement? `halves` are before/after ratios
 * of the medians of pass 1 against pass 2 and of pass 4 against pass 3; a burst of other work on a
 * shared machine during one pass moves that pass's whole sample (pvlib's control #2832 "verified" at
 * ×1.72 on a benchmark it does not touch), so a speed-up counts only when both halves pass the factor,
 * and so does a slow-down (lmfit #973: ×0.95 overall, halves ×0.95 and ×0.99). Other changes, and null
 * halves (AB, or a side without samples): nothing to check.
 */
export function halvesDisagree(halves: readonly number[] | null, factor: number, change: BenchmarkChange): boolean {
  if (!halves || halves.length < 2) return false;
  if (change === 'faster') return halves.some((h) => !(h >= factor));
  if (change === 'slower') return halves.some((h) => !(h <= 1 / factor));
  return false;
}

/** The change of one benchmark, in `asv compare`'s order of cases. */
export function compareBenchmark(
  before: SideResult,
  after: SideResult,
  significant: Significance,
  factor: number,
  sameVersion = true,
): BenchmarkChange {
  const okB = before.status === 'ok' && before.value !== null;
  const okA = after.status === 'ok' && after.value !== null;
  if (!sameVersion) return 'not_comparable';
  const failedB = before.status === 'failed' || before.status === 'missing';
  const failedA = after.status === 'failed' || after.status === 'missing';
  if (failedB && failedA) return 'failed_both';
  if (!failedB && failedA) return 'failed_after';
  if (failedB && !failedA) return 'failed_before';
  if (!okB || !okA) return 'skipped';
  const a = after.value as number;
  const b = before.value as number;
  if (isResultBetter(a, b, significant, factor)) return 'faster';
  if (isResultBetter(b, a, significant, factor)) return 'slower';
  return 'same';
}

/** One measured benchmark. */
export interface MeasuredBenchmark {
  name: string;
  change: BenchmarkChange;
  /** before / after (>1 is faster); null when either side has no value. */
  speedup: number | null;
  noisy: boolean;
  /** Selected because it names or imports the changed code (tiers `names`, `imports`); absent: unknown. */
  traced?: boolean;
}

export interface Verdict {
  verified: boolean;
  reason: VerifyReason | null;
  /** The best before/after among benchmarks asv counts faster (not noisy); without one, the best among those compared. */
  speedup: number | null;
  /** Geometric mean of before/after over every benchmark with both values. */
  speedup_gmean: number | null;
  faster: number;
  slower: number;
  compared: number;
}

/**
 * The task's verdict: verified when at least one benchmark is significantly faster by the factor
 * (and not noisy) and no benchmark that ran before the change fails after it. Without a change, a
 * task none of whose benchmarks names or imports the changed code is `not_covered` (pvlib #2498
 * changes `bishop88`, which no benchmark of its suite calls), not `no_significant_speedup`.
 */
export function decideVerdict(measured: readonly MeasuredBenchmark[]): Verdict {
  const withRatio = measured.filter(
    (m) => m.speedup !== null && Number.isFinite(m.speedup) && (m.speedup as number) > 0,
  );
  const faster = measured.filter((m) => m.change === 'faster');
  const trusted = faster.filter((m) => !m.noisy);
  const slower = measured.filter((m) => m.change === 'slower' && !m.noisy);
  const failedAfter = measured.filter((m) => m.change === 'failed_after');
  const best = (xs: readonly MeasuredBenchmark[]) =>
    xs.length ? Math.max(...xs.map((m) => m.speedup ?? Number.NEGATIVE_INFINITY)) : null;
  const gmean = withRatio.length
    ? Math.exp(withRatio.reduce((s, m) => s + Math.log(m.speedup as number), 0) / withRatio.length)
    : null;
  const base = {
    speedup_gmean: gmean === null ? null : round(gmean),
    faster: trusted.length,
    slower: slower.length,
    compared: withRatio.length,
  };
  const speedupOf = (xs: readonly MeasuredBenchmark[]) => {
    const b = best(xs);
    return b === null || !Number.isFinite(b) ? null : round(b);
  };
  let reason: VerifyReason | null = null;
  if (measured.length === 0) reason = 'no_benchmarks';
  else if (failedAfter.length > 0) reason = 'benchmark_failed_after';
  else if (withRatio.length === 0) reason = 'no_benchmark_result';
  else if (trusted.length === 0 && faster.length > 0) reason = 'flaky';
  else if (trusted.length === 0 && slower.length > 0) reason = 'slower';
  // No change found, and no measured benchmark reaches the changed code: the suite cannot tell.
  else if (trusted.length === 0 && measured.every((m) => m.traced === false)) reason = 'not_covered';
  else if (trusted.length === 0) reason = 'no_significant_speedup';
  return {
    verified: reason === null,
    reason,
    speedup: reason === null ? speedupOf(trusted) : speedupOf(withRatio),
    ...base,
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * The pass (1-based) during which other work took the most of the pinned CPUs, above `limit`, or
 * null: a pass whose CPU was shared measured the other work as much as the patch (shapely's tasks
 * came out ×2 "slower" on a machine at load 6–9; the same patch measured alone changes nothing).
 */
export function busiestPass(shares: readonly (number | null)[], limit: number): { pass: number; share: number } | null {
  let worst: { pass: number; share: number } | null = null;
  shares.forEach((share, i) => {
    if (share !== null && share > limit && (worst === null || share > worst.share)) worst = { pass: i + 1, share };
  });
  return worst;
}

/**
 * Is a change of a benchmark that does not reach the changed code (tier `rest`) too small to count?
 * On a quiet machine such benchmarks move by up to ×1.14 / ×0.89 between sides with both ABBA halves
 * agreeing (datashader #1383, shapely #2442: code layout and caches, not the patch), and pvlib #2498
 * verified at ×1.05 on a benchmark it does not touch; so an untraced change counts only beyond
 * `untracedFactor` (default 1.2), a traced one beyond the factor.
 */
export function untracedTooSmall(
  tier: 'names' | 'imports' | 'rest',
  change: BenchmarkChange,
  speedup: number | null,
  untracedFactor: number,
): boolean {
  if (tier !== 'rest' || speedup === null) return false;
  if (change === 'faster') return speedup < untracedFactor;
  if (change === 'slower') return speedup > 1 / untracedFactor;
  return false;
}
