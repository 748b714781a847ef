import { join } from 'node:path';
import { createDockerClient, probeEngine } from '@datasmith/docker';
import { InputError } from '@datasmith/errors';
import {
  type PrunedItem,
  findStalePartitions,
  formatBytes,
  pruneDatasmithResources,
  removeStalePartitions,
} from '../gc/gc';
import { listedRepos, loadChosenConfig } from '../ops/workspace';
import { acquireLock } from '../update/lock';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';

interface GcOptions {
  config?: string;
  outRoot?: string;
  dryRun?: boolean;
  partitions: boolean;
  docker: boolean;
  allowEmpty?: boolean;
  label: string[];
  json?: boolean;
}

const collectLabel = (value: string, previous: string[]): string[] => {
  if (!/^[^=\s]+=.*$/.test(value))
    throw new InputError(`Invalid --label: ${JSON.stringify(value)}; expected key=value`);
  return [...previous, value];
};

/** `datasmith gc`: remove partitions of repositories no longer listed, and our stopped containers and dangling images. */
export const registerGc: RegisterCommand = (program, context) => {
  program
    .command('gc')
    .description(
      'Remove partitions of repositories no longer in the repository list, and stopped containers and dangling images carrying datasmith labels',
    )
    .option('--config <file>', 'datasmith config (default: DATASMITH_CONFIG or datasmith.config.json)')
    .option('--out-root <dir>', "output root (default: the config's outputRoot)")
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--no-partitions', 'leave partitions alone')
    .option('--no-docker', 'leave the Docker engine alone')
    .option('--allow-empty', 'accept an empty repository list (removes every partition)')
    .option(
      '--label <key=value>',
      'prune only containers and images also carrying this label (repeatable)',
      collectLabel,
      [],
    )
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      [
        '',
        "The repository list is the one the Nx graph uses (DATASMITH_REPOS, else the config's repos). Only the",
        'per-repository folders <out-root>/{collect,prepare,classify,synthesize,publish}/<owner>__<name> of',
        'unlisted repositories are removed; master, dataset, memo and logs stay. Containers and images must',
        'carry datasmith.task or datasmith.base; running containers and tagged images stay. gc takes the lock of',
        'datasmith update (<out-root>/update.lock), so the two never run at once.',
      ].join('\n'),
    )
    .action((options: GcOptions) => runGcCommand(context(), options));
};

/** What gc reports: the JSON summary and one clause per part for the text line. */
interface GcReport {
  summary: Record<string, unknown>;
  parts: string[];
}

/** Removes (or lists) the partition folders of repositories the list no longer has. */
async function collectStalePartitions(
  ctx: CommandContext,
  options: GcOptions,
  config: NonNullable<ReturnType<typeof loadChosenConfig>['config']>,
  outRoot: string,
  report: GcReport,
): Promise<void> {
  const verb = options.dryRun ? 'would remove' : 'removed';
  const listed = listedRepos(ctx.cwd, config, ctx.env);
  if (listed.repos === null) {
    throw new InputError(
      `Missing repository list: ${listed.source} does not exist; gc keeps the partitions of listed repositories, so it needs the list (run scrape-repos first)`,
    );
  }
  if (listed.repos.length === 0 && !options.allowEmpty) {
    throw new InputError(
      `Empty repository list: ${listed.source} lists no repository, so gc would remove every partition; pass --allow-empty to do that`,
    );
  }
  const stale = await findStalePartitions(outRoot, listed.repos);
  if (!options.dryRun) await removeStalePartitions(stale);
  for (const s of stale) {
    ctx.log.info(`gc: ${verb} ${s.dir} (${s.months} months, ${formatBytes(s.bytes)})`);
  }
  const repos = new Set(stale.map((s) => s.repo)).size;
  const bytes = stale.reduce((a, s) => a + s.bytes, 0);
  report.summary.partitions = stale.map((s) => ({
    step: s.step,
    repo: s.repo,
    dir: s.dir,
    months: s.months,
    bytes: s.bytes,
  }));
  report.parts.push(`${stale.length} partition folders of ${repos} unlisted repositories (${formatBytes(bytes)})`);
}

/** Prunes (or lists) our stopped containers and dangling images; leaves them alone when the engine is unreachable. */
async function collectDockerGarbage(ctx: CommandContext, options: GcOptions, report: GcReport): Promise<void> {
  const verb = options.dryRun ? 'would remove' : 'removed';
  const docker = createDockerClient({ env: ctx.env });
  const engine = await probeEngine(docker);
  if (!engine.ok) {
    ctx.log.warn(`gc: ${engine.reason}; containers and images left alone`);
    report.summary.docker = null;
    return;
  }
  const items: PrunedItem[] = await pruneDatasmithResources(docker, {
    dryRun: Boolean(options.dryRun),
    scope: options.label,
  });
  for (const item of items)
    ctx.log.info(`gc: ${verb} ${item.kind} ${item.id.replace(/^sha256:/, '').slice(0, 12)} ${item.name}`);
  const containers = items.filter((i) => i.kind === 'container').length;
  const images = items.length - containers;
  report.summary.docker = items;
  report.parts.push(
    `${containers} stopped containers, ${images} dangling images (${formatBytes(items.reduce((a, i) => a + i.bytes, 0))})`,
  );
}

async function runGcCommand(ctx: CommandContext, options: GcOptions): Promise<void> {
  const verb = options.dryRun ? 'would remove' : 'removed';
  const report: GcReport = { summary: { dry_run: Boolean(options.dryRun) }, parts: [] };
  const config = options.partitions ? loadChosenConfig(ctx.cwd, ctx.env, options.config).config : null;
  const outRoot = options.outRoot ?? config?.outputRoot ?? 'data';
  // The update's lock: gc never removes a partition or a stopped build container a running update still needs.
  const release = options.dryRun ? async () => {} : await acquireLock(join(outRoot, 'update.lock'), 'gc', ctx.log);
  try {
    if (config) await collectStalePartitions(ctx, options, config, outRoot, report);
    if (options.docker) await collectDockerGarbage(ctx, options, report);
  } finally {
    await release();
  }
  const { summary, parts } = report;
  if (options.json) ctx.print(JSON.stringify({ step: 'gc', ...summary }));
  else ctx.print(`gc: ${verb} ${parts.length ? parts.join('; ') : 'nothing (both parts disabled)'}`);
}
