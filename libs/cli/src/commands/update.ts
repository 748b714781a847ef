import { join, resolve } from 'node:path';
import { secretValues } from '@datasmith/config';
import { InputError } from '@datasmith/errors';
import { type MonthWindow, type PipelineStep, dataLayout, monthRange } from '@datasmith/paths';
import { acquireLock } from '../update/lock';
import { type PlannedTask, markAfterEarlierStages, planNxTasks } from '../update/nx-plan';
import { createNxRunner, nxEnvironment } from '../update/nx-runner';
import { type SessionStage, stageArgs } from '../update/nx-session.cjs';
import { updateStages } from '../update/stages';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { intOption } from './shared';

interface UpdateOptions {
  startDate: string;
  endDate: string;
  dryRun?: boolean;
  skipExisting?: boolean;
  maxWorkers: number;
  config?: string;
  outRoot: string;
  repos?: string;
  contextRegistry?: string;
  outputDir?: string;
  dockerhubNamespace?: string;
  uploadToHf?: boolean;
  hfRepo?: string;
  validTasks?: string;
}

const DRY_RUN_LABELS: Record<PlannedTask['status'], string> = {
  cached: 'cached        ',
  run: 'would run     ',
  'after-upstream': 'after upstream',
};

/** `YYYY-MM-01` (or `YYYY-MM`) → the month it starts; anything else is refused. */
export function parseMonthStart(value: string, flag: string): string {
  const match = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(value.trim());
  if (!match || (match[3] !== undefined && match[3] !== '01')) {
    throw new InputError(
      `Invalid ${flag}: ${JSON.stringify(value)}; months are UTC calendar months, give the first day (YYYY-MM-01)`,
    );
  }
  return `${match[1]}-${match[2]}`;
}

/** The months of `[start, end)`, refusing an end in the future (a month that is not over yet). */
export function updateMonths(startDate: string, endDate: string, now: Date): MonthWindow[] {
  const start = parseMonthStart(startDate, '--start-date');
  const end = parseMonthStart(endDate, '--end-date');
  const months = monthRange(start, end);
  const last = months.pop();
  if (!last || months.length === 0)
    throw new InputError(`Invalid window: --start-date ${startDate} is not before --end-date ${endDate}`);
  if (last.start.getTime() > now.getTime()) {
    throw new InputError(
      `Invalid --end-date ${endDate}: it is in the future; the last month must be over (use ${now.toISOString().slice(0, 8)}01)`,
    );
  }
  return months;
}

/** `datasmith update`: the cron entry; runs scrape-repos, every month's graph, then the global steps through Nx. */
export const registerUpdate: RegisterCommand = (program, context) => {
  program
    .command('update')
    .description(
      'Monthly update (the cron entry): scrape-repos, then each month of [start, end) through Nx, then merge/dataset/report',
    )
    .requiredOption('--start-date <date>', 'first month, YYYY-MM-01 (UTC)')
    .requiredOption('--end-date <date>', 'end month, exclusive, YYYY-MM-01; not in the future')
    .option('--dry-run', 'print the Nx commands and their tasks, cached or to run (hashed as Nx does), run nothing')
    .option('--skip-existing', 'do not rebuild or re-push images that exist (original flag)')
    .option('--max-workers <n>', 'Nx --parallel (original flag)', intOption('--max-workers'), 2)
    .option('--config <file>', 'datasmith config (default: DATASMITH_CONFIG or datasmith.config.json)')
    .option('--out-root <dir>', 'output root for logs and the lock', 'data')
    .option('--repos <file>', 'repository list (original flag; overrides the config)')
    .option('--context-registry <file>', 'context registry (original flag)')
    .option('--output-dir <dir>', 'alias of --out-root (original flag)')
    .option('--dockerhub-namespace <ns>', 'image namespace for publish (original flag)')
    .option('--upload-to-hf', 'upload the dataset to the Hub (original flag)')
    .option('--hf-repo <repo>', 'Hub dataset id (original flag)')
    .option('--valid-tasks <file>', 'verified tasks filter (original flag)')
    .action((options: UpdateOptions) => runUpdateCommand(context(), options));
};

/** The environment of the Nx runs: ours with the original flags mapped to the variables the targets read. */
function updateEnvironment(ctx: CommandContext, options: UpdateOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  if (options.config) env.DATASMITH_CONFIG = options.config;
  const overrides: Record<string, string | undefined> = {
    DATASMITH_REPOS: options.repos,
    DATASMITH_CONTEXTS: options.contextRegistry,
    DOCKERHUB_NAMESPACE: options.dockerhubNamespace,
    DATASMITH_HF_REPO: options.uploadToHf ? (options.hfRepo ?? 'formulacode/formulacode-all') : undefined,
    DATASMITH_VERIFIED: options.validTasks,
    DATASMITH_SKIP_EXISTING: options.skipExisting ? '1' : undefined,
  };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) env[key] = value;
  return env;
}

/** Prints each Nx command of the plan with its tasks, cached or to run, as Nx would hash them with `env`. */
async function printDryRun(
  ctx: CommandContext,
  plan: readonly SessionStage[],
  env: NodeJS.ProcessEnv,
  months: readonly MonthWindow[],
): Promise<void> {
  // Nx computes hashes in this process: it must see the environment the run would have.
  for (const [key, value] of Object.entries(nxEnvironment(env))) if (value !== undefined) process.env[key] = value;
  const pending = new Set<PipelineStep>();
  for (const step of plan) {
    ctx.print(`${step.title}: nx ${stageArgs(step).join(' ')}`);
    const tasks = markAfterEarlierStages(
      await planNxTasks(ctx.cwd, step.targets, step.overrides, step.projects),
      pending,
    );
    const count = (status: PlannedTask['status']) => tasks.filter((t) => t.status === status).length;
    for (const task of tasks) ctx.print(`  ${DRY_RUN_LABELS[task.status]} ${task.id}`);
    ctx.print(
      `  ${tasks.length} tasks: ${count('cached')} cached, ${count('run')} would run, ${count('after-upstream')} after upstream`,
    );
  }
  if (months.length > 0) ctx.print('(projects come from the repository list; scrape-repos may add some when it runs)');
}

/** `datasmith update`: the plan, then a dry run or the run itself in one Nx session under the lock. */
async function runUpdateCommand(ctx: CommandContext, options: UpdateOptions): Promise<void> {
  const now = new Date();
  const months = updateMonths(options.startDate, options.endDate, now);
  const outRoot = options.outputDir ?? options.outRoot;
  const layout = dataLayout(outRoot);
  const env = updateEnvironment(ctx, options);
  const plan = updateStages(months, Math.max(1, options.maxWorkers));
  if (options.dryRun) return printDryRun(ctx, plan, env, months);
  const release = await acquireLock(
    join(outRoot, 'update.lock'),
    `update ${options.startDate}..${options.endDate}`,
    ctx.log,
  );
  const logFile = resolve(ctx.cwd, layout.logsDir, `${now.toISOString().slice(0, 10)}.log`);
  const runner = await createNxRunner({
    workspaceRoot: ctx.cwd,
    env,
    logFile,
    secrets: secretValues(ctx.env),
    echo: (text) => process.stdout.write(text),
  });
  try {
    await runner.run(plan);
    ctx.print(`update: ${months.length} month(s) done; log ${logFile}`);
  } finally {
    await runner.close();
    await release();
  }
}
