import { randomUUID } from 'node:crypto';
import {
  type AsvSource,
  ASV_SOURCE_ENV,
  ASV_SOURCE_KEY,
  type DebianRelease,
  type EngineStatus,
  isEngineUnreachableError,
  probeEngine,
  removeContainersByLabel,
  removeImageQuietly,
  tailOf,
} from '@datasmith/docker';
import { InputError } from '@datasmith/errors';
import { commitHeader, gitText, hasCommit, listTreePaths, runGit } from '@datasmith/git';
import type { LlmClient } from '@datasmith/llm';
import type { Logger, StepSummary } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import type { ContextRow, SynthesisResult, SynthesizeInputRow } from '@datasmith/tables';
import type Docker from 'dockerode';
import pLimit from 'p-limit';
import type { AgentToolLimits } from './agent';
import { runAgentAttempts } from './agent-cascade';
import { type AttemptScope, tryContexts } from './attempt';
import { type BaseImageChoice, createBaseSelector } from './bases';
import type { BuildTaskOptions } from './build-task';
import { reuseExhausted, reuseFailure, reuseValidated } from './cached';
import { type BuildContext, type RegistryEntry, SYNTHESIZE_CODE_VERSION, contextHash, registryKey } from './context';
import { type RepoFacts, readRepoFacts } from './facts';
import { planContexts } from './plan';
import { readContextRegistry, updateContextRegistry } from './registry';
import { checkoutAtCommit, repoNameOfUrl } from './repo-source';
import { limitPerRepo } from './similar';
import { type Failure, type Outcome, type Task, type TaskEnv, TaskRun, installModeOf, tasksFromRows } from './task';
import type { ValidationOptions } from './validate';

export type { BaseImageChoice } from './bases';
export { resolveBase } from './bases';
export { installModeOf, tasksFromRows } from './task';

export interface SynthesizeOptions {
  /**
   * The base image, or a function of the Python version a task requests (online: one
   * `python:<version>-slim` base per version). Default: one offline base per Debian release of
   * `releases` (debootstrap + OFFLINE_BASE_PACKAGES + asv from `asvSource`), chosen per task.
   */
  base?: BaseImageChoice | ((pythonVersion: string) => BaseImageChoice);
  /** Where the offline bases get asv (a folder of sdists/wheels or an index URL). Required for the offline default. */
  asvSource?: AsvSource;
  /** The Debian releases the offline default chooses from. Default: every one of DEBIAN_RELEASES. */
  releases?: readonly DebianRelease[];
  /** Dependencies from PyPI (online) instead of Debian packages only. Default false. */
  online?: boolean;
  /** Extra Debian packages for every dependency layer. */
  extraDebianPackages?: readonly string[];
  /**
   * Rules candidates tried per task (editable, then regular install), and with the agent backend
   * the agent's attempts after them. Default 3 (editable, regular, source; the agent's 3 as the original).
   */
  maxAttempts?: number;
  /** Validated contexts of other commits of the repository tried first, nearest commit date first. Default 5. */
  maxSimilarCandidates?: number;
  /** `rules` (default): cached → similar → rules. `agent`: then the LLM build agent (needs `deps.llm`). */
  backend?: 'rules' | 'agent';
  /** LLM turns per agent attempt. Default 5 (the original's). */
  maxSteps?: number;
  agentToolLimits?: Partial<AgentToolLimits>;
  /** Docker build minutes this run may spend over all tasks; then attempts fail `build_budget_exhausted`. */
  maxBuildMinutes?: number;
  /** Skip tasks whose recorded failure tried every candidate (`attempts_exhausted`). */
  ignoreExhausted?: boolean;
  /** At most N tasks per repository (a seeded, reproducible choice); negative: all. Default -1. */
  limitPerRepo?: number;
  /** Tasks built at once. Default 1 (builds are CPU-bound). */
  maxWorkers?: number;
  /** Re-run tasks whose recorded failure has the same context. Default false. */
  retryFailed?: boolean;
  build?: Pick<BuildTaskOptions, 'buildTimeoutMs' | 'depsNetwork' | 'commitNetwork' | 'tailChars'>;
  validation?: ValidationOptions;
  /** Characters of stderr/stdout tails in results. Default 4000. */
  tailChars?: number;
}

export interface SynthesizeDeps {
  docker: Docker;
  store: OfflineStore;
  /** The context registry file (`--contexts`), read and updated atomically. */
  registryPath: string;
  log: Logger;
  /** The OpenAI-compatible client of the agent backend. */
  llm?: LlmClient;
  /** Test seam: change a planned context before it is built (negative controls plant leaks here). */
  adjustContext?: (context: BuildContext) => BuildContext;
  /** Called after each finished task (progress, tests that kill the process half-way). */
  onTaskDone?: (result: SynthesisResult) => void;
}

export interface SynthesizeOutput {
  results: SynthesisResult[];
  contexts: ContextRow[];
  summary: StepSummary;
  engine: EngineStatus;
}

function summarize(results: readonly SynthesisResult[]): StepSummary {
  const reasons: Record<string, number> = {};
  let kept = 0;
  for (const r of results) {
    if (r.ok) kept++;
    else reasons[r.reason ?? 'internal_error'] = (reasons[r.reason ?? 'internal_error'] ?? 0) + 1;
  }
  return { kept, dropped: results.length - kept, reasons };
}

/** Makes a ContextRow from a task outcome. */
function contextRow(outcome: Outcome): ContextRow {
  const { result, context, validation } = outcome;
  return {
    repo_name: `${result.owner}/${result.repo}`,
    sha: result.sha,
    strategy: result.strategy,
    context_hash: outcome.hash,
    files_json: JSON.stringify(context?.files ?? {}),
    facts_json: JSON.stringify(context?.facts ?? null),
    attempts_json: JSON.stringify(result.attempts),
    validation_json: JSON.stringify(validation),
    benchmarks: result.benchmarks,
    image_name: result.image_name,
    image_id: result.image_id,
    deps_image: context?.deps_ref ?? null,
    base_image: context?.base_ref ?? null,
    ok: result.ok,
    stage: result.stage,
    reason: result.reason,
    python_requested: result.python_requested,
    python_used: result.python_used,
    base_release: result.base_release,
    install_mode: context ? installModeOf(context) : null,
    asv_version: result.asv_version,
    warnings: result.warnings,
    code_version: SYNTHESIZE_CODE_VERSION,
  };
}

/**
 * Step 4 (synthesize), rules backend: for each task, a validated registry entry whose image still
 * exists is reused as is (strategy `cached`; a missing image is rebuilt from the recorded context);
 * otherwise the rules plan a layered context (base → repository dependencies → commit), the image is
 * built with the repository at the base commit only, and strictly validated. Validated images stay
 * as `<owner>-<repo>-<sha>:final`; probe containers and intermediate images are removed. Every
 * failure is a result row with its stage and reason; the other tasks continue.
 */
export async function synthesize(
  input: { rows: readonly SynthesizeInputRow[] },
  deps: SynthesizeDeps,
  options: SynthesizeOptions = {},
): Promise<SynthesizeOutput> {
  const { docker, log } = deps;
  const tasks = limitPerRepo(tasksFromRows(input.rows), options.limitPerRepo ?? -1);
  if ((options.backend ?? 'rules') === 'agent' && !deps.llm) {
    throw new InputError('The agent backend needs an LLM client (set DSPY_URL / OPENAI_BASE_URL and a model)');
  }
  const tailChars = options.tailChars ?? 4000;
  const engine = tasks.length > 0 ? await probeEngine(docker) : { ok: true };
  if (!engine.ok) log.warn(`synthesize: ${engine.reason}; every task fails with engine_unreachable`);
  const runId = randomUUID().replaceAll('-', '');
  if (!options.base && !options.asvSource) {
    throw new InputError(
      `${ASV_SOURCE_KEY} (or ${ASV_SOURCE_ENV}) is not set: offline base images need a folder of asv and asv_runner archives or a package index URL`,
    );
  }
  const base = createBaseSelector(docker, log, options);
  const registry = await readContextRegistry(deps.registryPath);
  let registryQueue: Promise<void> = Promise.resolve();
  const register = (key: string, entry: RegistryEntry) => {
    const next = registryQueue.catch(() => {}).then(() => updateContextRegistry(deps.registryPath, key, entry));
    registryQueue = next.catch(() => {});
    // Later tasks of this run see it too: a context validated a moment ago is a similar candidate.
    return next.then(() => {
      registry.entries[key] = entry;
    });
  };
  const budgetLimitMs = options.maxBuildMinutes === undefined ? null : options.maxBuildMinutes * 60_000;
  const budget = {
    spentMs: 0,
    spend(ms: number) {
      budget.spentMs += ms;
    },
    remainingMs: () => (budgetLimitMs === null ? null : budgetLimitMs - budget.spentMs),
  };
  const agent =
    options.backend === 'agent' && deps.llm
      ? { llm: deps.llm, maxAttempts: options.maxAttempts ?? 3, maxSteps: options.maxSteps ?? 5 }
      : null;
  const limit = pLimit(Math.max(1, options.maxWorkers ?? 1));
  const outcomes = await Promise.all(
    tasks.map((task) =>
      limit(async () => {
        const outcome = await runTask(task, {
          docker,
          store: deps.store,
          log,
          engine,
          base,
          registry: registry.entries,
          legacy: registry.legacy?.contexts,
          budget,
          agent,
          register,
          runId,
          options,
          tailChars,
          adjustContext: deps.adjustContext,
        });
        deps.onTaskDone?.(outcome.result);
        return outcome;
      }),
    ),
  );
  await registryQueue;
  const results = outcomes.map((o) => o.result);
  return { results, contexts: outcomes.map(contextRow), summary: summarize(results), engine };
}

/**
 * One task through the cascade: input checks (no engine needed), then cached → similar → rules
 * (→ agent) until a context validates. A failure is recorded in the registry with every attempt.
 */
async function runTask(task: Task, env: TaskEnv): Promise<Outcome> {
  const run = new TaskRun(task, env.log, env.tailChars);
  const checked = await checkTaskInput(run, env);
  if ('result' in checked) return checked;
  const { mirror, facts } = checked;
  const sha = task.sha as string;
  const key = registryKey(task.owner, task.repo, sha);
  const entry = env.registry[key];
  const exhausted = reuseExhausted(run, entry, env.options.ignoreExhausted);
  if (exhausted) return exhausted;
  if (!env.engine.ok) return run.fail('engine', 'engine_unreachable', env.engine.reason ?? 'Docker engine unreachable');
  const taskRun = randomUUID().replaceAll('-', '');
  const labels = {
    'datasmith.run': env.runId,
    'datasmith.task-run': taskRun,
    'datasmith.task': `${task.owner}/${task.repo}`,
    'datasmith.sha': sha,
  };
  const commitDate = new Date((await commitHeader(mirror, sha)).committerDate);
  const { docker } = env;
  try {
    // Leftovers of a killed run of this task: its probe containers and its unvalidated image.
    await removeContainersByLabel(docker, `datasmith.sha=${sha}`);
    await removeImageQuietly(docker, run.pkgTag, { force: true });
    // A :final image the registry does not hold as validated was left by a run killed after tagging it.
    if (entry?.status !== 'validated') await removeImageQuietly(docker, run.imageName, { force: true });
    const cached = await reuseValidated(run, entry, docker, env.log);
    if (cached && !Array.isArray(cached)) return cached;
    const plan = cached
      ? { contexts: cached, rulesContext: null }
      : await planContexts(run, env, { mirror, facts, commitDate });
    if ('result' in plan) return plan;
    const failedBefore = cached ? null : reuseFailure(run, entry, env.options.retryFailed ?? false, env.log);
    if (failedBefore) return failedBefore;
    const commitUnix = Math.round(commitDate.getTime() / 1000);
    const checkout = await checkoutFromStore(env.store, mirror, sha);
    run.warnings.push(...checkout.warnings);
    const scope: AttemptScope = {
      env,
      run,
      checkoutDir: checkout.dir,
      key,
      labels,
      taskRun,
      commitUnix,
      failedDeps: new Set(),
    };
    try {
      let tried = await tryContexts(scope, plan.contexts);
      if (!('outcome' in tried) && !tried.stopped && env.agent && plan.rulesContext && !run.rebuildingCached) {
        tried = await runAgentAttempts(scope, plan.rulesContext, { facts, commitDate, failure: tried.failure });
      }
      if ('outcome' in tried) return tried.outcome;
      return await recordTaskFailure(scope, tried.failure, tried.stopped, checkout.warnings);
    } finally {
      await checkout.dispose();
    }
  } catch (error) {
    if (isEngineUnreachableError(error)) return run.fail('engine', 'engine_unreachable', (error as Error).message);
    return run.fail('context', 'internal_error', (error as Error).message ?? String(error));
  } finally {
    await removeContainersByLabel(docker, `datasmith.task-run=${taskRun}`).catch(() => 0);
    await removeImageQuietly(docker, run.pkgTag, { force: true });
  }
}

/** Checks a task's input against the store: the mirror, the base commit, an asv config, a build system. */
async function checkTaskInput(run: TaskRun, env: TaskEnv): Promise<{ mirror: string; facts: RepoFacts } | Outcome> {
  const { task } = run;
  if (!task.sha) return run.fail('input', 'missing_base_sha', `PR(s) ${task.prNumbers.join(', ')} have no pr_base_sha`);
  const mirror = env.store.mirrorPath(task.repoName);
  try {
    await gitText(mirror, ['rev-parse', '--git-dir']);
  } catch {
    return run.fail('input', 'mirror_missing', `no mirror for ${task.repoName} at ${mirror}`);
  }
  if (!(await hasCommit(mirror, task.sha))) {
    return run.fail('input', 'unknown_sha', `${task.sha} is not a commit of ${task.repoName}'s mirror`);
  }
  let facts: RepoFacts;
  try {
    facts = await readFactsAt(mirror, task.sha);
  } catch (error) {
    return run.fail('input', 'unknown_sha', `the tree of ${task.sha} could not be read: ${(error as Error).message}`);
  }
  if (!facts.asv_config_path) return run.fail('input', 'no_asv_config', `no asv.*.json at ${task.sha}`);
  if (!facts.build_system) {
    return run.fail(
      'context',
      'no_build_system',
      'no pyproject.toml, setup.py, setup.cfg or meson.build in the package root',
    );
  }
  return { mirror, facts };
}

/** The repository at a commit, its submodules filled from the store's mirrors (e.g. numpy's vendored meson). */
function checkoutFromStore(store: OfflineStore, mirror: string, sha: string) {
  return checkoutAtCommit(mirror, sha, async (url) => {
    const name = repoNameOfUrl(url);
    if (!name) return null;
    const path = store.mirrorPath(name);
    return (await gitText(path, ['rev-parse', '--git-dir']).then(
      () => true,
      () => false,
    ))
      ? path
      : null;
  });
}

/** Records a task whose every attempt failed (the last failure decides its stage and reason). */
async function recordTaskFailure(
  scope: AttemptScope,
  failure: Failure | null,
  stopped: boolean,
  checkoutWarnings: readonly string[],
): Promise<Outcome> {
  const { env, run } = scope;
  const validated = run.validation;
  let f: Failure = failure ?? {
    stage: 'context',
    reason: 'internal_error',
    message: 'no attempt ran',
    rc: 1,
    logTail: '',
  };
  // A build that failed while a submodule of the code (not of the docs) could not be filled failed for that.
  const missingSubmodules = checkoutWarnings
    .map((w) => /^submodule_unavailable: (\S+)/.exec(w)?.[1])
    .filter((p): p is string => Boolean(p) && !/^docs?\//.test(p as string));
  if (f.reason === 'install_failed' && missingSubmodules.length > 0) {
    f = {
      ...f,
      reason: 'submodule_unavailable',
      message: `${f.message} (submodules missing from the store: ${missingSubmodules.join(', ')})`,
    };
  }
  if (run.context) {
    await env.register(scope.key, {
      context: run.context,
      context_hash: run.planHash ?? contextHash(run.context),
      status: 'failed',
      stage: f.stage,
      reason: f.reason,
      image_name: run.imageName,
      image_id: null,
      benchmarks: validated?.benchmarks ?? [],
      validation: validated,
      attempts: run.attempts,
      updated_at: new Date().toISOString(),
      commit_date: scope.commitUnix,
      exhausted: !stopped && f.reason !== 'llm_failed',
    });
  }
  return run.fail(f.stage, f.reason, f.message, {
    rc: f.rc,
    stdout_tail: tailOf(f.logTail, run.tailChars),
    benchmarks: validated?.benchmarks ?? [],
  });
}

/** The repository facts at a commit, read from the mirror without a checkout. */
export async function readFactsAt(mirror: string, sha: string): Promise<RepoFacts> {
  const paths = await listTreePaths(mirror, sha);
  return readRepoFacts(paths, async (path) => {
    try {
      return (await runGit(mirror, ['show', `${sha}:${path}`])).toString('utf8');
    } catch {
      return null;
    }
  });
}
