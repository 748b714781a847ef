import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureRepo } from '@datasmith/git/testing';
import { MemoStore } from '@datasmith/memo';
import { parseMonth } from '@datasmith/paths';
import { silentLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from './collect';
import { derivedTitle, humanizeBranch } from './messages';

let storeDir: string;

/** A PR branch with these commits, merged with GitHub's message and no body (nothing edited). */
function bodylessMerge(r: FixtureRepo, number: number, branch: string, commits: string[], date: string): string {
  r.git(['checkout', '-q', '-b', branch], date);
  commits.forEach((subject, i) => {
    r.commit({ [`pkg/${branch}.py`]: `X = ${i}\n` }, subject, date);
  });
  r.git(['checkout', '-q', 'main'], date);
  r.git(['merge', '-q', '--no-ff', branch, '-m', `Merge pull request #${number} from someone/${branch}`], date);
  return r.head();
}

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'ds-titles-'));
  storeDir = join(root, 'store');
  const r = new FixtureRepo(join(root, 'work'));
  r.commit({ 'asv.conf.json': '{"version": 1}\n', 'pkg/core.py': 'X = 0\n' }, 'init', '2024-01-01T00:00:00Z');
  bodylessMerge(
    r,
    1,
    'speed-up-nanmedian',
    ['Use partition in nanmedian', 'Add a benchmark', 'Review comments'],
    '2024-01-05T00:00:00Z',
  );
  bodylessMerge(r, 2, 'patch-1', ['ENH: avoid a copy in take'], '2024-01-06T00:00:00Z');
  bodylessMerge(r, 3, 'patch-2', ['MAINT: tidy take', 'MAINT: more tidying'], '2024-01-07T00:00:00Z');
  r.mergePull(4, 'A titled merge', { 'pkg/four.py': 'Y = 4\n' }, '2024-01-08T00:00:00Z', 'titled');
  r.squashPull(5, 'A squash', { 'pkg/five.py': 'Z = 5\n' }, '2024-01-09T00:00:00Z');
  // A merge commit whose message was edited to the squash form: two parents, `Title (#N)`.
  r.git(['checkout', '-q', '-b', 'edited'], '2024-01-10T00:00:00Z');
  r.commit({ 'pkg/six.py': 'W = 6\n' }, 'Use a set in six', '2024-01-10T00:00:00Z');
  r.git(['checkout', '-q', 'main'], '2024-01-10T00:00:00Z');
  r.git(['merge', '-q', '--no-ff', 'edited', '-m', 'Speed up six (#6)\n\nDetails.'], '2024-01-10T00:00:00Z');
  r.mirrorTo(join(storeDir, 'o', 'titles.git'));
});

describe('titles of merge commits without a body, and merges whose message was edited', () => {
  it('come from the branch name or the PR commits, and say where they came from', async () => {
    const memo = new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-memo-')) });
    const { rows, failures } = await collect(
      { repos: ['o/titles'], window: parseMonth('2024-01') },
      { store: new OfflineStore(storeDir), memo, log: silentLogger },
    );
    expect(failures).toEqual([]);
    const got = rows
      .sort((a, b) => (a.pr_number ?? 0) - (b.pr_number ?? 0))
      .map((row) => [row.pr_number, row.pr_title, row.pr_title_source, row.pr_commits]);
    expect(got).toEqual([
      // Three commits: the branch name in words, as GitHub proposes for a multi-commit PR.
      [1, 'Speed up nanmedian', 'branch', 'Use partition in nanmedian\nAdd a benchmark\nReview comments'],
      // One commit: its subject.
      [2, 'ENH: avoid a copy in take', 'commit', 'ENH: avoid a copy in take'],
      // A branch name that says nothing: the first commit's subject.
      [3, 'MAINT: tidy take', 'commit', 'MAINT: tidy take\nMAINT: more tidying'],
      [4, 'A titled merge', 'message', 'A titled merge (work)'],
      [5, 'A squash', 'message', ''],
      [6, 'Speed up six', 'message', 'Use a set in six'],
    ]);
    const six = rows.find((row) => row.pr_number === 6);
    expect(six).toMatchObject({ merge_style: 'merge', pr_body: 'Details.', kept: true, files_changed: 'pkg/six.py' });
  });
});

describe('derivedTitle', () => {
  it('follows GitHub: one commit gives its subject, several the branch in words', () => {
    expect(derivedTitle('faster_unique', ['a', 'b'])).toEqual({ title: 'Faster unique', source: 'branch' });
    expect(derivedTitle('faster_unique', ['Only commit'])).toEqual({ title: 'Only commit', source: 'commit' });
    expect(derivedTitle('main', ['First', 'Second'])).toEqual({ title: 'First', source: 'commit' });
    expect(derivedTitle('patch-3', [])).toEqual({ title: '', source: 'none' });
  });

  it('reads nothing from names that say nothing', () => {
    for (const name of ['main', 'master', 'patch-12', '1234', 'gh-99', 'dependabot/pip/numpy-2.0', 'a1b2c3d4e5'])
      expect(humanizeBranch(name)).toBe('');
    expect(humanizeBranch('maintenance/ENH-simd_sort')).toBe('Maintenance ENH simd sort');
  });
});
