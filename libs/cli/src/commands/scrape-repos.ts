import { dirname, join } from 'node:path';
import { InputError } from '@datasmith/errors';
import { summarizeRows } from '@datasmith/progress';
import { scrapeRepos } from '@datasmith/steps';
import { OfflineStore } from '@datasmith/store';
import { RepoRow, TABLE_KEYS, writeFileAtomic, writeTable } from '@datasmith/tables';
import type { RegisterCommand } from './index';
import { intOption, reportSummary } from './shared';

interface ScrapeOptions {
  store?: string;
  out: string;
  minStars: number;
  maxRepos: number;
  json?: boolean;
}

/** `datasmith scrape-repos`: the repository table (step 0). */
export const registerScrapeRepos: RegisterCommand = (program, context) => {
  program
    .command('scrape-repos')
    .description(
      'List repositories with ASV benchmarks and their metadata (step 0); writes repos.parquet and repos.csv (kept rows)',
    )
    .option('--store <dir>', 'offline store directory (spec §4)')
    .option('--out <file>', 'output Parquet', 'data/repos/repos.parquet')
    .option('-o, --outfile <file>', 'alias of --out (original flag)')
    .option('--filtered-outfile <file>', 'alias of --out (original flag)')
    .option('--min-stars <n>', 'minimum stars, applied to known values only', intOption('--min-stars'), 500)
    .option('--max-repos <n>', 'keep the top N by stars', intOption('--max-repos'), 150)
    .option('--json', 'print the summary as JSON')
    .action(async (raw: ScrapeOptions & { outfile?: string; filteredOutfile?: string }) => {
      const ctx = context();
      const options = { ...raw, out: raw.filteredOutfile ?? raw.outfile ?? raw.out };
      if (!options.store)
        throw new InputError(
          'Missing --store: scrape-repos reads an offline store (GitHub search is not available in this build)',
        );
      const store = new OfflineStore(options.store);
      const rows = await scrapeRepos(
        { minStars: options.minStars, maxRepos: options.maxRepos },
        { store, log: ctx.log },
      );
      await writeTable(options.out, RepoRow, rows, TABLE_KEYS.repos);
      const csv = join(dirname(options.out), 'repos.csv');
      const kept = rows.filter((r) => r.kept).sort((a, b) => (a.repo_name < b.repo_name ? -1 : 1));
      await writeFileAtomic(
        csv,
        `repo_name,stars\n${kept.map((r) => `${r.repo_name},${r.stars ?? ''}`).join('\n')}${kept.length ? '\n' : ''}`,
      );
      reportSummary(ctx, 'scrape-repos', summarizeRows(rows), Boolean(options.json), { out: options.out, csv });
    });
};
