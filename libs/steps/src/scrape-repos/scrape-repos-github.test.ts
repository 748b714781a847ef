import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createGitHubClient } from '@datasmith/github';
import { type FakeGitHub, type FakeRepositorySpec, startFakeGitHub } from '@datasmith/github/testing';
import { createMemoryLogger } from '@datasmith/progress';
import { RepoRow, readTable } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoDropReason, scrapeReposFromGitHub } from './scrape-repos-github';

const CLI = resolve(import.meta.dirname, '../../../cli/bin/datasmith.js');
const TOKEN = `ghp_${'ScRaPe42'.repeat(5)}`;
const NOW = new Date('2024-06-01T12:00:00Z');

const asv = (path = 'asv.conf.json') => [{ path, size: 400 }];
const REPOS: FakeRepositorySpec[] = [
  { full_name: 'numpy/numpy', stargazers_count: 27000, files: [...asv('benchmarks/asv.conf.json')] },
  { full_name: 'pandas-dev/pandas', stargazers_count: 42000, files: [...asv('asv_bench/asv.conf.json')] },
  { full_name: 'scipy/scipy', stargazers_count: 13000, files: [...asv('benchmarks/asv.conf.json'), ...asv()] },
  { full_name: 'someone/numpy-fork', stargazers_count: 5000, fork: true, files: asv() },
  { full_name: 'old/archived', stargazers_count: 3000, archived: true, files: asv() },
  { full_name: 'old/disabled', stargazers_count: 3000, disabled: true, files: asv() },
  { full_name: 'airspeed-velocity/asv', stargazers_count: 900, files: asv() },
  { full_name: 'tiny/project', stargazers_count: 12, files: asv() },
  { full_name: 'deleted/after-indexing', stargazers_count: 800, files: asv() },
  { full_name: 'astropy/astropy', stargazers_count: 4500, files: asv('benchmarks/asv.conf.json') },
];

let fake: FakeGitHub;
beforeAll(async () => {
  fake = await startFakeGitHub({ repositories: REPOS, absent: { 'deleted/after-indexing': 404 } });
});
afterAll(async () => {
  await fake.close();
});

describe('repoDropReason', () => {
  it.each([
    ['accessible, big', { accessible: true, fork: false, archived: false, stars: 600 }, null],
    ['unknown stars are kept', { accessible: true, fork: null, archived: null, stars: null }, null],
    ['inaccessible', { accessible: false, fork: null, archived: null, stars: null }, 'repo_inaccessible'],
    ['fork', { accessible: true, fork: true, archived: false, stars: 9000 }, 'repo_fork'],
    ['archived', { accessible: true, fork: false, archived: true, stars: 9000 }, 'repo_archived'],
    ['below min stars', { accessible: true, fork: false, archived: false, stars: 499 }, 'repo_below_min_stars'],
  ] as const)('%s', (_name, facts, expected) => {
    expect(repoDropReason({ repoName: 'a/b', ...facts }, 500)).toBe(expected);
  });
  it('excludes asv itself', () => {
    expect(
      repoDropReason(
        { repoName: 'airspeed-velocity/asv', accessible: true, fork: false, archived: false, stars: 900 },
        0,
      ),
    ).toBe('repo_excluded');
  });
});

describe('scrapeReposFromGitHub', () => {
  it('applies the original criteria as drop reasons and keeps the top repositories by stars', async () => {
    const log = createMemoryLogger();
    const github = createGitHubClient({ baseUrl: fake.url, tokens: [TOKEN], log, policy: { unitMs: 1 } });
    const result = await scrapeReposFromGitHub({ minStars: 500, maxRepos: 3 }, { github, clock: () => NOW, log });
    const byName = Object.fromEntries(result.rows.map((r) => [r.repo_name, r]));
    expect(Object.fromEntries(result.rows.map((r) => [r.repo_name, r.drop_reason]))).toEqual({
      'airspeed-velocity/asv': 'repo_excluded',
      'astropy/astropy': 'repo_over_max_repos',
      'deleted/after-indexing': 'repo_inaccessible',
      'numpy/numpy': null,
      'old/archived': 'repo_archived',
      'old/disabled': 'repo_archived',
      'pandas-dev/pandas': null,
      'scipy/scipy': null,
      'someone/numpy-fork': 'repo_fork',
      'tiny/project': 'repo_below_min_stars',
    });
    expect(byName['scipy/scipy']).toMatchObject({
      url: 'https://github.com/scipy/scipy',
      stars: 13000,
      is_fork: false,
      is_archived: false,
      default_branch: 'main',
      asv_config_paths: ['asv.conf.json', 'benchmarks/asv.conf.json'],
      source: 'github',
      fetched_at: '2024-06-01T12:00:00.000Z',
      kept: true,
    });
    expect(byName['deleted/after-indexing']).toMatchObject({ stars: null, is_fork: null, kept: false });
    expect(result.failures).toEqual([]);
    expect(() => result.rows.map((r) => RepoRow.parse(r))).not.toThrow();
  });

  it('runs as `datasmith scrape-repos` in GitHub mode and writes repos.parquet and repos.csv', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'ds-scrape-github-'));
    const out = join(cwd, 'repos', 'repos.parquet');
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const child = spawn(
        process.execPath,
        [CLI, 'scrape-repos', '--github-url', fake.url, '--out', out, '--min-stars', '500', '--max-repos', '150'],
        { cwd, env: { ...process.env, GH_TOKENS: `${TOKEN},${TOKEN}x`, DATASMITH_TOKENS_ENV: join(cwd, 'none.env') } },
      );
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
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^scrape-repos: kept 4, dropped 6 \(.*repo_archived: 2.*\)$/m);
    expect(`${result.stdout}${result.stderr}`).not.toContain(TOKEN);
    const rows = await readTable(out, RepoRow);
    expect(rows).toHaveLength(10);
    expect(readFileSync(join(cwd, 'repos', 'repos.csv'), 'utf8')).toBe(
      'repo_name,stars\nastropy/astropy,4500\nnumpy/numpy,27000\npandas-dev/pandas,42000\nscipy/scipy,13000\n',
    );
  });
});
