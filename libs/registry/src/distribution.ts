import { createHash } from 'node:crypto';
import { RemoteError, redactUrl } from '@datasmith/errors';
import type { RegistryCredentials } from './credentials';
import type { RegistryEndpoint } from './reference';
import {
  DEFAULT_REGISTRY_RETRY_POLICY,
  type FailureKind,
  type RegistryRetryPolicy,
  RetriesExhaustedError,
  kindOfStatus,
  retryByPolicy,
  sleepMs,
} from './retry';

/** Manifest media types a HEAD or GET asks for, so the registry answers with the pushed manifest's digest. */
export const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export interface DistributionClientOptions {
  registry: RegistryEndpoint;
  credentials?: RegistryCredentials | null;
  policy?: RegistryRetryPolicy;
  /** Replaces the transport (tests, proxies). Default global fetch. */
  fetch?: typeof fetch;
  /** Replaces waiting between retries (tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** One HTTP exchange with the registry, for request logs and counters. */
export interface DistributionRequest {
  method: string;
  url: string;
  status: number;
}

interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string | null): Challenge | null {
  if (!header) return null;
  const match = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!match) return null;
  const scheme = (match[1] ?? '').toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return null;
  const params: Record<string, string> = {};
  for (const m of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) params[(m[1] ?? '').toLowerCase()] = m[2] ?? '';
  return { scheme, params };
}

class RetryableFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * A small client of the Distribution (registry v2) API: `/v2/` ping, manifest HEAD / DELETE and tag
 * listing, with Docker Hub's token flow, basic auth and retries by policy. Secrets never reach a
 * message; URLs in errors are redacted.
 */
export class DistributionClient {
  readonly registry: RegistryEndpoint;
  readonly requests: DistributionRequest[] = [];
  private readonly credentials: RegistryCredentials | null;
  private readonly policy: RegistryRetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly authByScope = new Map<string, string>();

  constructor(options: DistributionClientOptions) {
    this.registry = options.registry;
    this.credentials = options.credentials ?? null;
    this.policy = options.policy ?? DEFAULT_REGISTRY_RETRY_POLICY;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? sleepMs;
  }

  /**
   * Checks that the registry answers and accepts the credentials. Throws a one-line RemoteError:
   * unreachable (status 0), authentication denied (401/403) or another status.
   */
  async ping(): Promise<void> {
    await this.request('GET', '/v2/', '', {});
  }

  /** The manifest digest of `path:reference`, or null when the registry does not have it (404). */
  async manifestDigest(path: string, reference: string): Promise<string | null> {
    const url = `/v2/${path}/manifests/${reference}`;
    const res = await this.request('HEAD', url, `repository:${path}:pull`, { accept: MANIFEST_ACCEPT }, [404]);
    if (res.status === 404) return null;
    const digest = res.headers.get('docker-content-digest');
    if (digest) return digest;
    // Some registries omit the header on HEAD: GET the manifest and hash its bytes.
    const got = await this.request('GET', url, `repository:${path}:pull`, { accept: MANIFEST_ACCEPT }, [404]);
    if (got.status === 404) return null;
    return (
      got.headers.get('docker-content-digest') ??
      `sha256:${createHash('sha256')
        .update(Buffer.from(await got.arrayBuffer()))
        .digest('hex')}`
    );
  }

  /** Deletes a manifest by digest (every tag pointing at it goes too). False when it was absent. */
  async deleteManifest(path: string, digest: string): Promise<boolean> {
    const res = await this.request('DELETE', `/v2/${path}/manifests/${digest}`, `repository:${path}:delete`, {}, [404]);
    return res.status !== 404;
  }

  /** Tags of a repository (empty when the repository does not exist). */
  async listTags(path: string): Promise<string[]> {
    const tags: string[] = [];
    let next: string | null = `/v2/${path}/tags/list?n=1000`;
    while (next) {
      const res = await this.request('GET', next, `repository:${path}:pull`, { accept: 'application/json' }, [404]);
      if (res.status === 404) return [];
      const body = (await res.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = res.headers.get('link');
      next = link ? (/<([^>]+)>;\s*rel="next"/.exec(link)?.[1] ?? null) : null;
    }
    return tags.sort();
  }

  private describe(method: string, url: string): string {
    return `${method} ${redactUrl(url)}`;
  }

  /** One request with auth and retries; statuses in `accept` are returned instead of thrown. */
  private async request(
    method: string,
    pathAndQuery: string,
    scope: string,
    headers: Record<string, string>,
    accepted: number[] = [],
  ): Promise<Response> {
    const url = `${this.registry.apiBase}${pathAndQuery}`;
    try {
      return await retryByPolicy(() => this.once(method, url, scope, headers, accepted), {
        policy: this.policy,
        sleep: this.sleep,
        failureOf: (error) => (error instanceof RetryableFailure ? error : null),
      });
    } catch (error) {
      if (!(error instanceof RetriesExhaustedError)) throw error;
      const last = error.lastError as RetryableFailure;
      throw new RemoteError(`${last.message}${error.attempts > 1 ? ` (after ${error.attempts} attempts)` : ''}`, {
        status: last.status,
        url,
      });
    }
  }

  private async send(method: string, url: string, headers: Record<string, string>): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        redirect: 'follow',
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new RetryableFailure(
        'unreachable',
        `Registry unreachable: ${this.describe(method, url)} failed (${detail}); is it running? (tools/scripts/start-registry starts a local one)`,
        0,
      );
    }
    this.requests.push({ method, url: redactUrl(url), status: res.status });
    return res;
  }

  private async once(
    method: string,
    url: string,
    scope: string,
    headers: Record<string, string>,
    accepted: number[],
  ): Promise<Response> {
    const cached = this.authByScope.get(scope);
    let res = await this.send(method, url, cached ? { ...headers, authorization: cached } : headers);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      await res.arrayBuffer().catch(() => undefined);
      const authorization = challenge ? await this.authorize(challenge, scope) : null;
      if (authorization) {
        this.authByScope.set(scope, authorization);
        res = await this.send(method, url, { ...headers, authorization });
      }
    }
    if (res.ok || accepted.includes(res.status)) return res;
    await res.arrayBuffer().catch(() => undefined);
    const kind = kindOfStatus(this.policy, res.status);
    const who = this.credentials
      ? ` as ${this.credentials.username} (credentials from ${this.credentials.source})`
      : ' anonymously';
    const message =
      kind === 'auth'
        ? `Registry authentication denied: ${this.describe(method, url)} answered ${res.status}${who}; check DOCKERHUB_USERNAME/DOCKERHUB_TOKEN or the Docker config file`
        : `Registry error: ${this.describe(method, url)} answered ${res.status} ${res.statusText}`.trim();
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new RetryableFailure(
      kind,
      message,
      res.status,
      res.headers.get('retry-after') !== null && Number.isFinite(retryAfter) ? retryAfter : undefined,
    );
  }

  /** The Authorization header answering a challenge, or null when it cannot be answered. */
  private async authorize(challenge: Challenge, scope: string): Promise<string | null> {
    const basic = this.credentials
      ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`
      : null;
    if (challenge.scheme === 'basic') return basic;
    const realm = challenge.params.realm;
    if (!realm) return null;
    const tokenUrl = new URL(realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    const wanted = challenge.params.scope ?? scope;
    if (wanted) tokenUrl.searchParams.set('scope', wanted);
    const res = await this.send('GET', tokenUrl.toString(), basic ? { authorization: basic } : {});
    if (!res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      return null;
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : null;
  }
}
