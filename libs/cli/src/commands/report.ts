import { dataLayout } from '@datasmith/paths';
import { buildReportPage } from '@datasmith/steps/report/report';
import { writeFileAtomic } from '@datasmith/tables';
import type { RegisterCommand } from './index';
import { reportSummary } from './shared';

interface ReportOptions {
  data?: string;
  outRoot?: string;
  out?: string;
  json?: boolean;
}

/** `datasmith report`: the funnel report, one self-contained HTML page (global step after dataset). */
export const registerReport: RegisterCommand = (program, context) => {
  program
    .command('report')
    .description('Write the funnel report: one static HTML page with inline SVG charts over every table')
    .option('--data <dir>', 'data root to read (spec §9 layout); default --out-root')
    .option('--out-root <dir>', 'data root of the Nx target: reads it and writes <dir>/report/index.html', 'data')
    .option('--out <file>', 'page to write; default <out-root>/report/index.html')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Per month: the funnel from merged PRs to dataset tasks with the drop reason of every PR that stopped,',
        'classifier decisions, Docker minutes and validation failures, and the published tasks; then',
        'per-repository yields, classifier backends and models, and LLM calls, cache hits and tokens (from the',
        'memo under <data>/memo). The page loads nothing from the network (no script, style or font).',
        '',
        'Examples:',
        '  datasmith report --data data/ --out data/report/index.html',
        '  datasmith report --out-root data',
      ].join('\n'),
    )
    .action(async (options: ReportOptions) => {
      const ctx = context();
      const root = options.data ?? options.outRoot ?? 'data';
      const out = options.out ?? dataLayout(options.outRoot ?? root).reportHtml;
      const page = await buildReportPage({ root }, { log: ctx.log });
      await writeFileAtomic(out, page.html);
      ctx.log.info(`report: ${page.data.months.length} months, ${page.data.repos.length} repositories; wrote ${out}`);
      reportSummary(ctx, 'report', page.summary, Boolean(options.json), {
        out,
        months: page.data.months.map((m) => m.month),
      });
    });
};
