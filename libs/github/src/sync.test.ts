import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitText } from '@datasmith/git';
import { MemoStore } from '@datasmith/memo';
import { createMemoryLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubClient } from './client';
import { type SyncDeps, syncRepositoryFromGitHub } from './sync';
import { type FakeGitHub, secondaryRateLimit, startFakeGitHub } from './testing/fake-github';
import { type ListingScenario, buildListingScenario } from './testing/scenario';

const TOKEN = `ghp_${'S3cr3tT0k'.repeat(4)}`;
const UNIT = 10;
const FEB = () => new Date('2024-02-10T00:00:00Z');

let root: string;
let scenario: ListingScenario;
let fake: FakeGitHub | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ds-gh-sync-'));
  scenario = buildListingScenario(root);
}, 120_000);

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(options: { memo?: boolean; clock?: () => Date; faults?: FakeGitHub['options']['faults'] } = {}) {
  fake = await startFakeGitHub({ ...scenario.fakeOptions(), faults: options.faults ?? [] });
  const log = createMemoryLogger();
  const memo = options.memo ? new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-gh-sync-memo-')) }) : null;
  const github = createGitHubClient({ baseUrl: fake.url, tokens: [TOKEN], log, memo, policy: { unitMs: UNIT } });
  const store = new OfflineStore(await mkdtemp(join(tmpdir(), 'ds-gh-store-')));
  const deps: SyncDeps = {
    github,
    store,
    memo,
    log,
    clock: options.clock ?? FEB,
    gitUrlTemplate: scenario.gitUrlTemplate,
  };
  return { fake, github, store, deps, log, memo };
}

const listingPaths = (f: FakeGitHub) =>
  f.requests.filter((r) => r.path.includes('/pulls')).map((r) => `${r.status} ${r.path}`);

describe('syncRepositoryFromGitHub', () => {
  it('lists by update across the page boundary at exactly 100 and keeps only PRs merged in the window', async () => {
    const { fake, store, deps } = await setup();
    const result = await syncRepositoryFromGitHub('demo-org/fastmath', scenario.window, deps);
    if (result.status !== 'synced') throw new Error('expected synced');
    const { pr } = scenario;
    // Page 1 is full (100 PRs updated since January 1); the 101st, created in June 2023 and merged at
    // the window's first instant, opens page 2 and must be found.
    expect(result.pulls).toEqual(scenario.expected['demo-org/fastmath']);
    expect(result.pulls).toContain(pr.createdBeforeSince);
    expect(result.pulls).toContain(pr.updatedAfterWindow);
    expect(result.pulls).not.toContain(pr.closedUnmerged);
    expect(result.pulls).not.toContain(pr.mergedAtWindowEnd);
    expect(result.counts).toEqual({
      // 100 on page 1, then #101 and the first December PR, which stops the pass; the re-read of
      // page 1 stops at its second item (older than the newest update of the first pass)
      read: 104,
      pages: 3,
      notMerged: 1,
      outsideWindow: 1,
      otherBase: 0,
      written: 99,
      detailed: 1,
    });
    const q = 'state=closed&sort=updated&direction=desc&per_page=100';
    expect(listingPaths(fake)).toEqual([
      `200 /repos/demo-org/fastmath/pulls?${q}`,
      `200 /repos/demo-org/fastmath/pulls?${q}&page=2`,
      // page 1 again: catches a PR updated while paging; page 3 is never asked for
      `200 /repos/demo-org/fastmath/pulls?${q}`,
      // the rebase merge's full object, for its commit count
      `200 /repos/demo-org/fastmath/pulls/${pr.rebase}`,
    ]);
    const page1 = fake.requests.find((r) => r.path.endsWith('per_page=100'));
    expect(page1?.token).toBe(TOKEN);

    const files = readdirSync(store.layout.pullsDir('demo-org/fastmath')).sort(
      (a, b) => parseInt(a, 10) - parseInt(b, 10),
    );
    expect(files).toEqual(result.pulls.map((n) => `${n}.json`));
    const rebase = JSON.parse(readFileSync(store.layout.pullJson('demo-org/fastmath', pr.rebase), 'utf8'));
    expect(rebase.commits).toBe(2);
    const merged = JSON.parse(readFileSync(store.layout.pullJson('demo-org/fastmath', pr.createdBeforeSince), 'utf8'));
    expect(merged).toMatchObject({
      number: 101,
      created_at: '2023-06-01T09:00:00Z',
      merged_at: '2024-01-01T00:00:00Z',
    });
    expect(merged.base.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(JSON.parse(readFileSync(store.layout.repoJson('demo-org/fastmath'), 'utf8'))).toMatchObject({
      full_name: 'demo-org/fastmath',
      default_branch: 'main',
      stargazers_count: 1500,
    });
    // the mirror: bare, HEAD on the default branch, every landed commit present
    const mirror = store.mirrorPath('demo-org/fastmath');
    expect(result.mirror.action).toBe('cloned');
    expect(await gitText(mirror, ['rev-parse', '--is-bare-repository'])).toBe('true');
    expect(await gitText(mirror, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(result.mirror.head).toBe(scenario.fastmath.repo.head());
    expect(await store.readPulls('demo-org/fastmath')).toHaveLength(99);
  });

  it('retries a 403 secondary rate limit in the middle of the listing and still finds every PR', async () => {
    const { fake, deps, github } = await setup({ faults: [secondaryRateLimit(/\/pulls\?.*page=2$/, 4)] });
    const result = await syncRepositoryFromGitHub('demo-org/fastmath', scenario.window, deps);
    expect(result.status === 'synced' && result.pulls).toEqual(scenario.expected['demo-org/fastmath']);
    const page2 = fake.requests.filter((r) => r.path.endsWith('page=2'));
    expect(page2.map((r) => r.status)).toEqual([403, 200]);
    expect((page2[1]?.at ?? 0) - (page2[0]?.at ?? 0)).toBeGreaterThanOrEqual(4 * UNIT - 2);
    expect(github.stats.rateLimited).toBe(1);
  });

  it('follows a renamed repository, records the new name and stores it under the requested one', async () => {
    const { deps, store, github } = await setup();
    const result = await syncRepositoryFromGitHub('old-org/slowio', scenario.window, deps);
    expect(result).toMatchObject({ status: 'synced', fullName: 'demo-org/slowio', renamedTo: 'demo-org/slowio' });
    expect(github.renames.get('old-org/slowio')).toBe('demo-org/slowio');
    expect(result.status === 'synced' && result.pulls).toEqual(scenario.expected['old-org/slowio']);
    expect(existsSync(store.mirrorPath('old-org/slowio'))).toBe(true);
    expect((await store.readRepoJson('old-org/slowio'))?.full_name).toBe('demo-org/slowio');
  });

  it('records a 404 as an absence and writes nothing', async () => {
    const { deps, store } = await setup();
    const result = await syncRepositoryFromGitHub('gone/missing', scenario.window, deps);
    expect(result).toEqual({ repo: 'gone/missing', status: 'absent', httpStatus: 404 });
    expect(existsSync(store.layout.metaDir('gone/missing'))).toBe(false);
    expect(existsSync(store.mirrorPath('gone/missing'))).toBe(false);
  });

  it('answers a second sync of a closed month from the memo: no listing request, no fetch', async () => {
    const { fake, deps } = await setup({ memo: true });
    await syncRepositoryFromGitHub('demo-org/fastmath', scenario.window, deps);
    const before = fake.requests.length;
    const again = await syncRepositoryFromGitHub('demo-org/fastmath', scenario.window, deps);
    expect(again).toMatchObject({ status: 'synced', fromMemo: true, mirror: { action: 'unchanged' } });
    expect(fake.requests.length).toBe(before);
  });

  it('revalidates a month still under way with conditional requests: unchanged pages answer 304', async () => {
    const inJanuary = () => new Date('2024-01-31T12:00:00Z');
    const { fake, deps, github } = await setup({ memo: true, clock: inJanuary });
    await syncRepositoryFromGitHub('demo-org/fastmath', scenario.window, { ...deps, openWindowTtlMs: 0 });
    const before = fake.requests.length;
    const notModifiedBefore = github.stats.notModified;
    const again = await syncRepositoryFromGitHub('demo-org/fastmath', scenario.window, { ...deps, openWindowTtlMs: 0 });
    expect(again).toMatchObject({ status: 'synced', fromMemo: false });
    const second = fake.requests.slice(before);
    expect(second.length).toBeGreaterThan(0);
    expect(second.every((r) => r.status === 304 && r.ifNoneMatch)).toBe(true);
    expect(github.stats.notModified - notModifiedBefore).toBe(second.length);
  });

  it('fetches the mirror incrementally and writes a PR merged since the last sync', async () => {
    const inJanuary = () => new Date('2024-01-31T12:00:00Z');
    const { fake, deps, store } = await setup({ memo: true, clock: inJanuary });
    const first = await syncRepositoryFromGitHub('old-org/slowio', scenario.window, { ...deps, openWindowTtlMs: 0 });
    expect(first.status === 'synced' && first.mirror.action).toBe('cloned');
    const sha = scenario.slowio.squash(9, 'Late fix', { 'slowio/late.py': 'L = 1\n' }, '2024-01-31T12:00:00Z');
    fake.options.repositories[1] = scenario.slowio.spec({
      id: 12,
      stargazers_count: 700,
      formerNames: ['old-org/slowio'],
    });
    const second = await syncRepositoryFromGitHub('old-org/slowio', scenario.window, { ...deps, openWindowTtlMs: 0 });
    expect(second).toMatchObject({ status: 'synced', mirror: { action: 'fetched', head: sha } });
    expect(second.status === 'synced' && second.pulls).toEqual([...scenario.expected['old-org/slowio']!, 9]);
    expect((await store.readPulls('old-org/slowio')).map((p) => p.number)).toContain(9);
    scenario.slowio.pulls.pop();
    scenario.slowio.repo.git(['reset', '-q', '--hard', 'HEAD~1']);
  });
});
