import { redactSecrets, redactUrl } from '@datasmith/errors';
import type { Logger } from '@datasmith/progress';
import type { GitHubPolicy } from './policy';
import type { TokenPool } from './token-pool';

/** A redirect the transport followed (a renamed or transferred repository answers 301). */
export interface FollowedRedirect {
  status: number;
  from: string;
  to: string;
}

export interface TransportState {
  policy: GitHubPolicy;
  pool: TokenPool;
  log: Logger;
  /** One line per network attempt: method, path, status, time and token label. Never a token. */
  requestLog: string[];
  redirects: FollowedRedirect[];
  stats: { requests: number };
  /** The fetch that reaches the network. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function shortUrl(url: URL): string {
  return redactUrl(`${url.pathname}${url.search}`);
}

/**
 * The `fetch` Octokit calls: one attempt with a time limit, redirects followed by hand so each is
 * logged and recorded (the credential is dropped when a redirect leaves the origin), and one
 * request-log line per attempt. Lines carry the token's label, never its value.
 */
export function createTransport(state: TransportState): typeof fetch {
  const baseFetch = state.fetch ?? globalThis.fetch;
  return async (input, init) => {
    let url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    const label = state.pool.byAuthorization(headers.get('authorization'))?.label ?? 'anonymous';
    for (let hop = 0; ; hop++) {
      const started = performance.now();
      const timeout = AbortSignal.timeout(Math.max(1, state.policy.timeoutMs));
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      let response: Response;
      state.stats.requests++;
      try {
        response = await baseFetch(url, { ...init, method, headers, redirect: 'manual', signal });
      } catch (error) {
        const reason = timeout.aborted
          ? `timed out after ${state.policy.timeoutMs} ms`
          : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
        const line = `${method} ${shortUrl(url)} -> failed: ${redactSecrets(reason, state.pool.secrets())} (${label})`;
        state.requestLog.push(line);
        state.log.debug(`github: ${line}`);
        // Octokit turns a plain error into a RequestError with status 500, which the retry plugin retries.
        throw new Error(redactSecrets(reason, state.pool.secrets()));
      }
      const ms = Math.round(performance.now() - started);
      const line = `${method} ${shortUrl(url)} -> ${response.status} (${ms} ms, ${label})`;
      state.requestLog.push(line);
      state.log.debug(`github: ${line}`);
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location) return response;
      if (hop >= state.policy.maxRedirects) return response;
      const next = new URL(location, url);
      state.redirects.push({ status: response.status, from: redactUrl(url.href), to: redactUrl(next.href) });
      if (next.origin !== url.origin) headers.delete('authorization');
      await response.body?.cancel();
      url = next;
    }
  };
}
