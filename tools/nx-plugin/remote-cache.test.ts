// Scale-out (issue 8): two throw-away workspaces on one machine stand for two machines. Each has its own
// local Nx cache and the same store; both talk to one tools/cache-server through Nx 23's built-in
// self-hosted remote cache client. Machine A computes one shard of the repositories (`run-many -p`);
// machine B then runs every repository and must execute exactly the other shard, restoring A's shard
// from the remote cache byte for byte. Which tasks ran is read from Nx's own `.nx/cache/run.json`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheServer, startCacheServer } from '../cache-server/server';
import { type NxRun, TestWorkspace } from './test-workspace';

const REPOS = ['o1/alpha', 'o1/beta', 'o2/gamma'] as const;
const STEPS = ['collect', 'prepare', 'classify'] as const;
const MONTH = '2024-01';
const CONFIG = { source: 'store', store: 'data/store', repos: { file: 'data/config/repos.csv' } };

const project = (repo: string) => `repo-${repo.replace('/', '__')}`;
const SHARD_A = REPOS.slice(0, 2).map(project);
const SHARD_B = REPOS.slice(2).map(project);
const ALL = REPOS.map(project);
const tasks = (projects: readonly string[]) => projects.flatMap((p) => STEPS.map((s) => `${p}:${s}`)).sort();

/** The same store in every workspace: fixed authors and dates give the same shas. */
function buildWorkspace(label: string): TestWorkspace {
  const ws = new TestWorkspace(`datasmith-remote-${label}-`, [...STEPS, 'scrape-repos']);
  for (const [i, repo] of REPOS.entries()) {
    const src = ws.source(repo);
    src.commit(
      {
        'asv.conf.json': '{"version": 1, "benchmark_dir": "benchmarks"}\n',
        'pkg/__init__.py': '',
        'pkg/core.py': 'def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n',
        'benchmarks/bench_core.py': 'from pkg.core import total\n\ndef time_total():\n    total(range(1000))\n',
      },
      'Initial commit',
      '2023-11-01T10:00:00Z',
    );
    src.mergePull(
      1,
      'Speed up total with sum',
      { 'pkg/core.py': 'def total(xs):\n    return sum(xs)\n' },
      `2024-01-0${i + 2}T10:00:00Z`,
    );
    src.squashPull(
      2,
      'Avoid a copy in mean',
      { 'pkg/stats.py': 'def mean(xs):\n    return sum(xs) / len(xs)\n' },
      `2024-01-1${i}T12:00:00Z`,
    );
    ws.mirror(repo);
    ws.write(`data/store/${repo}/repo.json`, JSON.stringify({ full_name: repo, stargazers_count: 1000 + i }));
  }
  ws.write('datasmith.config.json', `${JSON.stringify(CONFIG, null, 2)}\n`);
  ws.write('data/config/repos.csv', `repo_name\n${REPOS.join('\n')}\n`);
  ws.commitAll('workspace');
  return ws;
}

/** sha256 of every output file of the given projects, keyed by path. */
function fingerprint(ws: TestWorkspace, projects: readonly string[]): Record<string, string> {
  return ws.fingerprint(
    STEPS.flatMap((step) => projects.map((p) => `data/${step}/${p.slice('repo-'.length)}/${MONTH}`)),
  );
}

let a: TestWorkspace;
let b: TestWorkspace;
let server: CacheServer;
let cacheDir: string;
const token = randomBytes(16).toString('hex');
const requests: string[] = [];
const timings: string[] = [];

async function run(ws: TestWorkspace, label: string, projects?: readonly string[]): Promise<NxRun> {
  const result = await ws.nx(
    [
      'run-many',
      '-t',
      ...STEPS,
      `--month=${MONTH}`,
      ...(projects ? ['-p', projects.join(',')] : []),
      '--output-style=static',
      '--parallel=2',
    ],
    { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: server.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token },
  );
  timings.push(
    `${label}: ${result.executed.length} executed, ${result.remote.length} remote hits, ${result.cached.length - result.remote.length} local hits, ${result.seconds.toFixed(1)} s`,
  );
  expect(result.status, result.output).toBe(0);
  return result;
}

const entries = () => readdirSync(cacheDir).filter((f) => f !== '.tmp');

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'datasmith-remote-cache-'));
  server = await startCacheServer({ dir: cacheDir, token, log: (line) => requests.push(line) });
  a = buildWorkspace('a');
  b = buildWorkspace('b');
});

afterAll(async () => {
  if (cacheDir) {
    const bytes = entries().reduce((sum, f) => sum + statSync(join(cacheDir, f)).size, 0);
    timings.push(`remote cache: ${entries().length} entries, ${bytes} bytes`);
  }
  console.info(`remote-cache.test.ts\n  ${timings.join('\n  ')}`);
  await server?.close();
  a?.dispose();
  b?.dispose();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe.sequential('two machines sharing one remote cache (issue 8)', { timeout: 600_000 }, () => {
  it('builds both stores identically (same mirror heads), so the task hashes can agree', () => {
    for (const repo of REPOS) {
      const head = (ws: TestWorkspace) => ws.git(['--git-dir', `data/store/${repo}.git`, 'rev-parse', 'HEAD']);
      expect(head(b)).toBe(head(a));
    }
  });

  it('machine A computes its shard and uploads one entry per task', async () => {
    const first = await run(a, 'A: shard A', SHARD_A);
    expect(first.executed).toEqual(tasks(SHARD_A));
    expect(entries()).toHaveLength(tasks(SHARD_A).length);
    expect(requests.filter((l) => / PUT \S+ 200 /.test(l))).toHaveLength(tasks(SHARD_A).length);
  });

  it('machine B runs every repository but executes only the other shard, restoring A shard from the remote cache byte-identical', async () => {
    const all = await run(b, 'B: all repositories');
    expect(all.executed).toEqual(tasks(SHARD_B));
    expect(all.remote).toEqual(tasks(SHARD_A));
    expect(all.cached).toEqual(tasks(SHARD_A));
    const fromA = fingerprint(a, SHARD_A);
    expect(Object.keys(fromA).length).toBeGreaterThanOrEqual(tasks(SHARD_A).length);
    expect(fingerprint(b, SHARD_A)).toEqual(fromA);
    expect(Object.keys(fingerprint(b, SHARD_B)).length).toBeGreaterThan(0);
    expect(entries()).toHaveLength(tasks(ALL).length);
  });

  it('machine A then runs every repository and executes nothing, B shard coming from the remote cache', async () => {
    const again = await run(a, 'A: all repositories');
    expect(again.executed).toEqual([]);
    expect(again.remote).toEqual(tasks(SHARD_B));
    expect(fingerprint(a, ALL)).toEqual(fingerprint(b, ALL));
  });

  it('a machine with a wrong token is refused: Nx stops with 403 Forbidden, runs nothing and stores nothing', async () => {
    const c = buildWorkspace('c');
    const stored = entries().length;
    try {
      const denied = await c.nx(
        ['run-many', '-t', ...STEPS, `--month=${MONTH}`, '-p', SHARD_B.join(','), '--output-style=static'],
        { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: server.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: `${token}x` },
      );
      timings.push(`C (wrong token): ${denied.executed.length} executed, exit status ${denied.status}`);
      expect(denied.status).not.toBe(0);
      expect(denied.output).toContain('Misconfigured remote cache endpoint: Unexpected response status: 403 Forbidden');
      expect(denied.executed).toEqual([]);
      expect(denied.cached).toEqual([]);
      // run.json may be missing after a failed run, so also look for outputs: no step ran at all.
      expect(c.exists('data/collect')).toBe(false);
      expect(requests.some((l) => / GET \S+ 403$/.test(l))).toBe(true);
      expect(entries()).toHaveLength(stored);
      expect(denied.output).not.toContain(token);
    } finally {
      c.dispose();
    }
  });
});
