import { join } from 'node:path';
import type { FakeGitHubOptions } from './fake-github';
import { PullHistory } from './pull-history';

/** A month of two real repositories and their PRs, shaped to catch the listing bugs issue 3 names. */
export interface ListingScenario {
  /** January 2024, UTC, half-open. */
  window: { start: Date; end: Date };
  fastmath: PullHistory;
  /** Renamed: requested as `old-org/slowio`, now `demo-org/slowio`. */
  slowio: PullHistory;
  /** `git` URL template of the repositories (`<root>/remotes/{owner}/{name}`). */
  gitUrlTemplate: string;
  /** The fake GitHub's options: both repositories, the rename, and `gone/missing` answering 404. */
  fakeOptions(): FakeGitHubOptions;
  /** PR numbers merged into the default branch in the window, per requested name. */
  expected: Record<string, number[]>;
  /** Named PRs of fastmath. */
  pr: {
    createdBeforeSince: number;
    rebase: number;
    closedUnmerged: number;
    mergedAtWindowEnd: number;
    updatedAfterWindow: number;
  };
}

const ASV = '{"version": 1, "benchmark_dir": "benchmarks"}\n';

function hoursAfter(iso: string, hours: number): string {
  return new Date(Date.parse(iso) + hours * 3600_000).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * Builds the scenario under `root`. demo-org/fastmath has 100 PRs merged in December 2023, then,
 * sorted by last update, exactly 100 PRs updated in or after January 2024 before the 101st, #101:
 * created in June 2023 and merged at 2024-01-01T00:00:00Z, the first item of page 2 (a lister that
 * stops on creation dates, or on a short page, loses it). January also holds a rebase merge of two
 * commits, a PR closed without merging, a PR merged exactly at 2024-02-01T00:00:00Z (outside), and a
 * PR merged in January but updated in March (first in the list).
 */
export function buildListingScenario(root: string): ListingScenario {
  const f = new PullHistory(join(root, 'remotes', 'demo-org', 'fastmath'), 'demo-org/fastmath');
  f.commit(
    {
      'asv.conf.json': ASV,
      'pkg/__init__.py': '',
      'pkg/core.py': 'def f(x):\n    return x\n',
      'README.md': '# fastmath\n',
    },
    'Initial commit',
    '2023-11-01T00:00:00Z',
  );
  f.emptySquashes(
    Array.from({ length: 100 }, (_, i) => ({
      number: i + 1,
      title: `December change ${i + 1}`,
      mergedAt: hoursAfter('2023-12-01T00:00:00Z', (i + 1) * 6),
    })),
  );
  f.merge(101, 'Vectorise f', { 'pkg/core.py': 'def f(x):\n    return x * 1\n' }, '2024-01-01T00:00:00Z', {
    createdAt: '2023-06-01T09:00:00Z',
  });
  const real: Record<number, [string, Record<string, string | null>, string]> = {
    102: ['Speed up g', { 'pkg/g.py': 'def g():\n    return 2\n' }, 'Use a set instead of a list.'],
    103: ['Fix docs', { 'docs/index.rst': 'Docs\n', 'CHANGES.md': 'x\n' }, ''],
    104: ['Add tests', { 'tests/test_core.py': 'def test():\n    pass\n' }, ''],
    105: ['Cache h', { 'pkg/h.py': 'H = {}\n', 'benchmarks/bench_h.py': 'def time_h():\n    pass\n' }, 'Memoise.'],
    106: ['CI only', { '.github/workflows/ci.yml': 'on: push\n' }, ''],
    107: ['Lazy import', { 'pkg/__init__.py': 'def __getattr__(name):\n    raise AttributeError(name)\n' }, ''],
  };
  const january = (i: number) => hoursAfter('2024-01-02T00:00:00Z', i * 4);
  for (const [n, spec] of Object.entries(real))
    f.squash(Number(n), spec[0], spec[1], january(Number(n) - 102), spec[2]);
  f.emptySquashes(
    Array.from({ length: 96 - Object.keys(real).length }, (_, i) => {
      const n = 102 + Object.keys(real).length + i;
      return { number: n, title: `January change ${n}`, mergedAt: january(n - 102) };
    }),
  );
  f.rebase(
    200,
    'Split core',
    [
      { files: { 'pkg/split.py': 'A = 1\n' }, message: 'Add split module' },
      { files: { 'pkg/split.py': 'A = 2\n', 'pkg/core.py': 'from .split import A\n' }, message: 'Use split module' },
    ],
    '2024-01-22T12:00:00Z',
  );
  f.closedUnmerged(201, 'Abandoned idea', '2024-01-10T00:00:00Z', '2024-01-20T00:00:00Z');
  f.merge(203, 'Faster reduce', { 'pkg/reduce.py': 'R = 0\n' }, '2024-01-25T10:00:00-05:00', {
    updatedAt: '2024-03-05T08:00:00Z',
  });
  f.squash(202, 'First second of February', { 'pkg/feb.py': 'F = 1\n' }, '2024-02-01T00:00:00Z');

  const s = new PullHistory(join(root, 'remotes', 'demo-org', 'slowio'), 'demo-org/slowio');
  s.commit(
    { 'benchmarks/asv.conf.json': ASV, 'slowio/io.py': 'def read():\n    pass\n' },
    'init',
    '2023-12-15T00:00:00Z',
  );
  s.merge(7, 'Buffer reads', { 'slowio/io.py': 'def read():\n    return b""\n' }, '2024-01-09T12:00:00+02:00');
  s.squash(8, 'Faster writes', { 'slowio/write.py': 'W = 1\n' }, '2024-01-31T23:59:59Z', 'Batch the syscalls.');

  const inWindow = (h: PullHistory) =>
    h.pulls
      .filter((p) => p.merged_at && p.merged_at >= '2024-01-01T00:00:00Z' && p.merged_at < '2024-02-01T00:00:00Z')
      .map((p) => p.number)
      .sort((a, b) => a - b);
  return {
    window: { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-02-01T00:00:00Z') },
    fastmath: f,
    slowio: s,
    gitUrlTemplate: join(root, 'remotes', '{owner}', '{name}'),
    fakeOptions: () => ({
      repositories: [
        f.spec({ id: 11, stargazers_count: 1500 }),
        s.spec({ id: 12, stargazers_count: 700, formerNames: ['old-org/slowio'] }),
      ],
      absent: { 'gone/missing': 404 },
    }),
    expected: { 'demo-org/fastmath': inWindow(f), 'old-org/slowio': inWindow(s) },
    pr: { createdBeforeSince: 101, rebase: 200, closedUnmerged: 201, mergedAtWindowEnd: 202, updatedAfterWindow: 203 },
  };
}
