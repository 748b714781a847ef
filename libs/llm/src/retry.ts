/**
 * When and how long to retry a failed LLM request. Policy is data: tests shrink `unitMs` instead of
 * sleeping, and callers can widen or narrow the retryable statuses.
 */
export interface RetryPolicy {
  /** Retries after the first attempt for 429 / 5xx / timeouts / connection errors. Default 5. */
  retries: number;
  /** Milliseconds in one time unit; every wait below is in units. Default 1000 (seconds). */
  unitMs: number;
  /** First backoff wait in units, doubled per retry. Default 1. */
  baseWait: number;
  /** Longest single wait in units, also the cap on a server's Retry-After. Default 60. */
  maxWait: number;
  /** HTTP statuses that are retried; any other error status fails at once. */
  retryStatuses: readonly number[];
  /** Per-request timeout in milliseconds (not scaled by unitMs). Default 120000. */
  timeoutMs: number;
  /** Extra attempts when the answer is not valid JSON for the schema. Default 2. */
  malformedRetries: number;
}

/** Defaults: 5 retries, 1 s doubling to 60 s, Retry-After honoured, 2 minutes per request. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 5,
  unitMs: 1000,
  baseWait: 1,
  maxWait: 60,
  retryStatuses: [408, 409, 425, 429, 500, 502, 503, 504],
  timeoutMs: 120_000,
  malformedRetries: 2,
};

/** Merges user options over the defaults. */
export function normalizeRetryPolicy(options: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...options };
}

/**
 * A server's requested wait in units: `retry-after-ms` (milliseconds), then `Retry-After` (seconds
 * or an HTTP date, measured against `nowMs`). Undefined when absent or unparsable.
 */
export function retryAfterUnits(headers: Headers | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - nowMs) / 1000);
}

/** Milliseconds to wait before retry number `attempt` (0-based), given the server's Retry-After. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter?: number): number {
  const units = retryAfter ?? policy.baseWait * 2 ** attempt;
  return Math.min(units, policy.maxWait) * policy.unitMs;
}

/** True for a status the policy retries (any 5xx counts as retryable too). */
export function isRetryableStatus(policy: RetryPolicy, status: number): boolean {
  return policy.retryStatuses.includes(status) || status >= 500;
}
