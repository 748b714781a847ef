import { type DatasmithError, type ErrorCode, InputError, InternalError } from '@datasmith/errors';
import { type PipelineStep, dataLayout } from '@datasmith/paths';
import { type StepSummary, summarizeRows } from '@datasmith/progress';
import { type FailureRow, type StagedFile, type TableSpec, readTable, stageFile, stageTable } from '@datasmith/tables';
import type { z } from 'zod';
import type { CommandContext } from '../context';
import { type Partition, type PartitionOptions, reportSummary, resolvePartition, writeFailures } from './shared';

/**
 * One table of a step as a command binds it: the table (its schema and its place in the layout) and
 * what the command's flags say about its path. In partition mode the path is the layout's (or
 * `override`); in file mode it is `file`, else the layout's own file for a global table, else the
 * `missing` error.
 */
export interface TableBinding<T extends TableSpec = TableSpec> {
  readonly table: T;
  /** File mode: the path the command's flag (or a legacy alias) gave. */
  readonly file?: string | undefined;
  /** A path given in every mode (publish's `--out`), before the layout's. */
  readonly override?: string | undefined;
  /** File mode without a path: the one-line error naming the flag, e.g. `Missing --in: give the commits table`. */
  readonly missing?: string;
}

/**
 * The tables a step's command reads and writes, declared once at the top of the command module:
 * the same tables as the step's `reads` and `writes` in PIPELINE (checked by step-tables.test.ts),
 * here with their zod schemas, which the light PIPELINE module must not load.
 */
export interface StepTables {
  readonly reads: Readonly<Record<string, TableSpec>>;
  readonly writes: Readonly<Record<string, TableSpec>>;
}

/** Bindings by a name the command chooses (`commits`, `perf`). */
export type TableBindings = Readonly<Record<string, TableBinding>>;

/**
 * A file of a step that is not a table (a JSON registry, a JSONL sidecar such as results.jsonl),
 * resolved like a table: `override`, else `partition` in partition mode, else `file`, else `missing`.
 */
export interface FileBinding {
  readonly partition?: (partition: Partition) => string;
  readonly file?: string | undefined;
  readonly override?: string | undefined;
  readonly missing?: string;
}

/** The validated rows of one bound table. */
export type RowsOf<B extends TableBinding> = Array<z.infer<B['table']['schema']>>;

/** Where each bound table and file of a run is, once partition mode or the flags decided (`F`: the file names). */
export interface StepIO<R extends TableBindings, W extends TableBindings, F extends string = never> {
  readonly step: PipelineStep;
  /** Partition mode (`--repo` with `--month`), or null in file or global mode. */
  readonly partition: Partition | null;
  /** The data root: the partition's, else `--out-root`, else `data` (the memo lives under it). */
  readonly outRoot: string;
  readonly reads: { readonly [K in keyof R]: R[K] & { readonly path: string } };
  /** The paths of the step's other files, by the names of its file bindings. */
  readonly files: Readonly<Record<F, string>>;
  readonly writes: { readonly [K in keyof W]: W[K] & { readonly path: string } };
}

/** What a step's command hands back for the runner to write and summarise. */
export interface StepOutcome<W extends TableBindings> {
  /** The rows of every output table; validated against its schema and sorted by its key on write. */
  tables: { readonly [K in keyof W]: ReadonlyArray<z.input<W[K]['table']['schema']>> };
  /** Other files committed with the tables (synthesize's results.jsonl, scrape-repos' repos.csv). */
  files?: ReadonlyArray<{ path: string; content: string }>;
  /** Per-item failures, as `<output>.failures.jsonl` beside the named output (a stale one is removed). */
  failures?: { beside: keyof W & string; rows: readonly FailureRow[] };
  summary: StepSummary;
  /** Fields of the `--json` line besides step, kept, dropped and reasons. */
  extra?: Record<string, unknown>;
  /** Human lines logged after the summary (not with `--json`). */
  detail?: readonly string[];
  /** Thrown once everything is written and summarised: partial results stay, the exit is non-zero. */
  error?: DatasmithError;
}

/** The path of a partitioned table in one partition (another step's table a command reads itself). */
export function partitionTablePath(table: TableSpec, partition: Partition): string {
  const path = layoutPath(table, partition.outRoot, partition);
  if (path === null) throw new InternalError(`table ${table.name} has no place in a partition`);
  return path;
}

function layoutPath(table: TableSpec, outRoot: string, partition: Partition | null): string | null {
  const layout = dataLayout(outRoot);
  const { location } = table;
  if (location.kind === 'global') return layout[location.layout];
  return partition ? layout.tablePath(location.step, partition.repo, partition.month.key, location.table) : null;
}

/** `kept N, dropped M (reason: n)` of rows with `kept` and `drop_reason`, plus the failures by code. */
export function summarizeWithFailures(
  rows: ReadonlyArray<{ kept: boolean; drop_reason: string | null }>,
  failures: readonly FailureRow[],
): StepSummary {
  const byCode: Record<string, number> = {};
  for (const failure of failures) byCode[failure.code] = (byCode[failure.code] ?? 0) + 1;
  return { ...summarizeRows(rows), failed: failures.length, failures: byCode };
}

function missingPath(step: PipelineStep, name: string, missing: string | undefined): never {
  if (missing === undefined) throw new InternalError(`${step}: ${name} has no path and no missing message`);
  throw new InputError(missing);
}

function bind<B extends TableBindings>(
  step: PipelineStep,
  bindings: B,
  outRoot: string,
  partition: Partition | null,
): { [K in keyof B]: B[K] & { path: string } } {
  const out: Record<string, TableBinding & { path: string }> = {};
  for (const [name, binding] of Object.entries(bindings)) {
    const path =
      binding.override ??
      (partition
        ? layoutPath(binding.table, outRoot, partition)
        : (binding.file ?? layoutPath(binding.table, outRoot, null)));
    out[name] = { ...binding, path: path ?? missingPath(step, name, binding.missing) };
  }
  return out as { [K in keyof B]: B[K] & { path: string } };
}

/**
 * Decides where a step's tables are: partition mode (`--repo owner/name --month YYYY-MM [--out-root]`)
 * puts every table at its layout path; file mode takes each from its flag, throwing the binding's
 * `missing` line when a required one is absent. Inputs are resolved first, then other files, then
 * outputs, each in declaration order, so the first missing flag is the one reported.
 */
export function resolveStepIO<R extends TableBindings, W extends TableBindings, F extends string = never>(
  step: PipelineStep,
  options: PartitionOptions,
  bindings: { reads: R; files?: Readonly<Record<F, FileBinding>>; writes: W },
): StepIO<R, W, F> {
  const partition = resolvePartition(step, options);
  const outRoot = partition?.outRoot ?? options.outRoot ?? 'data';
  const reads = bind(step, bindings.reads, outRoot, partition);
  const files: Record<string, string> = {};
  for (const [name, binding] of Object.entries<FileBinding>(bindings.files ?? {})) {
    const path = binding.override ?? (partition ? binding.partition?.(partition) : binding.file);
    files[name] = path ?? missingPath(step, name, binding.missing);
  }
  return {
    step,
    partition,
    outRoot,
    reads,
    files: files as Record<F, string>,
    writes: bind(step, bindings.writes, outRoot, partition),
  };
}

/**
 * Runs one step the same way for every command: reads and validates each input table, calls
 * `compute`, stages every output (validated, sorted, under a temporary name), and only when all are
 * staged renames them into place, so a step that throws leaves the previous files and no half
 * file. Then it writes the failures file, prints `<step>: kept N, dropped M (reason: n, …)` (or the
 * JSON form), logs the detail lines and throws the outcome's error, if any.
 */
export async function runStep<R extends TableBindings, W extends TableBindings, F extends string>(
  ctx: CommandContext,
  io: StepIO<R, W, F>,
  options: { json?: boolean },
  compute: (inputs: { [K in keyof R]: RowsOf<R[K]> }) => Promise<StepOutcome<W>>,
): Promise<void> {
  const inputs: Record<string, unknown[]> = {};
  for (const [name, binding] of Object.entries(io.reads)) {
    inputs[name] = await readTable(binding.path, binding.table.schema);
  }
  const outcome = await compute(inputs as { [K in keyof R]: RowsOf<R[K]> });
  const staged: StagedFile[] = [];
  try {
    for (const file of outcome.files ?? []) staged.push(await stageFile(file.path, file.content));
    for (const [name, binding] of Object.entries(io.writes)) {
      const rows = outcome.tables[name as keyof W];
      staged.push(await stageTable(binding.path, binding.table.schema, rows, binding.table.keys));
    }
  } catch (error) {
    await Promise.all(staged.map((file) => file.discard()));
    throw error;
  }
  for (const file of staged) await file.commit();
  if (outcome.failures) await writeFailures(io.writes[outcome.failures.beside].path, outcome.failures.rows);
  reportSummary(ctx, io.step, outcome.summary, Boolean(options.json), outcome.extra);
  if (!options.json) for (const line of outcome.detail ?? []) ctx.log.info(line);
  if (outcome.error) throw outcome.error;
}

/**
 * Runs `work` and names the flag a file came from in an error about that file itself: steps know
 * paths, not flags, so `Missing input: x.json does not exist` thrown for `--contexts x.json` reaches
 * the user as `Missing input: --contexts x.json does not exist`, and `Invalid v.csv: …` as
 * `Invalid --verified v.csv: …`. Errors about a row or column of the file, and others, pass as they are.
 */
export async function withFlagNames<T>(
  flags: Readonly<Record<string, string | undefined>>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof InputError) || error.file === undefined) throw error;
    const file = error.file;
    const flag = Object.entries(flags).find(([, path]) => path === file)?.[0];
    const aboutTheFile = [`Missing input: ${file} `, `Invalid ${file}: `].some((p) => error.message.startsWith(p));
    if (flag === undefined || !aboutTheFile) throw error;
    const Rebuilt = error.constructor as new (
      message: string,
      options: { file?: string; code?: ErrorCode; cause?: unknown },
    ) => InputError;
    throw new Rebuilt(error.message.replace(file, `${flag} ${file}`), { file, code: error.code, cause: error });
  }
}
