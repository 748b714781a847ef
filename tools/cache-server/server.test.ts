// The Nx remote cache server over a real loopback listener, speaking the protocol of Nx 23's built-in
// client (GET/PUT /v1/cache/{hash} with a bearer token). Nx itself against it: tools/nx-plugin/remote-cache.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CacheServer, parseSize, startCacheServer } from './server';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;

interface Reply {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** One raw HTTP request (node:http, so Content-Length and headers are exactly what is given). */
function send(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: Buffer; contentLength?: number } = {},
): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const headers: Record<string, string | number> = {};
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    if (options.body) {
      headers['Content-Type'] = 'application/octet-stream';
      headers['Content-Length'] = options.contentLength ?? options.body.length;
    }
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body) req.end(options.body);
    else req.end();
  });
}

/** Polls a condition every 20 ms, up to 10 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(condition()).toBe(true);
}

describe('the remote cache server', () => {
  let dir: string;
  let server: CacheServer;
  const lines: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-cache-server-'));
    lines.length = 0;
    server = await startCacheServer({ dir, token: TOKEN, maxEntryBytes: 1024, log: (l) => lines.push(l) });
  });

  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an entry once: 404, PUT 200, GET the same bytes, a second PUT 409 leaves the first', async () => {
    const body = randomBytes(700);
    expect((await send(server.url, 'GET', '/v1/cache/123', { token: TOKEN })).status).toBe(404);
    expect((await send(server.url, 'PUT', '/v1/cache/123', { token: TOKEN, body })).status).toBe(200);
    const got = await send(server.url, 'GET', '/v1/cache/123', { token: TOKEN });
    expect(got.status).toBe(200);
    expect(got.headers['content-length']).toBe('700');
    expect(got.body.equals(body)).toBe(true);

    const other = randomBytes(100);
    expect((await send(server.url, 'PUT', '/v1/cache/123', { token: TOKEN, body: other })).status).toBe(409);
    expect(readFileSync(join(dir, '123')).equals(body)).toBe(true);
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });

  it('answers 401 without a bearer token and 403 with a wrong one, and never logs the token', async () => {
    const body = Buffer.from('x');
    const none = await send(server.url, 'GET', '/v1/cache/1');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await send(server.url, 'PUT', '/v1/cache/1', { body })).status).toBe(401);
    expect((await send(server.url, 'GET', '/v1/cache/1', { token: `${TOKEN}x` })).status).toBe(403);
    expect((await send(server.url, 'PUT', '/v1/cache/1', { token: 'wrong', body })).status).toBe(403);
    expect(readdirSync(dir)).toEqual(['.tmp']);
    expect(lines.length).toBe(4);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('refuses an entry over the size limit (413) and keeps nothing of an upload cut short', async () => {
    expect((await send(server.url, 'PUT', '/v1/cache/big', { token: TOKEN, body: randomBytes(1025) })).status).toBe(
      413,
    );
    // A client that dies mid-upload: the declared length is never reached.
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      `PUT /v1/cache/short HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 20\r\n\r\n0123456789`,
    );
    await waitFor(() => readdirSync(join(dir, '.tmp')).length === 1);
    socket.destroy();
    await waitFor(() => lines.some((l) => l.startsWith('cache-server: PUT short 500')));
    expect(readdirSync(dir).sort()).toEqual(['.tmp']);
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });

  it('refuses hashes that could leave the folder and unknown routes and methods', async () => {
    expect((await send(server.url, 'GET', '/v1/cache/..%2F..%2Fetc%2Fpasswd', { token: TOKEN })).status).toBe(400);
    expect((await send(server.url, 'GET', '/v1/cache/a.b', { token: TOKEN })).status).toBe(400);
    expect((await send(server.url, 'GET', '/v1/cache/%E0%A4%A', { token: TOKEN })).status).toBe(400);
    expect((await send(server.url, 'GET', '/v1/other/1', { token: TOKEN })).status).toBe(404);
    expect((await send(server.url, 'DELETE', '/v1/cache/1', { token: TOKEN })).status).toBe(405);
  });

  it('of two simultaneous uploads of one hash, stores exactly one, whole', async () => {
    const a = Buffer.alloc(1000, 'a');
    const b = Buffer.alloc(1000, 'b');
    const statuses = await Promise.all([
      send(server.url, 'PUT', '/v1/cache/777', { token: TOKEN, body: a }),
      send(server.url, 'PUT', '/v1/cache/777', { token: TOKEN, body: b }),
    ]).then((r) => r.map((x) => x.status).sort());
    expect(statuses).toEqual([200, 409]);
    const stored = readFileSync(join(dir, '777'));
    expect(stored.equals(a) || stored.equals(b)).toBe(true);
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });
});

describe('parseSize', () => {
  it('reads bytes and binary units, and refuses anything else', () => {
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('512MB')).toBe(512 * 1024 ** 2);
    expect(parseSize('2gb')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5 KB')).toBe(1536);
    expect(parseSize('lots')).toBeNull();
  });
});

describe('the cache-server command', () => {
  const root = mkdtempSync(join(tmpdir(), 'ds-cache-cli-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('starts from a token file, serves, never prints the token, and stops on SIGTERM', async () => {
    writeFileSync(join(root, 'token'), `${TOKEN}\n`);
    const main = resolve(import.meta.dirname, 'main.ts');
    child = spawn(
      process.execPath,
      ['--import', 'tsx', main, '--dir', join(root, 'cache'), '--port', '0', '--token-file', join(root, 'token')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const url = await new Promise<string>((resolveUrl, reject) => {
      child?.stdout?.on('data', (c: Buffer) => {
        output += c.toString('utf8');
        const match = /listening on (http:\/\/\S+),/.exec(output);
        if (match?.[1]) resolveUrl(match[1]);
      });
      child?.stderr?.on('data', (c: Buffer) => {
        output += c.toString('utf8');
      });
      child?.on('close', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    const body = Buffer.from('cached outputs');
    expect((await send(url, 'PUT', '/v1/cache/42', { token: TOKEN, body })).status).toBe(200);
    expect((await send(url, 'GET', '/v1/cache/42', { token: TOKEN })).body.toString()).toBe('cached outputs');
    expect(readFileSync(join(root, 'cache', '42'), 'utf8')).toBe('cached outputs');
    const code = await new Promise<number | null>((resolveCode) => {
      child?.removeAllListeners('close');
      child?.on('close', resolveCode);
      child?.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(output).toContain('PUT 42 200 14 B');
    expect(output).not.toContain(TOKEN);
  });

  it('refuses to start without a token file', async () => {
    const run = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'main.ts'), '--dir', root], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    run.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const code = await new Promise<number | null>((r) => run.on('close', r));
    expect(code).toBe(2);
    expect(stderr).toContain('missing --token-file');
  });
});
