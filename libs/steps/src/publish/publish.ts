import { DockerError, RemoteError, isDatasmithError } from '@datasmith/errors';
import { type MemoStore, memoKey } from '@datasmith/memo';
import type { Logger } from '@datasmith/progress';
import {
  DEFAULT_REGISTRY_RETRY_POLICY,
  type DistributionClient,
  type DockerAuthConfig,
  type ImageEngine,
  type ImageReference,
  PushFailedError,
  type RegistryEndpoint,
  type RegistryRetryPolicy,
  type RepositoryMode,
  planImageReference,
  pushWithRetry,
} from '@datasmith/registry';
import type { FailureRow, ImageRow } from '@datasmith/tables';
import pLimit from 'p-limit';
import type { PublishTask } from './tasks';

/** The explanation of a published row; run details (attempts, skips) go to the log, not the table. */
const PUSHED = 'pushed';

/** Bump when the same task would now be published differently (memo keys include it). */
export const PUBLISH_CODE_VERSION = '1';

/** Where images go. Null in {@link PublishInput.target} means local only. */
export interface PublishTarget {
  registry: RegistryEndpoint;
  namespace: string;
  mode: RepositoryMode;
  /** Repository of single mode. Default `all`. */
  singleRepo?: string;
  auth: DockerAuthConfig;
}

export interface PublishInput {
  tasks: readonly PublishTask[];
  /** Null: no registry configured; the digest is the local image id and `registry` is null. */
  target: PublishTarget | null;
  /** Ask the registry first and skip images it already holds under their tag. */
  skipExisting: boolean;
}

export interface PublishDeps {
  /** The engine, created on first use (no engine is needed when nothing is publishable). */
  engine: () => ImageEngine | Promise<ImageEngine>;
  /** Required when a target is set. */
  distribution: DistributionClient | null;
  /** Remembers first-push times per (image id, reference, digest), so re-runs give equal rows. */
  memo?: MemoStore;
  clock?: () => Date;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  policy?: RegistryRetryPolicy;
  /** Pushes at once. Default 4. */
  concurrency?: number;
}

/** What a run did, for summaries and tests. */
export interface PublishStats {
  pushed: number;
  skipped: number;
  local: number;
  failed: number;
  dropped: number;
  layersPushed: number;
  retries: number;
}

export interface PublishResult {
  rows: ImageRow[];
  failures: FailureRow[];
  stats: PublishStats;
}

interface PushMemo {
  digest: string;
  pushed_at: string;
}

function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function baseRow(task: PublishTask): Omit<ImageRow, 'kept' | 'drop_reason' | 'publish_explanation'> {
  return {
    container_name: task.container_name,
    repo_name: task.repo_name,
    pr_base_sha: task.pr_base_sha,
    image_name: null,
    image_id: null,
    registry: null,
    digest: null,
    pushed_at: null,
  };
}

/**
 * Step 5: tags and pushes each validated image (or records its local id when no registry is
 * configured). Per-image failures become `push_failed` rows plus failure records; an authentication
 * denial or an unreachable registry stops the run with one clear error, so nothing is recorded as
 * published that was not.
 */
export async function publish(input: PublishInput, deps: PublishDeps): Promise<PublishResult> {
  const clock = deps.clock ?? (() => new Date());
  const policy = deps.policy ?? DEFAULT_REGISTRY_RETRY_POLICY;
  const stats: PublishStats = { pushed: 0, skipped: 0, local: 0, failed: 0, dropped: 0, layersPushed: 0, retries: 0 };
  const failures: FailureRow[] = [];
  const publishable = input.tasks.filter((t) => t.ok);
  const target = input.target;
  if (target && !deps.distribution) throw new RemoteError('publish: a registry target needs a Distribution client');

  // Fail fast, before anything is tagged or pushed: the registry answers and takes the credentials.
  if (target && publishable.length > 0) await deps.distribution?.ping();

  let enginePromise: Promise<ImageEngine> | undefined;
  const engine = () => {
    enginePromise ??= Promise.resolve(deps.engine());
    return enginePromise;
  };
  let fatal: unknown;

  const publishOne = async (task: PublishTask): Promise<ImageRow> => {
    if (!task.ok) {
      stats.dropped++;
      return { ...baseRow(task), kept: false, drop_reason: task.drop_reason, publish_explanation: task.explanation };
    }
    if (fatal) throw fatal;
    const docker = await engine();
    const image =
      (task.image_id ? await docker.inspect(task.image_id) : null) ??
      (task.image_id ? null : await docker.inspect(task.local_ref));
    if (!image) {
      const message = task.image_id
        ? `validated image ${task.image_id} (${task.local_ref}) is not in the engine; re-run synthesize to rebuild it`
        : `image ${task.local_ref} is not in the engine; re-run synthesize to rebuild it`;
      stats.failed++;
      failures.push({ step: 'publish', item: task.container_name, code: 'image_missing', message });
      return { ...baseRow(task), kept: false, drop_reason: 'push_failed', publish_explanation: message };
    }
    if (!target) {
      stats.local++;
      return {
        ...baseRow(task),
        image_name: task.local_ref.startsWith('sha256:') ? task.container_name : task.local_ref,
        image_id: image.id,
        digest: image.id,
        kept: true,
        drop_reason: null,
        publish_explanation: 'local only: no registry configured (--image-registry or DOCKERHUB_USERNAME)',
      };
    }
    const ref = planImageReference(task.container_name, {
      registry: target.registry,
      namespace: target.namespace,
      mode: target.mode,
      singleRepo: target.singleRepo,
    });
    const key = memoKey('publish', PUBLISH_CODE_VERSION, { image_id: image.id, ref: ref.name });
    const remembered = (await deps.memo?.get<PushMemo>('publish', key)) ?? undefined;
    const published = (digest: string, pushedAt: string | null, explanation: string): ImageRow => ({
      ...baseRow(task),
      image_name: ref.name,
      image_id: image.id,
      registry: target.registry.host,
      digest,
      pushed_at: pushedAt,
      kept: true,
      drop_reason: null,
      publish_explanation: explanation,
    });

    if (input.skipExisting) {
      const remote = await (deps.distribution as DistributionClient).manifestDigest(ref.path, ref.tag);
      if (remote) {
        const ours = image.repoDigests.includes(`${ref.repository}@${remote}`) || remembered?.digest === remote;
        if (ours) {
          stats.skipped++;
          // Same row as the push that put it there (tables stay byte-identical across re-runs).
          return remembered?.digest === remote
            ? published(remote, remembered.pushed_at, PUSHED)
            : published(remote, null, 'already in the registry, pushed from elsewhere (--skip-existing)');
        }
        deps.log.warn(`publish: ${ref.name} holds another image (${remote}); pushing ${image.id} over it`);
      }
    }
    return await pushOne(task, image.id, ref, remembered, key, published);
  };

  const pushOne = async (
    task: PublishTask,
    imageId: string,
    ref: ImageReference,
    remembered: PushMemo | undefined,
    key: string,
    published: (digest: string, pushedAt: string | null, explanation: string) => ImageRow,
  ): Promise<ImageRow> => {
    const docker = await engine();
    const targetAuth = (target as PublishTarget).auth;
    await docker.tag(imageId, ref.repository, ref.tag);
    try {
      const result = await pushWithRetry(docker, {
        repository: ref.repository,
        tag: ref.tag,
        auth: targetAuth,
        policy,
        sleep: deps.sleep,
        onRetry: ({ attempt, waitMs, kind, error }) => {
          stats.retries++;
          deps.log.warn(`publish: ${ref.name}: ${kind} (${error}); retry ${attempt} in ${Math.round(waitMs)} ms`);
        },
      });
      stats.pushed++;
      stats.layersPushed += result.layersPushed;
      const pushedAt = remembered?.digest === result.digest ? remembered.pushed_at : isoSeconds(clock());
      await deps.memo?.put('publish', key, PUBLISH_CODE_VERSION, {
        digest: result.digest,
        pushed_at: pushedAt,
      } satisfies PushMemo);
      if (result.attempts > 1) deps.log.info(`publish: ${ref.name} pushed after ${result.attempts} attempts`);
      return published(result.digest, pushedAt, PUSHED);
    } catch (error) {
      if (error instanceof PushFailedError && error.kind !== 'auth' && error.kind !== 'unreachable') {
        stats.failed++;
        failures.push({
          step: 'publish',
          item: task.container_name,
          code: `push_${error.kind}`,
          message: error.message,
        });
        return {
          ...baseRow(task),
          image_id: imageId,
          kept: false,
          drop_reason: 'push_failed',
          publish_explanation: error.message,
        };
      }
      if (error instanceof PushFailedError) {
        throw new RemoteError(
          error.kind === 'auth'
            ? `Registry authentication denied for ${ref.repository}: ${error.message}; check DOCKERHUB_USERNAME/DOCKERHUB_TOKEN or the Docker config file`
            : `Registry unreachable: ${error.message}`,
          { status: error.kind === 'auth' ? 401 : 0, url: target?.registry.apiBase },
        );
      }
      throw error;
    }
  };

  const limit = pLimit(Math.max(1, deps.concurrency ?? 4));
  const settled = await Promise.allSettled(
    input.tasks.map((task) =>
      limit(async () => {
        try {
          return await publishOne(task);
        } catch (error) {
          fatal ??= error;
          throw error;
        }
      }),
    ),
  );
  if (fatal) {
    if (isDatasmithError(fatal)) throw fatal;
    throw new DockerError(`publish failed: ${(fatal as Error).message?.split('\n')[0]}`, { cause: fatal });
  }
  const rows = settled.map((s) => (s as PromiseFulfilledResult<ImageRow>).value);
  return { rows, failures, stats };
}
