import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CommandResult,
  ProbeContainer,
  isEngineUnreachableError,
  removeContainersByLabel,
  tailOf,
} from '@datasmith/docker';
import { DIFF_ARGS, runGit } from '@datasmith/git';
import { parseRepoName } from '@datasmith/paths';
import type { Logger, StepSummary } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import type { SynthesizeInputRow, VerifyBenchmark, VerifyReason, VerifyResult, VerifySide } from '@datasmith/tables';
import { acquireFileLock } from '@datasmith/tables';
import type Docker from 'dockerode';
import { z } from 'zod';
import { parsePythonJson } from '../synthesize/asv-results';
import type { RegistryEntry } from '../synthesize/context';
import { readContextRegistry } from '../synthesize/registry';
import { installModeOf as contextInstallMode } from '../synthesize/task';
import { ASV_WORK, DERIVE_BENCH, IMPORT_SCAN, REPO_ROOT, asvConfigScript, quote } from '../synthesize/asv-container';
import { CPU_ACCOUNT, CpuReading, foreignShare, parseCpuset } from './cpu-account';
import { busiestPass, compareBenchmark, decideVerdict, halvesDisagree, isNoisy, untracedTooSmall } from './decide';
import {
  benchRegexFor,
  changeTargets,
  paramSetNames,
  parsePatchFiles,
  selectBenchmarks,
  spreadParamSets,
} from './select';

/** A fixed pure-Python loop (~0.1 s on an idle core), timed in the measuring container. */
const CPU_PROBE =
  'import time\nt = time.perf_counter()\ns = 0\nfor i in range(1_000_000):\n    s += i * i\nprint(time.perf_counter() - t)';

/** Slowest ÷ fastest CPU probe, or null with fewer than two. */
export function probeSpread(times: readonly number[]): number | null {
  if (times.length < 2) return null;
  return Math.round((Math.max(...times) / Math.min(...times)) * 1000) / 1000;
}

/** Bump when the same task would now measure or decide differently. */
export const VERIFY_CODE_VERSION = 'verify-11';

export interface VerifyOptions {
  /** asv's `--factor`: a change counts only beyond this ratio (default 1.05). */
  factor?: number;
  /** CPUs the measuring container is pinned to (default: the machine's last CPU). */
  cpusetCpus?: string;
  /** Wall-clock budget of one task's measurement, minutes (default 20). */
  verifyMinutes?: number;
  /** At most this many benchmarks (parameter sets count once) per task (default 8). */
  maxBenchmarks?: number;
  /**
   * A benchmark that neither names nor imports the changed code counts as faster (slower) only beyond
   * this ratio (default 1.2; traced benchmarks: `factor`).
   */
  untracedFactor?: number;
  /** At most this many parameter sets of one parameterized benchmark, spread over its grid (default 4). */
  maxParamSets?: number;
  /**
   * The most of the pinned CPUs' time other work may take during a pass (0–1, default 0.1): above it
   * the task is `machine_busy`, whatever the numbers say, and measured again on the next run.
   */
  maxForeignShare?: number;
  /** 2 (default): before, after, after, before (ABBA, drift cancels); 1: before, after. */
  passes?: 1 | 2;
  /** Limit of the install script when the project is rebuilt after the patch, ms (default 1 200 000). */
  rebuildTimeoutMs?: number;
  /** The machine-wide lock that keeps measurements one at a time (default in the OS temp folder). */
  lockPath?: string;
  /** Rows of an earlier run: a task measured with the same image and code version is not measured again. */
  previous?: readonly VerifyResult[];
}

export interface VerifyDeps {
  docker: Docker;
  store: OfflineStore;
  registryPath: string;
  log: Logger;
}

export interface VerifyOutput {
  results: VerifyResult[];
  summary: StepSummary;
}

const VERIFY_WORK = '/tmp/datasmith-verify';
const MACHINE = 'datasmith';

/** Dumps the suite's Python files (relative path → text) as one JSON object. */
const DUMP_SUITE = `import json, os, sys
root = sys.argv[1]
out = {}
for dirpath, dirnames, files in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    for f in sorted(files):
        if f.endswith(".py"):
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = open(p, encoding="utf-8", errors="replace").read()
print(json.dumps(out))
`;

/** Writes one config per side (its own results folder) from the derived asv config. */
const SIDE_CONFIGS = `import json, sys
base, suite = sys.argv[1], sys.argv[2]
conf = json.load(open(base))
conf["benchmark_dir"] = suite
for side in ("before", "after", "probe"):
    c = dict(conf, results_dir="${VERIFY_WORK}/results-" + side)
    json.dump(c, open("${VERIFY_WORK}/asv-" + side + ".conf.json", "w"), indent=2)
print("ok")
`;

/** The benchmarks with no value in any parameter combination of a results folder (failed, not skipped). */
const FAILED_AT_BASE = `import json, sys
from asv.results import iter_results_for_machine_and_hash
d, machine, commit = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
for result in iter_results_for_machine_and_hash(d, machine, commit):
    for key in result.get_all_result_keys():
        v = result.get_result_value(key, result.get_result_params(key))
        values = v if isinstance(v, list) else [v]
        # A parameter set --bench did not select is NaN (not run): failing means every set that ran failed.
        ran = [x for x in values if not (isinstance(x, float) and x != x)]
        if ran and all(x is None for x in ran):
            out.append(key)
print(json.dumps(sorted(set(out))))
`;

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

/**
 * asv's own comparison of the two sides (asv.commands.compare): per benchmark and parameter set, both
 * sides' values, stats and sample counts, asv.statistics.is_different where asv applies it, and the
 * mark \`asv compare\` would print.
 */
const COMPARE = `import json, sys
from asv.results import iter_results_for_machine_and_hash
from asv.commands.compare import unroll_result, _is_result_better, _isna
try:
    from asv import statistics  # asv 0.6.4
except ImportError:
    from asv import _stats as statistics  # asv 0.6.5+ (Debian 13 bases: 0.6.6)
before_dir, after_dir, machine, commit, factor = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
import os
half_dirs = sys.argv[6:8] if len(sys.argv) >= 8 and all(os.path.isdir(d) for d in sys.argv[6:8]) else None
def load(d):
    out = {}
    for result in iter_results_for_machine_and_hash(d, machine, commit):
        for key in result.get_all_result_keys():
            params = result.get_result_params(key)
            value = result.get_result_value(key, params)
            stats = result.get_result_stats(key, params)
            samples = result.get_result_samples(key, params)
            version = result.benchmark_version.get(key)
            for name, v, st, sa in unroll_result(key, params, value, stats, samples):
                out[name] = (v, st, sa, version)
    return out
def num(x):
    try:
        x = float(x)
    except Exception:
        return None
    return None if x != x or x in (float("inf"), float("-inf")) else x
def side(e):
    if e is None:
        return {"status": "missing", "value": None, "stats": None, "samples": 0}
    v, st, sa, _ = e
    status = "failed" if v is None else ("skipped" if v != v else "ok")
    stats = {k: num(st.get(k)) for k in ("ci_99_a", "ci_99_b", "q_25", "q_75", "repeat", "number")} if st else None
    return {"status": status, "value": num(v), "stats": stats, "samples": len([s for s in (sa or []) if s is not None])}
def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
def halves(name):
    # Samples are appended (asv: old + new), so pass 1 / pass 2 are the first samples of each side.
    if half_dirs is None or name not in b1 or name not in a1 or name not in b or name not in a:
        return None
    sb1, sa1, sb, sa = b1[name][2] or [], a1[name][2] or [], b[name][2] or [], a[name][2] or []
    mb1, ma1 = median(sb1), median(sa1)
    mb2, ma2 = median(sb[len(sb1):]), median(sa[len(sa1):])
    if None in (mb1, ma1, mb2, ma2) or ma1 <= 0 or ma2 <= 0:
        return None
    return [round(mb1 / ma1, 4), round(mb2 / ma2, 4)]
b, a = load(before_dir), load(after_dir)
b1, a1 = (load(half_dirs[0]), load(half_dirs[1])) if half_dirs else ({}, {})
rows = []
for name in sorted(set(b) | set(a)):
    eb, ea = b.get(name), a.get(name)
    sig, mark, same_version = None, " ", True
    if eb is not None and ea is not None:
        t1, ss1, t2, ss2 = eb[0], (eb[1], eb[2]), ea[0], (ea[1], ea[2])
        if ss1[0] and ss2[0] and ss1[0].get("repeat", 0) != 1 and ss2[0].get("repeat", 0) != 1 and not _isna(t1) and not _isna(t2):
            sig = bool(statistics.is_different(ss1[1], ss2[1], ss1[0], ss2[0]))
        if eb[3] is not None and ea[3] is not None and eb[3] != ea[3]:
            mark, same_version = "x", False
        elif t1 is not None and t2 is None:
            mark = "!"
        elif t1 is None or t2 is None or _isna(t1) or _isna(t2):
            mark = " "
        elif _is_result_better(t2, t1, ss2, ss1, factor):
            mark = "-"
        elif _is_result_better(t1, t2, ss1, ss2, factor):
            mark = "+"
    elif eb is not None and eb[0] is not None:
        mark = "!"
    rows.append({"name": name, "before": side(eb), "after": side(ea), "significant": sig, "same_version": same_version, "asv_mark": mark, "halves": halves(name)})
print(json.dumps(rows))
`;

/** The default CPU set: the machine's last CPU. */
export function defaultCpuset(): string {
  return String(Math.max(0, cpus().length - 1));
}

/**
 * How the image installed the project, as synthesize recorded it: the rules variant, else the install
 * script's header (a context taken from a similar commit has `variant` `similar:<sha>`).
 */
export function installModeOf(entry: Pick<RegistryEntry, 'context'>): string | null {
  return contextInstallMode(entry.context);
}

/**
 * Does the project have to be installed again after the patch? Not for an editable or source install
 * of pure Python, unless the patch touches a build file; an unknown install mode is rebuilt.
 */
export function needsRebuild(entry: Pick<RegistryEntry, 'context'>, changedFiles: readonly string[]): boolean {
  const mode = installModeOf(entry);
  const pure = entry.context.facts.pure_python;
  const buildFiles = new Set(entry.context.facts.build_files);
  if (changedFiles.some((f) => buildFiles.has(f))) return true;
  return !(pure && (mode === 'editable' || mode === 'source'));
}

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
 * Is an earlier row the answer for a task? Only when it was measured in the same image by the same
 * code version, with the same --factor and CPU set (a row measured with another factor decided by
 * another rule), and did not end on the engine or the measurement itself.
 */
export function keepsPrevious(
  old: Pick<VerifyResult, 'image_id' | 'code_version' | 'reason' | 'factor' | 'cpuset'> &
    Partial<Pick<VerifyResult, 'untraced_factor'>>,
  imageId: string | null,
  options: Pick<VerifyOptions, 'factor' | 'cpusetCpus' | 'untracedFactor'>,
): boolean {
  return (
    imageId !== null &&
    old.image_id === imageId &&
    old.code_version === VERIFY_CODE_VERSION &&
    old.reason !== 'engine_unreachable' &&
    old.reason !== 'measurement_failed' &&
    old.reason !== 'machine_busy' &&
    old.factor === (options.factor ?? 1.05) &&
    (old.untraced_factor ?? 1.2) === (options.untracedFactor ?? 1.2) &&
    old.cpuset === (options.cpusetCpus ?? defaultCpuset())
  );
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

interface Task {
  row: SynthesizeInputRow;
  owner: string;
  repo: string;
}

/**
 * Step `verify`: for each perf row whose base image validated, measures the gold patch
 * (`git diff pr_base_sha sha` from the offline mirror) with real asv in that image, without network,
 * pinned to a CPU set, one task at a time: the selected benchmarks at the base, then with the patch
 * applied (and the project rebuilt when it has compiled code), compared with asv's statistics.
 */
export async function verify(
  input: { rows: readonly SynthesizeInputRow[] },
  deps: VerifyDeps,
  options: VerifyOptions = {},
): Promise<VerifyOutput> {
  const registry = await readContextRegistry(deps.registryPath);
  const previous = new Map((options.previous ?? []).map((r) => [r.sha, r]));
  const tasks: Task[] = [];
  const seen = new Set<string>();
  for (const row of [...input.rows].sort((a, b) => (a.sha < b.sha ? -1 : 1))) {
    if (seen.has(row.sha)) continue;
    seen.add(row.sha);
    const { owner, name } = parseRepoName(row.repo_name);
    tasks.push({ row, owner, repo: name });
  }
  const results: VerifyResult[] = [];
  for (const task of tasks) {
    const entry = task.row.pr_base_sha
      ? registry.entries[`${task.owner}/${task.repo}/${task.row.pr_base_sha}`]
      : undefined;
    const old = previous.get(task.row.sha);
    if (old && keepsPrevious(old, entry?.image_id ?? null, options)) {
      results.push(old);
      continue;
    }
    const result = await verifyTask(task, entry, deps, options);
    deps.log.info(
      `verify: ${task.row.repo_name}@${task.row.sha.slice(0, 10)} ${result.verified ? 'verified' : `not verified (${result.reason})`}, speed-up ${result.speedup ?? '-'} in ${result.duration_s} s`,
    );
    results.push(result);
  }
  const reasons: Record<string, number> = {};
  for (const r of results) if (!r.verified && r.reason) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  const kept = results.filter((r) => r.verified).length;
  return { results, summary: { kept, dropped: results.length - kept, reasons } };
}

async function verifyTask(
  task: Task,
  entry: RegistryEntry | undefined,
  deps: VerifyDeps,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const started = Date.now();
  const factor = options.factor ?? 1.05;
  const cpuset = options.cpusetCpus ?? defaultCpuset();
  const budgetMs = (options.verifyMinutes ?? 20) * 60_000;
  const passes = options.passes ?? 2;
  const { row } = task;
  const base: VerifyResult = {
    repo_name: row.repo_name,
    sha: row.sha,
    pr_merge_commit_sha: row.sha,
    pr_base_sha: row.pr_base_sha,
    pr_number: row.pr_number,
    image_name: entry?.image_name ?? null,
    image_id: entry?.image_id ?? null,
    verified: false,
    speedup: null,
    speedup_gmean: null,
    reason: null,
    message: '',
    factor,
    untraced_factor: options.untracedFactor ?? 1.2,
    install_mode: entry ? installModeOf(entry) : null,
    rebuilt: false,
    changed_files: [],
    changed_names: [],
    selection: '',
    benchmarks: [],
    cpuset,
    asv_version: entry?.context.asv_version ?? null,
    duration_s: 0,
    code_version: VERIFY_CODE_VERSION,
    cpu_probe_s: [],
    cpu_probe_spread: null,
    foreign_cpu_share: [],
  };
  const probeTimes = base.cpu_probe_s;
  const done = (fields: Partial<VerifyResult>): VerifyResult => ({
    ...base,
    ...fields,
    cpu_probe_spread: probeSpread(probeTimes),
    duration_s: Math.round((Date.now() - started) / 100) / 10,
  });
  const fail = (reason: VerifyReason, message: string, fields: Partial<VerifyResult> = {}) =>
    done({ ...fields, verified: false, reason, message });

  if (!row.pr_base_sha || !entry || entry.status !== 'validated') {
    return fail('no_validated_image', `no validated image for base ${row.pr_base_sha ?? '(none)'}`);
  }
  try {
    await deps.docker.getImage(entry.image_name).inspect();
  } catch (error) {
    if (isEngineUnreachableError(error)) return fail('engine_unreachable', (error as Error).message);
    return fail('image_missing', `image ${entry.image_name} is not on this engine`);
  }

  // The gold patch, from the offline mirror (never from a network), and what it touches.
  const mirror = deps.store.mirrorPath(row.repo_name);
  let patch: Buffer;
  try {
    patch = await runGit(mirror, ['diff', ...DIFF_ARGS, '--binary', row.pr_base_sha, row.sha]);
  } catch (error) {
    return fail('patch_unavailable', `git diff ${row.pr_base_sha}..${row.sha}: ${(error as Error).message}`);
  }
  if (patch.length === 0) return fail('patch_unavailable', 'the gold patch is empty');
  const files = parsePatchFiles(patch.toString('utf8'));
  const facts = entry.context.facts;
  const benchmarkDir = facts.benchmark_dir;
  const sources: Record<string, string> = {};
  for (const f of files) {
    // Python and Cython: their definitions enclose the changed lines.
    if (!/\.(py|pyx|pxd)$/.test(f.path)) continue;
    try {
      sources[f.path] = (await runGit(mirror, ['show', `${row.pr_base_sha}:${f.path}`])).toString('utf8');
    } catch {
      // A file the patch adds has no base version.
    }
  }
  const importRoot = facts.import_root === '.' ? facts.package_root : facts.import_root;
  const targets = changeTargets(files, sources, { benchmarkDir, importRoot, importName: facts.import_name });
  const changed = { changed_files: files.map((f) => f.path), changed_names: targets.names.map((n) => n.name) };
  const rebuild = needsRebuild(entry, changed.changed_files);

  // One measurement at a time on this machine, across processes (Nx runs months and repositories in parallel).
  const lockPath = options.lockPath ?? join(tmpdir(), 'datasmith-verify-measure.lock');
  const release = await acquireFileLock(lockPath, {
    pollMs: 500,
    onWait: (holder) =>
      deps.log.info(`verify: waiting for the measurement of process ${holder?.pid ?? '?'} (${lockPath})`),
  });
  let probe: ProbeContainer | null = null;
  try {
    // Holding the machine-wide lock, no other measurement runs: a probe left by a killed run goes.
    await removeContainersByLabel(deps.docker, 'datasmith.probe=verify').catch(() => 0);
    probe = await ProbeContainer.start(deps.docker, {
      image: entry.image_name,
      name: `datasmith-verify-${task.owner}-${task.repo}-${row.sha.slice(0, 12)}-${process.pid}`.toLowerCase(),
      // Not `datasmith.sha`: synthesize removes containers by that label, and a landed commit may be another task's base.
      labels: { 'datasmith.probe': 'verify', 'datasmith.verify-sha': row.sha },
      networkMode: 'none',
      workdir: REPO_ROOT,
      cpusetCpus: cpuset,
    });
    const p = probe;
    const log: string[] = [];
    const run = async (name: string, command: string, timeoutMs = 300_000, workdir = REPO_ROOT) => {
      const r = await p.exec(command, { timeoutMs, workdir, outputCap: 4_000_000 });
      deps.log.debug(
        `verify: ${row.sha.slice(0, 10)} ${name}: exit ${r.exitCode} in ${(r.durationMs / 1000).toFixed(1)} s`,
      );
      log.push(
        `$ ${name} (exit ${r.exitCode}, ${(r.durationMs / 1000).toFixed(1)} s)\n${tailOf(`${r.stdout}\n${r.stderr}`.trim(), 1500)}`,
      );
      return r;
    };
    const tail = () => tailOf(log.join('\n'), 4000);
    const py = (script: string, args: string) => `python - ${args} <<'DATASMITH_EOF'\n${script}DATASMITH_EOF`;
    if (!facts.asv_config_path || !benchmarkDir)
      return fail('no_benchmarks', 'no asv config or benchmark folder', changed);

    // The base's suite, copied once (modules that fail to import offline left out, as in validation):
    // both sides are measured with the same benchmark code, whatever the patch does to it.
    const asvDir = `${REPO_ROOT}/${facts.asv_dir ?? '.'}`;
    const cfg = await run('asv config', py(asvConfigScript(facts), ''));
    const scan = await run('import scan', py(IMPORT_SCAN, quote(`${REPO_ROOT}/${benchmarkDir}`)), 900_000, '/tmp');
    let failedModules: { path: string; ok: boolean }[] = [];
    try {
      failedModules = (
        JSON.parse(scan.stdout.trim().split('\n').pop() ?? '[]') as { path: string; ok: boolean }[]
      ).filter((m) => !m.ok);
    } catch {
      failedModules = [];
    }
    const suite = await run(
      'copy suite',
      py(
        DERIVE_BENCH,
        `${quote(`${REPO_ROOT}/${benchmarkDir}`)} ${VERIFY_WORK}/suite ${quote(JSON.stringify(failedModules.map((m) => m.path)))}`,
      ),
    );
    const suiteDir = suite.stdout.trim().split('\n').pop() ?? '';
    const sides = await run('side configs', py(SIDE_CONFIGS, `${ASV_WORK}/asv.conf.json ${quote(suiteDir)}`));
    const machine = await run(
      'asv machine',
      `python -m asv --config ${VERIFY_WORK}/asv-before.conf.json machine --yes --machine ${MACHINE}`,
      300_000,
      asvDir,
    );
    if ([cfg, scan, suite, sides, machine].some((r) => r.exitCode !== 0)) {
      return fail('measurement_failed', `preparing asv failed:\n${tail()}`, changed);
    }
    const disc = await run(
      'asv discover',
      `python -m asv --config ${VERIFY_WORK}/asv-before.conf.json run --bench just-discover --python=same --machine ${MACHINE}`,
      600_000,
      asvDir,
    );
    const listing = await run('benchmarks.json', `cat ${VERIFY_WORK}/results-before/benchmarks.json`);
    let timeBenchmarks: string[] = [];
    const paramSets = new Map<string, string[]>();
    try {
      const doc = parsePythonJson(listing.stdout) as Record<string, { type?: string; params?: unknown }>;
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
    const maxParamSets = options.maxParamSets ?? 4;
    const cappedSets = new Map<string, string[]>();
    for (const [name, sets] of paramSets) {
      const spread = spreadParamSets(sets, maxParamSets);
      if (spread) cappedSets.set(name, spread);
    }
    if (disc.exitCode !== 0 || timeBenchmarks.length === 0) {
      return fail('no_benchmarks', `no time benchmark discovered:\n${tail()}`, changed);
    }
    const dump = await run('suite files', py(DUMP_SUITE, quote(suiteDir)));
    let suiteFiles: Record<string, string> = {};
    try {
      suiteFiles = JSON.parse(dump.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
    } catch {
      suiteFiles = {};
    }
    const limit = options.maxBenchmarks ?? 8;
    // A quick run (one sample each) at the base of the best-ranked candidates finds those that fail there.
    const candidates = probeCandidates(
      selectBenchmarks(timeBenchmarks, suiteFiles, targets, limit * 2).map((c) => c.name),
      timeBenchmarks.length,
      limit,
    );
    let failedAtBase: string[] = [];
    if (candidates.length > 0) {
      await run(
        'asv quick at the base',
        `python -m asv --config ${VERIFY_WORK}/asv-probe.conf.json run --quick --python=same --machine ${MACHINE} --set-commit-hash=${row.pr_base_sha} --show-stderr --bench ${quote(benchRegexFor(candidates, cappedSets))}`,
        Math.max(60_000, Math.floor(budgetMs / 4)),
        asvDir,
      );
      const probed = await run(
        'failing at the base',
        py(FAILED_AT_BASE, `${VERIFY_WORK}/results-probe ${MACHINE} ${row.pr_base_sha}`),
        120_000,
        '/tmp',
      );
      try {
        failedAtBase = z.array(z.string()).parse(JSON.parse(probed.stdout.trim().split('\n').pop() ?? '[]'));
      } catch {
        failedAtBase = [];
      }
    }
    const usable = dropFailing(timeBenchmarks, failedAtBase);
    const selected = selectBenchmarks(usable.kept, suiteFiles, targets, limit);
    const tiers = { names: 0, imports: 0, rest: 0 };
    for (const s of selected) tiers[s.tier]++;
    const compiledNote =
      targets.compiled.length > 0
        ? `; compiled sources changed: ${targets.compiled.map((c) => `${c.path} (${c.modules.join(', ') || 'no module'})`).join(', ')}`
        : '';
    const failingNote =
      usable.dropped.length > 0
        ? `; ${usable.dropped.length} failing at the base left out (${usable.dropped.slice(0, 4).join(', ')}${usable.dropped.length > 4 ? ', …' : ''})`
        : '';
    const capped = selected.filter((s) => cappedSets.has(s.name));
    const cappedNote =
      capped.length > 0
        ? `; parameter sets capped at ${maxParamSets} for ${capped.map((s) => `${s.name} (${cappedSets.get(s.name)?.length} of ${paramSets.get(s.name)?.length})`).join(', ')}`
        : '';
    const selection = `${selected.length} of ${timeBenchmarks.length} time benchmarks (limit ${limit}): ${tiers.names} name a changed function or class, ${tiers.imports} import a changed module, ${tiers.rest} others${failingNote}${cappedNote}${compiledNote}`;
    const bench = quote(
      benchRegexFor(
        selected.map((s) => s.name),
        cappedSets,
      ),
    );
    // A capped benchmark's other parameter sets did not run (asv records NaN for them): not results.
    const measuredSet = (name: string, base: string) => !cappedSets.has(base) || cappedSets.get(base)?.includes(name);

    // The same fixed loop before each pass and after the last: its spread says whether the pinned CPU was shared.
    const probeCpu = async () => {
      const r = await run('cpu probe', `python -c ${quote(CPU_PROBE)}`, 60_000, '/tmp');
      const seconds = Number(r.stdout.trim().split('\n').pop());
      if (r.exitCode === 0 && Number.isFinite(seconds) && seconds > 0) probeTimes.push(Math.round(seconds * 1e4) / 1e4);
    };
    // The kernel's and the container's CPU time around each pass: what other work took of the pinned CPUs.
    const pinned = parseCpuset(cpuset);
    const readCpu = async (): Promise<CpuReading | null> => {
      const r = await run('cpu account', `python -c ${quote(CPU_ACCOUNT)}`, 60_000, '/tmp');
      try {
        return CpuReading.parse(JSON.parse(r.stdout.trim().split('\n').pop() ?? ''));
      } catch {
        return null;
      }
    };
    // The patch goes in through the engine's archive API; the container has no network.
    await p.putFile(`${VERIFY_WORK}/gold.patch`, patch);
    let patched = false;
    let rebuildMs = 0;
    const switchTo = async (want: boolean): Promise<string | null> => {
      if (patched === want) return null;
      const apply = await run(
        want ? 'git apply' : 'git apply -R',
        `git -c safe.directory='*' apply ${want ? '' : '-R '}--whitespace=nowarn ${VERIFY_WORK}/gold.patch`,
      );
      if (apply.exitCode !== 0) return 'patch_failed';
      patched = want;
      if (rebuild) {
        const build = await run(
          'rebuild',
          'bash /datasmith/docker_build_pkg.sh',
          options.rebuildTimeoutMs ?? 1_200_000,
        );
        rebuildMs += build.durationMs;
        if (build.exitCode !== 0) return 'rebuild_failed';
      }
      return null;
    };
    // Check that the patch applies before spending time on benchmarks.
    const check = await run(
      'git apply --check',
      `git -c safe.directory='*' apply --check --whitespace=nowarn ${VERIFY_WORK}/gold.patch`,
    );
    if (check.exitCode !== 0)
      return fail('patch_failed', `the gold patch does not apply at the base:\n${tail()}`, { ...changed, selection });

    let order: ('before' | 'after')[] = passes === 2 ? ['before', 'after', 'after', 'before'] : ['before', 'after'];
    const ran = new Set<string>();
    let planNote = '';
    for (let i = 0; i < order.length; i++) {
      const side = order[i] as 'before' | 'after';
      const problem = await switchTo(side === 'after');
      if (problem) {
        return fail(
          problem as VerifyReason,
          `${problem === 'patch_failed' ? 'applying' : 'rebuilding after'} the gold patch failed:\n${tail()}`,
          { ...changed, selection, rebuilt: rebuild },
        );
      }
      await probeCpu();
      const share = runShareMs(budgetMs, Date.now() - started, rebuildMs, order.length - i);
      const cpuBefore = await readCpu();
      const runStarted = Date.now();
      const r: CommandResult = await run(
        `asv run ${side} (pass ${i + 1}/${order.length})`,
        `python -m asv --config ${VERIFY_WORK}/asv-${side}.conf.json run --python=same --machine ${MACHINE} --set-commit-hash=${row.pr_base_sha} --record-samples${ran.has(side) ? ' --append-samples' : ''} --show-stderr --bench ${bench}`,
        share,
        asvDir,
      );
      ran.add(side);
      const cpuAfter = await readCpu();
      base.foreign_cpu_share.push(cpuBefore && cpuAfter ? foreignShare(cpuBefore, cpuAfter, pinned) : null);
      if (!r.timedOut && i === 1 && order.length === 4) {
        // The first half (before, after) as it stands, to check that a speed-up holds in each half.
        await run(
          'first half',
          `rm -rf ${VERIFY_WORK}/half-before ${VERIFY_WORK}/half-after && cp -r ${VERIFY_WORK}/results-before ${VERIFY_WORK}/half-before && cp -r ${VERIFY_WORK}/results-after ${VERIFY_WORK}/half-after`,
        );
      }
      if (r.timedOut) {
        return fail(
          'benchmark_timeout',
          `asv run (${side}, pass ${i + 1}/${order.length}) exceeded its share (${Math.round(share / 1000)} s) of the task's measuring budget of ${options.verifyMinutes ?? 20} min${rebuildMs > 0 ? ` (rebuilds, ${Math.round(rebuildMs / 1000)} s, not counted)` : ''}${planNote}:\n${tail()}`,
          { ...changed, selection, rebuilt: rebuild },
        );
      }
      if (i === 0) {
        const planned = planPasses(order.length, Date.now() - runStarted, Date.now() - started - rebuildMs, budgetMs);
        if (planned < order.length) {
          planNote = `; ABBA dropped to AB: the first pass took ${Math.round((Date.now() - runStarted) / 1000)} s`;
          order = ['before', 'after'];
        }
      }
    }
    await probeCpu();
    const cmp = await run(
      'compare',
      py(
        COMPARE,
        `${VERIFY_WORK}/results-before ${VERIFY_WORK}/results-after ${MACHINE} ${row.pr_base_sha} ${factor}${order.length === 4 ? ` ${VERIFY_WORK}/half-before ${VERIFY_WORK}/half-after` : ''}`,
      ),
      300_000,
      '/tmp',
    );
    let rows: {
      name: string;
      before: VerifySide;
      after: VerifySide;
      significant: boolean | null;
      same_version: boolean;
      asv_mark: string;
      halves?: number[] | null;
    }[];
    try {
      rows = JSON.parse(cmp.stdout.trim().split('\n').pop() ?? '') as typeof rows;
    } catch {
      return fail('measurement_failed', `asv's comparison failed:\n${tail()}`, {
        ...changed,
        selection,
        rebuilt: rebuild,
      });
    }
    const why = new Map(selected.map((s) => [s.name, s]));
    const benchmarks: VerifyBenchmark[] = rows
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
            untracedTooSmall(sel.tier, change, speedup, options.untracedFactor ?? 1.2),
        } satisfies VerifyBenchmark;
      })
      .filter((b): b is VerifyBenchmark => b !== null);
    const verdict = decideVerdict(benchmarks.map((b) => ({ ...b, traced: b.tier !== 'rest' })));
    const faster = benchmarks.filter((b) => b.change === 'faster').map((b) => `${b.name} ×${b.speedup}`);
    const busy = busiestPass(base.foreign_cpu_share, options.maxForeignShare ?? 0.1);
    if (busy) {
      return fail(
        'machine_busy',
        `other work took ${Math.round(busy.share * 100)} % of the pinned CPUs (${cpuset}) during pass ${busy.pass} (limit ${Math.round((options.maxForeignShare ?? 0.1) * 100)} %): the numbers are not a measurement of the patch; without that the verdict would be ${verdict.verified ? 'verified' : verdict.reason}${planNote}`,
        {
          ...changed,
          selection,
          rebuilt: rebuild,
          benchmarks,
          speedup: verdict.speedup,
          speedup_gmean: verdict.speedup_gmean,
        },
      );
    }
    return done({
      ...changed,
      selection,
      rebuilt: rebuild,
      benchmarks,
      verified: verdict.verified,
      reason: verdict.reason,
      speedup: verdict.speedup,
      speedup_gmean: verdict.speedup_gmean,
      message:
        (verdict.verified
          ? `faster by asv's statistics (factor ${factor}): ${faster.join(', ')}`
          : `${verdict.reason}: ${verdict.compared} benchmarks compared, ${verdict.faster} faster, ${verdict.slower} slower`) +
        planNote,
    });
  } catch (error) {
    if (isEngineUnreachableError(error)) return fail('engine_unreachable', (error as Error).message, changed);
    return fail('measurement_failed', (error as Error).message, changed);
  } finally {
    await probe?.remove();
    await release();
  }
}
