import type { VerifyBenchmark, VerifySide } from '@datasmith/tables';
import { COMPARE, MACHINE, VERIFY_WORK } from './asv-scripts';
import { compareBenchmark, halvesDisagree, isNoisy, untracedTooSmall } from './decide';
import type { BenchmarkPlan } from './benchmark-plan';
import { type MeasuringSession, lastLineOf, pythonScript } from './measuring-session';
import { TaskFailure } from './task-failure';

/** One benchmark (parameter set) in asv's comparison of the two sides. */
export interface ComparedBenchmark {
  name: string;
  before: VerifySide;
  after: VerifySide;
  significant: boolean | null;
  same_version: boolean;
  asv_mark: string;
  /** Before ÷ after of each ABBA half; null when the halves were not kept or lack samples. */
  halves?: number[] | null;
}

/** asv's comparison of the two sides' results (and of each half's, after four passes). */
export async function compareSides(
  session: MeasuringSession,
  baseSha: string,
  factor: number,
  abba: boolean,
): Promise<ComparedBenchmark[] | TaskFailure> {
  const cmp = await session.run(
    'compare',
    pythonScript(
      COMPARE,
      `${VERIFY_WORK}/results-before ${VERIFY_WORK}/results-after ${MACHINE} ${baseSha} ${factor}${abba ? ` ${VERIFY_WORK}/half-before ${VERIFY_WORK}/half-after` : ''}`,
    ),
    300_000,
    '/tmp',
  );
  try {
    return JSON.parse(lastLineOf(cmp.stdout)) as ComparedBenchmark[];
  } catch {
    return new TaskFailure('measurement_failed', `asv's comparison failed:\n${session.tail()}`);
  }
}

/**
 * The result rows of the selected benchmarks (a capped benchmark's other parameter sets did not run,
 * asv records NaN for them: not results), each with its speed-up, change and whether it is noisy.
 */
export function toVerifyBenchmarks(
  rows: readonly ComparedBenchmark[],
  plan: Pick<BenchmarkPlan, 'selected' | 'cappedSets'>,
  factor: number,
  untracedFactor: number,
): VerifyBenchmark[] {
  const { cappedSets } = plan;
  const measuredSet = (name: string, base: string) => !cappedSets.has(base) || cappedSets.get(base)?.includes(name);
  const why = new Map(plan.selected.map((s) => [s.name, s]));
  return rows
    .map((c) => {
      const baseName = c.name.replace(/\(.*\)$/, '');
      const sel = why.get(baseName);
      if (!sel || !measuredSet(c.name, baseName)) return null;
      const speedup =
        c.before.value !== null && c.after.value !== null && c.after.value > 0
          ? Math.round((c.before.value / c.after.value) * 10_000) / 10_000
          : null;
      const change = compareBenchmark(c.before, c.after, c.significant, factor, c.same_version);
      const halves = c.halves ?? null;
      return {
        name: c.name,
        tier: sel.tier,
        why: sel.why,
        before: c.before,
        after: c.after,
        speedup,
        significant: c.significant,
        change,
        asv_mark: c.asv_mark,
        halves,
        noisy:
          isNoisy(c.before, c.after) ||
          halvesDisagree(halves, factor, change) ||
          untracedTooSmall(sel.tier, change, speedup, untracedFactor),
      } satisfies VerifyBenchmark;
    })
    .filter((b): b is VerifyBenchmark => b !== null);
}
