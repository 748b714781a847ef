import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, InternalError } from '@datasmith/errors';
import { buildMaster, mergeMasterFiles } from '@datasmith/steps/merge/merge';
import { type PartitionFile, findPartitionFiles } from '@datasmith/steps/merge/partitions';
import { MASTER_TABLE, PERF_TABLE, type TableSpec, VERIFIED_TABLE } from '@datasmith/tables';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { type StepTables, resolveStepIO, runStep, withFlagNames } from './step-runner';

interface MergeOptions {
  new?: string;
  newPerfonly?: string;
  master?: string;
  dedupeColumns?: string;
  dryRun?: boolean;
  outRoot?: string;
  out?: string;
  legacyMaster?: string;
  json?: boolean;
}

/** The legacy master picked up without a flag: `<out-root>/config/perfonly_commits_master.parquet`. */
export function defaultLegacyMaster(outRoot: string): string {
  return join(outRoot, 'config', 'perfonly_commits_master.parquet');
}

/** What merge reads (every partition of each) and writes: its PIPELINE entry's tables, with their schemas. */
export const MERGE_TABLES = {
  reads: { perf: PERF_TABLE, verified: VERIFIED_TABLE },
  writes: { master: MASTER_TABLE },
} as const satisfies StepTables;

/** `datasmith merge`: the master table (step 6). */
export const registerMerge: RegisterCommand = (program, context) => {
  program
    .command('merge')
    .description('Recompute the master table from every perf partition (step 6), or merge one file in place')
    .option(
      '--out-root <dir>',
      'global mode: read <dir>/classify/*/*/perf.parquet, write <dir>/master/master.parquet',
      'data',
    )
    .option('--out <file>', 'global mode: master table to write instead')
    .option(
      '--legacy-master <file>',
      "global mode: the original's perfonly_commits_master.parquet to import (lowest precedence; default <out-root>/config/perfonly_commits_master.parquet when present)",
    )
    .option('--new <file>', 'in-place mode (original): the new perfonly table')
    .option('--new-perfonly <file>', 'alias of --new (original flag)')
    .option('--master <file>', 'in-place mode: master to update (default perfonly_commits_master.parquet beside --new)')
    .option('--dedupe-columns <list>', 'in-place mode: key columns', 'pr_merge_commit_sha,repo_name,pr_base_sha')
    .option('--dry-run', 'in-place mode: report counts, write nothing')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Rows are deduplicated on (repo_name, pr_merge_commit_sha, pr_base_sha): the later month wins and any',
        'partition beats the imported legacy master. In-place mode keeps every column of both files.',
        '',
        'Examples:',
        '  datasmith merge --out-root data',
        '  datasmith merge --new perfonly_commits_2025-10.parquet --master perfonly_commits_master.parquet',
      ].join('\n'),
    )
    .action((options: MergeOptions) => runMergeCommand(context(), options));
};

/** The original's in-place form: merges `newFile` into a master file, keeping every column of both. */
async function mergeInPlace(ctx: CommandContext, options: MergeOptions, newFile: string): Promise<void> {
  const master = options.master ?? join(dirname(newFile), 'perfonly_commits_master.parquet');
  const dedupe = (options.dedupeColumns ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (dedupe.length === 0) throw new InputError('Invalid --dedupe-columns: give at least one column');
  const result = await withFlagNames({ '--new': newFile }, () =>
    mergeMasterFiles({ newFile, masterFile: master, dedupeColumns: dedupe, dryRun: options.dryRun }),
  );
  const dropped = result.masterRows + result.newRows - result.rows;
  if (options.json) ctx.print(JSON.stringify({ step: 'merge', ...result, dropped, master }));
  else {
    ctx.print(`merge: kept ${result.rows}, dropped ${dropped}${dropped ? ` (duplicate: ${dropped})` : ''}`);
    ctx.log.info(
      `merge: ${result.masterRows} master rows${result.masterExisted ? '' : ' (new master)'} + ${result.newRows} new rows → ${result.rows} rows × ${result.columns} columns${options.dryRun ? ' (dry run, nothing written)' : `; wrote ${master}`}`,
    );
  }
}

/** The global form: the master table recomputed from every perf (and verify) partition and the legacy master. */
async function mergeEveryPartition(ctx: CommandContext, options: MergeOptions): Promise<void> {
  const root = options.outRoot ?? 'data';
  const io = resolveStepIO('merge', options, {
    reads: {},
    writes: { master: { table: MERGE_TABLES.writes.master, file: options.out } },
  });
  const legacyDefault = defaultLegacyMaster(root);
  const legacyMaster = options.legacyMaster ?? (existsSync(legacyDefault) ? legacyDefault : null);
  const partitions = everyPartitionOf(root, MERGE_TABLES.reads.perf);
  const verifyPartitions = everyPartitionOf(root, MERGE_TABLES.reads.verified);
  await runStep(ctx, io, options, async () => {
    const { rows, stats } = await buildMaster({ partitions, legacyMaster, verifyPartitions }, { log: ctx.log });
    const duplicates = stats.rowsRead - stats.rows;
    const out = io.writes.master.path;
    return {
      tables: { master: rows },
      summary: {
        kept: stats.rows,
        dropped: duplicates,
        reasons: duplicates ? { duplicate: duplicates } : ({} as Record<string, number>),
      },
      extra: { ...stats, partitions: partitions.length, out },
      detail: [
        `merge: ${partitions.length} perf partitions${legacyMaster ? ` + legacy ${legacyMaster}` : ''}, ${stats.rowsRead} rows read, ${stats.replaced} replaced by later rows (${stats.legacyReplaced} legacy); wrote ${out}`,
      ],
    };
  });
}

async function runMergeCommand(ctx: CommandContext, options: MergeOptions): Promise<void> {
  const newFile = options.new ?? options.newPerfonly;
  if (newFile) return mergeInPlace(ctx, options, newFile);
  if (options.master || options.dryRun) {
    throw new InputError(
      'Missing --new: --master and --dry-run belong to the in-place form (--new FILE --master FILE)',
    );
  }
  await mergeEveryPartition(ctx, options);
}

/** Every partition file of a partitioned table under the data root (a global step's fan-in). */
function everyPartitionOf(root: string, table: TableSpec): PartitionFile[] {
  if (table.location.kind !== 'partition') throw new InternalError(`${table.name} is not a partitioned table`);
  return findPartitionFiles(root, table.location.step, table.location.table);
}
