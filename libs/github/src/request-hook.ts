import { type MemoStore, memoKey } from '@datasmith/memo';
import type { Logger } from '@datasmith/progress';
import type { Octokit as CoreOctokit } from '@octokit/core';
import type { GitHubPolicy } from './policy';
import { type PooledToken, type RateResource, type TokenPool, resourceOfPath } from './token-pool';

/** Bump when the shape of a memoised HTTP answer changes. */
export const HTTP_CACHE_VERSION = 'github-http-1';
/** The memo namespace of conditional-request entries. */
export const HTTP_CACHE_NAMESPACE = 'github-http';

interface CachedAnswer {
  url: string;
  status: number;
  headers: Record<string, string>;
  data: unknown;
  etag: string | null;
  lastModified: string | null;
}

/** An error Octokit throws for an HTTP answer. */
export interface HttpError extends Error {
  status: number;
  response?: { headers: Record<string, string | undefined>; data?: unknown; url?: string };
  request?: { method?: string; url?: string };
}

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

export function isSecondaryLimit(error: HttpError): boolean {
  return /\bsecondary rate\b/i.test(error.message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the headers Octokit's paginator and our callers read from a memoised answer. */
function keptHeaders(headers: Record<string, string | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || key === 'set-cookie' || key.startsWith('x-ratelimit')) continue;
    out[key] = String(value);
  }
  return out;
}

/** What the request hook shares with its client. */
export interface RequestHookState {
  policy: GitHubPolicy;
  pool: TokenPool;
  log: Logger;
  memo: MemoStore | null;
  stats: { notModified: number; tokenSwitches: number };
}

/** What the hook does after a failed attempt: try again with another token, or answer from the memo. */
type AfterFailure = { retry: true } | { answer: CachedAnswer };

/**
 * Decides what a failed attempt leads to: a 304 answers from the memo; a rejected token (401) or a
 * token out of quota is swapped for another; otherwise the error is thrown, after waiting for a
 * Retry-After the retry plugin would not honour.
 */
async function afterFailure(
  state: RequestHookState,
  error: unknown,
  attempt: number,
  token: PooledToken | null,
  resource: RateResource,
  cached: CachedAnswer | undefined,
): Promise<AfterFailure> {
  const { pool, stats, log, policy } = state;
  if (!isHttpError(error)) throw error;
  const responseHeaders = error.response?.headers;
  pool.observe(token, responseHeaders as Record<string, string>);
  if (error.status === 304 && cached) {
    stats.notModified++;
    return { answer: cached };
  }
  if (error.status === 401 && token && attempt < pool.size && pool.reject(token)) {
    stats.tokenSwitches++;
    log.warn(`GitHub rejected ${token.label} (401 Bad credentials); going on without it`);
    return { retry: true };
  }
  const primaryLimit =
    (error.status === 403 || error.status === 429) &&
    responseHeaders?.['x-ratelimit-remaining'] === '0' &&
    !isSecondaryLimit(error);
  if (primaryLimit && attempt < pool.size && pool.hasQuota(resource, token)) {
    stats.tokenSwitches++;
    log.debug(`github: ${token?.label ?? 'anonymous'} exhausted for ${resource}; switching token`);
    return { retry: true };
  }
  const retryAfter = Number(responseHeaders?.['retry-after']);
  if (
    policy.retryStatuses.includes(error.status) &&
    error.status !== 403 &&
    !primaryLimit &&
    Number.isFinite(retryAfter) &&
    retryAfter > 0 &&
    !isSecondaryLimit(error)
  ) {
    // The retry plugin backs off (n+1)² units whatever the server said; Retry-After sets the floor.
    await sleep(Math.min(retryAfter, policy.maxRateLimitWait) * policy.unitMs);
  }
  throw error;
}

/**
 * The Octokit plugin that wraps every request attempt: a token from the pool (switched on a 401 or
 * an exhausted quota), and for a GET with a memo a conditional request whose 304 answers from the
 * memo and whose fresh answer with an ETag or Last-Modified is kept.
 */
export function createRequestHook(state: RequestHookState): (octokit: CoreOctokit) => object {
  const { memo, pool } = state;
  return (octokit: CoreOctokit) => {
    octokit.hook.wrap('request', async (request, requestOptions) => {
      const parsed = octokit.request.endpoint.parse(requestOptions);
      const pathname = new URL(parsed.url).pathname;
      const resource = resourceOfPath(pathname);
      const cacheKey =
        memo && parsed.method === 'GET'
          ? memoKey(HTTP_CACHE_NAMESPACE, HTTP_CACHE_VERSION, {
              url: parsed.url,
              accept: parsed.headers.accept ?? '',
            })
          : null;
      const cached = cacheKey && memo ? await memo.get<CachedAnswer>(HTTP_CACHE_NAMESPACE, cacheKey) : undefined;
      const headers = { ...(requestOptions.headers as Record<string, string | undefined>) };
      if (cached?.etag) headers['if-none-match'] = cached.etag;
      else if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
      for (let attempt = 0; ; attempt++) {
        const token: PooledToken | null = pool.pick(resource);
        if (token) headers.authorization = `token ${token.value}`;
        else delete headers.authorization;
        requestOptions.headers = headers as typeof requestOptions.headers;
        try {
          const response = await request(requestOptions);
          pool.observe(token, response.headers as Record<string, string>);
          if (cacheKey && memo && (response.headers.etag || response.headers['last-modified'])) {
            await memo.put<CachedAnswer>(HTTP_CACHE_NAMESPACE, cacheKey, HTTP_CACHE_VERSION, {
              url: response.url,
              status: response.status,
              headers: keptHeaders(response.headers as Record<string, string>),
              data: response.data,
              etag: response.headers.etag ?? null,
              lastModified: response.headers['last-modified'] ?? null,
            });
          }
          return response;
        } catch (error) {
          const next = await afterFailure(state, error, attempt, token, resource, cached);
          if ('retry' in next) continue;
          const { url, status, headers: cachedHeaders, data } = next.answer;
          return { url, status, headers: cachedHeaders, data } as Awaited<ReturnType<typeof request>>;
        }
      }
    });
    return {};
  };
}
