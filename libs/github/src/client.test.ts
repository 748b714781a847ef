import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteError } from '@datasmith/errors';
import { MemoStore } from '@datasmith/memo';
import { createMemoryLogger } from '@datasmith/progress';
import { afterEach, describe, expect, it } from 'vitest';
import { type GitHubClientOptions, createGitHubClient } from './client';
import { GITHUB_POLICY_DEFAULTS } from './policy';
import { getRepository } from './repos';
import { type FakeGitHub, type FakeGitHubOptions, secondaryRateLimit, startFakeGitHub } from './testing/fake-github';

const TOKEN_A = `ghp_${'A1b2C3d4'.repeat(5)}`;
const TOKEN_B = `ghp_${'Z9y8X7w6'.repeat(5)}`;
/** Waits are counted in this many ms instead of seconds. */
const UNIT = 10;

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(options: FakeGitHubOptions, client: Partial<GitHubClientOptions> = {}) {
  fake = await startFakeGitHub({
    repositories: [{ full_name: 'demo-org/fastmath', stargazers_count: 900, default_branch: 'main' }],
    ...options,
  });
  const log = createMemoryLogger();
  const github = createGitHubClient({
    baseUrl: fake.url,
    tokens: [TOKEN_A],
    log,
    policy: { unitMs: UNIT },
    ...client,
  });
  return { fake, github, log };
}

describe('createGitHubClient', () => {
  it('keeps its policy as data, with the defaults in one exported object', () => {
    expect(GITHUB_POLICY_DEFAULTS).toMatchInlineSnapshot(`
      {
        "fallbackSecondaryRetryAfter": 60,
        "maxConcurrent": 8,
        "maxRateLimitWait": 3600,
        "maxRedirects": 5,
        "rateLimitRetries": 4,
        "retries": 5,
        "retryStatuses": [
          408,
          429,
          500,
          502,
          503,
          504,
        ],
        "searchInterval": 6,
        "timeoutMs": 30000,
        "unitMs": 1000,
      }
    `);
  });

  it('retries a 403 secondary rate limit after its Retry-After, counted in the shrunken unit', async () => {
    const { fake, github, log } = await setup({ faults: [secondaryRateLimit('/repos/demo-org/fastmath', 3)] });
    const lookup = await getRepository(github, 'demo-org/fastmath');
    expect(lookup.status).toBe('found');
    const calls = fake.requests.filter((r) => r.path === '/repos/demo-org/fastmath');
    expect(calls.map((r) => r.status)).toEqual([403, 200]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(3 * UNIT - 2);
    expect(github.stats.rateLimited).toBe(1);
    expect(log.lines.some((l) => /secondary rate limit.*waiting 3 × 10 ms/.test(l))).toBe(true);
  });

  it('ends a persistent secondary rate limit as a RemoteError with the fix, not as empty data', async () => {
    const { fake, github } = await setup({ faults: [secondaryRateLimit('/repos/demo-org/fastmath', 1, 99)] });
    const error = await getRepository(github, 'demo-org/fastmath').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).status).toBe(403);
    expect((error as RemoteError).message).toMatch(/secondary rate limit.*lower --threads/);
    expect(fake.requests).toHaveLength(GITHUB_POLICY_DEFAULTS.rateLimitRetries + 1);
  });

  it('retries 5xx with backoff and honours Retry-After as the floor of the wait', async () => {
    const { fake, github } = await setup({
      faults: [{ path: '/repos/demo-org/fastmath', status: 503, times: 2, headers: { 'retry-after': '5' } }],
    });
    await getRepository(github, 'demo-org/fastmath');
    const at = fake.requests.map((r) => r.at);
    expect(fake.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(5 * UNIT - 2);
    expect((at[2] ?? 0) - (at[1] ?? 0)).toBeGreaterThanOrEqual(5 * UNIT - 2);
  });

  it('retries a network-level 500 the retry count allows, then fails with the status', async () => {
    const { fake, github } = await setup(
      { faults: [{ path: '/repos/demo-org/fastmath', status: 500, times: 99 }] },
      {
        policy: { unitMs: 1, retries: 2 },
      },
    );
    const error = (await getRepository(github, 'demo-org/fastmath').catch((e: unknown) => e)) as RemoteError;
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/after retries/);
    expect(fake.requests).toHaveLength(3);
  });

  it('rotates tokens: each request takes the token with the most quota left, an exhausted one is skipped', async () => {
    const { fake, github } = await setup({ rateLimit: { core: 3 } }, { tokens: [TOKEN_A, TOKEN_B] });
    for (let i = 0; i < 6; i++) await getRepository(github, 'demo-org/fastmath');
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(fake.requests.filter((r) => r.token === TOKEN_A)).toHaveLength(3);
    expect(fake.requests.filter((r) => r.token === TOKEN_B)).toHaveLength(3);
  });

  it('switches token at once when one is exhausted early, and waits for the reset only when all are', async () => {
    const { fake, github, log } = await setup(
      { rateLimit: { core: 2, windowSeconds: 1 } },
      { tokens: [TOKEN_A, TOKEN_B], policy: { unitMs: 1000 } },
    );
    // The pool knows nothing yet: a request spends token A's last unit behind the pool's back.
    await fetch(`${fake.url}/repos/demo-org/fastmath`, { headers: { authorization: `token ${TOKEN_A}` } });
    await fetch(`${fake.url}/repos/demo-org/fastmath`, { headers: { authorization: `token ${TOKEN_A}` } });
    fake.requests.length = 0;
    const started = Date.now();
    await getRepository(github, 'demo-org/fastmath'); // A answers 403 (remaining 0) → B at once
    expect(fake.requests.map((r) => [r.status, r.token === TOKEN_A ? 'A' : 'B'])).toEqual([
      [403, 'A'],
      [200, 'B'],
    ]);
    expect(github.stats.tokenSwitches).toBe(1);
    await getRepository(github, 'demo-org/fastmath'); // B's last unit
    await getRepository(github, 'demo-org/fastmath'); // both spent: the throttling plugin waits for the reset
    expect(fake.requests.at(-1)?.status).toBe(200);
    expect(github.stats.rateLimited).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(log.lines.some((l) => /primary rate limit/.test(l))).toBe(true);
  });

  it('drops a token GitHub rejects (401) and goes on with the next', async () => {
    const bad = `ghp_${'Bad0'.repeat(10)}`;
    const { fake, github, log } = await setup({ tokens: [TOKEN_B] }, { tokens: [bad, TOKEN_B] });
    await getRepository(github, 'demo-org/fastmath');
    await getRepository(github, 'demo-org/fastmath');
    expect(fake.requests.map((r) => r.status)).toEqual([401, 200, 200]);
    expect(log.lines.some((l) => /rejected token 1\/2 \(401/.test(l))).toBe(true);
  });

  it('follows a 301 for a renamed repository and records the new name', async () => {
    const { fake, github, log } = await setup({
      repositories: [{ full_name: 'optuna/optuna', id: 42, formerNames: ['pfnet/optuna'], stargazers_count: 9000 }],
    });
    const lookup = await getRepository(github, 'pfnet/optuna');
    expect(lookup).toMatchObject({
      status: 'found',
      requested: 'pfnet/optuna',
      fullName: 'optuna/optuna',
      renamed: true,
    });
    expect(github.renames.get('pfnet/optuna')).toBe('optuna/optuna');
    expect(github.redirects).toEqual([
      { status: 301, from: `${fake.url}/repos/pfnet/optuna`, to: `${fake.url}/repositories/42` },
    ]);
    expect(fake.requests.map((r) => `${r.status} ${r.path}`)).toEqual([
      '301 /repos/pfnet/optuna',
      '200 /repositories/42',
    ]);
    expect(log.lines.some((l) => l.includes('pfnet/optuna was renamed to optuna/optuna'))).toBe(true);
  });

  it.each([404, 410, 451])('records a %i as an absence instead of failing', async (status) => {
    const { github } = await setup({ absent: { 'gone/missing': status } });
    const lookup = await getRepository(github, 'gone/missing');
    expect(lookup).toEqual({ status: 'absent', requested: 'gone/missing', httpStatus: status });
    expect(github.absences.get('gone/missing')).toBe(status);
  });

  it('revalidates a repeated GET with If-None-Match and answers the 304 from the memo', async () => {
    const memo = new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-gh-memo-')) });
    const { fake, github } = await setup({}, { memo });
    const first = await getRepository(github, 'demo-org/fastmath');
    const again = createGitHubClient({ baseUrl: fake.url, tokens: [TOKEN_A], memo, policy: { unitMs: UNIT } });
    const second = await getRepository(again, 'demo-org/fastmath');
    expect(second).toEqual(first);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 304]);
    expect(fake.requests[1]?.ifNoneMatch).toMatch(/^W\/"/);
    expect(again.stats.notModified).toBe(1);
  });

  it('never puts a token in the request log, the logger or an error', async () => {
    const { github, log } = await setup(
      { faults: [{ path: '/repos/demo-org/broken', status: 502, times: 99, body: { message: `echo ${TOKEN_A}` } }] },
      { tokens: [TOKEN_A, TOKEN_B], policy: { unitMs: 1, retries: 1 } },
    );
    await getRepository(github, 'demo-org/fastmath');
    const error = await getRepository(github, 'demo-org/broken').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    const everything = [
      ...github.requestLog,
      ...log.lines,
      (error as Error).message,
      String((error as RemoteError).url),
      JSON.stringify(error),
    ].join('\n');
    expect(github.requestLog.length).toBeGreaterThanOrEqual(3);
    expect(github.requestLog[0]).toMatch(/^GET \/repos\/demo-org\/fastmath -> 200 \(\d+ ms, token [12]\/2\)$/);
    for (const token of [TOKEN_A, TOKEN_B]) expect(everything).not.toContain(token);
    expect(everything).not.toMatch(/ghp_/);
  });

  it('warns, naming every token variable, when no token is set, and works anonymously', async () => {
    const { fake, github, log } = await setup({}, { tokens: [] });
    expect(log.lines.filter((l) => l.startsWith('warning:')).join('\n')).toMatch(
      /GH_TOKENS.*GH_TOKENs.*GH_TOKEN .*GH_TOKEN2/,
    );
    await getRepository(github, 'demo-org/fastmath');
    expect(fake.requests[0]?.token).toBeNull();
  });
});
