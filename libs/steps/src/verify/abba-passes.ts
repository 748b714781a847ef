import { quote } from '../synthesize/asv-container';
import { CPU_PROBE, MACHINE, VERIFY_WORK } from './asv-scripts';
import { CPU_ACCOUNT, CpuReading, foreignShare } from './cpu-account';
import type { ContainerPatch } from './gold-patch';
import { type MeasuringSession, lastLineOf } from './measuring-session';
import { TaskFailure } from './task-failure';

/**
 * How many passes fit: after the first pass took `firstMs` (of `elapsedMs` so far), the remaining
 * `planned - 1` passes, each about as long plus a quarter, must fit in the budget; else 2 (before,
 * after), which measures less but finishes.
 */
export function planPasses(planned: number, firstMs: number, elapsedMs: number, budgetMs: number): number {
  if (planned <= 2) return planned;
  return elapsedMs + (planned - 1) * firstMs * 1.25 <= budgetMs ? planned : 2;
}

/**
 * The time limit of the next asv run: an even share of what is left of the measuring budget over the
 * runs still to come (at least 30 s). Rebuilding the project after the patch (and after its revert)
 * is not measuring — it has its own limit — so its time is not taken from the budget: a compiled
 * project whose rebuild takes minutes on the one pinned CPU would otherwise time out every run.
 */
export function runShareMs(budgetMs: number, elapsedMs: number, rebuildMs: number, runsLeft: number): number {
  const remaining = budgetMs - Math.max(0, elapsedMs - rebuildMs);
  return Math.max(30_000, Math.floor(remaining / Math.max(1, runsLeft)));
}

type Side = 'before' | 'after';

/** What `measureAbbaPasses` needs besides the container and the patch in it. */
export interface PassesInput {
  /** 2: before, after, after, before (ABBA); 1: before, after. */
  passes: 1 | 2;
  /** When the task started (epoch ms): its measuring budget runs from there. */
  started: number;
  budgetMs: number;
  /** The budget as the user gave it, minutes (for the timeout message). */
  verifyMinutes: number;
  baseSha: string;
  /** The quoted `--bench` argument. */
  bench: string;
  asvDir: string;
  /** The CPU ids the container is pinned to. */
  pinned: readonly string[];
  /** The CPU probe times, seconds: one appended before each pass and one after the last. */
  probeTimes: number[];
  /** What other work took of the pinned CPUs during each pass (0–1, null when unknown): one appended per pass. */
  foreignShares: (number | null)[];
}

/** The passes as they ran. */
export interface MeasuredPasses {
  /** Did all four ABBA passes run (so that each half can be compared on its own)? */
  abba: boolean;
  /** Why fewer passes ran than planned ('' when none were dropped), to append to the message. */
  planNote: string;
}

/** Times the fixed CPU loop once and appends its seconds, when it ran, to `probeTimes`. */
async function timeCpuProbe(session: MeasuringSession, probeTimes: number[]): Promise<void> {
  const r = await session.run('cpu probe', `python -c ${quote(CPU_PROBE)}`, 60_000, '/tmp');
  const seconds = Number(lastLineOf(r.stdout));
  if (r.exitCode === 0 && Number.isFinite(seconds) && seconds > 0) probeTimes.push(Math.round(seconds * 1e4) / 1e4);
}

/** The kernel's and the container's CPU time now; null when unreadable. */
async function readCpuAccount(session: MeasuringSession): Promise<CpuReading | null> {
  const r = await session.run('cpu account', `python -c ${quote(CPU_ACCOUNT)}`, 60_000, '/tmp');
  try {
    return CpuReading.parse(JSON.parse(lastLineOf(r.stdout)));
  } catch {
    return null;
  }
}

/** Keeps the first half (before, after) as it stands, to check that a speed-up holds in each half. */
async function keepFirstHalf(session: MeasuringSession): Promise<void> {
  await session.run(
    'first half',
    `rm -rf ${VERIFY_WORK}/half-before ${VERIFY_WORK}/half-after && cp -r ${VERIFY_WORK}/results-before ${VERIFY_WORK}/half-before && cp -r ${VERIFY_WORK}/results-after ${VERIFY_WORK}/half-after`,
  );
}

/**
 * Runs the selected benchmarks on each side in turn, before, after, after, before (drift cancels),
 * or before, after when one pass is asked for or the first pass shows that four will not fit. Around
 * each pass the same fixed loop is timed (its spread says whether the pinned CPU was shared) and the
 * CPU time is read (what other work took of the pinned CPUs). Samples of a side's second pass are
 * appended to its first.
 */
export async function measureAbbaPasses(
  session: MeasuringSession,
  patch: ContainerPatch,
  input: PassesInput,
): Promise<MeasuredPasses | TaskFailure> {
  let order: Side[] = input.passes === 2 ? ['before', 'after', 'after', 'before'] : ['before', 'after'];
  const ran = new Set<string>();
  let planNote = '';
  for (let i = 0; i < order.length; i++) {
    const side = order[i] as Side;
    const problem = await patch.switchTo(side === 'after');
    if (problem) {
      return new TaskFailure(
        problem,
        `${problem === 'patch_failed' ? 'applying' : 'rebuilding after'} the gold patch failed:\n${session.tail()}`,
      );
    }
    await timeCpuProbe(session, input.probeTimes);
    const share = runShareMs(input.budgetMs, Date.now() - input.started, patch.rebuildMs, order.length - i);
    const cpuBefore = await readCpuAccount(session);
    const runStarted = Date.now();
    const r = await session.run(
      `asv run ${side} (pass ${i + 1}/${order.length})`,
      `python -m asv --config ${VERIFY_WORK}/asv-${side}.conf.json run --python=same --machine ${MACHINE} --set-commit-hash=${input.baseSha} --record-samples${ran.has(side) ? ' --append-samples' : ''} --show-stderr --bench ${input.bench}`,
      share,
      input.asvDir,
    );
    ran.add(side);
    const cpuAfter = await readCpuAccount(session);
    input.foreignShares.push(cpuBefore && cpuAfter ? foreignShare(cpuBefore, cpuAfter, input.pinned) : null);
    if (!r.timedOut && i === 1 && order.length === 4) await keepFirstHalf(session);
    if (r.timedOut) {
      const rebuildNote =
        patch.rebuildMs > 0 ? ` (rebuilds, ${Math.round(patch.rebuildMs / 1000)} s, not counted)` : '';
      return new TaskFailure(
        'benchmark_timeout',
        `asv run (${side}, pass ${i + 1}/${order.length}) exceeded its share (${Math.round(share / 1000)} s) of the task's measuring budget of ${input.verifyMinutes} min${rebuildNote}${planNote}:\n${session.tail()}`,
      );
    }
    if (i === 0) {
      const planned = planPasses(
        order.length,
        Date.now() - runStarted,
        Date.now() - input.started - patch.rebuildMs,
        input.budgetMs,
      );
      if (planned < order.length) {
        planNote = `; ABBA dropped to AB: the first pass took ${Math.round((Date.now() - runStarted) / 1000)} s`;
        order = ['before', 'after'];
      }
    }
  }
  await timeCpuProbe(session, input.probeTimes);
  return { abba: order.length === 4, planNote };
}
