import { stat } from 'node:fs/promises';
import { InputError, SchemaError } from '@datasmith/errors';
import { MasterRow, queryRows, sqlLiteral, tableColumns } from '@datasmith/tables';
import type { z } from 'zod';
import { normalizeClassificationLabel, normalizeDifficultyLabel } from './normalize';

/** Columns a master-like table must have (the original's dedupe key). */
export const MASTER_KEY_COLUMNS = ['repo_name', 'pr_merge_commit_sha', 'pr_base_sha'] as const;

/** What an import kept and changed, for logs and tests. */
export interface LegacyImport {
  rows: MasterRow[];
  /** Rows without a valid key (repo_name, 40-hex pr_merge_commit_sha), not imported. */
  droppedRows: number;
  /** Columns of the file that the master does not carry (nested pandas columns and the like). */
  ignoredColumns: string[];
  /** Per master column, values that did not fit its schema and became null. */
  nulledValues: Record<string, number>;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const ISO = "'%Y-%m-%dT%H:%M:%SZ'";

/** A SQL expression converting source column `col` of DuckDB type `src` to master type `dst`. */
function convert(col: string, src: string, dst: string): string {
  const c = quoteIdent(col);
  const s = src.toUpperCase();
  if (dst === 'VARCHAR') {
    if (s === 'TIMESTAMP WITH TIME ZONE') return `strftime(timezone('UTC', ${c}), ${ISO})`;
    if (s.startsWith('TIMESTAMP')) return `strftime(CAST(${c} AS TIMESTAMP), ${ISO})`;
    if (s === 'DATE') return `strftime(CAST(${c} AS TIMESTAMP), ${ISO})`;
    if (s.startsWith('STRUCT') || s.endsWith('[]') || s.startsWith('MAP') || s === 'JSON')
      return `CAST(to_json(${c}) AS VARCHAR)`;
    return `CAST(${c} AS VARCHAR)`;
  }
  if (dst === 'BIGINT') {
    if (s === 'DOUBLE' || s === 'FLOAT')
      return `CASE WHEN isnan(${c}) OR isinf(${c}) THEN NULL ELSE TRY_CAST(round(${c}) AS BIGINT) END`;
    return `TRY_CAST(${c} AS BIGINT)`;
  }
  return `TRY_CAST(${c} AS ${dst})`;
}

/** Fallback sources of master columns the original stored under other names or nested. */
function fallback(name: string, columns: Map<string, string>, dst: string): string | null {
  const pick = (col: string) => (columns.has(col) ? convert(col, columns.get(col) as string, dst) : null);
  switch (name) {
    case 'pr_base_sha': {
      const base = columns.get('pr_base');
      if (base && /^STRUCT\(.*\bsha\b/i.test(base)) return `CAST(${quoteIdent('pr_base')}.sha AS VARCHAR)`;
      return null;
    }
    case 'sha':
      return pick('pr_merge_commit_sha');
    case 'classification_explanation':
      return pick('classification_reason');
    case 'pr_merged_at':
      return pick('merged_at');
    case 'pr_title':
      return pick('title');
    case 'pr_body':
      return pick('body');
    default:
      return null;
  }
}

function monthOfIso(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-\d{2}T/.exec(value);
  return m ? `${m[1]}-${m[2]}` : null;
}

/** `2023-01-05 10:00:00+00:00` and friends → `2023-01-05T10:00:00Z`; a zone-less time is UTC. */
function normalizeInstant(value: unknown): unknown {
  if (typeof value !== 'string' || !value.trim()) return value;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return value;
  const trimmed = value.trim().replace(' ', 'T');
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) ? trimmed : `${trimmed}Z`;
  const t = new Date(zoned);
  return Number.isNaN(t.getTime()) ? value : `${t.toISOString().slice(0, 19)}Z`;
}

/**
 * Imports a master-like table: the original's pandas-written `perfonly_commits_master.parquet`
 * (about 161 columns, nested `pr_base`/`pr_labels` structs and lists, nanosecond timestamps, human
 * or enum-prefixed labels) or any Parquet/CSV/JSONL with at least the key columns. Master columns
 * are taken by name (with a few fallbacks such as `pr_base.sha`), converted in SQL, normalised, and
 * values that still do not fit the schema become null (counted per column).
 */
export async function importMasterLike(path: string, month: string | null = null): Promise<LegacyImport> {
  try {
    await stat(path);
  } catch {
    throw new InputError(`Missing input: ${path} does not exist`, { file: path });
  }
  const reader = path.endsWith('.csv')
    ? `read_csv(${sqlLiteral(path)}, header=true)`
    : path.endsWith('.jsonl') || path.endsWith('.json')
      ? `read_json(${sqlLiteral(path)}, format='newline_delimited', maximum_object_size=1073741824)`
      : `read_parquet(${sqlLiteral(path)})`;
  let described: Array<Record<string, unknown>>;
  try {
    described = await queryRows(`DESCRIBE SELECT * FROM ${reader}`);
  } catch (error) {
    throw new InputError(`Unreadable table: ${path}: ${(error as Error).message.split('\n')[0]}`, { file: path });
  }
  const columns = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
  const target = tableColumns(MasterRow).filter(([name]) => name !== 'month' && name !== 'origin');
  const selects: string[] = [];
  for (const [name, dst] of target) {
    const src = columns.get(name);
    const expr = src ? convert(name, src, dst) : fallback(name, columns, dst);
    selects.push(`${expr ?? `CAST(NULL AS ${dst})`} AS ${quoteIdent(name)}`);
  }
  const missing = MASTER_KEY_COLUMNS.filter(
    (k) => !columns.has(k) && !(k === 'pr_base_sha' && fallback(k, columns, 'VARCHAR')),
  );
  if (missing.length > 0) {
    throw new SchemaError(`Invalid table: ${path} is missing column(s) ${missing.join(', ')}`, { file: path });
  }
  const raw = await queryRows(`SELECT ${selects.join(', ')} FROM ${reader}`);
  const shape = MasterRow.shape as Record<string, z.ZodType>;
  const keyNames = new Set<string>(MASTER_KEY_COLUMNS);
  const nulledValues: Record<string, number> = {};
  const rows: MasterRow[] = [];
  let droppedRows = 0;
  for (const record of raw) {
    const row: Record<string, unknown> = { ...record };
    row.pr_merged_at = normalizeInstant(row.pr_merged_at);
    row.date = normalizeInstant(row.date);
    if (row.classification !== null && row.classification !== undefined) {
      row.classification = normalizeClassificationLabel(row.classification);
    }
    if (row.difficulty !== null && row.difficulty !== undefined)
      row.difficulty = normalizeDifficultyLabel(row.difficulty);
    if (typeof row.classification_confidence === 'number') {
      row.classification_confidence = Math.max(0, Math.min(100, Math.round(row.classification_confidence)));
    }
    if (typeof row.repo_name === 'string') row.repo_name = row.repo_name.trim();
    row.month = month ?? monthOfIso(row.pr_merged_at) ?? '1970-01';
    row.origin = 'legacy';
    let validKey = true;
    for (const [name, field] of Object.entries(shape)) {
      if (field.safeParse(row[name]).success) continue;
      if (keyNames.has(name) || name === 'month' || name === 'origin') {
        validKey = false;
        break;
      }
      nulledValues[name] = (nulledValues[name] ?? 0) + 1;
      row[name] = null;
    }
    if (!validKey) {
      droppedRows++;
      continue;
    }
    rows.push(MasterRow.parse(row));
  }
  const known = new Set(target.map(([name]) => name));
  const ignoredColumns = [...columns.keys()].filter((c) => !known.has(c)).sort();
  return { rows, droppedRows, ignoredColumns, nulledValues };
}
