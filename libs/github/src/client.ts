import { RemoteError, isDatasmithError, redactSecrets, redactUrl } from '@datasmith/errors';
import type { MemoStore } from '@datasmith/memo';
import { type Logger, silentLogger } from '@datasmith/progress';
import type { Octokit as CoreOctokit, OctokitOptions } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { type GitHubPolicy, doNotRetryStatuses, normalizePolicy } from './policy';
import {
  HTTP_CACHE_NAMESPACE,
  HTTP_CACHE_VERSION,
  createRequestHook,
  isHttpError,
  isSecondaryLimit,
} from './request-hook';
import { NO_TOKEN_WARNING, TokenPool } from './token-pool';
import { type FollowedRedirect, createTransport } from './transport';

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

export { HTTP_CACHE_NAMESPACE, HTTP_CACHE_VERSION };

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

/** The throttling plugin's callback for one kind of rate limit: wait (true) within the policy, else give up. */
function rateLimitCallback(
  kind: 'primary' | 'secondary',
  state: { policy: GitHubPolicy; pool: TokenPool; stats: GitHubClientStats; log: Logger },
) {
  const { policy, pool, stats, log } = state;
  return (retryAfter: number, opts: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
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
}

/** The throttling plugin's options: our rate-limit callbacks, time unit and limiter groups. */
function throttleOptions(state: { policy: GitHubPolicy; pool: TokenPool; stats: GitHubClientStats; log: Logger }) {
  const { policy } = state;
  const group = (minTime: number) =>
    new Bottleneck.Group({ maxConcurrent: 1, minTime: Math.round(minTime * policy.unitMs) });
  return {
    onRateLimit: rateLimitCallback('primary', state),
    onSecondaryRateLimit: rateLimitCallback('secondary', state),
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
  };
}

/** Octokit's log, redacted, at our levels. */
function octokitLog(log: Logger, redact: (text: string) => string) {
  return {
    debug: (m: string) => log.debug(`github: ${redact(m)}`),
    info: (m: string) => log.debug(`github: ${redact(m)}`),
    warn: (m: string) => log.warn(`github: ${redact(m)}`),
    // Octokit's request log reports every failed attempt here, retries included; the outcome
    // reaches the user once, as a RemoteError or a rate-limit warning.
    error: (m: string) => log.debug(`github: ${redact(m)}`),
  };
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
  const OctokitClass = composeOctokit(createRequestHook({ policy, pool, log, memo, stats }));
  const octokit = new OctokitClass({
    baseUrl,
    userAgent: options.userAgent ?? GITHUB_CLIENT_DEFAULTS.userAgent,
    request: { fetch: transport },
    log: octokitLog(log, redact),
    throttle: throttleOptions({ policy, pool, stats, log }),
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
