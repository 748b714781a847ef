import pRetry from 'p-retry';

/**
 * When and how long to retry a registry operation. Policy is data (style guide §9): tests shrink
 * `unitMs` instead of sleeping. Defaults follow the original publisher (reference §8): 3 tries,
 * `0.7·2^n` s after a server or network error, `60·2^n` s (at most 3600) after a rate limit.
 */
export interface RegistryRetryPolicy {
  /** Retries after the first attempt. Default 2. */
  retries: number;
  /** Milliseconds in one time unit; every wait is in units. Default 1000 (seconds). */
  unitMs: number;
  /** First wait after a 5xx or network error, doubled per retry. Default 0.7. */
  baseWait: number;
  /** First wait after a 429 / rate-limit answer (`DOCKERHUB_RATE_LIMIT_WAIT`), doubled per retry. Default 60. */
  rateLimitWait: number;
  /** Longest single wait, also the cap on a Retry-After. Default 3600. */
  maxWait: number;
  /** HTTP statuses of the Distribution API that are retried (any 5xx is retried too). */
  retryStatuses: readonly number[];
  /** Per-request timeout of Distribution API calls, milliseconds (not scaled). Default 30000. */
  timeoutMs: number;
}

/** The defaults described on {@link RegistryRetryPolicy}. */
export const DEFAULT_REGISTRY_RETRY_POLICY: RegistryRetryPolicy = {
  retries: 2,
  unitMs: 1000,
  baseWait: 0.7,
  rateLimitWait: 60,
  maxWait: 3600,
  retryStatuses: [408, 429, 500, 502, 503, 504],
  timeoutMs: 30_000,
};

/** Merges options over the defaults; `DOCKERHUB_RATE_LIMIT_WAIT` (seconds) sets the rate-limit wait. */
export function normalizeRegistryRetryPolicy(
  options: Partial<RegistryRetryPolicy> = {},
  env: NodeJS.ProcessEnv = {},
): RegistryRetryPolicy {
  const fromEnv = Number(env.DOCKERHUB_RATE_LIMIT_WAIT);
  const rateLimitWait =
    env.DOCKERHUB_RATE_LIMIT_WAIT !== undefined && Number.isFinite(fromEnv) && fromEnv >= 0
      ? fromEnv
      : DEFAULT_REGISTRY_RETRY_POLICY.rateLimitWait;
  return { ...DEFAULT_REGISTRY_RETRY_POLICY, rateLimitWait, ...options };
}

/** What kind of failure an error is, which decides whether and how long to retry. */
export type FailureKind = 'auth' | 'rate_limit' | 'server' | 'unreachable' | 'not_found' | 'other';

/** Milliseconds before retry number `attempt` (0-based) of a failure of `kind`; null = do not retry. */
export function registryRetryDelayMs(
  policy: RegistryRetryPolicy,
  kind: FailureKind,
  attempt: number,
  retryAfterSeconds?: number,
): number | null {
  if (attempt >= policy.retries) return null;
  if (kind === 'rate_limit') {
    const units = retryAfterSeconds ?? policy.rateLimitWait * 2 ** attempt;
    return Math.min(units, policy.maxWait) * policy.unitMs;
  }
  if (kind === 'server' || kind === 'unreachable') {
    return Math.min(policy.baseWait * 2 ** attempt, policy.maxWait) * policy.unitMs;
  }
  return null;
}

/** The failure kind of an HTTP status. */
export function kindOfStatus(policy: RegistryRetryPolicy, status: number): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limit';
  if (status === 404) return 'not_found';
  if (status >= 500 || policy.retryStatuses.includes(status)) return 'server';
  return 'other';
}

/**
 * The failure kind of a push error message (the engine reports registry failures as text in the
 * progress stream, e.g. `unauthorized: authentication required`, `toomanyrequests: …`,
 * `received unexpected HTTP status: 503 Service Unavailable`, `dial tcp …: connection refused`).
 */
export function kindOfPushMessage(message: string): FailureKind {
  const m = message.toLowerCase();
  if (/toomanyrequests|too many requests|rate limit|\b429\b/.test(m)) return 'rate_limit';
  if (
    /unauthorized|authentication required|denied|forbidden|no basic auth credentials|incorrect username or password|\b401\b|\b403\b/.test(
      m,
    )
  )
    return 'auth';
  if (/does not exist locally|no such image|an image does not exist/.test(m)) return 'not_found';
  if (/connection refused|no such host|i\/o timeout|dial tcp|connection reset|eof$|network is unreachable/.test(m))
    return 'unreachable';
  if (
    /\b5\d\d\b|internal server error|bad gateway|service unavailable|gateway time-?out|unexpected http status: 5/.test(
      m,
    )
  )
    return 'server';
  return 'other';
}

/** How one failed attempt is retried: its kind and the registry's Retry-After, if it sent one. */
export interface RetryableAttemptFailure {
  kind: FailureKind;
  retryAfterSeconds?: number;
}

export interface RetryByPolicyOptions {
  policy: RegistryRetryPolicy;
  /** The kind of a thrown error; null = not a registry failure, rethrown at once. */
  failureOf: (error: unknown) => RetryableAttemptFailure | null;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each wait: the retry's number (1-based), the wait, the failure. */
  onRetry?: (info: { attempt: number; waitMs: number; kind: FailureKind; error: unknown }) => void;
}

/** The last error of an operation that {@link retryByPolicy} gave up on, with the attempts made. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly lastError: unknown,
    readonly attempts: number,
  ) {
    super(lastError instanceof Error ? lastError.message : String(lastError));
  }
}

/**
 * Runs `operation` with p-retry, waiting between attempts as the policy says for the failure's kind
 * (a rate limit's Retry-After, else its own doubling schedule; a server or network error's backoff;
 * authentication and other failures are not retried). p-retry's own backoff is off (`minTimeout: 0`):
 * the wait is the policy's, taken in `onFailedAttempt`, so tests shrink `unitMs` or replace `sleep`.
 * Throws {@link RetriesExhaustedError} wrapping the last error of a registry failure; any other error
 * propagates as it is.
 */
export async function retryByPolicy<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryByPolicyOptions,
): Promise<T> {
  const sleep = options.sleep ?? sleepMs;
  let attempts = 0;
  const waits = new Map<number, number | null>();
  try {
    return await pRetry(
      (attempt) => {
        attempts = attempt;
        return operation(attempt - 1);
      },
      {
        retries: options.policy.retries,
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          const failure = options.failureOf(error);
          const waitMs =
            failure && registryRetryDelayMs(options.policy, failure.kind, attemptNumber - 1, failure.retryAfterSeconds);
          waits.set(attemptNumber, waitMs ?? null);
          if (failure === null || waitMs === null || waitMs === undefined) return;
          options.onRetry?.({ attempt: attemptNumber, waitMs, kind: failure.kind, error });
          await sleep(waitMs);
        },
        shouldRetry: ({ attemptNumber }) => (waits.get(attemptNumber) ?? null) !== null,
      },
    );
  } catch (error) {
    if (options.failureOf(error) === null) throw error;
    throw new RetriesExhaustedError(error, attempts);
  }
}

/** Waits `ms` milliseconds. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
