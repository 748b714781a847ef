import { DatasmithError, DockerError, redactSecrets } from '@datasmith/errors';
import { isEngineUnreachableError } from '@datasmith/docker';
import type Docker from 'dockerode';
import type { DockerAuthConfig } from './credentials';
import {
  DEFAULT_REGISTRY_RETRY_POLICY,
  type FailureKind,
  type RegistryRetryPolicy,
  RetriesExhaustedError,
  kindOfPushMessage,
  retryByPolicy,
} from './retry';

/** One event of the engine's push progress stream. */
export interface PushEvent {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: unknown;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** What a push stream says: the digest, or the error and its kind; layer counters. */
export interface PushOutcome {
  digest: string | null;
  error: string | null;
  kind: FailureKind | null;
  /** Layers uploaded (`Pushed`). */
  layersPushed: number;
  /** Layers the registry already had (`Layer already exists`). */
  layersExisting: number;
}

const DIGEST_LINE = /digest:\s*(sha256:[0-9a-f]{64})/;

/**
 * Reads a push stream. Errors arrive as `error`/`errorDetail` events, never as exceptions (stack
 * notes §4), so every event is checked; success needs a digest (`aux.Digest`, else the
 * `<tag>: digest: sha256:… size: N` status line).
 */
export function readPushEvents(events: readonly PushEvent[]): PushOutcome {
  let digest: string | null = null;
  let error: string | null = null;
  let layersPushed = 0;
  let layersExisting = 0;
  for (const event of events) {
    const message = event.errorDetail?.message ?? event.error;
    if (message && error === null) error = message;
    if (event.aux?.Digest) digest = event.aux.Digest;
    const status = event.status ?? '';
    if (!digest) {
      const m = DIGEST_LINE.exec(status);
      if (m?.[1]) digest = m[1];
    }
    if (status === 'Pushed') layersPushed++;
    if (status === 'Layer already exists') layersExisting++;
  }
  if (error !== null) return { digest: null, error, kind: kindOfPushMessage(error), layersPushed, layersExisting };
  if (!digest) {
    return {
      digest: null,
      error: 'the push stream ended without a manifest digest',
      kind: 'other',
      layersPushed,
      layersExisting,
    };
  }
  return { digest, error: null, kind: null, layersPushed, layersExisting };
}

/** A local image as the engine reports it. */
export interface LocalImage {
  id: string;
  repoTags: string[];
  /** `repository@sha256:…` for every push or pull the engine remembers. */
  repoDigests: string[];
}

/** The engine operations publish needs; dockerode behind it in production, fakes in unit tests. */
export interface ImageEngine {
  /** The image named `ref` (a name or an id), or null when the engine does not have it. */
  inspect(ref: string): Promise<LocalImage | null>;
  /** Tags image `source` as `repository:tag`. */
  tag(source: string, repository: string, tag: string): Promise<void>;
  /** Pushes `repository:tag` and returns every progress event. */
  push(repository: string, tag: string, auth: DockerAuthConfig): Promise<PushEvent[]>;
}

function engineError(error: unknown, what: string): DockerError {
  const message = (error as Error)?.message?.split('\n')[0] ?? String(error);
  return new DockerError(
    isEngineUnreachableError(error)
      ? `Docker engine unreachable (${what}): ${message}; start it (tools/scripts/ensure-docker) or set DOCKER_HOST`
      : `Docker engine error (${what}): ${message}`,
    { cause: error },
  );
}

/** The {@link ImageEngine} of a dockerode client. */
export function dockerImageEngine(docker: Docker): ImageEngine {
  return {
    async inspect(ref) {
      try {
        const info = await docker.getImage(ref).inspect();
        return { id: info.Id, repoTags: info.RepoTags ?? [], repoDigests: info.RepoDigests ?? [] };
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return null;
        throw engineError(error, `inspect ${ref}`);
      }
    },
    async tag(source, repository, tag) {
      try {
        await docker.getImage(source).tag({ repo: repository, tag });
      } catch (error) {
        throw engineError(error, `tag ${source} as ${repository}:${tag}`);
      }
    },
    async push(repository, tag, auth) {
      let stream: NodeJS.ReadableStream;
      try {
        stream = (await docker.getImage(repository).push({ tag, authconfig: auth })) as NodeJS.ReadableStream;
      } catch (error) {
        if (isEngineUnreachableError(error)) throw engineError(error, `push ${repository}:${tag}`);
        const json = (error as { json?: { message?: string } }).json;
        return [{ error: json?.message ?? (error as Error).message }];
      }
      const events: PushEvent[] = [];
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(engineError(err, `push ${repository}:${tag}`)) : resolve()),
          (event: PushEvent) => events.push(event),
        );
      });
      return events;
    },
  };
}

/** A push that failed after its retries. */
export class PushFailedError extends DatasmithError {
  readonly kind: FailureKind;
  readonly attempts: number;
  constructor(message: string, kind: FailureKind, attempts: number) {
    super('E_REMOTE', message);
    this.kind = kind;
    this.attempts = attempts;
  }
}

export interface PushOptions {
  repository: string;
  tag: string;
  auth: DockerAuthConfig;
  policy?: RegistryRetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry with the wait and the reason. */
  onRetry?: (info: { attempt: number; waitMs: number; kind: FailureKind; error: string }) => void;
}

/** A successful push. */
export interface PushResult {
  digest: string;
  attempts: number;
  layersPushed: number;
  layersExisting: number;
}

/**
 * Pushes `repository:tag`, reading the stream for errors and the digest, retrying 429 (rate-limit
 * wait) and 5xx / network failures (backoff) by policy. Throws {@link PushFailedError} with the
 * last error (secrets redacted); an authentication error is never retried.
 */
export async function pushWithRetry(engine: ImageEngine, options: PushOptions): Promise<PushResult> {
  const secrets = options.auth.password ? [options.auth.password] : [];
  try {
    return await retryByPolicy(
      async (attempt) => {
        const outcome = readPushEvents(await engine.push(options.repository, options.tag, options.auth));
        if (!outcome.digest) {
          throw new PushAttemptFailure(outcome.kind ?? 'other', redactSecrets(outcome.error ?? 'push failed', secrets));
        }
        return {
          digest: outcome.digest,
          attempts: attempt + 1,
          layersPushed: outcome.layersPushed,
          layersExisting: outcome.layersExisting,
        };
      },
      {
        policy: options.policy ?? DEFAULT_REGISTRY_RETRY_POLICY,
        sleep: options.sleep,
        failureOf: (error) => (error instanceof PushAttemptFailure ? error : null),
        onRetry: ({ attempt, waitMs, kind, error }) =>
          options.onRetry?.({ attempt, waitMs, kind, error: (error as Error).message }),
      },
    );
  } catch (error) {
    if (!(error instanceof RetriesExhaustedError)) throw error;
    const last = error.lastError as PushAttemptFailure;
    throw new PushFailedError(
      `push of ${options.repository}:${options.tag} failed${error.attempts > 1 ? ` after ${error.attempts} attempts` : ''}: ${last.message}`,
      last.kind,
      error.attempts,
    );
  }
}

/** One push that reported an error instead of a digest. */
class PushAttemptFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}
