import { removeImageQuietly, tagImage, tailOf, taskContainerName } from '@datasmith/docker';
import { type TaskImageBuild, TaskBuildFailure, buildTaskImage } from './build-task';
import { type BuildContext, contextHash } from './context';
import { type Failure, type Outcome, type TaskEnv, type TaskRun, installModeOf, worthIterating } from './task';
import type { ValidationResult } from './context';
import { validateImage } from './validate';

/** What the attempts of one task share. */
export interface AttemptScope {
  env: TaskEnv;
  run: TaskRun;
  /** The repository checked out at the base commit. */
  checkoutDir: string;
  /** The task's context registry key. */
  key: string;
  labels: Record<string, string>;
  /** This run of the task (container names, labels). */
  taskRun: string;
  commitUnix: number;
  /** Dependency layers that failed to build in this run: contexts on them are skipped. */
  failedDeps: Set<string>;
}

/** Tries contexts in order until one validates or a failure ends the cascade (`stopped`). */
export async function tryContexts(
  scope: AttemptScope,
  contexts: readonly BuildContext[],
): Promise<{ outcome: Outcome } | { failure: Failure | null; stopped: boolean }> {
  let failure: Failure | null = null;
  for (const context of contexts) {
    if (scope.failedDeps.has(context.deps_ref)) continue;
    const tried = await tryContext(scope, context);
    if ('result' in tried) return { outcome: tried };
    failure = tried;
    if (!worthIterating(failure)) return { failure, stopped: true };
  }
  return { failure, stopped: false };
}

/** Builds and validates one context: the validated outcome, or the failure (also recorded as an attempt). */
export async function tryContext(scope: AttemptScope, context: BuildContext): Promise<Outcome | Failure> {
  const { env, run } = scope;
  run.context = context;
  run.strategy = run.rebuildingCached ? 'cached' : context.strategy;
  const started = Date.now();
  const built = await buildAttempt(scope, context);
  if (!('imageId' in built)) return built;
  const validation = await validateImage(
    env.docker,
    {
      image: built.imageId,
      sha: run.sha,
      facts: context.facts,
      unavailable: context.unavailable ?? [],
      offline: !context.online,
      installMode: installModeOf(context),
      containerName: `${taskContainerName(run.task.owner, run.task.repo, run.sha, 'probe')}-${scope.taskRun.slice(0, 8)}`,
      labels: scope.labels,
    },
    env.options.validation,
  );
  run.validation = validation;
  const checkLog = validation.checks
    .map((c) => `[${c.ok ? 'ok' : 'FAIL'}] ${c.name} rc=${c.rc} ${c.duration_s}s\n${c.detail}`)
    .join('\n');
  run.record(context, {
    ok: validation.ok,
    rc: validation.ok ? 0 : validation.timed_out ? 124 : 1,
    stage: validation.stage,
    reason: validation.reason,
    duration_s: (Date.now() - started) / 1000,
    build_s: (built.depsMs + built.commitMs) / 1000,
    deps_reused: !built.depsBuilt,
    stderr_tail: tailOf(validation.ok ? '' : validation.message, run.tailChars),
    stdout_tail: tailOf(`=== BUILD ===\n${built.logTail}\n=== VALIDATION ===\n${checkLog}`, run.tailChars),
  });
  if (validation.ok) return acceptValidated(scope, context, built, validation);
  await removeImageQuietly(env.docker, run.pkgTag, { force: true });
  return {
    stage: validation.stage,
    reason: validation.reason ?? 'internal_error',
    message: validation.message,
    rc: validation.timed_out ? 124 : 1,
    logTail: checkLog,
  };
}

/** The build of one attempt within the run's build budget; a failure is recorded as the attempt. */
async function buildAttempt(scope: AttemptScope, context: BuildContext): Promise<TaskImageBuild | Failure> {
  const { env, run } = scope;
  const started = Date.now();
  const budget = env.budget.remainingMs();
  if (budget !== null && budget <= 0) {
    const f: Failure = {
      stage: 'build',
      reason: 'build_budget_exhausted',
      message: `--max-build-minutes spent (${Math.round(env.budget.spentMs / 60_000)} min of builds in this run)`,
      rc: 1,
      logTail: '',
    };
    run.recordFailure(context, f, 0);
    return f;
  }
  const configured = env.options.build?.buildTimeoutMs ?? 40 * 60_000;
  const buildTimeoutMs = budget === null ? configured : Math.min(configured, budget);
  try {
    const built = await buildTaskImage(env.docker, context, scope.checkoutDir, run.pkgTag, {
      ...env.options.build,
      buildTimeoutMs,
      log: (line) => env.log.debug(line),
    });
    env.budget.spend(built.depsMs + built.commitMs);
    return built;
  } catch (error) {
    if (!(error instanceof TaskBuildFailure)) throw error;
    env.budget.spend(Date.now() - started);
    if (error.stage === 'deps') scope.failedDeps.add(context.deps_ref);
    const byBudget = error.timedOut && buildTimeoutMs < configured;
    const f: Failure = {
      stage: error.stage,
      reason: byBudget ? 'build_budget_exhausted' : error.reason,
      message: error.message,
      rc: error.timedOut ? 124 : 1,
      logTail: error.logTail,
    };
    const seconds = (Date.now() - started) / 1000;
    run.recordFailure(context, f, seconds, seconds);
    return f;
  }
}

/** A validated image becomes :final and enters the registry (or, if that fails, is removed). */
async function acceptValidated(
  scope: AttemptScope,
  context: BuildContext,
  built: TaskImageBuild,
  validation: ValidationResult,
): Promise<Outcome> {
  const { env, run } = scope;
  const { docker } = env;
  await tagImage(docker, built.imageId, run.imageName);
  await removeImageQuietly(docker, run.pkgTag);
  const hash = contextHash(context);
  run.planHash = hash;
  await env
    .register(scope.key, {
      context,
      context_hash: hash,
      status: 'validated',
      stage: 'validated',
      reason: null,
      image_name: run.imageName,
      image_id: built.imageId,
      benchmarks: validation.benchmarks,
      validation,
      attempts: run.attempts,
      updated_at: new Date().toISOString(),
      commit_date: scope.commitUnix,
    })
    .catch(async (error: unknown) => {
      // Never leave a :final image that the registry does not know.
      await removeImageQuietly(docker, run.imageName, { force: true });
      throw error;
    });
  env.log.info(
    `synthesize: ${run.label} validated by ${context.strategy} (${validation.benchmarks.length} benchmarks) as ${run.imageName}`,
  );
  return run.outcome(true, 'validated', null, {
    image_id: built.imageId,
    benchmarks: validation.benchmarks,
    stdout_tail: run.attempts[run.attempts.length - 1]?.stdout_tail ?? '',
  });
}
