import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataLayout } from '@datasmith/paths';
import { CommitRow, PreparedRow, readTable, writeTable } from '@datasmith/tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, testCommit } from './cli-test-helpers';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const rows: CommitRow[] = [
  testCommit('PERF: faster totals', 'Totals are slow on long lists.', { pr_number: 1 }),
  testCommit('ENH: add an axis argument', '', {
    pr_number: 2,
    patch:
      'diff --git a/pkg/a.py b/pkg/a.py\n--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1 +1 @@\n-def f(x):\n+def f(x, axis=None):\n',
  }),
  testCommit('DOC: typo', '', { pr_number: 3, kept: false, drop_reason: 'docs_only' }),
  testCommit('PERF: huge', '', { pr_number: 4, total_additions: 50_000 }),
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-cli-prepare-'));
  await writeTable(join(dir, 'commits.parquet'), CommitRow, rows, ['pr_number']);
});

describe('datasmith prepare', () => {
  it('writes the prepared table, prints the summary, and is byte-identical on re-run', async () => {
    const out = join(dir, 'prepared.parquet');
    const first = await runCli(['prepare', '--in', 'commits.parquet', '--out', 'prepared.parquet'], { cwd: dir });
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    // The default gate (rank) lets floor(0.35 × 4) = 1 of the month's four merged PRs through by rank:
    // #1, which its performance headline would pass anyway; #2 ranks below it.
    expect(first.stdout.trim()).toBe('prepare: kept 1, dropped 3 (docs_only: 1, not_perf_candidate: 1, too_large: 1)');
    const bytes = await readFile(out);
    const table = await readTable(out, PreparedRow);
    expect(table.map((r) => [r.pr_number, r.is_perf_candidate, r.drop_reason])).toEqual([
      [1, true, null],
      [2, false, 'not_perf_candidate'],
      [3, false, 'docs_only'],
      [4, false, 'too_large'],
    ]);
    expect(table[0]?.container_name).toBe(`acme-widgets-${rows[0]?.pr_base_sha}:final`);
    const second = await runCli(['prepare', '--input', 'commits.parquet', '--output', 'prepared.parquet', '--json'], {
      cwd: dir,
    });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      step: 'prepare',
      kept: 1,
      dropped: 3,
      perf_candidates: 1,
      gate_pass_rate: 0.3333,
    });
    expect((await readFile(out)).equals(bytes)).toBe(true);
  });

  it('--gate-mode recall also passes runtime-code changes; an unknown mode is refused', async () => {
    const recall = await runCli(
      ['prepare', '--in', 'commits.parquet', '--out', 'recall.parquet', '--gate-mode', 'recall'],
      { cwd: dir },
    );
    expect(recall.code).toBe(0);
    const table = await readTable(join(dir, 'recall.parquet'), PreparedRow);
    expect(table.find((r) => r.pr_number === 2)).toMatchObject({ is_perf_candidate: true, drop_reason: null });
    expect(table.find((r) => r.pr_number === 2)?.perf_gate_explanation).toMatch(/^gate pass \(recall mode: /);
    const bad = await runCli(['prepare', '--in', 'commits.parquet', '--out', 'x.parquet', '--gate-mode', 'all'], {
      cwd: dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'datasmith prepare: Invalid --gate-mode: "all"; expected evidence, recall, learned, rank\n',
    );
  });

  it("--gate-share sets the rank gate's share of each month; out of (0, 1] is refused", async () => {
    const half = await runCli(['prepare', '--in', 'commits.parquet', '--out', 'half.parquet', '--gate-share', '0.5'], {
      cwd: dir,
    });
    expect(half.code).toBe(0);
    const table = await readTable(join(dir, 'half.parquet'), PreparedRow);
    expect(table.find((r) => r.pr_number === 2)).toMatchObject({ is_perf_candidate: true, drop_reason: null });
    expect(table.find((r) => r.pr_number === 2)?.perf_gate_explanation).toMatch(
      /^gate pass \(rank 2 in \d{4}-\d{2}, top 2 of 4 merged pass;/,
    );
    for (const share of ['0', '1.5', 'half']) {
      const bad = await runCli(['prepare', '--in', 'commits.parquet', '--out', 'x.parquet', '--gate-share', share], {
        cwd: dir,
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(
        `datasmith prepare: Invalid --gate-share: "${share}"; expected a number above 0 and at most 1\n`,
      );
    }
  });

  it('works in partition mode on the data layout', async () => {
    const layout = dataLayout('data');
    const input = join(dir, layout.tablePath('collect', 'acme/widgets', '2024-05', 'commits'));
    await writeTable(input, CommitRow, rows, ['pr_number']);
    const run = await runCli(['prepare', '--repo', 'acme/widgets', '--month', '2024-05'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(await exists(join(dir, layout.tablePath('prepare', 'acme/widgets', '2024-05', 'prepared')))).toBe(true);
    const noMonth = await runCli(['prepare', '--repo', 'acme/widgets'], { cwd: dir });
    expect(noMonth.code).toBe(2);
    expect(noMonth.stderr).toMatch(/^datasmith prepare: Missing --month/);
  });

  const badTables: Array<[string, z.ZodObject<z.ZodRawShape>, (r: CommitRow) => Record<string, unknown>, RegExp]> = [
    [
      'missing columns',
      CommitRow.omit({ patch: true, kept: true }),
      (r: CommitRow) => {
        const { patch: _p, kept: _k, ...rest } = r;
        return rest;
      },
      /^datasmith prepare: Invalid table: .*bad\.parquet is missing column\(s\) patch, kept\n$/,
    ],
    [
      'a wrong type',
      CommitRow.extend({ pr_number: z.string() }),
      (r: CommitRow) => ({ ...r, pr_number: String(r.pr_number) }),
      /^datasmith prepare: Invalid row: .*bad\.parquet row 0, pr_number: Invalid input: expected number, received string.*\n$/,
    ],
  ];
  it.each(badTables)(
    'rejects %s in one line, naming them, and writes nothing',
    async (_name, schema, shape, message) => {
      const sub = await mkdtemp(join(dir, 'bad-'));
      await writeTable(join(sub, 'bad.parquet'), schema, rows.map(shape), ['pr_number']);
      const run = await runCli(['prepare', '--in', 'bad.parquet', '--out', 'out.parquet'], { cwd: sub });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
      expect(await exists(join(sub, 'out.parquet'))).toBe(false);
    },
  );

  it('fails on a missing input without writing', async () => {
    const run = await runCli(['prepare', '--in', 'nope.parquet', '--out', 'x.parquet'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('datasmith prepare: Missing input: nope.parquet does not exist\n');
  });
});
