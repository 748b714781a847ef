import { z } from 'zod';
import { parsePythonJson } from '../synthesize/asv-results';
import { quote } from '../synthesize/asv-container';
import { DUMP_SUITE, FAILED_AT_BASE, MACHINE, VERIFY_WORK } from './asv-scripts';
import { type MeasuringSession, lastLineOf, pythonScript } from './measuring-session';
import {
  type ChangeTargets,
  type SelectedBenchmark,
  benchRegexFor,
  paramSetNames,
  selectBenchmarks,
  spreadParamSets,
} from './select';
import type { PreparedSuite } from './prepare-suite';
import { TaskFailure } from './task-failure';

/**
 * Splits benchmarks into those to rank and those a quick run at the base found failing (a data file
 * the mirror lacks, an API the suite expects): a failing benchmark measures nothing on either side,
 * so it must not take one of the --max-benchmarks slots.
 */
export function dropFailing(
  benchmarks: readonly string[],
  failed: readonly string[],
): { kept: string[]; dropped: string[] } {
  const bad = new Set(failed);
  return { kept: benchmarks.filter((b) => !bad.has(b)), dropped: benchmarks.filter((b) => bad.has(b)) };
}

/**
 * What the quick run at the base probes: the best-ranked candidates (twice the limit), or nothing when
 * the suite has no more time benchmarks than the limit — every one is measured anyway, and a quick run
 * of a heavily parameterized suite (datashader: 2 benchmarks, 129–180 s) would only spend the budget.
 */
export function probeCandidates(ranked: readonly string[], total: number, limit: number): string[] {
  return total <= limit ? [] : ranked.slice(0, limit * 2);
}

/** What a task measures: the selected benchmarks, why, and the `--bench` argument that runs them. */
export interface BenchmarkPlan {
  selected: SelectedBenchmark[];
  /** One line on how the benchmarks were chosen, for the result row. */
  selection: string;
  /** The quoted `--bench` regular expression. */
  bench: string;
  /** Parameterized benchmarks whose parameter sets were capped: the sets that run. */
  cappedSets: Map<string, string[]>;
}

/** What `planBenchmarks` needs besides the container. */
export interface BenchmarkPlanInput {
  suite: PreparedSuite;
  targets: ChangeTargets;
  baseSha: string;
  /** The task's measuring budget, ms: the quick run at the base gets a quarter (at least 60 s). */
  budgetMs: number;
  /** At most this many benchmarks. */
  limit: number;
  /** At most this many parameter sets of one parameterized benchmark. */
  maxParamSets: number;
}

/** The time benchmarks of asv's `benchmarks.json` (sorted) and the parameter sets of each parameterized one. */
function parseTimeBenchmarks(listing: string): { timeBenchmarks: string[]; paramSets: Map<string, string[]> } {
  let timeBenchmarks: string[] = [];
  const paramSets = new Map<string, string[]>();
  try {
    const doc = parsePythonJson(listing) as Record<string, { type?: string; params?: unknown }>;
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'version' || !v || typeof v !== 'object' || v.type !== 'time') continue;
      timeBenchmarks.push(k);
      const params = z.array(z.array(z.string())).safeParse(v.params);
      if (params.success) paramSets.set(k, paramSetNames(k, params.data));
    }
    timeBenchmarks.sort();
  } catch {
    timeBenchmarks = [];
  }
  return { timeBenchmarks, paramSets };
}

/** The parameter sets that run of each benchmark with more than `maxParamSets`, spread over its grid. */
function capParamSets(paramSets: ReadonlyMap<string, string[]>, maxParamSets: number): Map<string, string[]> {
  const cappedSets = new Map<string, string[]>();
  for (const [name, sets] of paramSets) {
    const spread = spreadParamSets(sets, maxParamSets);
    if (spread) cappedSets.set(name, spread);
  }
  return cappedSets;
}

/** The suite's Python files (relative path → text); none when the dump is unreadable. */
async function readSuiteFiles(session: MeasuringSession, suiteDir: string): Promise<Record<string, string>> {
  const dump = await session.run('suite files', pythonScript(DUMP_SUITE, quote(suiteDir)));
  try {
    return JSON.parse(lastLineOf(dump.stdout)) as Record<string, string>;
  } catch {
    return {};
  }
}

/** A quick run (one sample each) of the candidates at the base: the benchmarks that fail there. */
async function findFailingAtBase(
  session: MeasuringSession,
  candidates: readonly string[],
  cappedSets: ReadonlyMap<string, readonly string[]>,
  input: BenchmarkPlanInput,
): Promise<string[]> {
  await session.run(
    'asv quick at the base',
    `python -m asv --config ${VERIFY_WORK}/asv-probe.conf.json run --quick --python=same --machine ${MACHINE} --set-commit-hash=${input.baseSha} --show-stderr --bench ${quote(benchRegexFor(candidates, cappedSets))}`,
    Math.max(60_000, Math.floor(input.budgetMs / 4)),
    input.suite.asvDir,
  );
  const probed = await session.run(
    'failing at the base',
    pythonScript(FAILED_AT_BASE, `${VERIFY_WORK}/results-probe ${MACHINE} ${input.baseSha}`),
    120_000,
    '/tmp',
  );
  try {
    return z.array(z.string()).parse(JSON.parse(lastLineOf(probed.stdout)));
  } catch {
    return [];
  }
}

/** The selection line: how many of the time benchmarks were selected, by tier, and what was left out or capped. */
function describeSelection(
  selected: readonly SelectedBenchmark[],
  timeBenchmarks: number,
  dropped: readonly string[],
  paramSets: ReadonlyMap<string, string[]>,
  cappedSets: ReadonlyMap<string, string[]>,
  input: Pick<BenchmarkPlanInput, 'targets' | 'limit' | 'maxParamSets'>,
): string {
  const tiers = { names: 0, imports: 0, rest: 0 };
  for (const s of selected) tiers[s.tier]++;
  const { targets, limit, maxParamSets } = input;
  const compiledNote =
    targets.compiled.length > 0
      ? `; compiled sources changed: ${targets.compiled.map((c) => `${c.path} (${c.modules.join(', ') || 'no module'})`).join(', ')}`
      : '';
  const failingNote =
    dropped.length > 0
      ? `; ${dropped.length} failing at the base left out (${dropped.slice(0, 4).join(', ')}${dropped.length > 4 ? ', …' : ''})`
      : '';
  const capped = selected.filter((s) => cappedSets.has(s.name));
  const cappedNote =
    capped.length > 0
      ? `; parameter sets capped at ${maxParamSets} for ${capped.map((s) => `${s.name} (${cappedSets.get(s.name)?.length} of ${paramSets.get(s.name)?.length})`).join(', ')}`
      : '';
  return `${selected.length} of ${timeBenchmarks} time benchmarks (limit ${limit}): ${tiers.names} name a changed function or class, ${tiers.imports} import a changed module, ${tiers.rest} others${failingNote}${cappedNote}${compiledNote}`;
}

/**
 * Chooses what a task measures: discovers the suite's time benchmarks, leaves out those a quick run
 * at the base finds failing, and ranks the rest by how directly the change touches them.
 */
export async function planBenchmarks(
  session: MeasuringSession,
  input: BenchmarkPlanInput,
): Promise<BenchmarkPlan | TaskFailure> {
  const { suite, targets, limit } = input;
  const disc = await session.run(
    'asv discover',
    `python -m asv --config ${VERIFY_WORK}/asv-before.conf.json run --bench just-discover --python=same --machine ${MACHINE}`,
    600_000,
    suite.asvDir,
  );
  const listing = await session.run('benchmarks.json', `cat ${VERIFY_WORK}/results-before/benchmarks.json`);
  const { timeBenchmarks, paramSets } = parseTimeBenchmarks(listing.stdout);
  const cappedSets = capParamSets(paramSets, input.maxParamSets);
  if (disc.exitCode !== 0 || timeBenchmarks.length === 0) {
    return new TaskFailure('no_benchmarks', `no time benchmark discovered:\n${session.tail()}`);
  }
  const suiteFiles = await readSuiteFiles(session, suite.suiteDir);
  const candidates = probeCandidates(
    selectBenchmarks(timeBenchmarks, suiteFiles, targets, limit * 2).map((c) => c.name),
    timeBenchmarks.length,
    limit,
  );
  const failedAtBase = candidates.length > 0 ? await findFailingAtBase(session, candidates, cappedSets, input) : [];
  const usable = dropFailing(timeBenchmarks, failedAtBase);
  const selected = selectBenchmarks(usable.kept, suiteFiles, targets, limit);
  const selection = describeSelection(selected, timeBenchmarks.length, usable.dropped, paramSets, cappedSets, input);
  const bench = quote(
    benchRegexFor(
      selected.map((s) => s.name),
      cappedSets,
    ),
  );
  return { selected, selection, bench, cappedSets };
}
