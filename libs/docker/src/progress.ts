import { DockerError } from '@datasmith/errors';
import type Docker from 'dockerode';

/** One progress event of a build, import, pull or push stream. */
export interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string };
}

/** An error event turned into a DockerError, with the events seen so far. */
export class ProgressError extends DockerError {
  readonly events: ProgressEvent[];
  constructor(message: string, events: ProgressEvent[]) {
    super(message);
    this.events = events;
  }
}

/**
 * Follows a progress stream to its end and inspects every event: an `error` or `errorDetail`
 * event rejects with a DockerError (dockerode's followProgress resolves on those; stack-notes §4).
 */
export function followProgressStrict(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (event: ProgressEvent) => void = () => {},
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    const seen: ProgressEvent[] = [];
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        if (error) reject(new DockerError(`Docker stream failed: ${error.message}`, { cause: error }));
        else if (failure !== undefined) reject(new ProgressError(failure, seen));
        else resolve(seen);
      },
      (event: ProgressEvent) => {
        seen.push(event);
        if (seen.length > 500) seen.shift();
        if (failure === undefined && (event.error || event.errorDetail)) {
          failure = (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
        }
        onEvent(event);
      },
    );
  });
}
