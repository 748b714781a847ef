import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CommitRecord, readFirstParentHistory, readFirstParentHistoryConcurrently } from './history';
import { unquoteGitPath } from './quote';

function git(cwd: string, args: string[], date = '2024-01-15T10:00:00+02:00'): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'A',
      GIT_AUTHOR_EMAIL: 'a@example.com',
      GIT_COMMITTER_NAME: 'C',
      GIT_COMMITTER_EMAIL: 'c@example.com',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
}

async function collectAll(
  repo: string,
  options: Parameters<typeof readFirstParentHistory>[1],
): Promise<CommitRecord[]> {
  const out: CommitRecord[] = [];
  for await (const record of readFirstParentHistory(repo, options)) out.push(record);
  return out;
}

let repo: string;
let bare: string;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'ds-git-'));
  repo = join(root, 'work');
  await mkdir(repo);
  git(repo, ['init', '-q', '-b', 'main']);
  await mkdir(join(repo, 'pkg'));
  await writeFile(join(repo, 'pkg', 'core.py'), 'def f():\n    return 1\n');
  await writeFile(join(repo, 'asv.conf.json'), '{}\n');
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', 'init'], '2024-01-01T00:00:00Z');
  git(repo, ['checkout', '-qb', 'feature']);
  await writeFile(join(repo, 'pkg', 'core.py'), 'def f():\n    return 2\n');
  await writeFile(join(repo, 'pkg', 'ünï côde\t.py'), 'x = 1\n');
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', 'feature work'], '2024-01-10T00:00:00Z');
  git(repo, ['checkout', '-q', 'main']);
  git(
    repo,
    ['merge', '-q', '--no-ff', 'feature', '-m', 'Merge pull request #7 from o/feature\n\nMake f return 2'],
    '2024-01-31T23:30:00-05:00',
  );
  git(repo, ['rm', '-q', 'asv.conf.json']);
  await writeFile(join(repo, 'big.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', 'Drop asv config (#8)\n\nbody'], '2024-02-03T12:00:00+09:00');
  bare = join(root, 'mirror.git');
  execFileSync('git', ['clone', '-q', '--bare', repo, bare]);
});

describe('readFirstParentHistory', () => {
  it('streams first-parent commits with stats, created/deleted paths and exact patches', async () => {
    const records = await collectAll(bare, { ref: 'main' });
    expect(records.map((r) => r.message.split('\n')[0])).toEqual([
      'Drop asv config (#8)',
      'Merge pull request #7 from o/feature',
      'init',
    ]);
    const [squash, merge, init] = records as [CommitRecord, CommitRecord, CommitRecord];
    expect(merge.parents).toHaveLength(2);
    expect(merge.committerDate).toBe('2024-01-31T23:30:00-05:00');
    expect(merge.files.map((f) => [f.path, f.additions, f.deletions])).toEqual([
      ['pkg/core.py', 1, 1],
      ['pkg/ünï côde\t.py', 1, 0],
    ]);
    expect(merge.created).toEqual(['pkg/ünï côde\t.py']);
    const expected = execFileSync(
      'git',
      ['-c', 'core.quotePath=false', '-C', bare, 'diff', '--no-renames', `${merge.parents[0]}`, merge.sha],
      { encoding: 'utf8' },
    );
    expect(merge.patch).toBe(expected);
    expect(squash.deleted).toEqual(['asv.conf.json']);
    expect(squash.files.find((f) => f.path === 'big.bin')).toEqual({
      path: 'big.bin',
      additions: 0,
      deletions: 0,
      binary: true,
    });
    expect(init.parents).toEqual([]);
    expect(init.created.sort()).toEqual(['asv.conf.json', 'pkg/core.py']);
  });

  it('gives the same records when segments are diffed by concurrent git processes', async () => {
    const sequential = await collectAll(bare, { ref: 'main' });
    const concurrent = await readFirstParentHistoryConcurrently(
      bare,
      { ref: 'main' },
      { segmentSize: 1, concurrency: 2 },
    );
    expect(concurrent).toEqual(sequential);
  });

  it('limits the walk to a committer-date window', async () => {
    const records = await collectAll(bare, {
      ref: 'main',
      since: new Date('2024-01-15T00:00:00Z'),
      until: new Date('2024-02-03T03:00:00Z'),
    });
    expect(records.map((r) => r.message.split('\n')[0])).toEqual(['Merge pull request #7 from o/feature']);
  });

  it('marks a commit whose blob is missing as unavailable and keeps walking', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ds-git-broken-'));
    const broken = join(root, 'broken.git');
    execFileSync('git', ['init', '-q', '--bare', broken]);
    const packs = execFileSync('git', ['-C', bare, 'rev-parse', '--git-path', 'objects/pack'], {
      encoding: 'utf8',
    }).trim();
    execFileSync('git', ['-C', bare, 'repack', '-q', '-a', '-d']);
    const pack = execFileSync('sh', ['-c', `ls ${join(bare, packs)}/*.pack`], { encoding: 'utf8' }).trim();
    execFileSync('sh', ['-c', `git -C ${broken} unpack-objects -q < ${pack}`]);
    execFileSync('git', [
      '-C',
      broken,
      'update-ref',
      'refs/heads/main',
      execFileSync('git', ['-C', bare, 'rev-parse', 'main'], { encoding: 'utf8' }).trim(),
    ]);
    const blob = execFileSync('git', ['-C', bare, 'rev-parse', 'main~1:pkg/core.py'], { encoding: 'utf8' }).trim();
    await rm(join(broken, 'objects', blob.slice(0, 2), blob.slice(2)));
    const records = await collectAll(broken, { ref: 'main' });
    expect(records.map((r) => [r.message.split('\n')[0], r.unavailable])).toEqual([
      ['Drop asv config (#8)', false],
      ['Merge pull request #7 from o/feature', true],
      ['init', false],
    ]);
    const merge = records[1] as CommitRecord;
    expect(merge.patch).toBeNull();
    expect(merge.files.map((f) => f.path)).toEqual(['pkg/core.py', 'pkg/ünï côde\t.py']);
  });

  it('keeps walking past a commit whose tree is missing (git show cannot read it; git log -1 can)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ds-git-notree-'));
    const work = join(root, 'work');
    const sh = (args: string[], cwd = work) =>
      execFileSync('git', args, {
        cwd,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@x',
          GIT_COMMITTER_NAME: 'c',
          GIT_COMMITTER_EMAIL: 'c@x',
        },
      }).trim();
    execFileSync('git', ['init', '-q', '-b', 'main', work]);
    await mkdir(join(work, 'pkg'), { recursive: true });
    await writeFile(join(work, 'pkg', 'a.py'), 'A = 1\n');
    sh(['add', '-A']);
    sh(['commit', '-q', '-m', 'one']);
    await writeFile(join(work, 'pkg', 'a.py'), 'A = 2\n');
    sh(['add', '-A']);
    sh(['commit', '-q', '-m', 'two']);
    await writeFile(join(work, 'b.py'), 'B = 1\n');
    sh(['add', '-A']);
    sh(['commit', '-q', '-m', 'three']);
    const tree = sh(['rev-parse', 'HEAD~1:pkg']);
    await rm(join(work, '.git', 'objects', tree.slice(0, 2), tree.slice(2)));
    expect(() => sh(['show', '-s', '--format=%H', 'HEAD~1'])).toThrow();
    const records = await collectAll(join(work, '.git'), { ref: 'main' });
    expect(records.map((r) => [r.message, r.unavailable, r.committerName])).toEqual([
      ['three', false, 'c'],
      ['two', true, 'c'],
      ['one', false, 'c'],
    ]);
    expect(records[1]?.patch).toBeNull();
  });
});

describe('unquoteGitPath', () => {
  it.each([
    ['plain', 'a/b.py', 'a/b.py'],
    ['tab', '"a\\tb.py"', 'a\tb.py'],
    ['octal utf-8', '"\\303\\274.py"', 'ü.py'],
    ['quote', '"a\\"b"', 'a"b'],
  ])('%s', (_n, input, output) => {
    expect(unquoteGitPath(input)).toBe(output);
  });
});
