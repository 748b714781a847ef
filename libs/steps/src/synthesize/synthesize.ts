import { randomUUID } from 'node:crypto';
import {
  type AsvSource,
  ASV_SOURCE_ENV,
  ASV_SOURCE_KEY,
  BASE_PACKAGE_INDEX,
  type BaseImageRecipe,
  DEBIAN_RELEASES,
  DEBIAN_RELEASE_NAMES,
  DH_PYTHON_FALLBACK,
  type DebianRelease,
  type EngineStatus,
  ProbeContainer,
  buildImage,
  ensureBaseImage,
  imageId,
  isEngineUnreachableError,
  describeImage,
  offlineBaseRecipe,
  packContext,
  probeEngine,
  removeContainersByLabel,
  removeImageQuietly,
  runContainer,
  tagImage,
  tailOf,
  taskContainerName,
  taskImageName,
} from '@datasmith/docker';
import { commitHeader, gitText, hasCommit, listTreePaths, runGit } from '@datasmith/git';
import { InputError } from '@datasmith/errors';
import { parseRepoName } from '@datasmith/paths';
import type { LlmClient } from '@datasmith/llm';
import type { Logger, StepSummary } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import type {
  ContextRow,
  SynthesisAttempt,
  SynthesisReason,
  SynthesisResult,
  SynthesisStage,
  SynthesisStrategy,
  SynthesizeInputRow,
} from '@datasmith/tables';
import type Docker from 'dockerode';
import pLimit from 'p-limit';
import {
  type AgentAttempt,
  type AgentToolLimits,
  type AgentTools,
  DEFAULT_AGENT_TOOL_LIMITS,
  containerTools,
  runAgentAttempt,
} from './agent';
import { type BuildTaskOptions, TaskBuildFailure, buildTaskImage } from './build-task';
import {
  type BuildContext,
  type LegacyContext,
  type RegistryEntry,
  SYNTHESIZE_CODE_VERSION,
  type ValidationResult,
  contextHash,
  registryKey,
} from './context';
import { type DebianIndex, chooseRelease, parseDhPythonFallback, parsePackageIndex } from './debian';
import { type RepoFacts, readRepoFacts } from './facts';
import { choosePythonVersion } from './python-versions';
import { readContextRegistry, updateContextRegistry } from './registry';
import { checkoutAtCommit, repoNameOfUrl } from './repo-source';
import { type BaseImageInfo, declaredRequirements, planContextByRules, rulesVariants } from './rules';
import { contextFromSimilar, limitPerRepo, nearestLegacyContext, similarCandidates } from './similar';
import { type ValidationOptions, validateImage } from './validate';

/** The base image: a recipe built (and reused) locally, or an existing image reference. */
export type BaseImageChoice = { recipe: BaseImageRecipe } | { ref: string };

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

/** One task: a (repository, base sha) and the PRs that share it. */
interface Task {
  owner: string;
  repo: string;
  repoName: string;
  sha: string | null;
  landedSha: string;
  prNumbers: number[];
}

/** Groups input rows into tasks, one per (repository, base sha), in input order. */
export function tasksFromRows(rows: readonly SynthesizeInputRow[]): Task[] {
  const byKey = new Map<string, Task>();
  for (const row of rows) {
    const { owner, name } = parseRepoName(row.repo_name);
    const key = `${row.repo_name}@${row.pr_base_sha ?? `missing:${row.sha}`}`;
    const task = byKey.get(key);
    const numbers = row.pr_number === null ? [] : [row.pr_number];
    if (task) task.prNumbers.push(...numbers);
    else
      byKey.set(key, {
        owner,
        repo: name,
        repoName: row.repo_name,
        sha: row.pr_base_sha,
        landedSha: row.sha,
        prNumbers: numbers,
      });
  }
  return [...byKey.values()];
}

interface Outcome {
  result: SynthesisResult;
  context: BuildContext | null;
  validation: ValidationResult | null;
  hash: string | null;
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

/** The install mode of a rules context (`editable`, `regular`, `source`); null for agent and similar ones. */
export function installModeOf(context: BuildContext): 'editable' | 'regular' | 'source' | null {
  const mode = /(?:^|[^a-z])(editable|regular|source)$/.exec(context.variant)?.[1];
  if (mode) return mode as 'editable' | 'regular' | 'source';
  return (
    (/^# Build system: .*; install: (editable|regular|source);/m.exec(
      context.files['docker_build_pkg.sh'] ?? '',
    )?.[1] as 'editable' | 'regular' | 'source' | null) ?? null
  );
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
  const bases = new Map<string, Promise<BaseImageInfo>>();
  const resolveOnce = (choice: BaseImageChoice, release: string | null) => {
    const key = 'ref' in choice ? `ref:${choice.ref}` : `recipe:${JSON.stringify(choice.recipe)}`;
    let promise = bases.get(key);
    if (!promise) {
      promise = resolveBase(docker, choice, log, release);
      bases.set(key, promise);
    }
    return promise;
  };
  const base: BaseSelector =
    options.base === undefined
      ? {
          kind: 'releases',
          releases: options.releases ?? DEBIAN_RELEASE_NAMES,
          resolve: (release) =>
            resolveOnce({ recipe: offlineBaseRecipe(release, options.asvSource as AsvSource) }, release),
        }
      : {
          kind: 'single',
          resolve: (pythonVersion) =>
            resolveOnce(
              typeof options.base === 'function' ? options.base(pythonVersion) : (options.base as BaseImageChoice),
              null,
            ),
        };
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

/** How a task finds its base: one per Debian release (chosen per task), or one per Python version / a fixed one. */
type BaseSelector =
  | {
      kind: 'releases';
      releases: readonly DebianRelease[];
      resolve: (release: DebianRelease) => Promise<BaseImageInfo>;
    }
  | { kind: 'single'; resolve: (pythonVersion: string) => Promise<BaseImageInfo> };

const SECTION = '===DATASMITH-SECTION===';

/** What the rules read from a base: installed packages, the release's package index, dh-python's table. */
async function readBaseIndex(
  docker: Docker,
  ref: string,
): Promise<{ installed: string[]; index: string; fallback: string }> {
  const listing = await runContainer(
    docker,
    {
      image: ref,
      entrypoint: [],
      cmd: [
        'sh',
        '-c',
        `dpkg-query -W 2>/dev/null | cut -f1 | cut -d: -f1; echo ${SECTION}; cat ${BASE_PACKAGE_INDEX} 2>/dev/null; echo ${SECTION}; cat ${DH_PYTHON_FALLBACK} 2>/dev/null; true`,
      ],
    },
    { timeoutMs: 120_000, outputCap: 20_000_000 },
  );
  const [installed = '', index = '', fallback = ''] = listing.stdout.split(`${SECTION}\n`);
  return { installed: installed.split('\n').filter(Boolean).sort(), index, fallback };
}

/** Resolves the base image choice: an existing reference, or a recipe built and reused by its hash. */
export async function resolveBase(
  docker: Docker,
  choice: BaseImageChoice,
  log: Logger,
  release: string | null = null,
): Promise<BaseImageInfo> {
  let info: Omit<BaseImageInfo, 'installedPackages' | 'index'>;
  if ('ref' in choice) {
    const id = await imageId(docker, choice.ref);
    if (!id) throw new Error(`base image ${choice.ref} is not in the engine`);
    const runtime = await describeImage(docker, choice.ref);
    info = { ref: choice.ref, id, ...runtime };
  } else {
    const started = Date.now();
    const built = await ensureBaseImage(docker, choice.recipe, { log: (line) => log.debug(line) });
    if (built.built)
      log.info(
        `synthesize: base image ${built.ref}${release ? ` (${release})` : ''} built in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    info = {
      ref: built.ref,
      id: built.id,
      pythonVersion: built.pythonVersion,
      asvVersion: built.asvVersion,
      release: built.release,
    };
  }
  const read = await readBaseIndex(docker, info.ref);
  const versions = parsePackageIndex(read.index);
  const index: DebianIndex | null =
    versions.size > 0
      ? {
          release: info.release ?? release ?? 'unknown',
          pythonVersion: info.pythonVersion,
          versions,
          fallback: parseDhPythonFallback(read.fallback),
        }
      : null;
  return { ...info, release: info.release ?? release, installedPackages: read.installed, index };
}

interface TaskEnv {
  docker: Docker;
  store: OfflineStore;
  log: Logger;
  engine: EngineStatus;
  base: BaseSelector;
  registry: Record<string, RegistryEntry>;
  legacy: Record<string, LegacyContext> | undefined;
  budget: { spentMs: number; spend(ms: number): void; remainingMs(): number | null };
  agent: { llm: LlmClient; maxAttempts: number; maxSteps: number } | null;
  register: (key: string, entry: RegistryEntry) => Promise<void>;
  runId: string;
  options: SynthesizeOptions;
  tailChars: number;
  adjustContext?: (context: BuildContext) => BuildContext;
}

async function runTask(task: Task, env: TaskEnv): Promise<Outcome> {
  const started = Date.now();
  const { docker, log, options, tailChars } = env;
  const sha = task.sha ?? task.landedSha;
  const imageName = taskImageName(task.owner, task.repo, sha, 'final');
  const pkgTag = taskImageName(task.owner, task.repo, sha, 'pkg');
  const attempts: SynthesisAttempt[] = [];
  let strategy: SynthesisStrategy = 'rules';
  let lastContext: BuildContext | null = null;
  let lastValidation: ValidationResult | null = null;
  let planHash: string | null = null;
  const warnings: string[] = [];
  const result = (
    ok: boolean,
    stage: SynthesisStage,
    reason: SynthesisReason | null,
    extra: Partial<SynthesisResult> = {},
  ): Outcome => ({
    result: {
      owner: task.owner,
      repo: task.repo,
      sha,
      image_name: imageName,
      ok,
      rc: ok ? 0 : (extra.rc ?? 1),
      duration_s: Math.round((Date.now() - started) / 100) / 10,
      stage,
      strategy,
      attempts,
      reason,
      image_id: null,
      pr_numbers: task.prNumbers,
      benchmarks: [],
      python_requested: lastContext?.python_requested ?? null,
      python_used: lastContext?.python_used ?? null,
      base_release: lastContext?.base_release ?? null,
      install_mode: ok && lastContext ? installModeOf(lastContext) : null,
      asv_version: lastContext?.asv_version ?? null,
      benchmarks_excluded: lastValidation?.benchmarks_excluded ?? [],
      warnings: [
        ...warnings,
        ...(lastContext?.warnings ?? []),
        ...(ok && lastValidation?.quick_failed?.length
          ? [`quick_benchmark_failed: ${lastValidation.quick_failed.join(', ')}`]
          : []),
        ...(ok && lastValidation?.tests_collect_errors
          ? [`tests_collect_errors: ${lastValidation.tests_collect_errors}`]
          : []),
      ],
      stderr_tail: '',
      stdout_tail: '',
      ...extra,
    },
    context: lastContext,
    validation: lastValidation,
    hash: planHash,
  });
  const fail = (
    stage: SynthesisStage,
    reason: SynthesisReason,
    message: string,
    extra: Partial<SynthesisResult> = {},
  ) => {
    log.info(`synthesize: ${task.repoName}@${sha.slice(0, 12)} failed at ${stage}: ${reason} (${message})`);
    return result(false, stage, reason, { stderr_tail: tailOf(message, tailChars), ...extra });
  };

  if (!task.sha) return fail('input', 'missing_base_sha', `PR(s) ${task.prNumbers.join(', ')} have no pr_base_sha`);
  const mirror = env.store.mirrorPath(task.repoName);
  try {
    await gitText(mirror, ['rev-parse', '--git-dir']);
  } catch {
    return fail('input', 'mirror_missing', `no mirror for ${task.repoName} at ${mirror}`);
  }
  if (!(await hasCommit(mirror, task.sha))) {
    return fail('input', 'unknown_sha', `${task.sha} is not a commit of ${task.repoName}'s mirror`);
  }
  // Input checks need no engine: bad input is reported as such even when Docker is down.
  let facts: RepoFacts;
  try {
    facts = await readFactsAt(mirror, task.sha);
  } catch (error) {
    return fail('input', 'unknown_sha', `the tree of ${task.sha} could not be read: ${(error as Error).message}`);
  }
  if (!facts.asv_config_path) return fail('input', 'no_asv_config', `no asv.*.json at ${task.sha}`);
  if (!facts.build_system) {
    return fail(
      'context',
      'no_build_system',
      'no pyproject.toml, setup.py, setup.cfg or meson.build in the package root',
    );
  }
  const key = registryKey(task.owner, task.repo, task.sha);
  const entry = env.registry[key];
  if (options.ignoreExhausted && entry?.status === 'failed' && entry.exhausted) {
    strategy = 'cached';
    attempts.push(...entry.attempts);
    return fail(
      'build',
      'attempts_exhausted',
      `Previous attempts exhausted (${entry.attempts.length} attempts, last ${entry.stage}: ${entry.reason}); --ignore-exhausted skips it`,
    );
  }
  if (!env.engine.ok) return fail('engine', 'engine_unreachable', env.engine.reason ?? 'Docker engine unreachable');

  const taskRun = randomUUID().replaceAll('-', '');
  const labels = {
    'datasmith.run': env.runId,
    'datasmith.task-run': taskRun,
    'datasmith.task': `${task.owner}/${task.repo}`,
    'datasmith.sha': task.sha,
  };
  const commitDate = new Date((await commitHeader(mirror, task.sha)).committerDate);
  const commitUnix = Math.round(commitDate.getTime() / 1000);
  let agentTools: { probe: ProbeContainer; tools: AgentTools } | null = null;
  try {
    // Leftovers of a killed run of this task: its probe containers and its unvalidated image.
    await removeContainersByLabel(docker, `datasmith.sha=${task.sha}`);
    await removeImageQuietly(docker, pkgTag, { force: true });
    // A :final image the registry does not hold as validated was left by a run killed after tagging it.
    if (entry?.status !== 'validated') await removeImageQuietly(docker, imageName, { force: true });

    let plan: BuildContext[] = [];
    let rebuildingCached = false;
    let rulesContext: BuildContext | null = null;
    const validatedEntry =
      entry && entry.status === 'validated' && entry.context.code_version === SYNTHESIZE_CODE_VERSION ? entry : null;
    // A recorded context can be rebuilt only on its own base image; without it, the cascade plans anew.
    const reusable =
      validatedEntry &&
      ((validatedEntry.image_id && (await imageId(docker, validatedEntry.image_id))) ||
        (await imageId(docker, validatedEntry.context.base_ref)));
    if (entry && reusable) {
      strategy = 'cached';
      lastContext = entry.context;
      planHash = entry.context_hash;
      const id = entry.image_id ? await imageId(docker, entry.image_id) : null;
      if (id) {
        if ((await imageId(docker, imageName)) !== id) await tagImage(docker, id, imageName);
        lastValidation = entry.validation;
        attempts.push(...entry.attempts);
        log.info(
          `synthesize: ${task.repoName}@${task.sha.slice(0, 12)} validated earlier; image ${id.slice(7, 19)} present`,
        );
        return result(true, 'validated', null, { image_id: id, benchmarks: entry.benchmarks });
      }
      log.info(
        `synthesize: ${task.repoName}@${task.sha.slice(0, 12)}: image ${entry.image_id} is gone; rebuilding from the recorded context`,
      );
      plan = [entry.context];
      rebuildingCached = true;
    } else {
      const requested = choosePythonVersion({
        asvPythons: facts.asv_pythons,
        requiresPython: facts.requires_python,
        commitDate,
      });
      let baseInfo: BaseImageInfo;
      try {
        baseInfo = await chooseBase(env.base, { facts, requested, commitDate, warnings });
      } catch (error) {
        if (isEngineUnreachableError(error)) throw error;
        return fail('base', 'base_build_failed', (error as Error).message);
      }
      const adjust = (c: BuildContext) => (env.adjustContext ? env.adjustContext(c) : c);
      const variants = rulesVariants(facts).slice(0, Math.max(1, options.maxAttempts ?? 3));
      const rules = variants.map((variant) =>
        adjust(
          planContextByRules(
            {
              owner: task.owner,
              repo: task.repo,
              sha: task.sha as string,
              facts,
              commitDate,
              base: baseInfo,
              online: options.online ?? false,
              extraDebianPackages: options.extraDebianPackages,
            },
            variant,
          ),
        ),
      );
      rulesContext = rules[0] ?? null;
      // Similar contexts: validated contexts of other commits of this repository, nearest commit date first.
      const dates = await commitDatesOf(mirror, env.registry, task);
      const similar: BuildContext[] = [];
      for (const candidate of similarCandidates(
        env.registry,
        { owner: task.owner, repo: task.repo, sha: task.sha, commitDate: commitUnix },
        (e) => e.commit_date ?? dates.get(e.context.sha) ?? 0,
        options.maxSimilarCandidates ?? 5,
      )) {
        if (!(await imageId(docker, candidate.entry.context.base_ref))) continue;
        similar.push(adjust(contextFromSimilar(candidate.entry.context, { sha: task.sha, facts })));
      }
      plan = [...similar, ...rules];
      planHash = contextHash(plan[0] as BuildContext);
      if (entry && entry.status === 'failed' && entry.context_hash === planHash && !options.retryFailed) {
        strategy = 'cached';
        lastContext = entry.context;
        lastValidation = entry.validation;
        attempts.push(...entry.attempts);
        log.info(
          `synthesize: ${task.repoName}@${task.sha.slice(0, 12)} failed earlier with the same context (${entry.reason}); not rebuilt`,
        );
        return result(false, entry.stage, entry.reason, {
          stderr_tail: attempts[attempts.length - 1]?.stderr_tail ?? '',
          stdout_tail: attempts[attempts.length - 1]?.stdout_tail ?? '',
        });
      }
    }

    const checkout = await checkoutAtCommit(mirror, task.sha, async (url) => {
      // Submodules come from the store too (e.g. numpy's vendored meson), when it holds their mirrors.
      const name = repoNameOfUrl(url);
      if (!name) return null;
      const path = env.store.mirrorPath(name);
      return (await gitText(path, ['rev-parse', '--git-dir']).then(
        () => true,
        () => false,
      ))
        ? path
        : null;
    });
    warnings.push(...checkout.warnings);
    let failure: Failure | null = null;
    let stopped = false;
    const failedDeps = new Set<string>();
    const record = (
      context: BuildContext,
      attempt: Omit<SynthesisAttempt, 'attempt' | 'strategy' | 'variant' | 'script'>,
    ) =>
      attempts.push({
        attempt: attempts.length + 1,
        strategy: rebuildingCached ? 'cached' : context.strategy,
        variant: context.variant,
        script: context.files['docker_build_pkg.sh'] ?? '',
        ...attempt,
      });

    /** Builds and validates one context; the validated outcome, or the failure (also recorded as an attempt). */
    const tryContext = async (context: BuildContext): Promise<Outcome | Failure> => {
      lastContext = context;
      strategy = rebuildingCached ? 'cached' : context.strategy;
      const attemptStarted = Date.now();
      const budget = env.budget.remainingMs();
      if (budget !== null && budget <= 0) {
        const f: Failure = {
          stage: 'build',
          reason: 'build_budget_exhausted',
          message: `--max-build-minutes spent (${Math.round(env.budget.spentMs / 60_000)} min of builds in this run)`,
          rc: 1,
          logTail: '',
        };
        record(context, { ...attemptFields(f, tailChars), duration_s: 0, build_s: 0, deps_reused: null });
        return f;
      }
      const configured = options.build?.buildTimeoutMs ?? 40 * 60_000;
      const buildTimeoutMs = budget === null ? configured : Math.min(configured, budget);
      let built: Awaited<ReturnType<typeof buildTaskImage>>;
      try {
        built = await buildTaskImage(docker, context, checkout.dir, pkgTag, {
          ...options.build,
          buildTimeoutMs,
          log: (line) => log.debug(line),
        });
        env.budget.spend(built.depsMs + built.commitMs);
      } catch (error) {
        if (!(error instanceof TaskBuildFailure)) throw error;
        env.budget.spend(Date.now() - attemptStarted);
        if (error.stage === 'deps') failedDeps.add(context.deps_ref);
        const byBudget = error.timedOut && buildTimeoutMs < configured;
        const f: Failure = {
          stage: error.stage,
          reason: byBudget ? 'build_budget_exhausted' : error.reason,
          message: error.message,
          rc: error.timedOut ? 124 : 1,
          logTail: error.logTail,
        };
        const seconds = (Date.now() - attemptStarted) / 1000;
        record(context, { ...attemptFields(f, tailChars), duration_s: seconds, build_s: seconds, deps_reused: null });
        return f;
      }
      const validation = await validateImage(
        docker,
        {
          image: built.imageId,
          sha: task.sha as string,
          facts: context.facts,
          unavailable: context.unavailable ?? [],
          offline: !context.online,
          installMode: installModeOf(context),
          containerName: `${taskContainerName(task.owner, task.repo, task.sha, 'probe')}-${taskRun.slice(0, 8)}`,
          labels,
        },
        options.validation,
      );
      lastValidation = validation;
      const checkLog = validation.checks
        .map((c) => `[${c.ok ? 'ok' : 'FAIL'}] ${c.name} rc=${c.rc} ${c.duration_s}s\n${c.detail}`)
        .join('\n');
      record(context, {
        ok: validation.ok,
        rc: validation.ok ? 0 : validation.timed_out ? 124 : 1,
        stage: validation.stage,
        reason: validation.reason,
        duration_s: (Date.now() - attemptStarted) / 1000,
        build_s: (built.depsMs + built.commitMs) / 1000,
        deps_reused: !built.depsBuilt,
        stderr_tail: tailOf(validation.ok ? '' : validation.message, tailChars),
        stdout_tail: tailOf(`=== BUILD ===\n${built.logTail}\n=== VALIDATION ===\n${checkLog}`, tailChars),
      });
      if (validation.ok) {
        await tagImage(docker, built.imageId, imageName);
        await removeImageQuietly(docker, pkgTag);
        const hash = contextHash(context);
        planHash = hash;
        await env
          .register(key, {
            context,
            context_hash: hash,
            status: 'validated',
            stage: 'validated',
            reason: null,
            image_name: imageName,
            image_id: built.imageId,
            benchmarks: validation.benchmarks,
            validation,
            attempts,
            updated_at: new Date().toISOString(),
            commit_date: commitUnix,
          })
          .catch(async (error: unknown) => {
            // Never leave a :final image that the registry does not know.
            await removeImageQuietly(docker, imageName, { force: true });
            throw error;
          });
        log.info(
          `synthesize: ${task.repoName}@${(task.sha as string).slice(0, 12)} validated by ${context.strategy} (${validation.benchmarks.length} benchmarks) as ${imageName}`,
        );
        return result(true, 'validated', null, {
          image_id: built.imageId,
          benchmarks: validation.benchmarks,
          stdout_tail: attempts[attempts.length - 1]?.stdout_tail ?? '',
        });
      }
      await removeImageQuietly(docker, pkgTag, { force: true });
      return {
        stage: validation.stage,
        reason: validation.reason ?? 'internal_error',
        message: validation.message,
        rc: validation.timed_out ? 124 : 1,
        logTail: checkLog,
      };
    };

    try {
      for (const context of plan) {
        if (failedDeps.has(context.deps_ref)) continue;
        const tried = await tryContext(context);
        if ('result' in tried) return tried;
        failure = tried;
        if (!worthIterating(failure)) {
          stopped = true;
          break;
        }
      }
      const agent = env.agent;
      if (!stopped && agent && rulesContext && !rebuildingCached) {
        const base = rulesContext;
        let previousScript = base.files['docker_build_pkg.sh'] ?? '';
        const legacy = nearestLegacyContext(env.legacy, { owner: task.owner, repo: task.repo, commitDate: commitUnix });
        for (let n = 1; n <= agent.maxAttempts; n++) {
          strategy = 'agent';
          if (!agentTools) {
            if (failedDeps.has(base.deps_ref)) break;
            agentTools = await startAgentContainer(docker, base, checkout.dir, labels, options, taskRun);
          }
          const attemptStarted = Date.now();
          let proposal: AgentAttempt;
          try {
            proposal = await runAgentAttempt(
              {
                owner: task.owner,
                repo: task.repo,
                sha: task.sha,
                commitDate,
                facts,
                previousScript,
                failure: failure
                  ? `${failure.stage} failed (${failure.reason}, rc=${failure.rc}): ${tailOf(failure.message, 4000)}\n${tailOf(failure.logTail, 4000)}`
                  : null,
                legacyHint: typeof legacy?.context.building_data === 'string' ? legacy.context.building_data : null,
              },
              { llm: agent.llm, tools: agentTools.tools, log: (line) => log.debug(line) },
              { maxSteps: agent.maxSteps },
            );
          } catch (error) {
            const f: Failure = {
              stage: 'context',
              reason: 'llm_failed',
              message: (error as Error).message,
              rc: 1,
              logTail: '',
            };
            const context = { ...base, strategy: 'agent' as const, variant: `agent-${n}` };
            record(context, {
              ...attemptFields(f, tailChars),
              duration_s: (Date.now() - attemptStarted) / 1000,
              build_s: 0,
              deps_reused: null,
            });
            failure = f;
            stopped = true;
            break;
          }
          const context: BuildContext = {
            ...base,
            strategy: 'agent',
            variant: `agent-${n}`,
            files: { ...base.files, 'docker_build_pkg.sh': proposal.script ?? '' },
          };
          if (proposal.problem) {
            const f: Failure = {
              stage: 'build',
              reason: proposal.script === null ? 'agent_no_script' : 'install_script_invalid',
              message: `agent attempt ${n}: ${proposal.problem}`,
              rc: 1,
              logTail: proposal.transcript,
            };
            lastContext = context;
            record(context, {
              ...attemptFields(f, tailChars),
              duration_s: (Date.now() - attemptStarted) / 1000,
              build_s: 0,
              deps_reused: null,
            });
            failure = f;
            continue;
          }
          previousScript = proposal.script as string;
          const tried = await tryContext(context);
          if ('result' in tried) return tried;
          failure = tried;
          if (!worthIterating(failure)) {
            stopped = true;
            break;
          }
        }
      }
    } finally {
      await agentTools?.probe.remove();
      await checkout.dispose();
    }
    // Assigned inside tryContext: TypeScript does not see that, so widen it again.
    const validated = lastValidation as ValidationResult | null;
    let f: Failure = failure ?? {
      stage: 'context' as const,
      reason: 'internal_error' as const,
      message: 'no attempt ran',
      rc: 1,
      logTail: '',
    };
    // A build that failed while a submodule of the code (not of the docs) could not be filled failed for that.
    const missingSubmodules = checkout.warnings
      .map((w) => /^submodule_unavailable: (\S+)/.exec(w)?.[1])
      .filter((p): p is string => Boolean(p) && !/^docs?\//.test(p as string));
    if (f.reason === 'install_failed' && missingSubmodules.length > 0) {
      f = {
        ...f,
        reason: 'submodule_unavailable',
        message: `${f.message} (submodules missing from the store: ${missingSubmodules.join(', ')})`,
      };
    }
    if (lastContext) {
      await env.register(key, {
        context: lastContext,
        context_hash: planHash ?? contextHash(lastContext),
        status: 'failed',
        stage: f.stage,
        reason: f.reason,
        image_name: imageName,
        image_id: null,
        benchmarks: validated?.benchmarks ?? [],
        validation: validated,
        attempts,
        updated_at: new Date().toISOString(),
        commit_date: commitUnix,
        exhausted: !stopped && f.reason !== 'llm_failed',
      });
    }
    return fail(f.stage, f.reason, f.message, {
      rc: f.rc,
      stdout_tail: tailOf(f.logTail, tailChars),
      benchmarks: validated?.benchmarks ?? [],
    });
  } catch (error) {
    if (isEngineUnreachableError(error)) return fail('engine', 'engine_unreachable', (error as Error).message);
    return fail('context', 'internal_error', (error as Error).message ?? String(error));
  } finally {
    await agentTools?.probe.remove();
    await removeContainersByLabel(docker, `datasmith.task-run=${taskRun}`).catch(() => 0);
    await removeImageQuietly(docker, pkgTag, { force: true });
  }
}

interface Failure {
  stage: SynthesisStage;
  reason: SynthesisReason;
  message: string;
  rc: number;
  logTail: string;
}

function attemptFields(f: Failure, tailChars: number) {
  return {
    ok: false,
    rc: f.rc,
    stage: f.stage,
    reason: f.reason,
    stderr_tail: tailOf(f.message, tailChars),
    stdout_tail: tailOf(f.logTail, tailChars),
  };
}

/** Failures another install script cannot fix end the cascade (the original's "not worth iterating"). */
const FINAL_REASONS: ReadonlySet<SynthesisReason> = new Set([
  'build_timeout',
  'build_budget_exhausted',
  'no_benchmarks',
  'benchmark_timeout',
  'check_timeout',
  'engine_unreachable',
]);

function worthIterating(failure: Failure): boolean {
  return !FINAL_REASONS.has(failure.reason);
}

/**
 * The base of a task. With one base per Debian release, every release's base is resolved (built once
 * per engine) and the release whose Python and package versions fit the commit wins (chooseRelease);
 * the choice and its penalties are noted in the warnings.
 */
async function chooseBase(
  selector: BaseSelector,
  input: { facts: RepoFacts; requested: string; commitDate: Date; warnings: string[] },
): Promise<BaseImageInfo> {
  if (selector.kind === 'single') return selector.resolve(input.requested);
  const infos = await Promise.all(selector.releases.map((r) => selector.resolve(r).then((info) => ({ r, info }))));
  const candidates = infos.flatMap(({ r, info }) =>
    info.index ? [{ release: r as string, released: DEBIAN_RELEASES[r].released, index: info.index }] : [],
  );
  if (candidates.length === 0) return (infos[0] as { info: BaseImageInfo }).info;
  const { facts } = input;
  const choice = chooseRelease(candidates, {
    requiresPython: facts.requires_python,
    asvPythons: facts.asv_pythons,
    requirements: declaredRequirements(facts),
    commitDate: input.commitDate,
    exclude: [facts.project_name, facts.import_name].filter((x): x is string => Boolean(x)),
  });
  if (candidates.length > 1) {
    input.warnings.push(
      `base_release: ${choice.release} (penalties: ${choice.scores.map((s) => `${s.release} ${s.penalty}${s.notes.length ? ` [${s.notes.join('; ')}]` : ''}`).join(', ')})`,
    );
  }
  return (infos.find(({ r }) => r === choice.release) as { info: BaseImageInfo }).info;
}

/** Commit dates (unix seconds) of the registry's entries of this repository that do not record one. */
async function commitDatesOf(
  mirror: string,
  entries: Record<string, RegistryEntry>,
  task: Task,
): Promise<Map<string, number>> {
  const dates = new Map<string, number>();
  for (const e of Object.values(entries)) {
    if (e.context.owner !== task.owner || e.context.repo !== task.repo || e.commit_date !== undefined) continue;
    try {
      dates.set(
        e.context.sha,
        Math.round(Date.parse((await commitHeader(mirror, e.context.sha)).committerDate) / 1000),
      );
    } catch {
      // not in this mirror: it sorts as the oldest
    }
  }
  return dates;
}

/**
 * The agent's environment container: the task's dependency image (built when missing) with the
 * repository at the base commit copied to /workspace/repo; no network offline.
 */
async function startAgentContainer(
  docker: Docker,
  context: BuildContext,
  repoDir: string,
  labels: Record<string, string>,
  options: SynthesizeOptions,
  taskRun: string,
): Promise<{ probe: ProbeContainer; tools: AgentTools }> {
  if (!(await imageId(docker, context.deps_ref))) {
    await buildImage(docker, {
      tag: context.deps_ref,
      files: { Dockerfile: { content: context.files['Dockerfile.deps'] ?? '' } },
      networkmode: options.build?.depsNetwork ?? 'bridge',
      timeoutMs: options.build?.buildTimeoutMs ?? 40 * 60_000,
    });
  }
  const probe = await ProbeContainer.start(docker, {
    image: context.deps_ref,
    name: `${taskContainerName(context.owner, context.repo, context.sha, 'env')}-${taskRun.slice(0, 8)}`,
    labels,
    workdir: '/workspace/repo',
    networkMode: context.online ? 'bridge' : 'none',
  });
  try {
    const tar = await packContext({}, [{ prefix: 'repo', dir: repoDir }]);
    await probe.container.putArchive(tar, { path: '/workspace' });
  } catch (error) {
    await probe.remove();
    throw error;
  }
  return { probe, tools: containerTools(probe, { ...DEFAULT_AGENT_TOOL_LIMITS, ...options.agentToolLimits }) };
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
