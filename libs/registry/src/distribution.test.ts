import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DistributionClient, parseChallenge } from './distribution';
import { parseRegistryUrl } from './reference';
import { DEFAULT_REGISTRY_RETRY_POLICY } from './retry';
import { freePort } from './testing/local-registry';

const DIGEST = `sha256:${'b'.repeat(64)}`;
type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;
const servers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of servers.splice(0)) await close();
});

async function serve(handler: Handler): Promise<{ url: string; log: string[] }> {
  const log: string[] = [];
  let base = '';
  const server = createServer((req, res) => {
    log.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
    handler(req, res, base);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: base, log };
}

const noSleep = { sleep: async () => undefined, policy: { ...DEFAULT_REGISTRY_RETRY_POLICY, unitMs: 1 } };

describe('DistributionClient', () => {
  it('parses challenges', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:ns/all:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:ns/all:pull' },
    });
    expect(parseChallenge('Basic realm="x"')?.scheme).toBe('basic');
    expect(parseChallenge(null)).toBeNull();
  });

  it("follows Docker Hub's token flow with basic credentials, and reads digests (404 → null)", async () => {
    const basic = `Basic ${Buffer.from('user:pw').toString('base64')}`;
    const { url, log } = await serve((req, res, base) => {
      if (req.url?.startsWith('/token')) {
        const q = new URL(req.url, base).searchParams;
        if (req.headers.authorization !== basic) return void res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ token: `tok:${q.get('scope')}` }));
      }
      if (!req.headers.authorization?.startsWith('Bearer tok:')) {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="${base}/token",service="test",scope="repository:ns/all:pull"`,
        });
        return void res.end();
      }
      if (req.url === '/v2/ns/all/manifests/there') {
        res.writeHead(200, { 'docker-content-digest': DIGEST });
        return void res.end();
      }
      res.writeHead(404).end();
    });
    const client = new DistributionClient({
      registry: parseRegistryUrl(url),
      credentials: { username: 'user', password: 'pw', source: 'test' },
      ...noSleep,
    });
    expect(await client.manifestDigest('ns/all', 'there')).toBe(DIGEST);
    expect(await client.manifestDigest('ns/all', 'gone')).toBeNull();
    expect(log[0]).toBe('HEAD /v2/ns/all/manifests/there -');
    expect(log[1]).toMatch(/^GET \/token\?service=test&scope=repository%3Ans%2Fall%3Apull Basic /);
    expect(log[2]).toBe('HEAD /v2/ns/all/manifests/there Bearer tok:repository:ns/all:pull');
    // the token is reused for the same scope
    expect(log.slice(3)).toEqual(['HEAD /v2/ns/all/manifests/gone Bearer tok:repository:ns/all:pull']);
  });

  it('hashes the manifest when a HEAD answer has no digest header', async () => {
    const body = '{"schemaVersion":2}';
    const { url } = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' });
      res.end(req.method === 'GET' ? body : undefined);
    });
    const client = new DistributionClient({ registry: parseRegistryUrl(url), ...noSleep });
    const { createHash } = await import('node:crypto');
    expect(await client.manifestDigest('ns/all', 't')).toBe(
      `sha256:${createHash('sha256').update(body).digest('hex')}`,
    );
  });

  it('retries 429 (Retry-After) and 5xx by policy, then reports the last status', async () => {
    let calls = 0;
    const { url } = await serve((_req, res) => {
      calls++;
      if (calls === 1) return void res.writeHead(429, { 'retry-after': '3' }).end();
      if (calls === 2) return void res.writeHead(503).end();
      res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    });
    const waits: number[] = [];
    const client = new DistributionClient({
      registry: parseRegistryUrl(url),
      policy: { ...DEFAULT_REGISTRY_RETRY_POLICY, unitMs: 1 },
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await client.manifestDigest('ns/all', 't')).toBe(DIGEST);
    expect(waits).toEqual([3, 1.4]);

    const { url: broken } = await serve((_req, res) => void res.writeHead(500, 'Internal Server Error').end());
    const failing = new DistributionClient({ registry: parseRegistryUrl(broken), ...noSleep });
    await expect(failing.ping()).rejects.toThrow(
      /^Registry error: GET http:\/\/127\.0\.0\.1:\d+\/v2\/ answered 500 Internal Server Error \(after 3 attempts\)$/,
    );
  });

  it('says clearly when the registry is unreachable or denies the credentials', async () => {
    const port = await freePort();
    const down = new DistributionClient({ registry: parseRegistryUrl(`127.0.0.1:${port}`), ...noSleep });
    const error = await down.ping().catch((e) => e);
    expect(error.name).toBe('RemoteError');
    expect(error.message).toMatch(/^Registry unreachable: GET http:\/\/127\.0\.0\.1:\d+\/v2\/ failed \(ECONNREFUSED\)/);

    const { url } = await serve(
      (_req, res) => void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end(),
    );
    const denied = new DistributionClient({
      registry: parseRegistryUrl(url),
      credentials: { username: 'user', password: 'wrong-password', source: 'DOCKERHUB_USERNAME/DOCKERHUB_TOKEN' },
      ...noSleep,
    });
    const authError = await denied.ping().catch((e) => e);
    expect(authError).toMatchObject({ name: 'RemoteError', status: 401 });
    expect(authError.message).toMatch(/^Registry authentication denied: GET .*\/v2\/ answered 401 as user/);
    expect(authError.message).not.toContain('wrong-password');
  });
});
