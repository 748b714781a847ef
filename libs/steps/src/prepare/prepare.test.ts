import { silentLogger } from '@datasmith/progress';
import { describe, expect, it } from 'vitest';
import { commitRow, makePatch } from './fixtures';
import { containerName, countPatchTokens, prepare, prepareRow, normalizePrepareOptions } from './prepare';

const perf = { pr_title: 'PERF: faster parsing', message: 'PERF: faster parsing (#1)' };

describe('prepare', () => {
  it('measures, gates and names the container', async () => {
    const row = commitRow({
      ...perf,
      repo_name: 'Pandas-Dev/Pandas',
      pr_base_sha: 'ABCDEF0123456789abcdef0123456789abcdef01'.toLowerCase(),
    });
    const out = prepareRow(row, normalizePrepareOptions());
    expect(out).toMatchObject({
      kept: true,
      drop_reason: null,
      is_perf_candidate: true,
      total_changes: 2,
      n_files_changed: 1,
      patch_source: 'git',
      container_name: 'pandas-dev-pandas-abcdef0123456789abcdef0123456789abcdef01:final',
    });
    expect(out.n_patch_tokens).toBe(countPatchTokens(row.patch as string));
    expect(out.n_patch_tokens).toBeGreaterThan(5);
    expect(out.perf_gate_explanation).toMatch(/^gate pass/);
  });

  it.each([
    ['too_large', { total_additions: 30_000, total_deletions: 10_000 }, {}],
    ['too_many_files', { files_changed: Array.from({ length: 500 }, (_, i) => `f${i}.py`).join('\n') }, {}],
    ['too_few_tokens', { patch: makePatch({ 'a.py': { add: ['x'] } }) }, {}],
    [
      'too_few_tokens',
      { patch: 'diff --git a/pkg/py.typed b/pkg/py.typed\nnew file mode 100644\nindex 0000000..e69de29\n' },
      {},
    ],
    [
      'too_many_tokens',
      { pr_title: 'ENH: add axis argument', message: 'ENH: add axis argument (#1)' },
      { maxPatchTokens: 10, gateMode: 'evidence' },
    ],
    ['patch_unavailable', { patch: null }, {}],
    [
      'not_perf_candidate',
      { pr_title: 'ENH: add axis argument', message: 'ENH: add axis argument (#1)' },
      { gateMode: 'evidence' },
    ],
    // The default (recall) gate passes runtime-code changes unless the title says they are not performance work.
    [
      'not_perf_candidate',
      { pr_title: 'TST: cover the axis argument', message: 'TST: cover the axis argument (#1)' },
      {},
    ],
  ] as const)('drops with %s', (reason, overrides, options) => {
    const out = prepareRow(commitRow({ ...perf, ...overrides }), normalizePrepareOptions(options));
    expect(out).toMatchObject({ kept: false, drop_reason: reason, is_perf_candidate: false });
    expect(out.perf_gate_explanation.startsWith(reason === 'not_perf_candidate' ? 'gate fail' : `${reason}:`)).toBe(
      true,
    );
  });

  it('never drops a gated row for its token count: the llm backend reads the first maxPatchTokens', () => {
    const out = prepareRow(commitRow(perf), normalizePrepareOptions({ maxPatchTokens: 10 }));
    expect(out).toMatchObject({ kept: true, drop_reason: null, is_perf_candidate: true });
    expect(out.n_patch_tokens).toBeGreaterThanOrEqual(10);
    expect(out.perf_gate_explanation).toMatch(
      /^gate pass .*; n_patch_tokens \d+ >= 10: kept, the llm backend reads the first 10$/,
    );
  });

  it('keeps the limits at their boundaries (half-open like the original)', () => {
    const o = normalizePrepareOptions({ maxTotalChanges: 3, maxFilesChanged: 2 });
    expect(prepareRow(commitRow({ ...perf, total_additions: 1, total_deletions: 1 }), o).kept).toBe(true);
    expect(prepareRow(commitRow({ ...perf, total_additions: 2, total_deletions: 1 }), o).drop_reason).toBe('too_large');
  });

  it('passes rows dropped by collect through unchanged', async () => {
    const dropped = commitRow({ ...perf, kept: false, drop_reason: 'docs_only' });
    const { rows, summary } = await prepare({ rows: [dropped, commitRow(perf)] }, { log: silentLogger });
    expect(rows[0]).toMatchObject({ kept: false, drop_reason: 'docs_only', is_perf_candidate: false });
    expect(rows[0]?.perf_gate_explanation).toMatch(
      /^dropped upstream \(docs_only\); gate fail \(not ranked in 2024-05;/,
    );
    expect(summary).toEqual({ kept: 1, dropped: 1, reasons: { docs_only: 1 } });
  });

  it('counts special-token text as plain text', () => {
    const patch = makePatch({ 'a.py': { add: ['s = "<|endoftext|>"'] } });
    expect(countPatchTokens(patch)).toBeGreaterThan(5);
  });

  it('derives the container name like the dataset', () => {
    expect(containerName('numpy/numpy', null)).toBeNull();
    expect(containerName('Owner/My.Repo', 'a'.repeat(40))).toBe(`owner-my.repo-${'a'.repeat(40)}:final`);
  });

  it('reports the gate pass rate over rows kept upstream', async () => {
    const rows = [
      commitRow(perf),
      commitRow({ pr_title: 'DOC: typo', message: 'DOC: typo (#2)' }),
      commitRow({ kept: false, drop_reason: 'tests_only' }),
    ];
    const result = await prepare({ rows }, { log: silentLogger });
    expect(result.gatePassRate).toBe(0.5);
    expect(result.summary.reasons).toEqual({ not_perf_candidate: 1, tests_only: 1 });
  });
});
