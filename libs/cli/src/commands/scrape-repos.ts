import { dirname, join } from 'node:path';
import { DatasmithError } from '@datasmith/errors';
import { DEFAULT_CODE_QUERY } from '@datasmith/github';
import { summarizeRows } from '@datasmith/progress';
import { scrapeRepos } from '@datasmith/steps/scrape-repos/scrape-repos';
import { scrapeReposFromGitHub } from '@datasmith/steps/scrape-repos/scrape-repos-github';
import { OfflineStore } from '@datasmith/store';
import { type FailureRow, REPOS_TABLE, type RepoRow } from '@datasmith/tables';
import {
  type SourceOptions,
  addSourceOptions,
  describeGitHubUsage,
  openGitHubClient,
  resolveSource,
} from './github-source';
import type { RegisterCommand } from './index';
import { intOption, openMemo } from './shared';
import { type StepTables, resolveStepIO, runStep } from './step-runner';

interface ScrapeOptions extends SourceOptions {
  store?: string;
  query: string;
  out: string;
  minStars: number;
  maxRepos: number;
  json?: boolean;
}

/** What scrape-repos writes (its PIPELINE entry's table, with its schema), besides repos.csv; it reads the store. */
export const SCRAPE_REPOS_TABLES = { reads: {}, writes: { repos: REPOS_TABLE } } as const satisfies StepTables;

/** `datasmith scrape-repos`: the repository table (step 0). */
export const registerScrapeRepos: RegisterCommand = (program, context) => {
  const command = program
    .command('scrape-repos')
    .description(
      'List repositories with ASV benchmarks and their metadata (step 0), from the offline store or GitHub code search; writes repos.parquet and repos.csv (kept rows)',
    )
    .option('--store <dir>', 'offline store directory (spec §4); unused in GitHub mode')
    .option('--out <file>', 'output Parquet', 'data/repos/repos.parquet')
    .option('-o, --outfile <file>', 'alias of --out (original flag)')
    .option('--filtered-outfile <file>', 'alias of --out (original flag)')
    .option('--min-stars <n>', 'minimum stars, applied to known values only', intOption('--min-stars'), 500)
    .option('--max-repos <n>', 'keep the top N by stars', intOption('--max-repos'), 150)
    .option('-q, --query <query>', 'GitHub mode: the code search query (original flag)', DEFAULT_CODE_QUERY)
    .option('--json', 'print the summary as JSON');
  // --git-url-template is accepted so one flag set serves scrape-repos and collect; only collect clones.
  addSourceOptions(command)
    .addHelpText(
      'after',
      '\nExamples:\n  datasmith scrape-repos --store data/demo/store --out data/repos/repos.parquet\n  GH_TOKENS=tok1,tok2 datasmith scrape-repos --source github --min-stars 500 --max-repos 150',
    )
    .action(async (raw: ScrapeOptions & { outfile?: string; filteredOutfile?: string }) => {
      const ctx = context();
      const options = { ...raw, out: raw.filteredOutfile ?? raw.outfile ?? raw.out };
      const source = resolveSource(options, ctx);
      const io = resolveStepIO(
        'scrape-repos',
        {},
        { reads: {}, writes: { repos: { table: SCRAPE_REPOS_TABLES.writes.repos, file: options.out } } },
      );
      const github = source.kind === 'github' ? openGitHubClient(ctx, source, openMemo(ctx)) : null;
      const csv = join(dirname(options.out), 'repos.csv');
      await runStep(ctx, io, options, async () => {
        let rows: RepoRow[];
        let failures: FailureRow[] = [];
        if (github) {
          const result = await scrapeReposFromGitHub(
            { minStars: options.minStars, maxRepos: options.maxRepos, query: options.query },
            { github, clock: () => new Date(), log: ctx.log, tty: process.stderr },
          );
          rows = result.rows;
          failures = result.failures;
        } else {
          const store = new OfflineStore(source.store);
          rows = await scrapeRepos({ minStars: options.minStars, maxRepos: options.maxRepos }, { store, log: ctx.log });
        }
        const kept = rows.filter((r) => r.kept).sort((a, b) => (a.repo_name < b.repo_name ? -1 : 1));
        return {
          tables: { repos: rows },
          files: [
            {
              path: csv,
              content: `repo_name,stars\n${kept.map((r) => `${r.repo_name},${r.stars ?? ''}`).join('\n')}${kept.length ? '\n' : ''}`,
            },
          ],
          failures: { beside: 'repos', rows: failures },
          summary: summarizeRows(rows),
          extra: {
            out: options.out,
            csv,
            source: source.kind,
            ...(github ? { github_requests: github.stats.requests, failed: failures.length } : {}),
          },
          detail: github ? [describeGitHubUsage(github)] : [],
          error:
            failures.length > 0
              ? new DatasmithError(
                  'E_REMOTE',
                  `${failures.length} repositories could not be looked up (see ${options.out.replace(/\.parquet$/, '')}.failures.jsonl)`,
                )
              : undefined,
        };
      });
    });
};
