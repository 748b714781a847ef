/** The environment variables tokens come from (the original's names), for messages. */
export const TOKEN_ENV_NAMES = ['GH_TOKENS', 'GH_TOKENs', 'GH_TOKEN', 'GH_TOKEN2'] as const;

/** The warning printed when no token is set. */
export const NO_TOKEN_WARNING =
  'No GitHub token: set GH_TOKENS (comma-separated), GH_TOKENs, GH_TOKEN or GH_TOKEN2 in the environment or tokens.env; ' +
  'unauthenticated requests are limited to 60 an hour and code search is refused';

/** The rate-limit bucket a request counts against (GitHub's `x-ratelimit-resource`). */
export type RateResource = 'core' | 'search' | 'code_search' | 'graphql' | string;

/** The bucket a request path counts against, before the answer says so. */
export function resourceOfPath(pathname: string): RateResource {
  if (pathname.startsWith('/search/code')) return 'code_search';
  if (pathname.startsWith('/search/')) return 'search';
  if (pathname.startsWith('/graphql')) return 'graphql';
  return 'core';
}

interface Quota {
  remaining: number;
  /** Epoch milliseconds. */
  resetAt: number;
}

/** One token of the pool. `label` ("token 2/3") is what logs show; the value never leaves the pool but in a header. */
export interface PooledToken {
  readonly value: string;
  readonly label: string;
  uses: number;
  rejected: boolean;
  readonly quotas: Map<RateResource, Quota>;
}

/**
 * Several tokens used together (era C's TokenPool, improved): each request takes the usable token
 * with the most quota left for its bucket (unknown counts as full, ties go to the least used), so
 * the load spreads and an exhausted token is skipped until its reset. A token GitHub rejects (401)
 * is dropped for the rest of the run. Reset times are clamped to `maxResetMs` ahead, so a bogus
 * header cannot park a token for hours.
 */
export class TokenPool {
  readonly tokens: PooledToken[];
  private readonly now: () => number;
  private readonly maxResetMs: number;

  constructor(tokens: readonly string[], options: { now?: () => number; maxResetMs?: number } = {}) {
    const unique = [...new Set(tokens.map((t) => t.trim()).filter(Boolean))];
    this.tokens = unique.map((value, i) => ({
      value,
      label: `token ${i + 1}/${unique.length}`,
      uses: 0,
      rejected: false,
      quotas: new Map(),
    }));
    this.now = options.now ?? Date.now;
    this.maxResetMs = options.maxResetMs ?? 3600_000;
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Every token value, for redaction. */
  secrets(): string[] {
    return this.tokens.map((t) => t.value);
  }

  private left(token: PooledToken, resource: RateResource): number {
    const quota = token.quotas.get(resource);
    if (!quota) return Number.POSITIVE_INFINITY;
    if (quota.resetAt <= this.now()) return Number.POSITIVE_INFINITY;
    return quota.remaining;
  }

  /**
   * The token for the next request to `resource`, or null when the pool is empty (anonymous
   * requests). When every token is exhausted it returns the one that resets first; the request then
   * meets the rate limit and the throttling plugin waits for the reset.
   */
  pick(resource: RateResource): PooledToken | null {
    const usable = this.tokens.filter((t) => !t.rejected);
    if (usable.length === 0) return null;
    let best: PooledToken | null = null;
    let bestLeft = -1;
    for (const token of usable) {
      const left = this.left(token, resource);
      if (left > bestLeft || (left === bestLeft && best && token.uses < best.uses)) {
        best = token;
        bestLeft = left;
      }
    }
    if (best && bestLeft <= 0) {
      best = usable.reduce((a, b) =>
        (a.quotas.get(resource)?.resetAt ?? 0) <= (b.quotas.get(resource)?.resetAt ?? 0) ? a : b,
      );
    }
    if (best) best.uses++;
    return best;
  }

  /** True when some usable token other than `except` has quota left for `resource`. */
  hasQuota(resource: RateResource, except?: PooledToken | null): boolean {
    return this.tokens.some((t) => t !== except && !t.rejected && this.left(t, resource) > 0);
  }

  /** Records the rate-limit headers of an answer given to `token`. */
  observe(token: PooledToken | null, headers: Record<string, string | number | undefined> | undefined): void {
    if (!token || !headers) return;
    const remaining = Number(headers['x-ratelimit-remaining']);
    const reset = Number(headers['x-ratelimit-reset']);
    if (!Number.isFinite(remaining) || headers['x-ratelimit-remaining'] === undefined) return;
    const resource = String(headers['x-ratelimit-resource'] ?? 'core');
    const resetAt = Number.isFinite(reset) ? Math.min(reset * 1000, this.now() + this.maxResetMs) : this.now();
    token.quotas.set(resource, { remaining, resetAt });
  }

  /** Drops a token GitHub rejected; returns whether another usable token is left. */
  reject(token: PooledToken): boolean {
    token.rejected = true;
    return this.tokens.some((t) => !t.rejected);
  }

  /** The token whose value is `authorization`'s credential, for log labels. */
  byAuthorization(authorization: string | null | undefined): PooledToken | null {
    if (!authorization) return null;
    const value = authorization.replace(/^(token|bearer)\s+/i, '');
    return this.tokens.find((t) => t.value === value) ?? null;
  }
}
