import { imageId, tagImage } from '@datasmith/docker';
import type { Logger } from '@datasmith/progress';
import type Docker from 'dockerode';
import { type BuildContext, type RegistryEntry, SYNTHESIZE_CODE_VERSION } from './context';
import type { Outcome, TaskRun } from './task';

/**
 * Strategy `cached`, first: a validated registry entry of this code version answers the task when
 * its image is present (tagged :final again if needed). When the image is gone but its base is
 * present, the recorded context is the plan (rebuilt as `cached`). Null: the cascade plans anew.
 */
export async function reuseValidated(
  run: TaskRun,
  entry: RegistryEntry | undefined,
  docker: Docker,
  log: Logger,
): Promise<Outcome | BuildContext[] | null> {
  if (entry?.status !== 'validated' || entry.context.code_version !== SYNTHESIZE_CODE_VERSION) return null;
  const id = entry.image_id ? await imageId(docker, entry.image_id) : null;
  // A recorded context can be rebuilt only on its own base image.
  if (!id && !(await imageId(docker, entry.context.base_ref))) return null;
  run.strategy = 'cached';
  run.context = entry.context;
  run.planHash = entry.context_hash;
  if (id) {
    if ((await imageId(docker, run.imageName)) !== id) await tagImage(docker, id, run.imageName);
    run.validation = entry.validation;
    run.attempts.push(...entry.attempts);
    log.info(`synthesize: ${run.label} validated earlier; image ${id.slice(7, 19)} present`);
    return run.outcome(true, 'validated', null, { image_id: id, benchmarks: entry.benchmarks });
  }
  log.info(`synthesize: ${run.label}: image ${entry.image_id} is gone; rebuilding from the recorded context`);
  run.rebuildingCached = true;
  return [entry.context];
}

/** With --ignore-exhausted, a task whose recorded failure tried every candidate is answered from the registry. */
export function reuseExhausted(
  run: TaskRun,
  entry: RegistryEntry | undefined,
  ignoreExhausted = false,
): Outcome | null {
  if (!ignoreExhausted || entry?.status !== 'failed' || !entry.exhausted) return null;
  run.strategy = 'cached';
  run.attempts.push(...entry.attempts);
  return run.fail(
    'build',
    'attempts_exhausted',
    `Previous attempts exhausted (${entry.attempts.length} attempts, last ${entry.stage}: ${entry.reason}); --ignore-exhausted skips it`,
  );
}

/** A recorded failure of the same planned context is the answer, unless --retry-failed. */
export function reuseFailure(
  run: TaskRun,
  entry: RegistryEntry | undefined,
  retryFailed: boolean,
  log: Logger,
): Outcome | null {
  if (entry?.status !== 'failed' || entry.context_hash !== run.planHash || retryFailed) return null;
  run.strategy = 'cached';
  run.context = entry.context;
  run.validation = entry.validation;
  run.attempts.push(...entry.attempts);
  log.info(`synthesize: ${run.label} failed earlier with the same context (${entry.reason}); not rebuilt`);
  const last = run.attempts[run.attempts.length - 1];
  return run.outcome(false, entry.stage, entry.reason, {
    stderr_tail: last?.stderr_tail ?? '',
    stdout_tail: last?.stdout_tail ?? '',
  });
}
