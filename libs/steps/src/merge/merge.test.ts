import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { silentLogger } from '@datasmith/progress';
import {
  MasterRow,
  VERIFY_TABLE_KEYS,
  VerifiedRow,
  queryRows,
  readTable,
  sqlLiteral,
  writeTable,
} from '@datasmith/tables';
import { describe, expect, it } from 'vitest';
import { importMasterLike } from './legacy';
import { buildMaster, combineMasterSources, masterRowFromPerf, mergeMasterFiles } from './merge';
import { normalizeClassificationLabel, normalizeDifficultyLabel } from './normalize';
import { findPartitionFiles } from './partitions';
import { fakeSha, imageRowFor, perfRow, writeImagesPartition, writePerfPartition } from './testing/perf-fixtures';

const CLI = resolve(import.meta.dirname, '../../../cli/bin/datasmith.js');

function cli(args: string[], cwd: string): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function cliFails(args: string[], cwd: string): { status: number; stderr: string } {
  try {
    cli(args, cwd);
  } catch (error) {
    const e = error as { status: number; stderr: string };
    return { status: e.status, stderr: e.stderr };
  }
  throw new Error(`expected datasmith ${args.join(' ')} to fail`);
}

/**
 * The original's `perfonly_commits_master.parquet`, as pandas wrote it: nanosecond UTC timestamps,
 * nested `pr_base` struct and `pr_labels` list of structs, JSON text columns, human or enum-prefixed
 * labels, float confidence with NaN, a pandas index column and pandas key-value metadata.
 */
async function writeLegacyMaster(path: string): Promise<void> {
  const rows = [
    // pandas-dev/pandas #50643: a task also produced again by partition month 2024-01 below
    [
      'pandas-dev/pandas',
      50643,
      '2023-01-10 12:00:00',
      fakeSha('p50643m'),
      fakeSha('p50643b'),
      'Cache & reuse',
      'DifficultyLevel.EASY',
      75.0,
    ],
    [
      'pandas-dev/pandas',
      50700,
      '2023-01-20 08:30:00',
      fakeSha('p50700m'),
      fakeSha('p50700b'),
      'OptimizationType.USE_BETTER_ALGORITHM',
      'Medium ',
      'NaN',
    ],
    [
      'numpy/numpy',
      22000,
      '2022-11-02 23:59:59',
      fakeSha('n22000m'),
      fakeSha('n22000b'),
      'Micro-optimizations (hot path tweaks)',
      'hrad',
      40.4,
    ],
    ['numpy/numpy', 22001, '2022-11-03 00:00:00', 'not-a-sha', fakeSha('n22001b'), 'Uncategorized', '', null],
  ];
  const values = rows
    .map(
      ([repo, n, t, m, b, c, d, conf], i) =>
        `(${i}, '${repo}', ${n}::BIGINT, TIMESTAMPTZ '${t}+00:00', '${m}', ${c === null ? 'NULL' : `'${c}'`}, '${d}', ${conf === null ? 'NULL' : conf === 'NaN' ? "'NaN'::DOUBLE" : `${conf}::DOUBLE`}, {'sha': '${b}', 'ref': 'main', 'repo': {'full_name': '${repo}', 'stargazers_count': 40000}}, [{'name': 'Performance', 'color': 'ff0000'}], '{"hints_context": {"items": []}}', 'diff --git a/x b/x', '# brief ${n}', true, 'reason ${n}')`,
    )
    .join(',\n');
  await queryRows(`COPY (
    SELECT __index_level_0__, repo_name, pr_number, CAST(timezone('UTC', pr_merged_at) AS TIMESTAMP_NS) AS pr_merged_at, pr_merged_at AS date,
           pr_merge_commit_sha, pr_base.sha AS pr_base_sha, classification, difficulty, classification_confidence,
           pr_base, pr_labels, all_data, patch, final_md, is_performance_commit, classification_reason
    FROM (VALUES ${values}) t(__index_level_0__, repo_name, pr_number, pr_merged_at, pr_merge_commit_sha, classification,
          difficulty, classification_confidence, pr_base, pr_labels, all_data, patch, final_md, is_performance_commit,
          classification_reason)
  ) TO ${sqlLiteral(path)} (FORMAT parquet, KV_METADATA {pandas: '{"index_columns": ["__index_level_0__"]}'})`);
}

describe('normalisers', () => {
  it.each([
    ['DifficultyLevel.EASY', 'easy'],
    ['Medium ', 'medium'],
    ['hrad', 'hard'],
    ['', 'unknown'],
    [null, 'unknown'],
    ['mediun', 'medium'],
    ['xyz', 'easy'],
  ])('difficulty %j → %s', (input, expected) => {
    expect(normalizeDifficultyLabel(input)).toBe(expected);
  });

  it.each([
    ['Cache & reuse', 'cache_and_reuse'],
    ['OptimizationType.USE_BETTER_ALGORITHM', 'use_better_algorithm'],
    ['Use a better data structure (and layout)', 'use_better_data_structure_and_layout'],
    ['Micro-optimizations (hot path tweaks)', 'micro_optimizations'],
    ['I/O and latency hiding (async, prefetching)', 'io_and_latency_hiding'],
    ['Do it earlier / batch it / throttle it', 'do_it_earlier_batch_throttle'],
    ['Use a higher-level system that optimizes for you', 'use_higher_level_system'],
    ['Accept a less-precise solution (approximation, heuristics)', 'accept_less_precise_solution'],
    ['Database & storage tuning', 'database_and_storage_tuning'],
    ['Scale the platform', 'scale_platform'],
    ['remove_or_reduce_work', 'remove_or_reduce_work'],
    ['', 'uncategorized'],
    ['something else', 'uncategorized'],
  ])('classification %j → %s', (input, expected) => {
    expect(normalizeClassificationLabel(input)).toBe(expected);
  });
});

describe('combineMasterSources', () => {
  it('later sources win, partitions beat legacy, order of first appearance is irrelevant', () => {
    const a = perfRow('o/r', 1, '2024-01-05T00:00:00Z');
    const legacy = { ...masterRowFromPerf({ ...a, pr_title: 'legacy' }, '2024-01'), origin: 'legacy' as const };
    const jan = masterRowFromPerf({ ...a, pr_title: 'january' }, '2024-01');
    const feb = masterRowFromPerf({ ...a, pr_title: 'february' }, '2024-02');
    const other = masterRowFromPerf(perfRow('o/r', 2, '2024-01-06T00:00:00Z'), '2024-01');
    const { rows, stats } = combineMasterSources([
      { label: 'legacy', rows: [legacy] },
      { label: 'jan', rows: [jan, other] },
      { label: 'feb', rows: [feb] },
    ]);
    expect(rows.map((r) => r.pr_title).sort()).toEqual(['Speed up thing 2', 'february']);
    expect(stats).toMatchObject({ rowsRead: 4, legacyRows: 1, replaced: 2, legacyReplaced: 1, rows: 2 });
  });
});

describe('legacy master import', () => {
  it("reads the original's pandas-written master with nested columns", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-legacy-'));
    const path = join(dir, 'perfonly_commits_master.parquet');
    await writeLegacyMaster(path);
    const types = await queryRows(`DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(path)})`);
    expect(types.find((t) => t.column_name === 'pr_base')?.column_type).toMatch(/^STRUCT/);
    expect(types.find((t) => t.column_name === 'pr_merged_at')?.column_type).toMatch(/TIMESTAMP/);

    const imported = await importMasterLike(path);
    expect(imported.droppedRows).toBe(1); // 'not-a-sha'
    expect(imported.ignoredColumns).toEqual([
      '__index_level_0__',
      'all_data',
      'classification_reason',
      'pr_base',
      'pr_labels',
    ]);
    const byNumber = new Map(imported.rows.map((r) => [r.pr_number, r]));
    expect(byNumber.get(50643)).toMatchObject({
      repo_name: 'pandas-dev/pandas',
      pr_merged_at: '2023-01-10T12:00:00Z',
      pr_base_sha: fakeSha('p50643b'),
      classification: 'cache_and_reuse',
      difficulty: 'easy',
      classification_confidence: 75,
      classification_explanation: 'reason 50643',
      date: '2023-01-10T12:00:00Z',
      month: '2023-01',
      origin: 'legacy',
      sha: fakeSha('p50643m'),
    });
    expect(byNumber.get(50700)).toMatchObject({
      classification: 'use_better_algorithm',
      difficulty: 'medium',
      classification_confidence: null,
    });
    expect(byNumber.get(22000)).toMatchObject({
      classification: 'micro_optimizations',
      difficulty: 'hard',
      classification_confidence: 40,
      month: '2022-11',
    });
    for (const row of imported.rows) expect(MasterRow.safeParse(row).success).toBe(true);
  });

  it('uses pr_base.sha when the flat column is missing, and names missing key columns in one line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-legacy-'));
    const nested = join(dir, 'nested.parquet');
    await queryRows(
      `COPY (SELECT 'o/r' AS repo_name, 7::BIGINT AS pr_number, '${fakeSha('m')}' AS pr_merge_commit_sha, {'sha': '${fakeSha('b')}'} AS pr_base) TO ${sqlLiteral(nested)} (FORMAT parquet)`,
    );
    const imported = await importMasterLike(nested);
    expect(imported.rows[0]?.pr_base_sha).toBe(fakeSha('b'));

    const bad = join(dir, 'bad.parquet');
    await queryRows(`COPY (SELECT 'o/r' AS repo_name, 7 AS pr_number) TO ${sqlLiteral(bad)} (FORMAT parquet)`);
    await expect(importMasterLike(bad)).rejects.toThrow(
      /^Invalid table: .*bad\.parquet is missing column\(s\) pr_merge_commit_sha, pr_base_sha$/,
    );
  });
});

describe('buildMaster from partitions on disk', () => {
  it('reads every month, the later month wins, partitions beat legacy rows', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ds-master-'));
    const legacyPath = join(root, 'legacy.parquet');
    await writeLegacyMaster(legacyPath);
    // pandas-dev/pandas #50643 comes back from a partition with the same key as the legacy row
    const redo = perfRow('pandas-dev/pandas', 50643, '2024-01-10T12:00:00Z', {
      pr_merge_commit_sha: fakeSha('p50643m'),
      sha: fakeSha('p50643m'),
      pr_base_sha: fakeSha('p50643b'),
      pr_title: 'from partition',
    });
    const x = perfRow('o/r', 1, '2024-01-31T23:00:00Z');
    await writePerfPartition(root, 'pandas-dev/pandas', '2024-01', [redo]);
    await writePerfPartition(root, 'o/r', '2024-01', [x]);
    await writePerfPartition(root, 'o/r', '2024-02', [{ ...x, pr_title: 'february wins' }]);
    const partitions = findPartitionFiles(root, 'classify', 'perf');
    expect(partitions.map((p) => `${p.repo} ${p.month}`)).toEqual([
      'o/r 2024-01',
      'pandas-dev/pandas 2024-01',
      'o/r 2024-02',
    ]);
    const { rows, stats } = await buildMaster({ partitions, legacyMaster: legacyPath }, { log: silentLogger });
    const titles = Object.fromEntries(rows.map((r) => [`${r.repo_name}#${r.pr_number}`, r]));
    expect(titles['pandas-dev/pandas#50643']).toMatchObject({
      pr_title: 'from partition',
      origin: 'partition',
      month: '2024-01',
    });
    expect(titles['o/r#1']).toMatchObject({ pr_title: 'february wins', month: '2024-02' });
    expect(titles['pandas-dev/pandas#50700']?.origin).toBe('legacy');
    expect(stats).toMatchObject({ legacyRows: 3, legacyReplaced: 1, rows: 4 });
  });
});

describe('buildMaster with the verdicts of verify', () => {
  it("joins the same month's verified.parquet on the merge commit; unmeasured rows stay null", async () => {
    const root = await mkdtemp(join(tmpdir(), 'ds-master-verify-'));
    const a = perfRow('o/r', 1, '2024-01-03T10:00:00Z');
    const b = perfRow('o/r', 2, '2024-01-20T10:00:00Z');
    await writePerfPartition(root, 'o/r', '2024-01', [a, b]);
    await writeTable(
      join(root, 'verify', 'o__r', '2024-01', 'verified.parquet'),
      VerifiedRow,
      [
        {
          repo_name: 'o/r',
          pr_merge_commit_sha: a.pr_merge_commit_sha,
          pr_base_sha: a.pr_base_sha,
          pr_number: 1,
          verified: true,
          speedup: 12.5,
          speedup_gmean: 3,
          verify_reason: null,
          benchmarks_measured: 3,
          benchmarks_faster: 1,
          benchmarks_slower: 0,
          duration_s: 20,
        },
      ],
      VERIFY_TABLE_KEYS.verified,
    );
    const { rows } = await buildMaster(
      {
        partitions: findPartitionFiles(root, 'classify', 'perf'),
        verifyPartitions: findPartitionFiles(root, 'verify', 'verified'),
      },
      { log: silentLogger },
    );
    const byPr = Object.fromEntries(rows.map((r) => [r.pr_number, r]));
    expect(byPr[1]).toMatchObject({ verified: true, speedup: 12.5, verify_reason: null });
    expect(byPr[2]).toMatchObject({ verified: null, speedup: null, verify_reason: null });
  });
});

describe('months A, B, then A again (spec §2 semantic 5)', () => {
  const A = '2024-01';
  const B = '2024-02';
  const janRows = [perfRow('o/r', 1, '2024-01-03T10:00:00Z'), perfRow('o/r', 2, '2024-01-20T10:00:00Z')];
  const febRows = [perfRow('o/r', 3, '2024-02-01T00:00:00Z'), perfRow('x/y', 4, '2024-02-28T23:59:59Z')];

  async function writeMonth(root: string, month: string): Promise<void> {
    const rows = month === A ? janRows : febRows;
    const byRepo = new Map<string, typeof rows>();
    for (const r of rows) byRepo.set(r.repo_name, [...(byRepo.get(r.repo_name) ?? []), r]);
    for (const [repo, list] of byRepo) {
      await writePerfPartition(root, repo, month, list);
      await writeImagesPartition(
        root,
        repo,
        month,
        list.map((r) => imageRowFor(r)),
      );
    }
  }

  async function globalSteps(root: string): Promise<void> {
    cli(['merge', '--out-root', root], root);
    cli(['dataset', '--out-root', root], root);
  }

  async function snapshot(root: string): Promise<Record<string, Buffer>> {
    const files = ['master/master.parquet', 'dataset/README.md', 'dataset/default/train-00000-of-00001.parquet'];
    for (const m of [A, B]) files.push(`dataset/${m}/train-00000-of-00001.parquet`);
    const out: Record<string, Buffer> = {};
    for (const f of files) out[f] = await readFile(join(root, f));
    return out;
  }

  it('gives a master and dataset byte-identical to a clean run of both months', async () => {
    const incremental = await mkdtemp(join(tmpdir(), 'ds-sem5-inc-'));
    await writeMonth(incremental, A);
    await globalSteps(incremental);
    await writeMonth(incremental, B);
    await globalSteps(incremental);
    await writeMonth(incremental, A);
    await globalSteps(incremental);

    const clean = await mkdtemp(join(tmpdir(), 'ds-sem5-clean-'));
    await writeMonth(clean, A);
    await writeMonth(clean, B);
    await globalSteps(clean);

    const a = await snapshot(incremental);
    const b = await snapshot(clean);
    for (const file of Object.keys(b)) expect(a[file]?.equals(b[file] as Buffer), file).toBe(true);
    const master = await readTable(join(clean, 'master/master.parquet'), MasterRow);
    expect(master.map((r) => r.pr_number).sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('datasmith merge --new --master (the original in-place form)', () => {
  it('unions columns (master order first), keeps the last duplicate, carries nested columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-inplace-'));
    const master = join(dir, 'perfonly_commits_master.parquet');
    const fresh = join(dir, 'perfonly_commits_2025-10.parquet');
    await queryRows(
      `COPY (SELECT * FROM (VALUES ('o/r', 'm1', 'b1', 'old', {'sha': 'b1'}), ('o/r', 'm2', 'b2', 'keep', {'sha': 'b2'})) t(repo_name, pr_merge_commit_sha, pr_base_sha, title, pr_base)) TO ${sqlLiteral(master)} (FORMAT parquet)`,
    );
    await queryRows(
      `COPY (SELECT * FROM (VALUES ('new', 'o/r', 'm1', 'b1', 7), ('added', 'o/r', 'm3', 'b3', 8)) t(title, repo_name, pr_merge_commit_sha, pr_base_sha, extra)) TO ${sqlLiteral(fresh)} (FORMAT parquet)`,
    );
    const out = cli(['merge', '--new', fresh, '--master', master], dir);
    expect(out).toContain('merge: kept 3, dropped 1 (duplicate: 1)');
    const cols = (await queryRows(`DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(master)})`)).map(
      (r) => r.column_name,
    );
    expect(cols).toEqual(['repo_name', 'pr_merge_commit_sha', 'pr_base_sha', 'title', 'pr_base', 'extra']);
    const rows = await queryRows(`SELECT title, pr_base.sha AS base, extra FROM read_parquet(${sqlLiteral(master)})`);
    expect(rows).toEqual([
      { title: 'keep', base: 'b2', extra: null },
      { title: 'new', base: null, extra: 7 },
      { title: 'added', base: null, extra: 8 },
    ]);
    const dry = await mergeMasterFiles({ newFile: fresh, masterFile: master, dryRun: true });
    expect(dry).toMatchObject({ masterRows: 3, newRows: 2, rows: 3 });
    expect(existsSync(join(dir, 'perfonly_commits_master.parquet.tmp.parquet'))).toBe(false);
  });

  it('fails in one line when a dedupe column is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-inplace-'));
    const fresh = join(dir, 'new.parquet');
    await queryRows(
      `COPY (SELECT 'o/r' AS repo_name, 'm' AS pr_merge_commit_sha) TO ${sqlLiteral(fresh)} (FORMAT parquet)`,
    );
    const { status, stderr } = cliFails(['merge', '--new', fresh, '--master', join(dir, 'm.parquet')], dir);
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/datasmith merge: Invalid table: .*new\.parquet is missing dedupe column\(s\) pr_base_sha/);
  });
});
