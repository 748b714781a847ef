import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FixtureRepo } from '@datasmith/git/testing';
import { MemoStore } from '@datasmith/memo';
import { parseMonth } from '@datasmith/paths';
import { silentLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import { ClassifiedRow, CommitRow, PreparedRow, readTable } from '@datasmith/tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from './collect';

const CLI = resolve(import.meta.dirname, '../../../cli/bin/datasmith.js');
const carol = { name: 'Carol Contributor', email: 'carol@example.org' };
const dan = { name: 'Dan Drive-by', email: 'dan@example.org' };
const mia = { name: 'Mia Maintainer', email: 'mia@example.org' };
/** Mia again, under her GitHub no-reply address: the same person. */
const miaNoreply = { name: 'Mia Maintainer', email: '123+mia@users.noreply.github.com' };

let root: string;
let gitOnly: string;
let withPulls: string;
let mirror: string;
const shas: Record<string, string> = {};
let runShas: string[] = [];

const git = (...args: string[]) => execFileSync('git', ['-C', mirror, ...args], { encoding: 'utf8' });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ds-rebase-'));
  const r = new FixtureRepo(join(root, 'work'));
  r.commit(
    { 'asv.conf.json': '{"version": 1}\n', 'pkg/core.py': 'def f(x):\n    return x\n' },
    'init',
    '2023-12-20T00:00:00Z',
  );
  shas.s1 = r.squashPull(1, 'Speed up f', { 'pkg/core.py': 'def f(x):\n    return x * 1\n' }, '2024-01-02T00:00:00Z');
  // Carol's PR: two commits on a branch made from s1, while main moves on with #2.
  r.git(['checkout', '-q', '-b', 'carol/fast-path']);
  r.commit({ 'pkg/fast.py': 'def g(xs):\n    return sum(xs)\n' }, 'Add a fast path for g', '2024-01-03T09:00:00Z', {
    author: carol,
    committer: carol,
  });
  r.commit(
    { 'pkg/fast.py': 'def g(xs):\n    return sum(xs, 0)\n', 'tests/test_fast.py': 'def test_g():\n    pass\n' },
    'Test the fast path',
    '2024-01-04T09:00:00Z',
    { author: carol, committer: carol },
  );
  r.git(['checkout', '-q', 'main']);
  shas.s2 = r.squashPull(2, 'Tidy core', { 'pkg/core.py': 'def f(x):\n    return 1 * x\n' }, '2024-01-05T00:00:00Z');
  // Mia rebases Carol's branch onto main and pushes: two commits, one committer, one second.
  runShas = r.rebaseMerge('carol/fast-path', mia, '2024-01-10T12:00:00Z');
  // Mia applies Dan's one-commit PR herself (cherry-pick keeps Dan as author).
  r.git(['checkout', '-q', '-b', 'dan/patch', `${runShas[1]}~2`]);
  r.commit({ 'pkg/util.py': 'U = 1\n' }, 'Use a lookup table in util', '2024-01-11T00:00:00Z', {
    author: dan,
    committer: dan,
  });
  const danSha = r.head();
  r.git(['checkout', '-q', 'main']);
  r.git(['cherry-pick', danSha], '2024-01-12T08:00:00Z', { committer: mia, committerDate: '2024-01-12T08:00:00Z' });
  shas.applied = r.head();
  // Not PRs: Mia's own pushes (one, then two in different seconds), and a web edit by GitHub.
  shas.direct = r.commit({ 'pkg/core.py': 'def f(x):\n    return x\n' }, 'Fix a typo', '2024-01-14T00:00:00Z', {
    author: mia,
    committer: miaNoreply,
  });
  r.commit({ 'README.md': 'a\n' }, 'Readme', '2024-01-15T00:00:00Z', { author: mia, committer: mia });
  r.commit({ 'README.md': 'b\n' }, 'Readme again', '2024-01-15T00:00:07Z', { author: mia, committer: mia });
  shas.web = r.commit({ 'pkg/web.py': 'W = 1\n' }, 'Create web.py', '2024-01-16T00:00:00Z', { author: carol });
  // A squash merge that kept GitHub's merge message (one parent).
  shas.kept = r.commit(
    { 'pkg/kept.py': 'K = 1\n' },
    'Merge pull request #9 from carol/kept\n\nAvoid a copy in kept',
    '2024-01-17T00:00:00Z',
  );

  gitOnly = join(root, 'git-only');
  mirror = r.mirrorTo(join(root, 'mirror.git'));
  await mkdir(join(gitOnly, 'o'), { recursive: true });
  await symlink(mirror, join(gitOnly, 'o', 'r.git'));
  // The same mirror with PR files: #3 is the rebase merge, #1 and #2 the squashes.
  withPulls = join(root, 'with-pulls');
  await mkdir(join(withPulls, 'o', 'r', 'pulls'), { recursive: true });
  await symlink(mirror, join(withPulls, 'o', 'r.git'));
  const pull = (number: number, fields: Record<string, unknown>) =>
    writeFile(
      join(withPulls, 'o', 'r', 'pulls', `${number}.json`),
      JSON.stringify({ number, state: 'closed', title: `PR ${number}`, body: '', ...fields }),
    );
  await pull(3, {
    merged_at: '2024-01-10T12:00:02Z',
    merge_commit_sha: runShas[1],
    commits: 2,
    base: { ref: 'main', sha: shas.s2 },
  });
  await pull(1, { merged_at: '2024-01-02T00:00:00Z', merge_commit_sha: shas.s1, base: { ref: 'main' } });
  await pull(2, { merged_at: '2024-01-05T00:00:00Z', merge_commit_sha: shas.s2, base: { ref: 'main' } });
});

async function run(store: string) {
  const memo = new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-memo-')) });
  const { rows, failures } = await collect(
    { repos: ['o/r'], window: parseMonth('2024-01') },
    { store: new OfflineStore(store), memo, log: silentLogger },
  );
  expect(failures).toEqual([]);
  return rows;
}

describe('collect: rebase merges in a git-only store', () => {
  it('the fixture is a real rebase: two commits by Carol, committed by Mia in one second, on the first-parent line', () => {
    const log = git('log', '--first-parent', '--format=%an|%cn|%cI|%P', `${shas.s2}..${runShas[1]}`).trim().split('\n');
    expect(log).toHaveLength(2);
    for (const line of log)
      expect(line).toMatch(/^Carol Contributor\|Mia Maintainer\|2024-01-10T12:00:00\+00:00\|\S+$/);
    expect(git('rev-parse', `${runShas[0]}^`).trim()).toBe(shas.s2);
  });

  it('makes one row of a rebased run and of a maintainer-applied commit, none of direct pushes or web edits', async () => {
    const rows = await run(gitOnly);
    expect(rows.map((r) => [r.pr_number, r.merge_style, r.sha, r.kept])).toEqual([
      [1, 'squash', shas.s1, true],
      [2, 'squash', shas.s2, true],
      [9, 'squash', shas.kept, true],
      [null, 'rebase', runShas[1], true],
      [null, 'rebase', shas.applied, true],
    ]);
    const [run_, applied] = rows.filter((r) => r.pr_number === null) as [CommitRow, CommitRow];
    expect(run_.pr_base_sha).toBe(shas.s2);
    expect(run_.pr_merged_at).toBe('2024-01-10T12:00:00Z');
    expect(run_.pr_title).toBe('Add a fast path for g');
    expect(run_.message).toBe('Add a fast path for g\n\nTest the fast path');
    expect(run_.files_changed.split('\n').sort()).toEqual(['pkg/fast.py', 'tests/test_fast.py']);
    expect(run_.patch).toBe(git('diff', '--no-renames', shas.s2 as string, runShas[1] as string));
    expect(applied.pr_base_sha).toBe(runShas[1]);
    expect(applied.pr_title).toBe('Use a lookup table in util');
    expect(rows.find((r) => r.pr_number === 9)?.pr_title).toBe('Avoid a copy in kept');
  });

  it('lets PR files win: the run is PR #3 with its number, and nothing is guessed from git', async () => {
    const rows = await run(withPulls);
    expect(rows.map((r) => [r.pr_number, r.merge_style, r.sha])).toEqual([
      [1, 'squash', shas.s1],
      [2, 'squash', shas.s2],
      [3, 'rebase', runShas[1]],
      [9, 'squash', shas.kept],
    ]);
    expect(rows.find((r) => r.pr_number === 3)?.pr_base_sha).toBe(shas.s2);
  });

  it('carries a row without a PR number through the CLI: collect, prepare and classify tables', async () => {
    const work = await mkdtemp(join(tmpdir(), 'ds-rebase-cli-'));
    const cli = (args: string[]) =>
      execFileSync(process.execPath, [CLI, ...args], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    cli(['collect', '--store', gitOnly, '--repo', 'o/r', '--month', '2024-01', '--out-root', 'out']);
    cli(['prepare', '--repo', 'o/r', '--month', '2024-01', '--out-root', 'out']);
    cli(['classify', '--repo', 'o/r', '--month', '2024-01', '--out-root', 'out', '--store', gitOnly]);
    const part = (step: string, file: string) => join(work, 'out', step, 'o__r', '2024-01', file);
    const commits = await readTable(part('collect', 'commits.parquet'), CommitRow);
    const prepared = await readTable(part('prepare', 'prepared.parquet'), PreparedRow);
    const classified = await readTable(part('classify', 'classified.parquet'), ClassifiedRow);
    for (const table of [commits, prepared, classified])
      expect(table.filter((r) => r.pr_number === null).map((r) => r.sha)).toEqual([runShas[1], shas.applied]);
    const fastPath = classified.find((r) => r.sha === runShas[1]);
    expect(fastPath?.classification_explanation).not.toMatch(/error/i);
  });
});
