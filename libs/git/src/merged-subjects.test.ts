import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFirstParentHistory } from './history';
import { mergedCommitSubjects, mergedCommitSubjectsOf } from './repo';
import { FixtureRepo } from './testing';

let dir = '';
let repo: FixtureRepo;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-merged-'));
  repo = new FixtureRepo(join(dir, 'repo'));
  repo.commit({ 'a.py': '1' }, 'initial', '2024-01-01T00:00:00Z');
  // PR 1: two commits, then main merged into the branch, then one more commit.
  repo.git(['checkout', '-q', '-b', 'speed-up-sum']);
  repo.commit({ 'b.py': '1' }, 'vectorize sum', '2024-01-02T00:00:00Z');
  repo.git(['checkout', '-q', 'main']);
  repo.commit({ 'c.py': '1' }, 'docs (#2)', '2024-01-03T00:00:00Z');
  repo.git(['checkout', '-q', 'speed-up-sum']);
  repo.git(['merge', '-q', '--no-ff', '-m', 'Merge main into speed-up-sum', 'main'], '2024-01-04T00:00:00Z');
  repo.commit({ 'b.py': '2' }, 'avoid a copy', '2024-01-05T00:00:00Z');
  // PR 3, stacked on PR 1's branch, merged after it.
  repo.git(['checkout', '-q', '-b', 'stacked']);
  repo.commit({ 'd.py': '1' }, 'reuse the buffer', '2024-01-06T00:00:00Z');
  repo.git(['checkout', '-q', 'main']);
  repo.git(
    ['merge', '-q', '--no-ff', '-m', 'Merge pull request #1 from ada/speed-up-sum', 'speed-up-sum'],
    '2024-01-07T00:00:00Z',
  );
  repo.git(
    ['merge', '-q', '--no-ff', '-m', 'Merge pull request #3 from ada/stacked', 'stacked'],
    '2024-01-08T00:00:00Z',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mergedCommitSubjectsOf', () => {
  it('gives every merge the subjects git log --no-merges first..second gives, with one git process', async () => {
    const walked = [];
    for await (const r of readFirstParentHistory(repo.dir, { ref: 'HEAD', withPatch: false })) walked.push(r);
    const merges = walked
      .filter((r) => r.parents.length >= 2)
      .reverse()
      .map((r) => ({ sha: r.sha, first: r.parents[0] as string, second: r.parents[1] as string }));
    expect(merges).toHaveLength(2);
    const bulk = await mergedCommitSubjectsOf(repo.dir, merges, new Set(walked.map((r) => r.sha)), null);
    for (const m of merges) expect(bulk.get(m.sha)).toEqual(await mergedCommitSubjects(repo.dir, m.first, m.second));
    // PR 1 brings its own two commits (not the merge of main into it); the stacked PR 3 only its own.
    expect([...bulk.values()]).toEqual([['vectorize sum', 'avoid a copy'], ['reuse the buffer']]);
  });
});
