import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputError } from '@datasmith/errors';
import { uploadDatasetFiles, writeLocalLayout } from '@datasmith/hub';
import { dataLayout } from '@datasmith/paths';
import { DistributionClient, normalizeRegistryRetryPolicy, resolveCredentials } from '@datasmith/registry';
import {
  buildDataset,
  checkRegistry,
  chooseVerified,
  datasetConfigs,
  datasetHubFiles,
} from '@datasmith/steps/dataset/dataset';
import { readTaskKeyList } from '@datasmith/steps/dataset/verified';
import { importMasterLike } from '@datasmith/steps/merge/legacy';
import { findPartitionFiles } from '@datasmith/steps/merge/partitions';
import {
  DatasetRow,
  ImageRow,
  MasterRow,
  PUBLISH_TABLE_KEYS,
  queryRows,
  readTable,
  sqlLiteral,
  writeTable,
} from '@datasmith/tables';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { intOption, reportSummary } from './shared';
import { withFlagNames } from './step-runner';

interface DatasetOptions {
  in?: string;
  input?: string;
  out?: string;
  output?: string;
  images: string[];
  uploadToHf?: string;
  hfDir?: string;
  verified?: string;
  hfVerifiedFilter?: string;
  filterBy?: string;
  limitPerRepo?: number;
  checkRegistry?: boolean;
  hubUrl?: string;
  hfCommitMessage?: string;
  outRoot: string;
  dryRun?: boolean;
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

/** `datasmith <version>`, the `pipeline_version` provenance column. */
export function pipelineVersion(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return `datasmith ${pkg.version}`;
}

/** Master rows from our master table, a perf table, or the original's pandas-written parquet. */
async function readMasterRows(path: string): Promise<MasterRow[]> {
  if (!existsSync(path)) throw new InputError(`Missing input: ${path} does not exist`, { file: path });
  if (path.endsWith('.parquet')) {
    const columns = new Set(
      (await queryRows(`DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(path)})`)).map((r) => String(r.column_name)),
    );
    if (columns.has('origin') && columns.has('month')) return readTable(path, MasterRow);
  }
  return (await importMasterLike(path)).rows;
}

async function readImages(paths: readonly string[]): Promise<ImageRow[]> {
  const out: ImageRow[] = [];
  for (const path of paths) out.push(...(await readTable(path, ImageRow)));
  return out;
}

/** The master and images tables read, and the table written. */
function withTableOptions(command: Command): Command {
  return command
    .option(
      '--in <file>',
      'master table (ours, a perf table, or the original parquet/CSV); default <out-root>/master/master.parquet',
    )
    .option('--input <file>', 'alias of --in (original flag)')
    .option('--out <file>', 'enriched table to write (the default config)')
    .option('--output <file>', 'alias of --out (original flag)')
    .option(
      '--images <files>',
      'images tables (repeat or comma-separate); default <out-root>/publish/*/*/images.parquet',
      collect,
      [],
    );
}

/** Where the Hub layout goes and which tasks it keeps. */
function withHubOptions(command: Command): Command {
  return command
    .option('--upload-to-hf <repo>', 'upload to this Hub dataset in one commit (HF_TOKEN; deletes stale parquet files)')
    .option('--hf-dir <dir>', 'write the same layout to a folder (global mode default <out-root>/dataset)')
    .option(
      '--verified <file>',
      "verified list: the original's JSON of \"('owner/repo', '<merge sha>')\" keys, or CSV repo_name,pr_merge_commit_sha",
    )
    .option('--hf-verified-filter <file>', 'alias of --verified (original flag)')
    .option('--filter-by <file>', 'keep only listed tasks (same formats as --verified)')
    .option(
      '--limit-per-repo <n>',
      'keep the first N tasks per repository by merge date',
      intOption('--limit-per-repo'),
    )
    .option('--check-registry', 'keep only rows whose image the live registry still serves with the recorded digest')
    .option('--hub-url <url>', 'Hub endpoint (env HF_ENDPOINT; default https://huggingface.co)')
    .option('--hf-commit-message <text>', 'commit title', 'Update dataset configs via datasmith dataset');
}

/** `datasmith dataset`: the task table in the Hub layout, local and/or uploaded (step 7). */
export const registerDataset: RegisterCommand = (program, context) => {
  const command = program
    .command('dataset')
    .description('Join the master table to published images and write the Hub layout (step 7)');
  withHubOptions(withTableOptions(command))
    .option('--out-root <dir>', 'data root: master, publish partitions and config/verified.{json,csv}', 'data')
    .option('--dry-run', 'print the first 20 rows of key columns and write nothing')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Without --in (the Nx target) it reads <out-root>/master/master.parquet and every images partition, and',
        'writes <out-root>/dataset/ (README.md plus <config>/train-00000-of-00001.parquet for default, verified',
        'and each YYYY-MM); the verified list defaults to <out-root>/config/verified.json or .csv when present.',
        '',
        'Examples:',
        '  datasmith dataset --out-root data',
        '  datasmith dataset --in master.parquet --out dataset.parquet --hf-dir out/ --verified verified.json',
        '  HF_TOKEN=hf_… datasmith dataset --in master.parquet --out dataset.parquet --upload-to-hf org/formulacode-all',
      ].join('\n'),
    )
    .action((raw: DatasetOptions) => runDatasetCommand(context(), raw));
};

/** Where a dataset run reads and writes, after aliases, environment defaults and checks. */
interface DatasetPlan {
  options: DatasetOptions;
  inPath: string;
  hfDir: string | undefined;
  verifiedPath: string | undefined;
  token: string | undefined;
}

/**
 * Folds in the original flags' aliases and the environment (DATASMITH_VERIFIED, DATASMITH_HF_REPO),
 * and the global mode's defaults (no --in: the master table, <out-root>/dataset, the verified list
 * under <out-root>/config); throws when nothing would be written or an upload has no token.
 */
function planDataset(ctx: CommandContext, raw: DatasetOptions): DatasetPlan {
  const options: DatasetOptions = {
    ...raw,
    in: raw.in ?? raw.input,
    out: raw.out ?? raw.output,
    verified: raw.verified ?? raw.hfVerifiedFilter ?? (ctx.env.DATASMITH_VERIFIED || undefined),
    // `datasmith update --upload-to-hf --hf-repo R` reaches the Nx target through the environment.
    uploadToHf: raw.uploadToHf ?? (ctx.env.DATASMITH_HF_REPO || undefined),
  };
  const layout = dataLayout(options.outRoot);
  const globalMode = !options.in;
  const inPath = options.in ?? layout.masterTable;
  const hfDir = options.hfDir ?? (globalMode ? layout.datasetDir : undefined);
  if (!globalMode && !options.out && !options.hfDir && !options.uploadToHf && !options.dryRun) {
    throw new InputError('Missing --out: give --out FILE, --hf-dir DIR or --upload-to-hf REPO');
  }
  let verifiedPath = options.verified;
  if (!verifiedPath && globalMode) {
    verifiedPath = ['verified.json', 'verified.csv']
      .map((f) => join(options.outRoot, 'config', f))
      .find((p) => existsSync(p));
  }
  const token = ctx.env.HF_TOKEN;
  if (options.uploadToHf && !token) {
    throw new ConfigError('Missing HF_TOKEN: --upload-to-hf needs a Hugging Face token (environment or tokens.env)');
  }
  return { options, inPath, hfDir, verifiedPath, token };
}

/** The dataset rows: master joined to images, filtered by the lists and limits, and (--check-registry) by the registry. */
async function datasetRows(ctx: CommandContext, plan: DatasetPlan) {
  const { options, verifiedPath } = plan;
  const master = await readMasterRows(plan.inPath);
  const imagePaths = options.images.length
    ? options.images
    : findPartitionFiles(options.outRoot, 'publish', 'images').map((p) => p.path);
  const images = await readImages(imagePaths);
  const { filterBy: filterPath } = options;
  const verified = verifiedPath
    ? await withFlagNames({ '--verified': verifiedPath }, () => readTaskKeyList(verifiedPath))
    : null;
  const filterBy = filterPath
    ? await withFlagNames({ '--filter-by': filterPath }, () => readTaskKeyList(filterPath))
    : null;
  const built = buildDataset({
    master,
    images,
    verified,
    filterBy,
    limitPerRepo: options.limitPerRepo,
    pipelineVersion: pipelineVersion(),
  });
  let rows = built.rows;
  const dropped: Record<string, number> = { ...built.dropped };
  if (options.checkRegistry) {
    const policy = normalizeRegistryRetryPolicy({}, ctx.env);
    const checked = await checkRegistry(rows, {
      client: (registry) =>
        new DistributionClient({ registry, credentials: resolveCredentials(registry, { env: ctx.env }), policy }),
      log: ctx.log,
    });
    rows = checked.rows;
    for (const [k, v] of Object.entries(checked.dropped)) dropped[k] = (dropped[k] ?? 0) + v;
  }
  return { rows, dropped, verified };
}

/** Writes the table (--out), the local layout (--hf-dir) and the Hub commit (--upload-to-hf); returns the summary's extra fields. */
async function writeDataset(
  ctx: CommandContext,
  plan: DatasetPlan,
  rows: DatasetRow[],
  verified: Awaited<ReturnType<typeof readTaskKeyList>> | null,
): Promise<Record<string, unknown>> {
  const { options, hfDir } = plan;
  const configs = datasetConfigs(rows, verified);
  const verifiedChoice = chooseVerified(rows, verified)?.choice ?? null;
  if (verifiedChoice) ctx.log.info(`dataset: verified config: ${verifiedChoice.description}`);
  if (options.out) await writeTable(options.out, DatasetRow, rows, PUBLISH_TABLE_KEYS.dataset);
  const files = await datasetHubFiles(configs, options.uploadToHf);
  const extra: Record<string, unknown> = { configs: configs.map((c) => c.name), verified: verifiedChoice };
  if (hfDir) {
    const local = await writeLocalLayout(hfDir, files);
    extra.hf_dir = hfDir;
    ctx.log.info(
      `dataset: ${hfDir}: ${local.written.length} written, ${local.unchanged.length} unchanged, ${local.deleted.length} stale deleted`,
    );
  }
  if (options.uploadToHf) {
    const uploaded = await uploadDatasetFiles(files, {
      repo: options.uploadToHf,
      accessToken: plan.token as string,
      hubUrl: options.hubUrl ?? ctx.env.HF_ENDPOINT,
      commitMessage: options.hfCommitMessage,
    });
    extra.commit_url = uploaded.commitUrl;
    ctx.log.info(
      uploaded.commitUrl
        ? `dataset: ${options.uploadToHf}: one commit (${uploaded.added.length} added, ${uploaded.deleted.length} stale deleted, ${uploaded.unchanged.length} unchanged): ${uploaded.commitUrl}`
        : `dataset: ${options.uploadToHf} is up to date (no commit)`,
    );
  }
  return extra;
}

async function runDatasetCommand(ctx: CommandContext, raw: DatasetOptions): Promise<void> {
  const plan = planDataset(ctx, raw);
  const { options } = plan;
  const { rows, dropped, verified } = await datasetRows(ctx, plan);
  const droppedTotal = Object.values(dropped).reduce((a, b) => a + b, 0);
  if (options.dryRun) {
    for (const r of rows.slice(0, 20)) {
      ctx.print([r.task_id, r.container_name, r.image_name, r.image_digest, r.difficulty, r.classification].join('\t'));
    }
    ctx.log.info(`dataset: dry run, ${rows.length} rows; nothing written`);
    return;
  }
  const extra = await writeDataset(ctx, plan, rows, verified);
  const reasons = Object.fromEntries(Object.entries(dropped).filter(([, v]) => v > 0));
  reportSummary(ctx, 'dataset', { kept: rows.length, dropped: droppedTotal, reasons }, Boolean(options.json), extra);
}
