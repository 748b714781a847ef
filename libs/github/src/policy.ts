/**
 * How the client waits and retries, as data (style rule 9): every wait is a number of `unitMs`, so
 * tests shrink time instead of sleeping. Octokit's retry plugin retries `retryStatuses` (and network
 * errors, which Octokit reports as 500); its throttling plugin retries primary and secondary rate
 * limits after the server's `Retry-After` or `x-ratelimit-reset`.
 */
export interface GitHubPolicy {
  /** The base time unit in milliseconds that scales every wait below and every Retry-After. Default 1000 (seconds). */
  unitMs: number;
  /** Retries after the first attempt for a status in `retryStatuses` or a network error (retry plugin). Default 5. */
  retries: number;
  /**
   * Statuses retried with backoff: the retry plugin waits (n+1)² units; a `Retry-After` on the answer raises
   * that wait to at least its value. Default 408, 429, 500, 502, 503, 504.
   */
  retryStatuses: number[];
  /** Retries of one request after a primary or secondary rate limit (throttling plugin). Default 4. */
  rateLimitRetries: number;
  /** Units to wait after a secondary rate limit that came without Retry-After. Default 60, as GitHub advises. */
  fallbackSecondaryRetryAfter: number;
  /**
   * Longest rate-limit wait accepted, in units; a longer `Retry-After` or reset ends the request with a
   * RemoteError instead of wedging the run (the original once waited 20 minutes on a bogus reset). Default 3600.
   */
  maxRateLimitWait: number;
  /** Time limit of one attempt in milliseconds (real time: not scaled by `unitMs`). Default 30000. */
  timeoutMs: number;
  /** Minimum gap between two search requests, in units (code search allows 10 a minute). Default 6. */
  searchInterval: number;
  /** Requests in flight at once per client. Default 8 (GitHub's secondary limit allows 100). */
  maxConcurrent: number;
  /** Redirects followed per request (renamed and transferred repositories answer 301). Default 5. */
  maxRedirects: number;
}

/** The defaults of {@link GitHubPolicy}. */
export const GITHUB_POLICY_DEFAULTS: Readonly<GitHubPolicy> = Object.freeze({
  unitMs: 1000,
  retries: 5,
  retryStatuses: [408, 429, 500, 502, 503, 504],
  rateLimitRetries: 4,
  fallbackSecondaryRetryAfter: 60,
  maxRateLimitWait: 3600,
  timeoutMs: 30_000,
  searchInterval: 6,
  maxConcurrent: 8,
  maxRedirects: 5,
});

/** Fills a partial policy with the defaults and checks it. */
export function normalizePolicy(policy: Partial<GitHubPolicy> = {}): GitHubPolicy {
  const out: GitHubPolicy = { ...GITHUB_POLICY_DEFAULTS, ...policy };
  for (const key of [
    'unitMs',
    'retries',
    'rateLimitRetries',
    'fallbackSecondaryRetryAfter',
    'maxRateLimitWait',
    'timeoutMs',
    'searchInterval',
    'maxConcurrent',
    'maxRedirects',
  ] as const) {
    if (!Number.isFinite(out[key]) || out[key] < 0) throw new TypeError(`GitHub policy: ${key} must be ≥ 0`);
  }
  if (out.maxConcurrent < 1) throw new TypeError('GitHub policy: maxConcurrent must be ≥ 1');
  return out;
}

/**
 * The `doNotRetry` list of Octokit's retry plugin for a policy: every 4xx/5xx status that is not
 * retryable. 403 stays out of the retry plugin's hands in any case, because the throttling plugin
 * owns rate limits.
 */
export function doNotRetryStatuses(policy: GitHubPolicy): number[] {
  const retryable = new Set(policy.retryStatuses.filter((s) => s !== 403));
  const out: number[] = [];
  for (let status = 400; status < 600; status++) if (!retryable.has(status)) out.push(status);
  return out;
}
