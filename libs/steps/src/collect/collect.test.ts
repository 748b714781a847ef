import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FixtureRepo } from '@datasmith/git/testing';
import { MemoStore } from '@datasmith/memo';
import { parseMonth } from '@datasmith/paths';
import { silentLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import { CommitRow, readTable } from '@datasmith/tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from './collect';

const CLI = resolve(import.meta.dirname, '../../../cli/bin/datasmith.js');

let storeDir: string;
const shas: Record<string, string> = {};

function pullFile(number: number, fields: Record<string, unknown>): string {
  return JSON.stringify(
    { number, state: 'closed', title: `PR ${number}`, body: `Body of ${number}`, ...fields },
    null,
    2,
  );
}

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'ds-collect-'));
  storeDir = join(root, 'store');
  const a = new FixtureRepo(join(root, 'work-a'));
  a.commit(
    { 'asv.conf.json': '{"version": 1}\n', 'pkg/core.py': 'def f(x):\n    return x\n', 'README.md': '# a\n' },
    'init',
    '2023-12-20T00:00:00Z',
  );
  shas.m1 = a.mergePull(
    1,
    'Make f faster',
    { 'pkg/core.py': 'def f(x):\n    return x * 1\n' },
    '2024-01-05T10:00:00+01:00',
  );
  shas.s2 = a.squashPull(
    2,
    'Speed up g',
    { 'pkg/g.py': 'def g():\n    return 2\n' },
    '2024-01-10T08:00:00-08:00',
    'Use a set.',
  );
  shas.s3 = a.squashPull(3, 'Fix docs', { 'docs/index.rst': 'Docs\n', 'CHANGES.md': 'x\n' }, '2024-01-11T00:00:00Z');
  shas.s4 = a.squashPull(4, 'Add tests', { 'tests/test_core.py': 'def test():\n    pass\n' }, '2024-01-12T00:00:00Z');
  shas.s5 = a.squashPull(
    5,
    'Docs and CI',
    { 'doc/x.rst': 'x\n', '.github/workflows/ci.yml': 'on: push\n' },
    '2024-01-13T00:00:00Z',
  );
  shas.r6a = a.commit({ 'pkg/h.py': 'H = 1\n' }, 'Add h', '2024-01-20T12:00:00Z');
  shas.r6b = a.commit(
    { 'pkg/h.py': 'H = 2\n', 'pkg/__init__.py': 'from .h import H\n' },
    'Export h',
    '2024-01-20T12:00:01Z',
  );
  shas.m7 = a.mergePull(
    7,
    'Boundary PR',
    { 'pkg/core.py': 'def f(x):\n    return x + 0\n' },
    '2024-01-31T23:30:00-05:00',
  );
  shas.s9 = a.squashPull(
    9,
    'Last second of February',
    { 'setup.py': 'from setuptools import setup\nsetup()\n' },
    '2024-02-29T23:59:59Z',
  );
  shas.s10 = a.squashPull(
    10,
    'First second of March',
    { 'pkg/core.py': 'def f(x):\n    return x\n' },
    '2024-03-01T00:00:00Z',
  );
  shas.s11 = a.squashPull(11, 'Nothing at all', {}, '2024-01-25T00:00:00Z');
  a.git(['checkout', '-q', '-b', 'maintenance/1.x', shas.m1]);
  shas.m8 = a.mergePull(
    8,
    'Backport',
    { 'pkg/core.py': 'def f(x):\n    return x  # backport\n' },
    '2024-01-15T00:00:00Z',
    'backport',
  );
  a.git(['checkout', '-q', 'main']);
  const mirrorA = a.mirrorTo(join(storeDir, 'o', 'a.git'));
  expect(existsSync(mirrorA)).toBe(true);
  await mkdir(join(storeDir, 'o', 'a', 'pulls'), { recursive: true });
  await writeFile(
    join(storeDir, 'o', 'a', 'repo.json'),
    JSON.stringify({ full_name: 'o/a', default_branch: 'main', stargazers_count: 900 }),
  );
  const pulls = join(storeDir, 'o', 'a', 'pulls');
  await writeFile(
    join(pulls, '6.json'),
    pullFile(6, {
      merged_at: '2024-01-20T12:00:05Z',
      merge_commit_sha: shas.r6b,
      commits: 2,
      base: { ref: 'main', sha: shas.s5 },
    }),
  );
  await writeFile(
    join(pulls, '8.json'),
    pullFile(8, {
      merged_at: '2024-01-15T00:00:00Z',
      merge_commit_sha: shas.m8,
      base: { ref: 'maintenance/1.x', sha: shas.m1 },
    }),
  );
  await writeFile(
    join(pulls, '2.json'),
    pullFile(2, {
      title: 'Speed up g with a set',
      merged_at: '2024-01-10T16:00:00Z',
      merge_commit_sha: shas.s2,
      base: { ref: 'main', sha: shas.m1 },
    }),
  );
  await writeFile(join(pulls, '12.json'), pullFile(12, { merged_at: null, merge_commit_sha: null }));

  // Repository b: ASV arrives in February; stored as a symlinked bare mirror.
  const b = new FixtureRepo(join(root, 'work-b'));
  b.commit({ 'lib/x.py': 'X = 1\n' }, 'init', '2023-12-01T00:00:00Z');
  shas.b1 = b.squashPull(1, 'Tweak x', { 'lib/x.py': 'X = 2\n' }, '2024-01-03T00:00:00Z');
  shas.b2 = b.squashPull(
    2,
    'Add asv',
    { 'benchmarks/asv.conf.json': '{}\n', 'lib/x.py': 'X = 3\n' },
    '2024-01-04T00:00:00Z',
  );
  shas.b3 = b.squashPull(3, 'Tweak x again', { 'lib/x.py': 'X = 4\n' }, '2024-01-05T00:00:00Z');
  b.mirrorTo(join(root, 'elsewhere', 'b.git'));
  await symlink(join(root, 'elsewhere', 'b.git'), join(storeDir, 'o', 'b.git'));
});

async function run(month: string, repos = ['o/a', 'o/b']) {
  const memo = new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-memo-')) });
  return collect({ repos, window: parseMonth(month) }, { store: new OfflineStore(storeDir), memo, log: silentLogger });
}

describe('collect from the offline store', () => {
  it('finds merge, squash and rebase PRs in the UTC month with the right base, patch and drop reason', async () => {
    const { rows, failures } = await run('2024-01');
    expect(failures).toEqual([]);
    const a = rows.filter((r) => r.repo_name === 'o/a').sort((x, y) => (x.pr_number ?? 0) - (y.pr_number ?? 0));
    expect(a.map((r) => [r.pr_number, r.merge_style, r.kept, r.drop_reason])).toEqual([
      [1, 'merge', true, null],
      [2, 'squash', true, null],
      [3, 'squash', false, 'docs_only'],
      [4, 'squash', false, 'tests_only'],
      [5, 'squash', false, 'non_code_only'],
      [6, 'rebase', true, null],
      [8, 'merge', false, 'not_on_default_branch'],
      [11, 'squash', false, 'empty_change'],
    ]);
    const byNumber = new Map(a.map((r) => [r.pr_number, r]));
    const m1 = byNumber.get(1)!;
    expect(m1.sha).toBe(shas.m1);
    expect(m1.pr_title).toBe('Make f faster');
    expect(m1.pr_merged_at).toBe('2024-01-05T09:00:00Z');
    expect(m1.pr_base_sha).toBe(
      execFileSync('git', ['-C', join(storeDir, 'o', 'a.git'), 'rev-parse', `${shas.m1}^1`], {
        encoding: 'utf8',
      }).trim(),
    );
    expect(m1.patch).toBe(
      execFileSync('git', ['-C', join(storeDir, 'o', 'a.git'), 'diff', '--no-renames', m1.pr_base_sha!, m1.sha], {
        encoding: 'utf8',
      }),
    );
    expect(byNumber.get(2)!.pr_title).toBe('Speed up g with a set');
    expect(byNumber.get(2)!.pr_base_ref_sha).toBe(shas.m1);
    const r6 = byNumber.get(6)!;
    expect(r6.pr_base_sha).toBe(shas.s5);
    expect(r6.files_changed.split('\n').sort()).toEqual(['pkg/__init__.py', 'pkg/h.py']);
    expect(r6.total_additions).toBe(2);
    const b = rows.filter((r) => r.repo_name === 'o/b').map((r) => [r.pr_number, r.has_asv, r.drop_reason]);
    expect(b).toEqual([
      [1, false, 'no_asv_at_base'],
      [2, false, 'no_asv_at_base'],
      [3, true, null],
    ]);
  });

  it('puts a PR merged late on Jan 31 in New York into February (UTC), and the window end is exclusive', async () => {
    const { rows } = await run('2024-02', ['o/a']);
    expect(rows.map((r) => [r.pr_number, r.pr_merged_at])).toEqual([
      [7, '2024-02-01T04:30:00Z'],
      [9, '2024-02-29T23:59:59Z'],
    ]);
    const march = await run('2024-03', ['o/a']);
    expect(march.rows.map((r) => r.pr_number)).toEqual([10]);
  });

  it('records a repository that is not a git repository as failed and goes on', async () => {
    await mkdir(join(storeDir, 'o', 'broken.git'), { recursive: true });
    const { rows, failures } = await run('2024-01', ['o/broken', 'o/b']);
    expect(failures).toEqual([
      expect.objectContaining({
        item: 'o/broken',
        code: 'E_INPUT',
        message: expect.stringContaining('not a git repository'),
      }),
    ]);
    expect(rows.filter((r) => r.repo_name === 'o/b')).toHaveLength(3);
  });
});

describe('datasmith collect (CLI)', () => {
  function cli(args: string[], cwd: string) {
    try {
      const stdout = execFileSync(process.execPath, [CLI, ...args], {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { code: 0, stdout, stderr: '' };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { code: e.status, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('writes byte-identical tables on re-run, and the same rows in partition mode', async () => {
    const work = await mkdtemp(join(tmpdir(), 'ds-collect-cli-'));
    await writeFile(join(work, 'repos.csv'), 'repo_name,stars\no/a,900\no/b,\n');
    const args = [
      'collect',
      '--store',
      storeDir,
      '--repos',
      'repos.csv',
      '--since',
      '2024-01-01',
      '--until',
      '2024-02-01',
    ];
    const first = cli([...args, '--out', 'one.parquet', '--json'], work);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ kept: 4, dropped: 7, memo_hits: 0 });
    const second = cli([...args, '--out', 'two.parquet', '--json'], work);
    expect(JSON.parse(second.stdout)).toMatchObject({ memo_hits: 2 });
    expect(Buffer.compare(await readFile(join(work, 'one.parquet')), await readFile(join(work, 'two.parquet')))).toBe(
      0,
    );
    const part = cli(
      ['collect', '--store', storeDir, '--repo', 'o/b', '--month', '2024-01', '--out-root', 'out'],
      work,
    );
    expect(part.code).toBe(0);
    expect(part.stdout).toContain('collect: kept 1, dropped 2 (no_asv_at_base: 2)');
    const rows = await readTable(join(work, 'out', 'collect', 'o__b', '2024-01', 'commits.parquet'), CommitRow);
    const all = await readTable(join(work, 'one.parquet'), CommitRow);
    expect(rows).toEqual(all.filter((r) => r.repo_name === 'o/b'));
  });

  it.each([
    ['an invalid month', ['--repo', 'o/a', '--month', '2024-13'], /Invalid --month: "2024-13"/],
    ['a missing month', ['--repo', 'o/a'], /Missing --month/],
    [
      'a malformed repository list',
      ['--repos', 'bad.csv', '--since', '2024-01-01', '--until', '2024-02-01', '--out', 'x.parquet'],
      /Invalid repo_name in bad\.csv:2/,
    ],
    [
      'an empty window',
      ['--repos', 'bad.csv', '--since', '2024-02-01', '--until', '2024-01-01', '--out', 'x.parquet'],
      /Invalid window/,
    ],
    [
      'a missing store',
      ['--repo', 'o/a', '--month', '2024-01', '--store', '/nonexistent/store'],
      /Missing store: \/nonexistent\/store/,
    ],
  ])('rejects %s with a one-line error and no output', async (_name, extra, message) => {
    const work = await mkdtemp(join(tmpdir(), 'ds-collect-bad-'));
    await writeFile(join(work, 'bad.csv'), 'repo_name\nnot a repo name\n');
    const hasStore = extra.includes('--store');
    const result = cli(['collect', ...(hasStore ? [] : ['--store', storeDir]), ...extra, '--out-root', 'out'], work);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').pop()).toMatch(message);
    expect(existsSync(join(work, 'x.parquet'))).toBe(false);
    expect(existsSync(join(work, 'out', 'collect'))).toBe(false);
  });

  it('resumes after SIGKILL without redoing finished repositories, byte-identical to an uninterrupted run', async () => {
    const work = await mkdtemp(join(tmpdir(), 'ds-collect-kill-'));
    // Twelve repositories (symlinks to the same mirror): slow enough to kill half-way.
    const names: string[] = [];
    for (let i = 0; i < 12; i++) {
      await mkdir(join(work, 'store', `k${i}`), { recursive: true });
      await symlink(join(storeDir, 'o', 'a.git'), join(work, 'store', `k${i}`, 'a.git'));
      names.push(`k${i}/a`);
    }
    await writeFile(join(work, 'repos.csv'), `repo_name\n${names.join('\n')}\n`);
    const args = [
      'collect',
      '--store',
      'store',
      '--repos',
      'repos.csv',
      '--since',
      '2024-01-01',
      '--until',
      '2024-03-01',
      '--threads',
      '1',
    ];
    const memoDir = join(work, 'data', 'memo', 'collect');
    const countMemo = () =>
      existsSync(memoDir)
        ? readdirSync(memoDir)
            .flatMap((d) => readdirSync(join(memoDir, d)))
            .filter((f) => f.endsWith('.json')).length
        : 0;
    const child = spawn(process.execPath, [CLI, ...args, '--out', 'killed.parquet'], { cwd: work, stdio: 'ignore' });
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        if (countMemo() >= 3) {
          child.kill('SIGKILL');
          clearInterval(timer);
          done();
        }
      }, 5);
    });
    await new Promise((done) => child.on('exit', done));
    const finished = countMemo();
    expect(finished).toBeGreaterThanOrEqual(3);
    expect(finished).toBeLessThan(12);
    expect(existsSync(join(work, 'killed.parquet'))).toBe(false);
    const resumed = cli([...args, '--out', 'killed.parquet', '--json'], work);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ memo_hits: finished });
    const other = await mkdtemp(join(tmpdir(), 'ds-collect-clean-'));
    await symlink(join(work, 'store'), join(other, 'store'));
    await writeFile(join(other, 'repos.csv'), `repo_name\n${names.join('\n')}\n`);
    const clean = cli([...args, '--out', 'clean.parquet', '--json'], other);
    expect(JSON.parse(clean.stdout)).toMatchObject({ memo_hits: 0, kept: 48 });
    expect(
      Buffer.compare(await readFile(join(work, 'killed.parquet')), await readFile(join(other, 'clean.parquet'))),
    ).toBe(0);
  });
});
