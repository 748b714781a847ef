import { formatTrace, parsePrRef, tracePullRequest } from '../explain/trace';
import type { RegisterCommand } from './index';

interface ExplainOptions {
  outRoot: string;
  json?: boolean;
}

/** `datasmith explain owner/name#N`: one PR through every table of every month, with the reason at each step. */
export const registerExplain: RegisterCommand = (program, context) => {
  program
    .command('explain')
    .description('Trace one PR through every table (collect … dataset): kept or dropped at each step, and why')
    .argument('<pr>', 'owner/name#N (or a GitHub pull URL)')
    .option('--out-root <dir>', 'output root the tables are under', 'data')
    .option('--json', 'print the trace as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Reads <out-root>/<step>/<owner>__<name>/<YYYY-MM>/ (commits, prepared, classified, results.jsonl,',
        'verify.jsonl, images), <out-root>/master/master.parquet and <out-root>/dataset/*/train-00000-of-00001.parquet.',
        "verify's outcome (verified, speed-up, reason, each benchmark) is shown when verify has run; not verified",
        'is not a drop: the task stays in the dataset, outside its `verified` config.',
        'Exits 2 when no table has the PR, naming where it looked.',
        '',
        'Examples:',
        '  datasmith explain numpy/numpy#24567',
        '  datasmith explain acme/fastmath#12 --out-root data --json',
      ].join('\n'),
    )
    .action(async (ref: string, options: ExplainOptions) => {
      const ctx = context();
      const { repo, number } = parsePrRef(ref);
      const trace = await tracePullRequest(repo, number, options.outRoot);
      if (options.json) ctx.print(JSON.stringify(trace));
      else for (const line of formatTrace(trace)) ctx.print(line);
    });
};
