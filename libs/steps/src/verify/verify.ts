import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbeContainer, isEngineUnreachableError, removeContainersByLabel } from '@datasmith/docker';
import { parseRepoName } from '@datasmith/paths';
import type { Logger, StepSummary } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import type { SynthesizeInputRow, VerifyBenchmark, VerifyReason, VerifyResult } from '@datasmith/tables';
import { acquireFileLock } from '@datasmith/tables';
import type Docker from 'dockerode';
import { REPO_ROOT } from '../synthesize/asv-container';
import type { RegistryEntry } from '../synthesize/context';
import { readContextRegistry } from '../synthesize/registry';
import { installModeOf as contextInstallMode } from '../synthesize/task';
import { measureAbbaPasses } from './abba-passes';
import { planBenchmarks } from './benchmark-plan';
import { compareSides, toVerifyBenchmarks } from './compare-sides';
import { parseCpuset } from './cpu-account';
import { busiestPass, decideVerdict } from './decide';
import { ContainerPatch, type GoldPatch, readGoldPatch } from './gold-patch';
import { MeasuringSession } from './measuring-session';
import { prepareSuite } from './prepare-suite';
import { TaskFailure } from './task-failure';

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

/** The settings of one task's measurement, defaults filled in. */
interface TaskSettings {
  factor: number;
  untracedFactor: number;
  cpuset: string;
  verifyMinutes: number;
  budgetMs: number;
  passes: 1 | 2;
  limit: number;
  maxParamSets: number;
  maxForeignShare: number;
  rebuildTimeoutMs: number;
}

function taskSettingsOf(options: VerifyOptions): TaskSettings {
  const verifyMinutes = options.verifyMinutes ?? 20;
  return {
    factor: options.factor ?? 1.05,
    untracedFactor: options.untracedFactor ?? 1.2,
    cpuset: options.cpusetCpus ?? defaultCpuset(),
    verifyMinutes,
    budgetMs: verifyMinutes * 60_000,
    passes: options.passes ?? 2,
    limit: options.maxBenchmarks ?? 8,
    maxParamSets: options.maxParamSets ?? 4,
    maxForeignShare: options.maxForeignShare ?? 0.1,
    rebuildTimeoutMs: options.rebuildTimeoutMs ?? 1_200_000,
  };
}

/** A task's row before anything is measured: not verified, with the image and settings it is measured with. */
function unmeasuredResult(
  row: SynthesizeInputRow,
  entry: RegistryEntry | undefined,
  settings: TaskSettings,
): VerifyResult {
  return {
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
    factor: settings.factor,
    untraced_factor: settings.untracedFactor,
    install_mode: entry ? installModeOf(entry) : null,
    rebuilt: false,
    changed_files: [],
    changed_names: [],
    selection: '',
    benchmarks: [],
    cpuset: settings.cpuset,
    asv_version: entry?.context.asv_version ?? null,
    duration_s: 0,
    code_version: VERIFY_CODE_VERSION,
    cpu_probe_s: [],
    cpu_probe_spread: null,
    foreign_cpu_share: [],
  };
}

/** Is the task's image on this engine? A failure when it is not, or when the engine cannot be reached. */
async function checkImagePresent(docker: Docker, imageName: string): Promise<TaskFailure | null> {
  try {
    await docker.getImage(imageName).inspect();
    return null;
  } catch (error) {
    if (isEngineUnreachableError(error)) return new TaskFailure('engine_unreachable', (error as Error).message);
    return new TaskFailure('image_missing', `image ${imageName} is not on this engine`);
  }
}

/**
 * Waits for the machine-wide measuring lock (default in the OS temp folder): one measurement at a
 * time on this machine, across processes (Nx runs months and repositories in parallel).
 */
async function acquireMeasuringLock(lockPath: string | undefined, log: Logger): Promise<() => Promise<void>> {
  const path = lockPath ?? join(tmpdir(), 'datasmith-verify-measure.lock');
  return acquireFileLock(path, {
    pollMs: 500,
    onWait: (holder) => log.info(`verify: waiting for the measurement of process ${holder?.pid ?? '?'} (${path})`),
  });
}

/** Starts a task's measuring container: without network, pinned to the CPU set. Call with the measuring lock held. */
async function startMeasuringContainer(
  docker: Docker,
  task: Task,
  imageName: string,
  cpuset: string,
): Promise<ProbeContainer> {
  // Holding the machine-wide lock, no other measurement runs: a probe left by a killed run goes.
  await removeContainersByLabel(docker, 'datasmith.probe=verify').catch(() => 0);
  return ProbeContainer.start(docker, {
    image: imageName,
    name: `datasmith-verify-${task.owner}-${task.repo}-${task.row.sha.slice(0, 12)}-${process.pid}`.toLowerCase(),
    // Not `datasmith.sha`: synthesize removes containers by that label, and a landed commit may be another task's base.
    labels: { 'datasmith.probe': 'verify', 'datasmith.verify-sha': task.row.sha },
    networkMode: 'none',
    workdir: REPO_ROOT,
    cpusetCpus: cpuset,
  });
}

/**
 * The verdict on the measured benchmarks, unless other work took more than its share of the pinned
 * CPUs during a pass: then the numbers are not a measurement of the patch (`machine_busy`).
 */
function concludeMeasurement(
  benchmarks: readonly VerifyBenchmark[],
  foreignShares: readonly (number | null)[],
  settings: TaskSettings,
  planNote: string,
): Partial<VerifyResult> | TaskFailure {
  const verdict = decideVerdict(benchmarks.map((b) => ({ ...b, traced: b.tier !== 'rest' })));
  const faster = benchmarks.filter((b) => b.change === 'faster').map((b) => `${b.name} ×${b.speedup}`);
  const busy = busiestPass(foreignShares, settings.maxForeignShare);
  if (busy) {
    return new TaskFailure(
      'machine_busy',
      `other work took ${Math.round(busy.share * 100)} % of the pinned CPUs (${settings.cpuset}) during pass ${busy.pass} (limit ${Math.round(settings.maxForeignShare * 100)} %): the numbers are not a measurement of the patch; without that the verdict would be ${verdict.verified ? 'verified' : verdict.reason}${planNote}`,
      { speedup: verdict.speedup, speedup_gmean: verdict.speedup_gmean },
    );
  }
  return {
    verified: verdict.verified,
    reason: verdict.reason,
    speedup: verdict.speedup,
    speedup_gmean: verdict.speedup_gmean,
    message:
      (verdict.verified
        ? `faster by asv's statistics (factor ${settings.factor}): ${faster.join(', ')}`
        : `${verdict.reason}: ${verdict.compared} benchmarks compared, ${verdict.faster} faster, ${verdict.slower} slower`) +
      planNote,
  };
}

/** What `measureGoldPatch` measures: a task whose image validated and whose gold patch was read. */
interface GoldPatchTask {
  baseSha: string;
  facts: RegistryEntry['context']['facts'];
  gold: GoldPatch;
  /** The result fields known before measuring. */
  changed: Pick<VerifyResult, 'changed_files' | 'changed_names'>;
  rebuild: boolean;
  /** When the task started (epoch ms). */
  started: number;
}

/** The failure with the result fields known when it happened. */
function knowing(failure: TaskFailure, known: Partial<VerifyResult>): TaskFailure {
  return new TaskFailure(failure.reason, failure.message, { ...known, ...failure.fields });
}

/**
 * Measures the gold patch in the task's container: prepares asv and the base's suite, chooses the
 * benchmarks, checks that the patch applies, runs the passes and compares the sides with asv's
 * statistics. Appends the CPU probe times and foreign CPU shares to `record` as it goes.
 */
async function measureGoldPatch(
  session: MeasuringSession,
  task: GoldPatchTask,
  settings: TaskSettings,
  record: Pick<VerifyResult, 'cpu_probe_s' | 'foreign_cpu_share'>,
): Promise<Partial<VerifyResult> | TaskFailure> {
  const { facts, changed } = task;
  if (!facts.asv_config_path || !facts.benchmark_dir) {
    return new TaskFailure('no_benchmarks', 'no asv config or benchmark folder', changed);
  }
  const suite = await prepareSuite(session, facts, facts.benchmark_dir);
  if (suite instanceof TaskFailure) return knowing(suite, changed);
  const plan = await planBenchmarks(session, {
    suite,
    targets: task.gold.targets,
    baseSha: task.baseSha,
    budgetMs: settings.budgetMs,
    limit: settings.limit,
    maxParamSets: settings.maxParamSets,
  });
  if (plan instanceof TaskFailure) return knowing(plan, changed);
  const pinned = parseCpuset(settings.cpuset);
  const patch = await ContainerPatch.upload(session, task.gold.patch, task.rebuild, settings.rebuildTimeoutMs);
  if (!(await patch.appliesAtBase())) {
    const message = `the gold patch does not apply at the base:\n${session.tail()}`;
    return new TaskFailure('patch_failed', message, { ...changed, selection: plan.selection });
  }
  const measured = { ...changed, selection: plan.selection, rebuilt: task.rebuild };
  const passes = await measureAbbaPasses(session, patch, {
    passes: settings.passes,
    started: task.started,
    budgetMs: settings.budgetMs,
    verifyMinutes: settings.verifyMinutes,
    baseSha: task.baseSha,
    bench: plan.bench,
    asvDir: suite.asvDir,
    pinned,
    probeTimes: record.cpu_probe_s,
    foreignShares: record.foreign_cpu_share,
  });
  if (passes instanceof TaskFailure) return knowing(passes, measured);
  const rows = await compareSides(session, task.baseSha, settings.factor, passes.abba);
  if (rows instanceof TaskFailure) return knowing(rows, measured);
  const benchmarks = toVerifyBenchmarks(rows, plan, settings.factor, settings.untracedFactor);
  const outcome = concludeMeasurement(benchmarks, record.foreign_cpu_share, settings, passes.planNote);
  if (outcome instanceof TaskFailure) return knowing(outcome, { ...measured, benchmarks });
  return { ...measured, benchmarks, ...outcome };
}

async function verifyTask(
  task: Task,
  entry: RegistryEntry | undefined,
  deps: VerifyDeps,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const started = Date.now();
  const settings = taskSettingsOf(options);
  const { row } = task;
  const base = unmeasuredResult(row, entry, settings);
  const done = (fields: Partial<VerifyResult>): VerifyResult => ({
    ...base,
    ...fields,
    cpu_probe_spread: probeSpread(base.cpu_probe_s),
    duration_s: Math.round((Date.now() - started) / 100) / 10,
  });
  const fail = (reason: VerifyReason, message: string, fields: Partial<VerifyResult> = {}) =>
    done({ ...fields, verified: false, reason, message });

  if (!row.pr_base_sha || !entry || entry.status !== 'validated') {
    return fail('no_validated_image', `no validated image for base ${row.pr_base_sha ?? '(none)'}`);
  }
  const missing = await checkImagePresent(deps.docker, entry.image_name);
  if (missing) return fail(missing.reason, missing.message);
  const mirror = deps.store.mirrorPath(row.repo_name);
  const gold = await readGoldPatch(mirror, row.pr_base_sha, row.sha, entry.context.facts);
  if (gold instanceof TaskFailure) return fail(gold.reason, gold.message);
  const changed = { changed_files: gold.changedFiles, changed_names: gold.targets.names.map((n) => n.name) };
  const rebuild = needsRebuild(entry, changed.changed_files);

  const release = await acquireMeasuringLock(options.lockPath, deps.log);
  let container: ProbeContainer | null = null;
  try {
    container = await startMeasuringContainer(deps.docker, task, entry.image_name, settings.cpuset);
    const session = new MeasuringSession(container, row.sha, deps.log);
    const goldTask = { baseSha: row.pr_base_sha, facts: entry.context.facts, gold, changed, rebuild, started };
    const outcome = await measureGoldPatch(session, goldTask, settings, base);
    return outcome instanceof TaskFailure ? fail(outcome.reason, outcome.message, outcome.fields) : done(outcome);
  } catch (error) {
    if (isEngineUnreachableError(error)) return fail('engine_unreachable', (error as Error).message, changed);
    return fail('measurement_failed', (error as Error).message, changed);
  } finally {
    await container?.remove();
    await release();
  }
}
