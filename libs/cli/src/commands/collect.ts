import { DatasmithError, InputError } from '@datasmith/errors';
import type { GitHubClient } from '@datasmith/github';
import { parseWindow } from '@datasmith/paths';
import { collect } from '@datasmith/steps/collect/collect';
import { ABSENT_FAILURE_CODE, collectFromGitHub } from '@datasmith/steps/collect/collect-github';
import { readRepoList, topByStars } from '@datasmith/steps/common/repo-list';
import { OfflineStore } from '@datasmith/store';
import { COMMITS_TABLE } from '@datasmith/tables';
import {
  type SourceOptions,
  addSourceOptions,
  describeGitHubUsage,
  openGitHubClient,
  resolveSource,
} from './github-source';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { type PartitionOptions, intOption, openMemo } from './shared';
import { type StepTables, resolveStepIO, runStep, summarizeWithFailures } from './step-runner';

interface CollectOptions extends PartitionOptions, SourceOptions {
  store?: string;
  repos?: string;
  since?: string;
  until?: string;
  out?: string;
  threads: number;
  maxRepos: number;
  json?: boolean;
}

/** What collect writes (its PIPELINE entry's tables, with their schemas); it reads the store. */
export const COLLECT_TABLES = { reads: {}, writes: { commits: COMMITS_TABLE } } as const satisfies StepTables;

/** `datasmith collect`: merged PRs of each repository in a window (step 1). */
export const registerCollect: RegisterCommand = (program, context) => {
  const command = program
    .command('collect')
    .description('Mine every merged PR in a UTC window from the offline store or GitHub (step 1)')
    .option(
      '--store <dir>',
      'offline store directory (spec §4); in GitHub mode the cache the sync fills (default <out-root>/github-store)',
    )
    .option('--repos <file>', 'repository list: CSV with repo_name, headerless list, or repos.parquet')
    .option('--filtered-benchmarks-pth <file>', 'alias of --repos (original flag)')
    .option('--since <date>', 'window start, inclusive (YYYY-MM-DD or ISO, UTC)')
    .option('--until <date>', 'window end, exclusive')
    .option('--out <file>', 'output Parquet')
    .option('--output-pth <file>', 'alias of --out (original flag)')
    .option('--repo <owner/name>', 'partition mode: one repository (Nx targets)')
    .option('--month <YYYY-MM>', 'partition mode: one UTC month')
    .option('--out-root <dir>', 'partition mode: output root', 'data')
    .option('--threads <n>', 'repositories mined at once', intOption('--threads'), 2)
    .option('--max-repos <n>', 'top N repositories by stars', intOption('--max-repos'), 150)
    .option('--json', 'print the summary as JSON');
  addSourceOptions(command)
    .addHelpText(
      'after',
      '\nExamples:\n  datasmith collect --store data/demo/store --repos repos.csv --since 2024-01-01 --until 2024-02-01 --out commits.parquet\n  datasmith collect --store data/demo/store --repo demo-org/fastmath --month 2024-03\n  GH_TOKENS=tok1,tok2 datasmith collect --source github --repo numpy/numpy --month 2024-03',
    )
    .action((raw: RawCollectOptions) => runCollectCommand(context(), raw));
};

type RawCollectOptions = CollectOptions & { filteredBenchmarksPth?: string; outputPth?: string };

/** The repositories and window: the partition's, or --repos (top --max-repos by stars) with --since/--until. */
async function reposAndWindow(
  options: CollectOptions,
  partition: { repo: string; month: { start: Date; end: Date } } | null,
): Promise<{ repos: string[]; window: { start: Date; end: Date } }> {
  if (partition) return { repos: [partition.repo], window: partition.month };
  if (!options.repos) throw new InputError('Missing --repos: give a repository list (or --repo with --month)');
  if (!options.since || !options.until) throw new InputError('Missing --since/--until: collect needs a window');
  const window = parseWindow(options.since, options.until);
  const repos = topByStars(await readRepoList(options.repos), options.maxRepos).map((r) => r.repo_name);
  return { repos, window };
}

/**
 * The step's outcome from a collect result: a repository GitHub reports gone (404/410/451) is
 * recorded, not fatal; any other failure fails the run, and a partition at once (all or nothing:
 * Nx must not cache a month with a repository missing).
 */
function collectOutcome(
  ctx: CommandContext,
  result: Awaited<ReturnType<typeof collect>>,
  online: Awaited<ReturnType<typeof collectFromGitHub>> | null,
  run: { partitioned: boolean; repos: readonly string[]; out: string; source: string; github: GitHubClient | null },
) {
  const { repos, out, github } = run;
  // Renames come from the syncs: a memoised listing knows them without asking GitHub again.
  const renamed: Record<string, string> = {};
  for (const sync of online?.syncs ?? [])
    if (sync.status === 'synced' && sync.renamedTo) renamed[sync.repo] = sync.renamedTo;
  const fatal = result.failures.filter((f) => f.code !== ABSENT_FAILURE_CODE);
  for (const absent of result.failures.filter((f) => f.code === ABSENT_FAILURE_CODE))
    ctx.log.warn(`collect ${absent.item}: ${absent.message}`);
  if (run.partitioned && fatal.length > 0) {
    throw new DatasmithError(
      fatal[0]?.code === 'E_INPUT_SCHEMA' ? 'E_INPUT_SCHEMA' : fatal[0]?.code === 'E_REMOTE' ? 'E_REMOTE' : 'E_INPUT',
      fatal[0]?.message ?? 'collect failed',
    );
  }
  return {
    tables: { commits: result.rows },
    failures: { beside: 'commits' as const, rows: result.failures },
    summary: summarizeWithFailures(result.rows, result.failures),
    extra: {
      repos: repos.length,
      memo_hits: result.memoHits,
      out,
      source: run.source,
      ...(github
        ? {
            github_requests: github.stats.requests,
            github_not_modified: github.stats.notModified,
            renamed,
          }
        : {}),
    },
    detail: [
      `collect: ${repos.length} repositories (${result.memoHits} from memo), wrote ${out}`,
      ...(github ? [describeGitHubUsage(github, renamed)] : []),
    ],
    error:
      fatal.length > 0
        ? new DatasmithError(
            fatal.every((f) => f.code === 'E_REMOTE') ? 'E_REMOTE' : 'E_INPUT',
            `${fatal.length} of ${repos.length} repositories failed (see ${out.replace(/\.parquet$/, '')}.failures.jsonl)`,
          )
        : undefined,
  };
}

async function runCollectCommand(ctx: CommandContext, raw: RawCollectOptions): Promise<void> {
  const options: CollectOptions = {
    ...raw,
    repos: raw.repos ?? raw.filteredBenchmarksPth,
    out: raw.out ?? raw.outputPth,
  };
  const io = resolveStepIO('collect', options, {
    reads: {},
    writes: {
      commits: {
        table: COLLECT_TABLES.writes.commits,
        file: options.out,
        missing: 'Missing --out: where to write the commits table',
      },
    },
  });
  const { partition } = io;
  const source = resolveSource(options, ctx, io.outRoot);
  const { repos, window } = await reposAndWindow(options, partition);
  const out = io.writes.commits.path;
  const store = new OfflineStore(source.store);
  const memo = openMemo(ctx, partition?.outRoot ?? 'data');
  const deps = { store, memo, log: ctx.log, concurrency: options.threads, tty: process.stderr };
  const github = source.kind === 'github' ? openGitHubClient(ctx, source, memo) : null;
  await runStep(ctx, io, options, async () => {
    const online = github
      ? await collectFromGitHub({ repos, window }, { ...deps, github, gitUrlTemplate: source.gitUrlTemplate })
      : null;
    const result = online ?? (await collect({ repos, window }, deps));
    return collectOutcome(ctx, result, online, {
      partitioned: Boolean(partition),
      repos,
      out,
      source: source.kind,
      github,
    });
  });
}
