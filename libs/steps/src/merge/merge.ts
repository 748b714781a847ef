import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError, SchemaError } from '@datasmith/errors';
import type { Logger } from '@datasmith/progress';
import { ClassifiedRow, type MasterRow, VerifiedRow, queryRows, readTable, sqlLiteral } from '@datasmith/tables';
import { type LegacyImport, importMasterLike } from './legacy';
import type { PartitionFile } from './partitions';

/** Bump when the same partitions would now give a different master. */
export const MERGE_CODE_VERSION = '1';

/** The dedupe key of a master row. */
export function masterKey(row: Pick<MasterRow, 'repo_name' | 'pr_merge_commit_sha' | 'pr_base_sha'>): string {
  return JSON.stringify([row.repo_name, row.pr_merge_commit_sha, row.pr_base_sha]);
}

/** Rows of one source, in precedence order (later sources win). */
export interface MasterSource {
  label: string;
  rows: readonly MasterRow[];
}

/** Counts of a merge, for summaries and tests. */
export interface MergeStats {
  sources: number;
  rowsRead: number;
  legacyRows: number;
  /** Rows replaced by a later source (or a later row of the same source). */
  replaced: number;
  /** Legacy rows replaced by a partition row. */
  legacyReplaced: number;
  rows: number;
}

/**
 * Deduplicates on `(repo_name, pr_merge_commit_sha, pr_base_sha)`: sources come in precedence
 * order (the legacy master first, then partitions by month), and a later row replaces an earlier
 * one, so the later month wins and any partition beats legacy rows. Pure.
 */
export function combineMasterSources(sources: readonly MasterSource[]): { rows: MasterRow[]; stats: MergeStats } {
  const byKey = new Map<string, MasterRow>();
  const stats: MergeStats = {
    sources: sources.length,
    rowsRead: 0,
    legacyRows: 0,
    replaced: 0,
    legacyReplaced: 0,
    rows: 0,
  };
  for (const source of sources) {
    for (const row of source.rows) {
      stats.rowsRead++;
      if (row.origin === 'legacy') stats.legacyRows++;
      const key = masterKey(row);
      const previous = byKey.get(key);
      if (previous) {
        stats.replaced++;
        if (previous.origin === 'legacy' && row.origin === 'partition') stats.legacyReplaced++;
        byKey.delete(key);
      }
      byKey.set(key, row);
    }
  }
  const rows = [...byKey.values()];
  stats.rows = rows.length;
  return { rows, stats };
}

/** A `perf` row of a partition as a master row. */
export function masterRowFromPerf(
  row: ClassifiedRow,
  month: string,
  verified?: Pick<VerifiedRow, 'verified' | 'speedup' | 'verify_reason'> | null,
): MasterRow {
  return {
    ...row,
    month,
    origin: 'partition',
    verified: verified?.verified ?? null,
    speedup: verified?.speedup ?? null,
    verify_reason: verified?.verify_reason ?? null,
  };
}

export interface BuildMasterInput {
  /** `perf` partitions, any order (they are ordered by month here). */
  partitions: readonly PartitionFile[];
  /** The original's master to import (lowest precedence). */
  legacyMaster?: string | null;
  /** `verified` partitions of verify: their verdict joins the perf rows of the same repository and month. */
  verifyPartitions?: readonly PartitionFile[];
}

export interface BuildMasterResult {
  rows: MasterRow[];
  stats: MergeStats;
  legacy: Omit<LegacyImport, 'rows'> | null;
}

/**
 * Step 6 (global): the master table recomputed from every month's `perf` partitions plus an
 * optional imported legacy master. A pure function of the files, so months A, B, then A again give
 * the same master as a clean run of both.
 */
export async function buildMaster(input: BuildMasterInput, deps: { log: Logger }): Promise<BuildMasterResult> {
  const sources: MasterSource[] = [];
  let legacy: Omit<LegacyImport, 'rows'> | null = null;
  if (input.legacyMaster) {
    const imported = await importMasterLike(input.legacyMaster);
    const { rows, ...rest } = imported;
    legacy = rest;
    sources.push({ label: input.legacyMaster, rows });
    deps.log.info(
      `merge: imported ${rows.length} legacy rows from ${input.legacyMaster}` +
        (imported.droppedRows ? `, ${imported.droppedRows} without a valid key skipped` : '') +
        (imported.ignoredColumns.length ? `, ${imported.ignoredColumns.length} columns not carried` : ''),
    );
  }
  const ordered = [...input.partitions].sort((a, b) =>
    a.month === b.month ? (a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0) : a.month < b.month ? -1 : 1,
  );
  const verifyFiles = new Map((input.verifyPartitions ?? []).map((p) => [`${p.repo}\0${p.month}`, p.path]));
  for (const partition of ordered) {
    const perf = await readTable(partition.path, ClassifiedRow);
    const verifyPath = verifyFiles.get(`${partition.repo}\0${partition.month}`);
    const verdicts = new Map(
      (verifyPath ? await readTable(verifyPath, VerifiedRow) : []).map((v) => [v.pr_merge_commit_sha, v]),
    );
    sources.push({
      label: partition.path,
      rows: perf.map((row) => masterRowFromPerf(row, partition.month, verdicts.get(row.pr_merge_commit_sha))),
    });
  }
  const { rows, stats } = combineMasterSources(sources);
  return { rows, stats, legacy };
}

/** Options of the original's in-place form (`merge_perfonly_commits_master.py`). */
export interface MergeFilesOptions {
  newFile: string;
  masterFile: string;
  /** Default `pr_merge_commit_sha,repo_name,pr_base_sha`. */
  dedupeColumns?: readonly string[];
  dryRun?: boolean;
}

export interface MergeFilesResult {
  masterRows: number;
  newRows: number;
  rows: number;
  columns: number;
  masterExisted: boolean;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function readerOf(path: string): string {
  return path.endsWith('.csv') ? `read_csv(${sqlLiteral(path)}, header=true)` : `read_parquet(${sqlLiteral(path)})`;
}

async function columnsOf(path: string): Promise<string[]> {
  try {
    const described = await queryRows(`DESCRIBE SELECT * FROM ${readerOf(path)}`);
    return described.map((r) => String(r.column_name));
  } catch (error) {
    throw new InputError(`Unreadable table: ${path}: ${(error as Error).message.split('\n')[0]}`, { file: path });
  }
}

/**
 * The original's merge, in place: union of columns (master's order first, then new ones), master
 * rows then new rows, duplicates on the dedupe columns dropped keeping the last (the newer run
 * wins), written to a temp file and renamed. Every column, nested ones included, is carried as is.
 */
export async function mergeMasterFiles(options: MergeFilesOptions): Promise<MergeFilesResult> {
  const dedupe = options.dedupeColumns ?? ['pr_merge_commit_sha', 'repo_name', 'pr_base_sha'];
  try {
    await stat(options.newFile);
  } catch {
    throw new InputError(`Missing input: ${options.newFile} does not exist`, { file: options.newFile });
  }
  let masterExisted = true;
  try {
    await stat(options.masterFile);
  } catch {
    masterExisted = false;
  }
  const files = masterExisted ? [options.masterFile, options.newFile] : [options.newFile];
  for (const file of files) {
    const present = new Set(await columnsOf(file));
    const missing = dedupe.filter((c) => !present.has(c));
    if (missing.length) {
      throw new SchemaError(`Invalid table: ${file} is missing dedupe column(s) ${missing.join(', ')}`, { file });
    }
  }
  const parts = files.map(
    (file, i) => `SELECT *, ${i} AS __ds_src, row_number() OVER () AS __ds_rn FROM ${readerOf(file)}`,
  );
  const unioned = parts.join(' UNION ALL BY NAME ');
  const partition = dedupe.map(quoteIdent).join(', ');
  const select = `SELECT * EXCLUDE (__ds_src, __ds_rn, __ds_k) FROM (SELECT *, row_number() OVER (PARTITION BY ${partition} ORDER BY __ds_src DESC, __ds_rn DESC) AS __ds_k FROM (${unioned})) WHERE __ds_k = 1 ORDER BY __ds_src, __ds_rn`;
  const count = async (sql: string) => Number((await queryRows(`SELECT count(*) AS n FROM (${sql})`))[0]?.n ?? 0);
  let rows: number;
  let columns: number;
  try {
    rows = await count(select);
    columns = (await queryRows(`DESCRIBE ${select}`)).length;
  } catch (error) {
    throw new InputError(
      `Cannot merge ${options.newFile} into ${options.masterFile}: ${(error as Error).message.split('\n')[0]}`,
      { file: options.newFile },
    );
  }
  const masterRows = masterExisted ? await count(`SELECT * FROM ${readerOf(options.masterFile)}`) : 0;
  const newRows = await count(`SELECT * FROM ${readerOf(options.newFile)}`);
  if (!options.dryRun) {
    await mkdir(dirname(options.masterFile), { recursive: true });
    const tmp = join(
      dirname(options.masterFile),
      `.${basename(options.masterFile)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    try {
      await queryRows(`COPY (${select}) TO ${sqlLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
      await rename(tmp, options.masterFile);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return { masterRows, newRows, rows, columns, masterExisted };
}
