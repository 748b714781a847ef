import { RemoteError, isDatasmithError, redactSecrets, redactUrl } from '@datasmith/errors';
import { type MemoStore, memoKey } from '@datasmith/memo';
import { type Logger, silentLogger } from '@datasmith/progress';
import type { Octokit as CoreOctokit, OctokitOptions } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { type GitHubPolicy, doNotRetryStatuses, normalizePolicy } from './policy';
import { NO_TOKEN_WARNING, type PooledToken, TokenPool, resourceOfPath } from './token-pool';
import { type FollowedRedirect, createTransport } from './transport';

/** Bump when the shape of a memoised HTTP answer changes. */
export const HTTP_CACHE_VERSION = 'github-http-1';
/** The memo namespace of conditional-request entries. */
export const HTTP_CACHE_NAMESPACE = 'github-http';

export interface GitHubClientOptions {
  /** REST root. Default https://api.github.com; tests pass a loopback listener. */
  baseUrl?: string;
  /** Tokens to rotate (see githubTokens in @datasmith/config). None: anonymous, with a warning. */
  tokens?: readonly string[];
  /** Where the client logs (request lines at debug, waits at warn). Default silent. */
  log?: Logger;
  /**
   * Conditional requests: each GET answer with an ETag is kept here and revalidated with
   * If-None-Match; a 304 (free of quota) answers from the memo. Default none.
   */
  memo?: MemoStore | null;
  /** Retry and rate-limit policy; see GITHUB_POLICY_DEFAULTS. */
  policy?: Partial<GitHubPolicy>;
  /** The clock used for token resets. Default the wall clock. */
  clock?: () => Date;
  /** User-Agent. Default `datasmith`. */
  userAgent?: string;
  /** The fetch that reaches the network. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** Defaults of {@link GitHubClientOptions}. */
export const GITHUB_CLIENT_DEFAULTS = Object.freeze({
  baseUrl: 'https://api.github.com',
  userAgent: 'datasmith',
});

/** Counters of one client, for summaries and tests. */
export interface GitHubClientStats {
  /** Network attempts (redirect hops and retries included). */
  requests: number;
  /** Conditional requests answered 304 from the memo. */
  notModified: number;
  /** Requests that waited for a primary or secondary rate limit. */
  rateLimited: number;
  /** Switches to another token after a primary limit or a rejected token. */
  tokenSwitches: number;
}

/** The Octokit class with our plugins, as built for one client. */
function composeOctokit(datasmithPlugin: (octokit: CoreOctokit, options: OctokitOptions) => object) {
  // Order matters: the first plugin's hook is the innermost, so ours runs on every attempt the
  // throttling and retry plugins make (a fresh token, the ETag, the request line each time).
  return Octokit.plugin(datasmithPlugin, throttling, retry);
}
export type GitHubOctokit = InstanceType<ReturnType<typeof composeOctokit>>;

/** A GitHub REST client: Octokit with our policy, token pool, conditional requests and records. */
export interface GitHubClient {
  readonly octokit: GitHubOctokit;
  readonly baseUrl: string;
  readonly log: Logger;
  readonly clock: () => Date;
  readonly policy: GitHubPolicy;
  readonly pool: TokenPool;
  /** One line per network attempt (`GET /path?query -> 200 (3 ms, token 1/2)`); tokens never appear. */
  readonly requestLog: string[];
  /** Redirects followed, in order. */
  readonly redirects: FollowedRedirect[];
  /** Repository renames seen (old `owner/name` → new), filled by getRepository. */
  readonly renames: Map<string, string>;
  /** Repositories GitHub answered 404, 410 or 451 for, with that status. */
  readonly absences: Map<string, number>;
  readonly stats: GitHubClientStats;
  /** Every token value, for redacting text that might contain one. */
  secrets(): string[];
}

interface CachedAnswer {
  url: string;
  status: number;
  headers: Record<string, string>;
  data: unknown;
  etag: string | null;
  lastModified: string | null;
}

interface HttpError extends Error {
  status: number;
  response?: { headers: Record<string, string | undefined>; data?: unknown; url?: string };
  request?: { method?: string; url?: string };
}

function isHttpError(error: unknown): error is HttpError {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

function isSecondaryLimit(error: HttpError): boolean {
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

/**
 * Builds a GitHub client (style rule 9): Octokit + throttling + retry with our defaults, `baseUrl`
 * injectable, tokens rotated from a pool, conditional requests memoised, redirects followed and
 * recorded, and every message redacted. Logs the missing-token warning once when `tokens` is empty.
 */
export function createGitHubClient(options: GitHubClientOptions = {}): GitHubClient {
  const policy = normalizePolicy(options.policy);
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const baseUrl = (options.baseUrl ?? GITHUB_CLIENT_DEFAULTS.baseUrl).replace(/\/+$/, '');
  const pool = new TokenPool(options.tokens ?? [], {
    now: () => clock().getTime(),
    maxResetMs: policy.maxRateLimitWait * 1000,
  });
  const memo = options.memo ?? null;
  const requestLog: string[] = [];
  const redirects: FollowedRedirect[] = [];
  const stats: GitHubClientStats = { requests: 0, notModified: 0, rateLimited: 0, tokenSwitches: 0 };
  const secrets = () => pool.secrets();
  const redact = (text: string) => redactSecrets(text, secrets());
  if (pool.size === 0) log.warn(NO_TOKEN_WARNING);

  const transport = createTransport({ policy, pool, log, requestLog, redirects, stats, fetch: options.fetch });

  const datasmithPlugin = (octokit: CoreOctokit) => {
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
          if (!isHttpError(error)) throw error;
          const responseHeaders = error.response?.headers;
          pool.observe(token, responseHeaders as Record<string, string>);
          if (error.status === 304 && cached) {
            stats.notModified++;
            return { url: cached.url, status: cached.status, headers: cached.headers, data: cached.data } as Awaited<
              ReturnType<typeof request>
            >;
          }
          if (error.status === 401 && token && attempt < pool.size && pool.reject(token)) {
            stats.tokenSwitches++;
            log.warn(`GitHub rejected ${token.label} (401 Bad credentials); going on without it`);
            continue;
          }
          const primaryLimit =
            (error.status === 403 || error.status === 429) &&
            responseHeaders?.['x-ratelimit-remaining'] === '0' &&
            !isSecondaryLimit(error);
          if (primaryLimit && attempt < pool.size && pool.hasQuota(resource, token)) {
            stats.tokenSwitches++;
            log.debug(`github: ${token?.label ?? 'anonymous'} exhausted for ${resource}; switching token`);
            continue;
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
      }
    });
    return {};
  };

  const OctokitClass = composeOctokit(datasmithPlugin);
  const group = (minTime: number) =>
    new Bottleneck.Group({ maxConcurrent: 1, minTime: Math.round(minTime * policy.unitMs) });
  const onLimit =
    (kind: 'primary' | 'secondary') =>
    (retryAfter: number, opts: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
      const where = `${opts.method ?? 'GET'} ${redactUrl(String(opts.url ?? ''))}`;
      if (retryCount >= policy.rateLimitRetries) {
        log.warn(`GitHub ${kind} rate limit on ${where}: giving up after ${retryCount} retries`);
        return false;
      }
      if (retryAfter > policy.maxRateLimitWait) {
        log.warn(
          `GitHub ${kind} rate limit on ${where}: reset in ${retryAfter} units exceeds maxRateLimitWait ${policy.maxRateLimitWait}`,
        );
        return false;
      }
      stats.rateLimited++;
      const tokens = pool.size === 0 ? 'no token' : `${pool.size} token${pool.size > 1 ? 's' : ''}`;
      log.warn(
        `GitHub ${kind} rate limit on ${where} (${tokens}): waiting ${retryAfter} × ${policy.unitMs} ms, retry ${retryCount + 1} of ${policy.rateLimitRetries}`,
      );
      return true;
    };
  const octokit = new OctokitClass({
    baseUrl,
    userAgent: options.userAgent ?? GITHUB_CLIENT_DEFAULTS.userAgent,
    request: { fetch: transport },
    log: {
      debug: (m: string) => log.debug(`github: ${redact(m)}`),
      info: (m: string) => log.debug(`github: ${redact(m)}`),
      warn: (m: string) => log.warn(`github: ${redact(m)}`),
      // Octokit's request log reports every failed attempt here, retries included; the outcome
      // reaches the user once, as a RemoteError or a rate-limit warning.
      error: (m: string) => log.debug(`github: ${redact(m)}`),
    },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: policy.unitMs,
      fallbackSecondaryRateRetryAfter: policy.fallbackSecondaryRetryAfter,
      // Our own limiter groups: the plugin's defaults are shared by every client in the process and
      // space searches 2 s apart in real time, which tests could not shrink.
      search: group(policy.searchInterval),
      write: group(1),
      notifications: group(3),
      ...({
        global: new Bottleneck.Group({ maxConcurrent: policy.maxConcurrent }),
        auth: new Bottleneck.Group({ maxConcurrent: 1 }),
      } as object),
    },
    retry: {
      retries: policy.retries,
      retryAfterBaseValue: policy.unitMs,
      doNotRetry: doNotRetryStatuses(policy),
    },
  });

  return {
    octokit,
    baseUrl,
    log,
    clock,
    policy,
    pool,
    requestLog,
    redirects,
    renames: new Map(),
    absences: new Map(),
    stats,
    secrets,
  };
}

/**
 * Turns whatever a GitHub call threw into a RemoteError naming the call, the status and a fix,
 * with every token and credential redacted. DatasmithErrors pass through.
 */
export function toRemoteError(client: GitHubClient, error: unknown, what: string): Error {
  if (isDatasmithError(error)) return error;
  if (!isHttpError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new RemoteError(`GitHub ${what} failed: ${redactSecrets(message, client.secrets())}`, { cause: error });
  }
  const status = error.status;
  const url = error.response?.url ?? error.request?.url ?? '';
  const hint =
    status === 401
      ? '; check the tokens in GH_TOKENS/GH_TOKEN'
      : status === 403 || status === 429
        ? isSecondaryLimit(error)
          ? '; secondary rate limit persisted: lower --threads and re-run later'
          : error.response?.headers?.['x-ratelimit-remaining'] === '0'
            ? '; rate limit exhausted: add tokens (GH_TOKENS) or re-run after the reset'
            : ''
        : status >= 500 || status === 0
          ? ' after retries; GitHub or the network is failing, re-run later'
          : '';
  const message = redactSecrets(error.message.split('\n')[0] ?? '', client.secrets()).slice(0, 300);
  return new RemoteError(`GitHub ${what} failed with ${status}: ${message}${hint}`, {
    status,
    url: redactSecrets(url, client.secrets()),
  });
}
