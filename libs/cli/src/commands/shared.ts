import { resolve } from 'node:path';
import { InputError } from '@datasmith/errors';
import { MemoStore } from '@datasmith/memo';
import { type MonthWindow, dataLayout, parseMonth, parseRepoName } from '@datasmith/paths';
import { type StepSummary, formatSummary } from '@datasmith/progress';
import { FailureRow, writeFileAtomic } from '@datasmith/tables';
import type { CommandContext } from '../context';

/** Partition mode (Nx targets): `--repo owner/name --month YYYY-MM [--out-root data]`. */
export interface PartitionOptions {
  repo?: string;
  month?: string;
  outRoot?: string;
}

/** One repository × month of partition mode; its tables' paths come from the step runner. */
export interface Partition {
  repo: string;
  month: MonthWindow;
  outRoot: string;
}

/** Resolves partition mode, or null when neither --repo nor --month is given. */
export function resolvePartition(command: string, options: PartitionOptions): Partition | null {
  if (options.repo === undefined && options.month === undefined) return null;
  if (!options.repo) throw new InputError(`Missing --repo: ${command} with --month needs --repo owner/name`);
  if (!options.month)
    throw new InputError(
      `Missing --month: ${command} --repo needs --month YYYY-MM (Nx passes it with --month=YYYY-MM)`,
    );
  return {
    repo: parseRepoName(options.repo, '--repo').full,
    month: parseMonth(options.month),
    outRoot: options.outRoot ?? 'data',
  };
}

/** The memo store under the output root (`data/memo`), unless `DATASMITH_NO_MEMO=1`. */
export function openMemo(context: CommandContext, outRoot = 'data'): MemoStore {
  return new MemoStore({
    root: resolve(context.cwd, dataLayout(outRoot).memoDir),
    enabled: context.env.DATASMITH_NO_MEMO !== '1',
  });
}

/** Prints the step's summary line (and the JSON form with --json). */
export function reportSummary(
  context: CommandContext,
  step: string,
  summary: StepSummary,
  json: boolean,
  extra: Record<string, unknown> = {},
): void {
  if (json) context.print(JSON.stringify({ step, ...summary, ...extra }));
  else context.print(`${step}: ${formatSummary(summary)}`);
}

/** Writes failures next to an output as JSONL (`<out>.failures.jsonl`), or removes a stale one. */
export async function writeFailures(outFile: string, failures: readonly FailureRow[]): Promise<void> {
  const path = `${outFile.replace(/\.parquet$/, '')}.failures.jsonl`;
  const { rm } = await import('node:fs/promises');
  if (failures.length === 0) {
    await rm(path, { force: true });
    return;
  }
  await writeFileAtomic(path, `${failures.map((f) => JSON.stringify(FailureRow.parse(f))).join('\n')}\n`);
}

/** Parses a positive integer flag. */
export function intOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InputError(`Invalid ${name}: ${JSON.stringify(value)} is not a non-negative integer`);
    return n;
  };
}
