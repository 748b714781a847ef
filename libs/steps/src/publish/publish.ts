import { DockerError, RemoteError, isDatasmithError } from '@datasmith/errors';
import { type MemoStore, memoKey } from '@datasmith/memo';
import type { Logger } from '@datasmith/progress';
import {
  DEFAULT_REGISTRY_RETRY_POLICY,
  type DistributionClient,
  type DockerAuthConfig,
  type ImageEngine,
  type ImageReference,
  type LocalImage,
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

/** Builds a kept row of an image in the registry: its digest, when it was first pushed, and why it is there. */
type PublishedRow = (digest: string, pushedAt: string | null, explanation: string) => ImageRow;

/** One publish run: the engine (created on first use), counters, failures, and the first fatal error. */
class PublishRun {
  readonly stats: PublishStats = {
    pushed: 0,
    skipped: 0,
    local: 0,
    failed: 0,
    dropped: 0,
    layersPushed: 0,
    retries: 0,
  };
  readonly failures: FailureRow[] = [];
  /** The first error that stops the run (an unreachable engine or registry, a denied push). */
  fatal: unknown;
  private enginePromise: Promise<ImageEngine> | undefined;
  private readonly clock: () => Date;
  private readonly policy: RegistryRetryPolicy;

  constructor(
    private readonly input: PublishInput,
    private readonly deps: PublishDeps,
  ) {
    this.clock = deps.clock ?? (() => new Date());
    this.policy = deps.policy ?? DEFAULT_REGISTRY_RETRY_POLICY;
  }

  private engine(): Promise<ImageEngine> {
    this.enginePromise ??= Promise.resolve(this.deps.engine());
    return this.enginePromise;
  }

  /** The row of one task: dropped upstream, missing from the engine, local only, skipped or pushed. */
  async publishOne(task: PublishTask): Promise<ImageRow> {
    if (!task.ok) {
      this.stats.dropped++;
      return { ...baseRow(task), kept: false, drop_reason: task.drop_reason, publish_explanation: task.explanation };
    }
    if (this.fatal) throw this.fatal;
    const docker = await this.engine();
    const image =
      (task.image_id ? await docker.inspect(task.image_id) : null) ??
      (task.image_id ? null : await docker.inspect(task.local_ref));
    if (!image) return this.imageMissing(task);
    const target = this.input.target;
    if (!target) {
      this.stats.local++;
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
    return this.publishToRegistry(task, image, target);
  }

  private imageMissing(task: PublishTask): ImageRow {
    const message = task.image_id
      ? `validated image ${task.image_id} (${task.local_ref}) is not in the engine; re-run synthesize to rebuild it`
      : `image ${task.local_ref} is not in the engine; re-run synthesize to rebuild it`;
    this.stats.failed++;
    this.failures.push({ step: 'publish', item: task.container_name, code: 'image_missing', message });
    return { ...baseRow(task), kept: false, drop_reason: 'push_failed', publish_explanation: message };
  }

  /** Pushes the image under its planned reference, unless (--skip-existing) the registry already holds it. */
  private async publishToRegistry(task: PublishTask, image: LocalImage, target: PublishTarget): Promise<ImageRow> {
    const ref = planImageReference(task.container_name, {
      registry: target.registry,
      namespace: target.namespace,
      mode: target.mode,
      singleRepo: target.singleRepo,
    });
    const key = memoKey('publish', PUBLISH_CODE_VERSION, { image_id: image.id, ref: ref.name });
    const remembered = (await this.deps.memo?.get<PushMemo>('publish', key)) ?? undefined;
    const published: PublishedRow = (digest, pushedAt, explanation) => ({
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
    if (this.input.skipExisting) {
      const existing = await this.existingRow(image, ref, remembered, published);
      if (existing) return existing;
    }
    return await this.pushOne(task, image.id, ref, remembered, key, published);
  }

  /** The row of an image the registry already holds under its tag, or null when it holds none or another one. */
  private async existingRow(
    image: LocalImage,
    ref: ImageReference,
    remembered: PushMemo | undefined,
    published: PublishedRow,
  ): Promise<ImageRow | null> {
    const remote = await (this.deps.distribution as DistributionClient).manifestDigest(ref.path, ref.tag);
    if (!remote) return null;
    const ours = image.repoDigests.includes(`${ref.repository}@${remote}`) || remembered?.digest === remote;
    if (!ours) {
      this.deps.log.warn(`publish: ${ref.name} holds another image (${remote}); pushing ${image.id} over it`);
      return null;
    }
    this.stats.skipped++;
    // Same row as the push that put it there (tables stay byte-identical across re-runs).
    return remembered?.digest === remote
      ? published(remote, remembered.pushed_at, PUSHED)
      : published(remote, null, 'already in the registry, pushed from elsewhere (--skip-existing)');
  }

  /** Tags and pushes the image with retries; remembers when a digest was first pushed. */
  private async pushOne(
    task: PublishTask,
    imageId: string,
    ref: ImageReference,
    remembered: PushMemo | undefined,
    key: string,
    published: PublishedRow,
  ): Promise<ImageRow> {
    const { deps, stats } = this;
    const docker = await this.engine();
    const targetAuth = (this.input.target as PublishTarget).auth;
    await docker.tag(imageId, ref.repository, ref.tag);
    try {
      const result = await pushWithRetry(docker, {
        repository: ref.repository,
        tag: ref.tag,
        auth: targetAuth,
        policy: this.policy,
        sleep: deps.sleep,
        onRetry: ({ attempt, waitMs, kind, error }) => {
          stats.retries++;
          deps.log.warn(`publish: ${ref.name}: ${kind} (${error}); retry ${attempt} in ${Math.round(waitMs)} ms`);
        },
      });
      stats.pushed++;
      stats.layersPushed += result.layersPushed;
      const pushedAt = remembered?.digest === result.digest ? remembered.pushed_at : isoSeconds(this.clock());
      await deps.memo?.put('publish', key, PUBLISH_CODE_VERSION, {
        digest: result.digest,
        pushed_at: pushedAt,
      } satisfies PushMemo);
      if (result.attempts > 1) deps.log.info(`publish: ${ref.name} pushed after ${result.attempts} attempts`);
      return published(result.digest, pushedAt, PUSHED);
    } catch (error) {
      return this.pushFailed(task, imageId, ref, error);
    }
  }

  /**
   * A failed push: a `push_failed` row and a failure record, or, when the registry denied the
   * credentials or cannot be reached, one RemoteError that stops the run.
   */
  private pushFailed(task: PublishTask, imageId: string, ref: ImageReference, error: unknown): ImageRow {
    if (error instanceof PushFailedError && error.kind !== 'auth' && error.kind !== 'unreachable') {
      this.stats.failed++;
      this.failures.push({
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
        { status: error.kind === 'auth' ? 401 : 0, url: this.input.target?.registry.apiBase },
      );
    }
    throw error;
  }
}

/**
 * Step 5: tags and pushes each validated image (or records its local id when no registry is
 * configured). Per-image failures become `push_failed` rows plus failure records; an authentication
 * denial or an unreachable registry stops the run with one clear error, so nothing is recorded as
 * published that was not.
 */
export async function publish(input: PublishInput, deps: PublishDeps): Promise<PublishResult> {
  const run = new PublishRun(input, deps);
  const publishable = input.tasks.filter((t) => t.ok);
  const target = input.target;
  if (target && !deps.distribution) throw new RemoteError('publish: a registry target needs a Distribution client');

  // Fail fast, before anything is tagged or pushed: the registry answers and takes the credentials.
  if (target && publishable.length > 0) await deps.distribution?.ping();

  const limit = pLimit(Math.max(1, deps.concurrency ?? 4));
  const settled = await Promise.allSettled(
    input.tasks.map((task) =>
      limit(async () => {
        try {
          return await run.publishOne(task);
        } catch (error) {
          run.fatal ??= error;
          throw error;
        }
      }),
    ),
  );
  const { fatal } = run;
  if (fatal) {
    if (isDatasmithError(fatal)) throw fatal;
    throw new DockerError(`publish failed: ${(fatal as Error).message?.split('\n')[0]}`, { cause: fatal });
  }
  const rows = settled.map((s) => (s as PromiseFulfilledResult<ImageRow>).value);
  return { rows, failures: run.failures, stats: run.stats };
}
