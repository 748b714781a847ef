import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, RemoteError, SchemaError } from '@datasmith/errors';
import { dataLayout } from '@datasmith/paths';
import { createMemoryLogger, summarizeRows } from '@datasmith/progress';
import { partitionTable, readTable, writeTable } from '@datasmith/tables';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CommandContext } from '../context';
import { type StepOutcome, resolveStepIO, runStep, summarizeWithFailures, withFlagNames } from './step-runner';

const Item = z.object({ id: z.number().int(), title: z.string() });
const Verdict = Item.extend({ kept: z.boolean(), drop_reason: z.string().nullable() });
// Two layout tables of real steps, with small schemas: where they go is what the runner decides.
const ITEMS = partitionTable('collect', 'commits', Item, ['id']);
const VERDICTS = partitionTable('prepare', 'prepared', Verdict, ['id']);
const SHORT = partitionTable('prepare', 'short', Verdict, ['id']);

function testContext(): CommandContext & { printed: string[]; log: ReturnType<typeof createMemoryLogger> } {
  const printed: string[] = [];
  return {
    env: {},
    log: createMemoryLogger(),
    print: (text) => printed.push(text),
    cwd: process.cwd(),
    verbose: false,
    printed,
  };
}

/** The fake step: keeps items with a title longer than three characters. */
async function judge(
  items: Array<z.infer<typeof Item>>,
): Promise<StepOutcome<{ verdicts: { table: typeof VERDICTS } }>> {
  const rows = items.map((r) => ({ ...r, kept: r.title.length > 3, drop_reason: r.title.length > 3 ? null : 'short' }));
  return { tables: { verdicts: rows }, summary: summarizeRows(rows), detail: [`judged ${rows.length}`] };
}

const items = [
  { id: 2, title: 'faster sum' },
  { id: 1, title: 'doc' },
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-step-runner-'));
});

describe('the step runner', () => {
  it('partition mode: reads and writes the layout paths of the partition, prints the summary line', async () => {
    const layout = dataLayout(join(dir, 'data'));
    await writeTable(layout.tablePath('collect', 'o/r', '2024-05', 'commits'), Item, items, ['id']);
    const ctx = testContext();
    const io = resolveStepIO(
      'prepare',
      { repo: 'o/r', month: '2024-05', outRoot: join(dir, 'data') },
      {
        reads: { items: { table: ITEMS, file: 'ignored.parquet', missing: 'Missing --in' } },
        writes: { verdicts: { table: VERDICTS, missing: 'Missing --out' } },
      },
    );
    expect(io.partition?.month.key).toBe('2024-05');
    expect(io.writes.verdicts.path).toBe(layout.tablePath('prepare', 'o/r', '2024-05', 'prepared'));
    await runStep(ctx, io, {}, (inputs) => judge(inputs.items));
    expect(ctx.printed).toEqual(['prepare: kept 1, dropped 1 (short: 1)']);
    expect(ctx.log.lines).toEqual(['judged 2']);
    const written = await readTable(io.writes.verdicts.path, Verdict);
    expect(written.map((r) => [r.id, r.kept])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('file mode: takes the paths from the flags; --json prints one JSON line and no detail', async () => {
    await writeTable(join(dir, 'in.parquet'), Item, items, ['id']);
    const ctx = testContext();
    const io = resolveStepIO(
      'prepare',
      {},
      {
        reads: { items: { table: ITEMS, file: join(dir, 'in.parquet'), missing: 'Missing --in' } },
        writes: { verdicts: { table: VERDICTS, file: join(dir, 'out.parquet'), missing: 'Missing --out' } },
      },
    );
    expect(io.partition).toBeNull();
    await runStep(ctx, io, { json: true }, async (inputs) => ({ ...(await judge(inputs.items)), extra: { n: 2 } }));
    expect(ctx.printed.map((line) => JSON.parse(line))).toEqual([
      { step: 'prepare', kept: 1, dropped: 1, reasons: { short: 1 }, n: 2 },
    ]);
    expect(ctx.log.lines).toEqual([]);
    expect(await readTable(join(dir, 'out.parquet'), Verdict)).toHaveLength(2);
  });

  it.each([
    ['the input flag', {}, 'Missing --in: give the items table'],
    ['the output flag', { in: 'x.parquet' }, 'Missing --out: where to write the verdicts'],
    ['the month of partition mode', { repo: 'o/r' }, 'Missing --month: prepare --repo needs --month YYYY-MM'],
  ])('file mode without %s fails in one line naming the flag', (_, flags: { in?: string; repo?: string }, message) => {
    expect(() =>
      resolveStepIO('prepare', flags, {
        reads: { items: { table: ITEMS, file: flags.in, missing: 'Missing --in: give the items table' } },
        writes: { verdicts: { table: VERDICTS, missing: 'Missing --out: where to write the verdicts' } },
      }),
    ).toThrow(expect.objectContaining({ name: 'InputError', message: expect.stringContaining(message) }));
  });

  it('resolves other files like tables: override, partition, flag; missing ones after the inputs, before the outputs', () => {
    const bindings = (flags: { in?: string; registry?: string; outDir?: string }) => ({
      reads: { items: { table: ITEMS, file: flags.in, missing: 'Missing --in' } },
      files: {
        registry: {
          override: flags.registry,
          partition: () => 'from-the-partition.json',
          file: undefined,
          missing: 'Missing --contexts',
        },
      },
      writes: {
        verdicts: {
          table: VERDICTS,
          file: flags.outDir && join(flags.outDir, 'v.parquet'),
          missing: 'Missing --out-dir',
        },
      },
    });
    const message = (flags: Parameters<typeof bindings>[0]) => {
      try {
        resolveStepIO('prepare', {}, bindings(flags));
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(message({ in: 'a' })).toBe('Missing --contexts');
    expect(message({ in: 'a', registry: 'r.json' })).toBe('Missing --out-dir');
    expect(resolveStepIO('prepare', { repo: 'o/r', month: '2024-05' }, bindings({})).files).toEqual({
      registry: 'from-the-partition.json',
    });
    expect(
      resolveStepIO('prepare', { repo: 'o/r', month: '2024-05' }, bindings({ registry: 'mine.json' })).files,
    ).toEqual({ registry: 'mine.json' });
  });

  it('a bad input row is a one-line SchemaError naming file, row and field (exit 2), and nothing is written', async () => {
    const bad = join(dir, 'bad.parquet');
    await writeTable(bad, Item.extend({ id: z.string() }), [{ id: 'seven', title: 'x' }], ['id']);
    const io = resolveStepIO(
      'prepare',
      {},
      {
        reads: { items: { table: ITEMS, file: bad } },
        writes: { verdicts: { table: VERDICTS, file: join(dir, 'out.parquet') } },
      },
    );
    const ctx = testContext();
    const error = await runStep(ctx, io, {}, (inputs) => judge(inputs.items)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).exitCode).toBe(2);
    expect((error as SchemaError).message).toMatch(
      /^Invalid row: .*bad\.parquet row 0, id: Invalid input: expected number/,
    );
    expect((error as SchemaError).message).not.toContain('\n');
    expect(ctx.printed).toEqual([]);
    expect(await readdir(dir)).toEqual(['bad.parquet']);
  });

  it('a step that throws, or an output row that fails its schema, leaves the previous files and no temp file', async () => {
    await writeTable(join(dir, 'in.parquet'), Item, items, ['id']);
    await writeFile(join(dir, 'out.parquet'), 'previous');
    await writeFile(join(dir, 'short.parquet'), 'previous');
    const io = resolveStepIO(
      'prepare',
      {},
      {
        reads: { items: { table: ITEMS, file: join(dir, 'in.parquet') } },
        writes: {
          verdicts: { table: VERDICTS, file: join(dir, 'out.parquet') },
          short: { table: SHORT, file: join(dir, 'short.parquet') },
        },
      },
    );
    const ctx = testContext();
    await expect(
      runStep(ctx, io, {}, async () => {
        throw new RemoteError('the endpoint went away');
      }),
    ).rejects.toThrow('the endpoint went away');
    // The first output is valid and staged; the second fails validation: neither may land.
    await expect(
      runStep(ctx, io, {}, async (inputs) => {
        const verdicts = (await judge(inputs.items)).tables.verdicts;
        return {
          // A wrong type on purpose: the runner validates what the compiler would have refused.
          tables: { verdicts, short: [{ ...verdicts[0], kept: 'yes' } as unknown as z.infer<typeof Verdict>] },
          summary: summarizeRows([]),
        };
      }),
    ).rejects.toThrow(/^Invalid row: .*short\.parquet row 0, kept: /);
    expect((await readdir(dir)).sort()).toEqual(['in.parquet', 'out.parquet', 'short.parquet']);
    expect(await readFile(join(dir, 'out.parquet'), 'utf8')).toBe('previous');
    expect(ctx.printed).toEqual([]);
  });

  it('writes the failures beside their output, summarises, then throws the outcome error (partial results kept)', async () => {
    await writeTable(join(dir, 'in.parquet'), Item, items, ['id']);
    const out = join(dir, 'out.parquet');
    const io = resolveStepIO(
      'prepare',
      {},
      {
        reads: { items: { table: ITEMS, file: join(dir, 'in.parquet') } },
        writes: { verdicts: { table: VERDICTS, file: out } },
      },
    );
    const ctx = testContext();
    const failure = { step: 'prepare', item: 'o/r#3', code: 'E_REMOTE', message: 'timed out' };
    await expect(
      runStep(ctx, io, {}, async (inputs) => {
        const judged = await judge(inputs.items);
        return {
          ...judged,
          summary: summarizeWithFailures(judged.tables.verdicts, [failure]),
          failures: { beside: 'verdicts', rows: [failure] },
          error: new InputError('1 of 3 items failed'),
        };
      }),
    ).rejects.toThrow('1 of 3 items failed');
    expect(await readTable(out, Verdict)).toHaveLength(2);
    expect(JSON.parse(await readFile(join(dir, 'out.failures.jsonl'), 'utf8'))).toEqual(failure);
    expect(ctx.printed).toEqual(['prepare: kept 1, dropped 1 (short: 1), failed 1 (E_REMOTE: 1)']);
    // A later run without failures removes the stale file.
    await runStep(ctx, io, {}, async (inputs) => ({
      ...(await judge(inputs.items)),
      failures: { beside: 'verdicts', rows: [] },
    }));
    expect((await readdir(dir)).sort()).toEqual(['in.parquet', 'out.parquet']);
  });
});

describe('withFlagNames', () => {
  const fail = (error: Error) => () => Promise.reject(error);
  const flags = { '--contexts': 'c.json', '--verified': 'v.csv' };

  it.each([
    [
      'a missing file',
      new InputError('Missing input: c.json does not exist', { file: 'c.json' }),
      'Missing input: --contexts c.json does not exist',
    ],
    [
      'an invalid file',
      new InputError('Invalid v.csv: expected a CSV header', { file: 'v.csv' }),
      'Invalid --verified v.csv: expected a CSV header',
    ],
    [
      'a bad row of the file',
      new SchemaError('Invalid row: c.json row 2, sha: bad', { file: 'c.json' }),
      'Invalid row: c.json row 2, sha: bad',
    ],
    [
      'a file no flag gave',
      new InputError('Missing input: other.json does not exist', { file: 'other.json' }),
      'Missing input: other.json does not exist',
    ],
    [
      'an error without a file',
      new RemoteError('Missing input: c.json does not exist'),
      'Missing input: c.json does not exist',
    ],
  ])('%s', async (_, error, message) => {
    const thrown = await withFlagNames(flags, fail(error)).catch((e: unknown) => e as Error);
    expect(thrown.message).toBe(message);
    expect(thrown.name).toBe(error.name);
    expect((thrown as InputError).code).toBe((error as InputError).code);
  });

  it('keeps the class and code of a schema error it renames', async () => {
    const error = new SchemaError('Invalid v.csv: entry 0 is not a pair', { file: 'v.csv' });
    const thrown = await withFlagNames(flags, fail(error)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(SchemaError);
    expect(thrown).toMatchObject({ code: 'E_INPUT_SCHEMA', exitCode: 2, file: 'v.csv', cause: error });
  });

  it('returns what the work returns', async () => {
    expect(await withFlagNames(flags, async () => 7)).toBe(7);
  });
});
