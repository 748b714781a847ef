import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createGitHubClient } from '@datasmith/github';
import {
  type FakeGitHub,
  type ListingScenario,
  buildListingScenario,
  secondaryRateLimit,
  startFakeGitHub,
} from '@datasmith/github/testing';
import { MemoStore } from '@datasmith/memo';
import { createMemoryLogger, silentLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import { CommitRow, TABLE_KEYS, readTable, sortRows } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from './collect';
import { ABSENT_FAILURE_CODE, collectFromGitHub } from './collect-github';

const CLI = resolve(import.meta.dirname, '../../../cli/bin/datasmith.js');
const TOKEN = `ghp_${'CoLLecT9'.repeat(5)}`;
const REPOS = ['demo-org/fastmath', 'old-org/slowio'];

let root: string;
let scenario: ListingScenario;
let fake: FakeGitHub;
let offlineStore: OfflineStore;

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The columns both sources must agree on: all but `source`, `pr_base_ref_sha` and
 * `pr_title_source` (a PR object's title, or the same title read from the landing message).
 */
function comparable(rows: readonly CommitRow[]) {
  return sortRows(rows, TABLE_KEYS.commits).map(
    ({ source: _s, pr_base_ref_sha: _b, pr_title_source: _t, ...rest }) => rest,
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ds-collect-github-'));
  scenario = buildListingScenario(root);
  fake = await startFakeGitHub(scenario.fakeOptions());
  // The offline store of the same repositories: mirrors only, no PR files for merge and squash PRs
  // (collect derives those from the landing messages); the rebase merge needs its PR file.
  const storeDir = join(root, 'offline-store');
  scenario.fastmath.repo.mirrorTo(join(storeDir, 'demo-org', 'fastmath.git'));
  scenario.slowio.repo.mirrorTo(join(storeDir, 'old-org', 'slowio.git'));
  const rebase = scenario.fastmath.pulls.find((p) => p.number === scenario.pr.rebase);
  await mkdir(join(storeDir, 'demo-org', 'fastmath', 'pulls'), { recursive: true });
  await writeFile(
    join(storeDir, 'demo-org', 'fastmath', 'pulls', `${scenario.pr.rebase}.json`),
    JSON.stringify(rebase),
  );
  offlineStore = new OfflineStore(storeDir);
}, 120_000);

afterAll(async () => {
  await fake?.close();
});

describe('collectFromGitHub', () => {
  it('gives the same commits table as the offline store, except source, pr_base_ref_sha and title source', async () => {
    fake.options.faults.push(secondaryRateLimit(/\/pulls\?.*page=2$/, 1));
    const log = createMemoryLogger();
    const memo = new MemoStore({ root: join(root, 'memo-github') });
    const github = createGitHubClient({ baseUrl: fake.url, tokens: [TOKEN], log, memo, policy: { unitMs: 5 } });
    const started = performance.now();
    const online = await collectFromGitHub(
      { repos: [...REPOS, 'gone/missing'], window: scenario.window },
      {
        github,
        store: new OfflineStore(join(root, 'github-store')),
        memo,
        log,
        gitUrlTemplate: scenario.gitUrlTemplate,
        clock: () => new Date('2024-03-10T00:00:00Z'),
      },
    );
    const onlineMs = performance.now() - started;
    const offline = await collect(
      { repos: REPOS, window: scenario.window },
      { store: offlineStore, memo: new MemoStore({ root: join(root, 'memo-store') }), log: silentLogger },
    );

    expect(online.failures).toEqual([
      { step: 'collect', item: 'gone/missing', code: ABSENT_FAILURE_CODE, message: expect.stringContaining('404') },
    ]);
    expect(offline.failures).toEqual([]);
    expect(online.rows.length).toBe(offline.rows.length);
    expect(comparable(online.rows)).toEqual(comparable(offline.rows));
    expect(online.rows.every((r) => r.source === 'github')).toBe(true);
    expect(offline.rows.every((r) => r.source === 'store')).toBe(true);

    // Every online row came from a PR object (none fell back to the landing message): its
    // pr_base_ref_sha is GitHub's base.sha.
    const specs = new Map(
      [
        ...scenario.fastmath.pulls.map((p) => ['demo-org/fastmath', p] as const),
        ...scenario.slowio.pulls.map((p) => ['old-org/slowio', p] as const),
      ].map(([repo, p]) => [`${repo}#${p.number}`, p]),
    );
    for (const row of online.rows) {
      expect(row.pr_base_ref_sha).toBe(specs.get(`${row.repo_name}#${row.pr_number}`)?.base.sha);
      expect(row.pr_title_source).toBe('pull');
    }
    const numbers = (repo: string) =>
      online.rows
        .filter((r) => r.repo_name === repo)
        .map((r) => r.pr_number)
        .sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(numbers('demo-org/fastmath')).toEqual(scenario.expected['demo-org/fastmath']);
    expect(numbers('old-org/slowio')).toEqual(scenario.expected['old-org/slowio']);
    const byNumber = new Map(
      online.rows.filter((r) => r.repo_name === 'demo-org/fastmath').map((r) => [r.pr_number, r]),
    );
    expect(byNumber.get(scenario.pr.createdBeforeSince)).toMatchObject({ merge_style: 'merge', kept: true });
    expect(byNumber.get(scenario.pr.rebase)).toMatchObject({
      merge_style: 'rebase',
      kept: true,
      total_files_changed: 2,
    });
    expect(byNumber.get(scenario.pr.updatedAfterWindow)).toMatchObject({ pr_merged_at: '2024-01-25T15:00:00Z' });
    expect(byNumber.has(scenario.pr.closedUnmerged)).toBe(false);
    expect(byNumber.has(scenario.pr.mergedAtWindowEnd)).toBe(false);
    expect(online.syncs.map((s) => (s.status === 'synced' ? s.renamedTo : null))).toEqual([null, 'demo-org/slowio']);
    expect(github.stats.rateLimited).toBe(1);
    for (const line of [...github.requestLog, ...log.lines]) expect(line).not.toContain(TOKEN);
    log.info(`timing: online ${Math.round(onlineMs)} ms for ${github.stats.requests} requests`);
    console.info(
      `collect-github: ${online.rows.length} rows, ${github.stats.requests} requests, ${Math.round(onlineMs)} ms (sync + collect)`,
    );
  });

  it('runs as `datasmith collect --source github` against the loopback server, in list and partition mode', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'ds-collect-github-cli-'));
    const repos = join(cwd, 'repos.csv');
    await writeFile(repos, 'repo_name,stars\ndemo-org/fastmath,1500\nold-org/slowio,700\ngone/missing,10\n');
    const out = join(cwd, 'commits.parquet');
    const env = { GH_TOKEN: TOKEN, DATASMITH_TOKENS_ENV: join(cwd, 'none.env') };
    const list = await run(
      [
        'collect',
        '--github-url',
        fake.url,
        '--git-url-template',
        scenario.gitUrlTemplate,
        '--repos',
        repos,
        '--since',
        '2024-01-01',
        '--until',
        '2024-02-01',
        '--out',
        out,
      ],
      env,
      cwd,
    );
    expect(list.stderr).not.toContain(TOKEN);
    expect(list.stdout).not.toContain(TOKEN);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^collect: kept \d+, dropped \d+ \(/m);
    expect(list.stderr).toMatch(/gone\/missing: GitHub answered 404/);
    expect(list.stderr).toMatch(/renamed: old-org\/slowio → demo-org\/slowio/);
    const rows = await readTable(out, CommitRow);
    expect(rows.length).toBe(
      scenario.expected['demo-org/fastmath']!.length + scenario.expected['old-org/slowio']!.length,
    );
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['github']));
    const failures = readFileSync(join(cwd, 'commits.failures.jsonl'), 'utf8');
    expect(JSON.parse(failures.trim())).toMatchObject({ item: 'gone/missing', code: 'E_ABSENT' });

    // Partition mode (the Nx target): no --store, the base URL from GITHUB_API_URL, the cache in <out-root>/github-store.
    const part = await run(
      [
        'collect',
        '--repo',
        'old-org/slowio',
        '--month',
        '2024-01',
        '--out-root',
        'data',
        '--git-url-template',
        scenario.gitUrlTemplate,
        '--json',
      ],
      { ...env, GITHUB_API_URL: fake.url },
      cwd,
    );
    expect(part.code, part.stderr).toBe(0);
    const summary = JSON.parse(part.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({
      step: 'collect',
      source: 'github',
      renamed: { 'old-org/slowio': 'demo-org/slowio' },
    });
    const partRows = await readTable(
      join(cwd, 'data', 'collect', 'old-org__slowio', '2024-01', 'commits.parquet'),
      CommitRow,
    );
    expect(partRows.map((r) => r.pr_number)).toEqual(scenario.expected['old-org/slowio']);
    expect(readFileSync(join(cwd, 'data', 'github-store', 'old-org', 'slowio', 'repo.json'), 'utf8')).toContain(
      'demo-org/slowio',
    );
  });
});
