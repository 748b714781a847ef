import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openQuerySession, readTable, sqlLiteral, tableColumns, writeTable } from './parquet';
import { CommitRow } from './schemas';

const Sample = z.object({
  name: z.string(),
  n: z.number().int(),
  score: z.number().nullable(),
  ok: z.boolean(),
  tags: z.array(z.string()),
  note: z.string().nullable(),
});

const rows = [
  { name: 'b', n: 2, score: 0.5, ok: true, tags: ['x'], note: null },
  { name: 'a', n: 1, score: null, ok: false, tags: [], note: 'multi\nline "quoted" ünïcode' },
];

describe('parquet tables', () => {
  it('maps zod fields to DuckDB types', () => {
    expect(tableColumns(Sample)).toEqual([
      ['name', 'VARCHAR'],
      ['n', 'BIGINT'],
      ['score', 'DOUBLE'],
      ['ok', 'BOOLEAN'],
      ['tags', 'VARCHAR[]'],
      ['note', 'VARCHAR'],
    ]);
    expect(tableColumns(CommitRow).find(([n]) => n === 'pr_number')).toEqual(['pr_number', 'BIGINT']);
  });

  it('round-trips rows sorted by key, byte-identical on rewrite, with no temp files left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-tables-'));
    const a = join(dir, 'x', 'a.parquet');
    const b = join(dir, 'x', 'b.parquet');
    await writeTable(a, Sample, rows, ['name']);
    await writeTable(b, Sample, [...rows].reverse(), ['name']);
    expect(await readTable(a, Sample)).toEqual([rows[1], rows[0]]);
    expect(Buffer.compare(await readFile(a), await readFile(b))).toBe(0);
    expect((await readdir(join(dir, 'x'))).sort()).toEqual(['a.parquet', 'b.parquet']);
  });

  it('writes an empty table that reads back empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-tables-'));
    const p = join(dir, 'empty.parquet');
    await writeTable(p, Sample, [], ['name']);
    expect(await readTable(p, Sample)).toEqual([]);
  });

  it('rejects an invalid row naming the file, row and field, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-tables-'));
    const p = join(dir, 'bad.parquet');
    await expect(writeTable(p, Sample, [rows[0], { ...rows[1], n: 'one' }], ['name'])).rejects.toThrow(
      /bad\.parquet row 1, n: /,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('names missing columns when reading', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-tables-'));
    const p = join(dir, 'in.csv');
    await writeFile(p, 'name,n\na,1\n');
    await expect(readTable(p, Sample)).rejects.toThrow(/missing column\(s\) score, ok, tags, note/);
  });
});

describe('openQuerySession', () => {
  it('keeps temporary tables between queries, reads file order, and returns plain numbers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-tables-'));
    const p = join(dir, 'a.parquet');
    await writeTable(
      p,
      z.object({ name: z.string(), n: z.number().int() }),
      [
        { name: 'b', n: 2 },
        { name: 'a', n: 1 },
      ],
      [],
    );
    const session = await openQuerySession();
    try {
      await session.run(
        `CREATE TEMP TABLE t AS SELECT *, row_number() OVER () AS ord FROM read_parquet(${sqlLiteral(p)})`,
      );
      expect(await session.rows('SELECT name, n, ord FROM t ORDER BY ord')).toEqual([
        { name: 'b', n: 2, ord: 1 },
        { name: 'a', n: 1, ord: 2 },
      ]);
    } finally {
      session.close();
    }
    const other = await openQuerySession();
    try {
      await expect(other.rows('SELECT * FROM t')).rejects.toThrow(/t/);
    } finally {
      other.close();
    }
  });
});
