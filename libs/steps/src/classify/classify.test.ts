import { silentLogger } from '@datasmith/progress';
import type { PreparedRow } from '@datasmith/tables';
import { describe, expect, it } from 'vitest';
import { commitRow, makePatch } from '../prepare/fixtures';
import { normalizePrepareOptions, prepareRow } from '../prepare/prepare';
import { classify } from './classify';
import { memoryDiscussionSource } from './memory-source';
import { extractIssueRefs } from './report';
import { emptyDiscussionSource } from './sources';

const prepared = (overrides: Parameters<typeof commitRow>[0]): PreparedRow =>
  prepareRow(commitRow(overrides), normalizePrepareOptions());

const ADDED = [
  'def _hash_unique(values):',
  '    table = _HashTable(values)',
  '    return table.unique_values()',
  '    counts = table.counts(dtype=np.intp)',
];
const SOLUTION_SENTENCES = [
  'This PR replaces the sort-based approach with a hash table.',
  'We now cache the hash of each key.',
  'The new code uses a dict instead of sorting.',
  'It is faster by using open addressing.',
];
const leakyPatch = makePatch({
  'numpy/lib/arraysetops.py': {
    remove: ['    ar.sort()', '    return ar[mask]'],
    add: ADDED,
    context: 'def unique(ar, return_counts=False):',
  },
});
const leakyBody = [
  'np.unique is slow for large integer arrays: it takes 1.2 s for 10M elements, 5x slower than pandas.',
  '',
  ...SOLUTION_SENTENCES,
  '',
  '```python',
  ...ADDED,
  '```',
  '',
  'Closes #12.',
].join('\n');

const source = memoryDiscussionSource({
  repos: {
    'acme/widgets': {
      fullName: 'acme/widgets',
      description: 'Widgets for arrays',
      language: 'Python',
      topics: ['arrays'],
    },
  },
  pulls: { 'acme/widgets#500': { createdAt: '2024-05-01T00:00:00Z', labels: ['performance'], comments: [] } },
  issues: [
    {
      repoName: 'acme/widgets',
      number: 12,
      title: 'np.unique slow on big int arrays',
      body: `Profiling shows the sort dominates.\n\n${ADDED[1]}\n`,
      url: 'https://github.com/acme/widgets/issues/12',
      createdAt: '2024-04-01T00:00:00Z',
      closedAt: '2024-05-10T12:00:00Z',
      isPullRequest: false,
      merged: false,
      comments: [
        { author: 'a', createdAt: '2024-04-02T00:00:00Z', body: 'Same here, 3s on my machine.' },
        { author: 'b', createdAt: '2024-05-03T00:00:00Z', body: 'Fixed by switching to a hash table in #500.' },
      ],
    },
  ],
});

describe('classify (rules backend)', () => {
  it('never leaks the solution into problem_statement or final_md', async () => {
    const row = prepared({
      pr_number: 500,
      pr_title: 'PERF: Speed up np.unique by using a hash table',
      message: 'PERF: Speed up np.unique by using a hash table (#500)',
      pr_body: leakyBody,
      patch: leakyPatch,
    });
    const { rows, perf } = await classify({ rows: [row] }, { log: silentLogger, discussions: source });
    expect(perf).toHaveLength(1);
    const out = rows[0]!;
    expect(out).toMatchObject({ is_performance_commit: true, has_linked_issue: true, backend: 'rules', kept: true });
    for (const text of [out.problem_statement, out.final_md]) {
      for (const line of ADDED) expect(text).not.toContain(line.trim());
      for (const sentence of SOLUTION_SENTENCES) expect(text).not.toContain(sentence);
      expect(text).not.toMatch(/hash table in #500|switching to/);
    }
    expect(out.problem_statement).toMatch(/^Speed up np\.unique\./);
    expect(out.problem_statement).toContain('it takes 1.2 s for 10M elements');
    expect(out.problem_statement).toContain('Reported in issue #12: np.unique slow on big int arrays');
    expect(out.final_md).toContain('## Relevant Issues');
    expect(out.final_md).toContain('Same here, 3s on my machine.');
    expect(out.final_md).toContain('written primarily in Python');
  });

  it('keeps PRs without a linked issue and records it', async () => {
    const row = prepared({
      pr_title: 'PERF: faster parsing',
      message: 'PERF: faster parsing (#7)',
      pr_body: 'Parsing is slow.',
    });
    const { rows } = await classify({ rows: [row] }, { log: silentLogger, discussions: emptyDiscussionSource });
    expect(rows[0]).toMatchObject({
      kept: true,
      has_linked_issue: false,
      is_performance_commit: true,
      prompt_version: 'rules-3',
      model: null,
    });
    expect(rows[0]?.problem_statement).toBe('faster parsing.\n\nParsing is slow.');
  });

  it('with the learned rules model: decides by its log-odds and records its version', async () => {
    const row = prepared({ pr_title: 'PERF: faster parsing', message: 'PERF: faster parsing (#7)' });
    const { rows } = await classify(
      { rows: [row], options: { rulesModel: 'learned' } },
      { log: silentLogger, discussions: emptyDiscussionSource },
    );
    expect(rows[0]).toMatchObject({ is_performance_commit: true, prompt_version: 'rules-3+learned-3' });
    expect(rows[0]?.classification_explanation).toMatch(/^rules \(learned-3\): performance \(log-odds /);
  });

  it('passes earlier drops through, drops non-performance rows with not_perf, and samples', async () => {
    const rows = [
      prepared({ pr_title: 'PERF: a', message: 'PERF: a (#1)' }),
      prepared({ pr_title: 'DOC: typo', message: 'DOC: typo (#2)' }),
      prepared({ pr_title: 'PERF: b', message: 'PERF: b (#3)', kept: false, drop_reason: 'tests_only' }),
      {
        ...prepared({ pr_title: 'Rework', message: 'Rework (#4)' }),
        kept: true,
        drop_reason: null,
        is_perf_candidate: true,
      },
      prepared({ pr_title: 'PERF: c', message: 'PERF: c (#5)' }),
    ];
    const result = await classify(
      { rows, options: { sampleSize: 2 } },
      { log: silentLogger, discussions: emptyDiscussionSource },
    );
    expect(result.rows.map((r) => [r.kept, r.drop_reason, r.backend])).toEqual([
      [true, null, 'rules'],
      [false, 'not_perf_candidate', null],
      [false, 'tests_only', null],
      [false, 'not_perf', 'rules'],
      [false, 'not_sampled', null],
    ]);
    expect(result.summary).toEqual({
      kept: 1,
      dropped: 4,
      reasons: { not_perf_candidate: 1, tests_only: 1, not_perf: 1, not_sampled: 1 },
    });
    expect(result.counts).toEqual({ gated: 3, classified: 2, perf: 1, withLinkedIssue: 0 });
  });

  it('is deterministic', async () => {
    const rows = [
      prepared({
        pr_number: 500,
        pr_title: 'PERF: x',
        message: 'PERF: x (#500)',
        pr_body: leakyBody,
        patch: leakyPatch,
      }),
    ];
    const a = await classify({ rows }, { log: silentLogger, discussions: source });
    const b = await classify({ rows }, { log: silentLogger, discussions: source }).then((r) => r);
    expect(a.rows).toEqual(b.rows);
  });
});

describe('extractIssueRefs', () => {
  it.each([
    ['bare #N', 'Closes #12 and #7', [12, 7]],
    ['gh-N', 'See gh-31 (numpy style)', [31]],
    ['own number skipped', 'Follow-up of #500', []],
    ['URL', 'https://github.com/acme/widgets/issues/9', [9]],
    ['cross-repo', 'numpy/numpy#4 and https://github.com/scipy/scipy/pull/8', ['numpy/numpy#4', 'scipy/scipy#8']],
    ['not anchors or html', 'see section &#35;1 and a#3 <!-- #99 -->', []],
  ])('%s', (_name, text, expected) => {
    const refs = extractIssueRefs(text, 'acme/widgets', 500).map((r) =>
      r.repoName === 'acme/widgets' ? r.number : `${r.repoName}#${r.number}`,
    );
    expect(refs.sort()).toEqual([...expected].sort());
  });
});
