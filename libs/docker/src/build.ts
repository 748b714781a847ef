import { DockerError } from '@datasmith/errors';
import type Docker from 'dockerode';
import { type ContextDirectory, type ContextFile, contextStream, packContext } from './context-tar';
import { type ProgressEvent, ProgressError, followProgressStrict } from './progress';
import { TailBuffer } from './tail';

/** What to build. */
export interface BuildImageOptions {
  /** Files of the context; must include `Dockerfile` unless `dockerfile` names another one. */
  files: Record<string, ContextFile>;
  /** Directories copied into the context (e.g. the repository under `repo`). */
  directories?: readonly ContextDirectory[];
  /** Image reference to tag, e.g. `owner-repo-sha:pkg`. */
  tag: string;
  dockerfile?: string;
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
  /** `bridge` (default), `host` or `none`. */
  networkmode?: string;
  /** Wall-clock limit in ms (default 40 min). A timeout aborts the build and throws BuildError with `timedOut`. */
  timeoutMs?: number;
  nocache?: boolean;
  /** Characters of build output kept (default 8000). */
  tailChars?: number;
  onLine?: (line: string) => void;
}

/** A finished build. */
export interface BuildImageResult {
  imageId: string;
  tag: string;
  durationMs: number;
  /** The last `tailChars` characters of the build output. */
  logTail: string;
  /** Ids of the images each step produced or reused (` ---> id` lines), in order. */
  stepImageIds: string[];
}

/** A failed build: the error event's message, the log tail, and whether the wall clock ran out. */
export class BuildError extends DockerError {
  readonly logTail: string;
  readonly timedOut: boolean;
  /** Step images made before the failure: untagged leftovers for the caller to remove. */
  readonly stepImageIds: string[];
  constructor(
    message: string,
    options: { logTail: string; timedOut?: boolean; cause?: unknown; stepImageIds?: string[] },
  ) {
    super(message, { cause: options.cause });
    this.logTail = options.logTail;
    this.timedOut = options.timedOut ?? false;
    this.stepImageIds = options.stepImageIds ?? [];
  }
}

/**
 * Builds an image from an in-memory context with the engine's builder (the legacy builder through
 * the API), inspecting every progress event: an `error`/`errorDetail` event becomes a BuildError.
 * Intermediate containers are always removed (`forcerm`).
 */
export async function buildImage(docker: Docker, options: BuildImageOptions): Promise<BuildImageResult> {
  const started = Date.now();
  const tail = new TailBuffer(options.tailChars ?? 8000);
  const tar = await packContext(options.files, options.directories ?? []);
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs ?? 40 * 60_000;
  let timedOut = false;
  const stepImageIds: string[] = [];
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const stream = await docker.buildImage(contextStream(tar), {
      t: options.tag,
      dockerfile: options.dockerfile ?? 'Dockerfile',
      buildargs: options.buildargs,
      labels: options.labels,
      networkmode: options.networkmode ?? 'bridge',
      nocache: options.nocache ?? false,
      rm: true,
      forcerm: true,
      pull: false,
      abortSignal: controller.signal,
    });
    await followProgressStrict(docker, stream, (event: ProgressEvent) => {
      const text = event.stream ?? (event.status ? `${event.status}${event.id ? ` ${event.id}` : ''}\n` : '');
      for (const m of (event.stream ?? '').matchAll(/^ ---> ([0-9a-f]{12,64})\s*$/gm))
        stepImageIds.push(m[1] as string);
      if (text) {
        tail.push(text);
        if (options.onLine) for (const line of text.split('\n')) if (line) options.onLine(line);
      }
    });
  } catch (error) {
    if (timedOut) {
      throw new BuildError(`Build of ${options.tag} timed out after ${Math.round(timeoutMs / 1000)} s`, {
        logTail: tail.toString(),
        timedOut: true,
        cause: error,
        stepImageIds,
      });
    }
    const message = error instanceof ProgressError ? error.message : (error as Error).message;
    throw new BuildError(`Build of ${options.tag} failed: ${message.split('\n')[0]}`, {
      logTail: tail.toString(),
      cause: error,
      stepImageIds,
    });
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) {
    throw new BuildError(`Build of ${options.tag} timed out after ${Math.round(timeoutMs / 1000)} s`, {
      logTail: tail.toString(),
      timedOut: true,
      stepImageIds,
    });
  }
  // The tag is the truth (the aux ID event is absent on old engines).
  const info = await docker.getImage(options.tag).inspect();
  return {
    imageId: info.Id,
    tag: options.tag,
    durationMs: Date.now() - started,
    logTail: tail.toString(),
    stepImageIds,
  };
}
