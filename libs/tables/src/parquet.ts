import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { InputError, SchemaError } from '@datasmith/errors';
import type { z } from 'zod';

type AnyObjectSchema = z.ZodObject<z.ZodRawShape>;

interface ZodDefLike {
  type: string;
  innerType?: ZodLike;
  element?: ZodLike;
  shape?: Record<string, ZodLike>;
}
interface ZodLike {
  _zod: { def: ZodDefLike; bag?: { format?: string } };
  format?: string | null;
}

/** The DuckDB column type that stores values of a zod field. */
export function duckTypeOf(field: ZodLike): string {
  const def = field._zod.def;
  switch (def.type) {
    case 'nullable':
    case 'optional':
    case 'default':
    case 'readonly':
      return duckTypeOf(def.innerType as ZodLike);
    case 'string':
    case 'enum':
    case 'literal':
      return 'VARCHAR';
    case 'boolean':
      return 'BOOLEAN';
    case 'number': {
      const format = field._zod.bag?.format ?? field.format;
      return format === 'safeint' || format === 'int32' ? 'BIGINT' : 'DOUBLE';
    }
    case 'array':
      return `${duckTypeOf(def.element as ZodLike)}[]`;
    default:
      throw new SchemaError(`Unsupported column type ${def.type} in a table schema`);
  }
}

/** Column names and DuckDB types of a table schema, in declaration order. */
export function tableColumns(schema: AnyObjectSchema): Array<[string, string]> {
  return Object.entries(schema.shape).map(([name, field]) => [name, duckTypeOf(field as unknown as ZodLike)]);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(row)';
  return `${path}: ${issue.message}`;
}

/** Validates rows against a schema; the error names the file, the row index and the field. */
export function validateRows<S extends AnyObjectSchema>(
  schema: S,
  rows: readonly unknown[],
  file: string,
): Array<z.infer<S>> {
  const out: Array<z.infer<S>> = [];
  for (let i = 0; i < rows.length; i++) {
    const result = schema.safeParse(rows[i]);
    if (!result.success) {
      const first = result.error.issues[0];
      const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
      throw new SchemaError(`Invalid row: ${file} row ${i}, ${first ? describeIssue(first) : 'invalid'}${more}`, {
        file,
      });
    }
    out.push(result.data);
  }
  return out;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Sorts rows by key columns (stable), so that equal inputs always give equal files. */
export function sortRows<T extends Record<string, unknown>>(rows: readonly T[], keys: readonly string[]): T[] {
  return [...rows].sort((x, y) => {
    for (const key of keys) {
      const c = compareValues(x[key], y[key]);
      if (c !== 0) return c;
    }
    return 0;
  });
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * A file written next to its destination under a temporary name, not yet visible: `commit` renames it
 * into place (atomic on one file system), `discard` removes it. Staging every output of a step before
 * committing any means a step that fails half-way leaves the previous files, never a mix.
 */
export interface StagedFile {
  readonly path: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

function stagedAt(path: string, tmp: string): StagedFile {
  return {
    path,
    commit: async () => {
      try {
        await rename(tmp, path);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    },
    discard: () => rm(tmp, { force: true }),
  };
}

/** Writes `content` to a temporary sibling of `path` (creating its folder); see {@link StagedFile}. */
export async function stageFile(path: string, content: string | Uint8Array): Promise<StagedFile> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  try {
    await writeFile(tmp, content);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return stagedAt(path, tmp);
}

/** Writes a file atomically: temp file in the same folder, then rename. */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await (await stageFile(path, content)).commit();
}

/**
 * A new in-memory DuckDB on one thread. The native library is loaded on first use (about 0.15 s),
 * not when this module is imported: commands that read no table (help, config, doctor) skip it.
 */
async function createDuckDB(): Promise<DuckDBInstance> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  return DuckDBInstance.create(':memory:', { threads: '1' });
}

let instancePromise: Promise<DuckDBInstance> | undefined;
function duck(): Promise<DuckDBInstance> {
  // One in-memory database per process; tables live in files, so there is no lock to share.
  instancePromise ??= createDuckDB();
  return instancePromise;
}

/**
 * Validates, sorts and writes rows to a temporary Parquet sibling of `path`; nothing is visible at
 * `path` until `commit` (see {@link StagedFile}). A row that fails the schema throws before any file.
 */
export async function stageTable<S extends AnyObjectSchema>(
  path: string,
  schema: S,
  rows: readonly unknown[],
  keys: readonly string[],
): Promise<StagedFile> {
  const valid = validateRows(schema, rows, path);
  const sorted = sortRows(valid as Array<Record<string, unknown>>, keys);
  const columns = tableColumns(schema);
  await mkdir(dirname(path), { recursive: true });
  const jsonl = tempSibling(`${path}.jsonl`);
  const tmpParquet = tempSibling(path);
  try {
    await writeFile(jsonl, sorted.map((row) => JSON.stringify(row)).join('\n') + (sorted.length ? '\n' : ''));
    const columnSpec = `{${columns.map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`).join(', ')}}`;
    const select = columns.map(([name]) => `"${name}"`).join(', ');
    const connection = await (await duck()).connect();
    try {
      await connection.run(
        `COPY (SELECT ${select} FROM read_json(${sqlString(jsonl)}, format='newline_delimited', columns=${columnSpec}, maximum_object_size=1073741824)) TO ${sqlString(tmpParquet)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    } finally {
      connection.closeSync();
    }
  } catch (error) {
    await rm(tmpParquet, { force: true });
    throw error;
  } finally {
    await rm(jsonl, { force: true });
  }
  return stagedAt(path, tmpParquet);
}

/**
 * Validates, sorts and writes rows to a Parquet file atomically (temp file + rename): a reader never
 * sees a half-written table, and a killed writer leaves the previous file in place.
 */
export async function writeTable<S extends AnyObjectSchema>(
  path: string,
  schema: S,
  rows: readonly unknown[],
  keys: readonly string[],
): Promise<void> {
  await (await stageTable(path, schema, rows, keys)).commit();
}

function normalizeValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalizeValue);
  return value;
}

/**
 * Reads a Parquet, CSV or JSONL table and validates every row. Missing columns are reported
 * together, by name, before any row is looked at.
 */
export async function readTable<S extends AnyObjectSchema>(path: string, schema: S): Promise<Array<z.infer<S>>> {
  try {
    await stat(path);
  } catch {
    throw new InputError(`Missing input: ${path} does not exist`, { file: path });
  }
  const reader = path.endsWith('.csv')
    ? `read_csv(${sqlString(path)}, header=true, all_varchar=true)`
    : path.endsWith('.jsonl') || path.endsWith('.json')
      ? `read_json(${sqlString(path)}, format='newline_delimited', maximum_object_size=1073741824)`
      : `read_parquet(${sqlString(path)})`;
  const connection = await (await duck()).connect();
  try {
    let result: Awaited<ReturnType<typeof connection.runAndReadAll>>;
    try {
      result = await connection.runAndReadAll(`SELECT * FROM ${reader}`);
    } catch (error) {
      throw new InputError(`Unreadable table: ${path}: ${(error as Error).message.split('\n')[0]}`, {
        file: path,
        cause: error,
      });
    }
    const present = new Set(result.columnNames());
    const expected = Object.keys(schema.shape);
    const missing = expected.filter(
      (name) => !present.has(name) && !isOptionalField(schema.shape[name] as unknown as ZodLike),
    );
    if (missing.length > 0) {
      throw new SchemaError(`Invalid table: ${path} is missing column(s) ${missing.join(', ')}`, { file: path });
    }
    const rows = result.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) out[key] = normalizeValue(value);
      return out;
    });
    return validateRows(schema, rows, path);
  } finally {
    connection.closeSync();
  }
}

function isOptionalField(field: ZodLike): boolean {
  const t = field._zod.def.type;
  return t === 'optional' || t === 'default';
}

/** Runs a read-only SQL query over table files and returns plain JS rows (for reports and checks). */
export async function queryRows(sql: string): Promise<Array<Record<string, unknown>>> {
  const connection = await (await duck()).connect();
  try {
    const result = await connection.runAndReadAll(sql);
    return result.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) out[key] = normalizeValue(value);
      return out;
    });
  } finally {
    connection.closeSync();
  }
}

export { sqlString as sqlLiteral };

/** A DuckDB connection of its own for several related queries; temporary tables live until `close`. */
export interface QuerySession {
  /** Runs a statement (CREATE TEMP TABLE …). */
  run(sql: string): Promise<void>;
  /** Runs a query and returns plain JS rows (BIGINT as number). */
  rows(sql: string): Promise<Array<Record<string, unknown>>>;
  close(): void;
}

/**
 * Opens a private in-memory database on one thread (so a scan without ORDER BY keeps file order),
 * for read-only analysis over table files such as the report's.
 */
export async function openQuerySession(): Promise<QuerySession> {
  const instance = await createDuckDB();
  const connection = await instance.connect();
  return {
    async run(sql) {
      await connection.run(sql);
    },
    async rows(sql) {
      const result = await connection.runAndReadAll(sql);
      return result.getRowObjectsJS().map((row) => {
        const out: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(row)) out[key] = normalizeValue(value);
        return out;
      });
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
