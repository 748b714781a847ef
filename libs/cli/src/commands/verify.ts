import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DockerError, InputError } from '@datasmith/errors';
import { createDockerClient } from '@datasmith/docker';
import { dataLayout } from '@datasmith/paths';
import { readContextRegistry } from '@datasmith/steps/synthesize/registry';
import { defaultCpuset, verify } from '@datasmith/steps/verify/verify';
import { OfflineStore } from '@datasmith/store';
import { PERF_TABLE, VERIFIED_TABLE, type VerifiedRow, VerifyResult, parseVerifyJsonl } from '@datasmith/tables';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { type PartitionOptions, intOption } from './shared';
import { contextRegistryBinding, perfTaskInput } from './task-inputs';
import { type StepTables, resolveStepIO, runStep } from './step-runner';

interface VerifyCommandOptions extends PartitionOptions {
  in?: string;
  contexts?: string;
  contextRegistry?: string;
  outDir?: string;
  store: string;
  factor: string;
  maxForeignShare: string;
  untracedFactor: string;
  cpusetCpus?: string;
  verifyMinutes: number;
  maxBenchmarks: number;
  maxParamSets: number;
  passes: number;
  remeasure?: boolean;
  json?: boolean;
}

/** What verify reads and writes (its PIPELINE entry's tables, with their schemas), besides verify.jsonl. */
export const VERIFY_TABLES = {
  reads: { perf: PERF_TABLE },
  writes: { verified: VERIFIED_TABLE },
} as const satisfies StepTables;

/** Reads an earlier verify.jsonl (rows of another code version or shape are dropped); none: []. */
async function readPrevious(path: string): Promise<VerifyResult[]> {
  return parseVerifyJsonl(await readFile(path, 'utf8').catch(() => ''));
}

/** The flat row of `verified.parquet`. */
export function verifiedRow(r: VerifyResult): VerifiedRow {
  return {
    repo_name: r.repo_name,
    pr_merge_commit_sha: r.pr_merge_commit_sha,
    pr_base_sha: r.pr_base_sha,
    pr_number: r.pr_number,
    verified: r.verified,
    speedup: r.speedup,
    speedup_gmean: r.speedup_gmean,
    verify_reason: r.reason,
    benchmarks_measured: r.benchmarks.length,
    benchmarks_faster: r.benchmarks.filter((b) => b.change === 'faster').length,
    benchmarks_slower: r.benchmarks.filter((b) => b.change === 'slower').length,
    duration_s: r.duration_s,
  };
}

/** Where the tables and files are: --in/--out-dir/--contexts or a partition. */
function withInputOptions(command: Command): Command {
  return command
    .option('--in <file>', 'perf table of classify (Parquet, CSV or JSONL)')
    .option('--contexts <file>', "synthesize's context registry JSON (which image validated for each base)")
    .option('--context-registry <file>', 'alias of --contexts (original flag)')
    .option('--out-dir <dir>', 'where verify.jsonl and verified.parquet go')
    .option(
      '--store <dir>',
      'offline store with the repository mirrors (the gold patch comes from there)',
      'data/store',
    )
    .option('--repo <owner/name>', 'partition mode: one repository (Nx targets)')
    .option('--month <YYYY-MM>', 'partition mode: one UTC month')
    .option('--out-root <dir>', 'partition mode: output root', 'data');
}

/** How a change is decided: the factors and the most other work may take of the pinned CPUs. */
function withDecisionOptions(command: Command): Command {
  return command
    .option('--factor <x>', "asv's --factor: a benchmark changed only beyond this ratio and when significant", '1.05')
    .option(
      '--untraced-factor <x>',
      'a benchmark that neither names nor imports the changed code counts only beyond this ratio',
      '1.2',
    )
    .option(
      '--max-foreign-share <x>',
      "the most of the pinned CPUs' time other work may take during a pass (0-1); above it the task is machine_busy and measured again next run",
      '0.1',
    );
}

/** How a task is measured: CPUs, time budget, benchmarks, parameter sets and passes. */
function withMeasurementOptions(command: Command): Command {
  return command
    .option(
      '--cpuset-cpus <list>',
      `CPUs the measuring container is pinned to (default: the last CPU, here ${defaultCpuset()})`,
    )
    .option(
      '--verify-minutes <n>',
      "wall-clock budget of one task's measurement (a run over it is benchmark_timeout)",
      intOption('--verify-minutes'),
      20,
    )
    .option(
      '--max-benchmarks <n>',
      'benchmarks per task: those the change touches first, then the rest',
      intOption('--max-benchmarks'),
      8,
    )
    .option(
      '--max-param-sets <n>',
      'parameter sets per parameterized benchmark, spread over its grid with the first and the last',
      intOption('--max-param-sets'),
      4,
    )
    .option(
      '--passes <n>',
      '2: before, after, after, before (drift cancels); 1: before, after',
      intOption('--passes'),
      2,
    );
}

/** `datasmith verify`: measure each task's gold patch against its base in the validated image. */
export const registerVerify: RegisterCommand = (program, context) => {
  const command = program
    .command('verify')
    .description(
      "Measure each task's gold patch (git diff pr_base_sha sha) against its base with real asv in the validated image: verified = significantly faster (after synthesize, before publish)",
    );
  withMeasurementOptions(withDecisionOptions(withInputOptions(command)))
    .option('--remeasure', 'measure tasks again even when verify.jsonl has them for the same image')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      "\nThe measurement: no network, one task at a time (a machine-wide lock), the container pinned to --cpuset-cpus,\nthe same image and the base commit's benchmark code for both sides; asv run --record-samples per side,\ncompared with asv's own statistics (asv.statistics.is_different, asv compare's _is_result_better).\n\nExamples:\n  datasmith verify --in perf.parquet --contexts contexts.json --store data/store --out-dir out/\n  datasmith verify --repo demo-org/fastmath --month 2024-03 --store data/demo/store",
    )
    .action((raw: VerifyCommandOptions) => runVerifyCommand(context(), raw));
};

/** The measurement options, checked: a foreign share from 0 to 1, factors of at least 1, 1 or 2 passes, a CPU list. */
function parseMeasurementOptions(options: VerifyCommandOptions): {
  factor: number;
  maxForeignShare: number;
  untracedFactor: number;
} {
  const maxForeignShare = Number(options.maxForeignShare);
  if (!Number.isFinite(maxForeignShare) || maxForeignShare < 0 || maxForeignShare > 1) {
    throw new InputError(
      `Invalid --max-foreign-share: ${JSON.stringify(options.maxForeignShare)}; expected a number from 0 to 1`,
    );
  }
  const untracedFactor = Number(options.untracedFactor);
  if (!Number.isFinite(untracedFactor) || untracedFactor < 1) {
    throw new InputError(
      `Invalid --untraced-factor: ${JSON.stringify(options.untracedFactor)}; expected a number >= 1`,
    );
  }
  const factor = Number(options.factor);
  if (!Number.isFinite(factor) || factor < 1) {
    throw new InputError(`Invalid --factor: ${JSON.stringify(options.factor)}; expected a number >= 1`);
  }
  if (options.passes !== 1 && options.passes !== 2) {
    throw new InputError(`Invalid --passes: ${options.passes}; expected 1 or 2`);
  }
  if (options.cpusetCpus !== undefined && !/^\d+([-,]\d+)*$/.test(options.cpusetCpus)) {
    throw new InputError(`Invalid --cpuset-cpus: ${JSON.stringify(options.cpusetCpus)}; expected e.g. 1 or 0-1`);
  }
  return { factor, maxForeignShare, untracedFactor };
}

function resolveVerifyIO(ctx: CommandContext, options: VerifyCommandOptions) {
  const outDir = options.outDir;
  const missingOutDir = 'Missing --out-dir: where to write verify.jsonl';
  return resolveStepIO('verify', options, {
    reads: { perf: perfTaskInput(VERIFY_TABLES.reads.perf, options.in) },
    files: {
      registry: contextRegistryBinding(
        ctx.env,
        options.contexts,
        "Missing --contexts: give synthesize's context registry JSON file",
      ),
      results: {
        partition: (p) => dataLayout(p.outRoot).verifyResults(p.repo, p.month.key),
        file: outDir && join(outDir, 'verify.jsonl'),
        missing: missingOutDir,
      },
    },
    writes: {
      verified: {
        table: VERIFY_TABLES.writes.verified,
        file: outDir && join(outDir, 'verified.parquet'),
        missing: missingOutDir,
      },
    },
  });
}

/** The step's outcome: the verified table, verify.jsonl sorted by task, the summary, and an error when the engine was unreachable. */
function verifyOutcome(output: Awaited<ReturnType<typeof verify>>, paths: { resultsPath: string; tablePath: string }) {
  const { resultsPath, tablePath } = paths;
  const results = output.results
    .map((r) => VerifyResult.parse(r))
    .sort((a, b) => (`${a.repo_name}/${a.sha}` < `${b.repo_name}/${b.sha}` ? -1 : 1));
  const speedups = results.filter((r) => r.verified && r.speedup !== null).map((r) => r.speedup as number);
  speedups.sort((a, b) => a - b);
  const unreachable = results.filter((r) => r.reason === 'engine_unreachable').length;
  return {
    tables: { verified: results.map(verifiedRow) },
    files: [{ path: resultsPath, content: results.map((r) => `${JSON.stringify(r)}\n`).join('') }],
    summary: output.summary,
    extra: {
      tasks: results.length,
      verified: results.filter((r) => r.verified).length,
      median_speedup: speedups.length ? speedups[Math.floor(speedups.length / 2)] : null,
      minutes: Math.round(results.reduce((s, r) => s + r.duration_s, 0) / 6) / 10,
      results: resultsPath,
      table: tablePath,
    },
    detail: [`verify: ${results.length} tasks, wrote ${resultsPath} and ${tablePath}`],
    error:
      unreachable > 0
        ? new DockerError(
            `${unreachable} of ${results.length} tasks could not reach the Docker engine; start one with tools/scripts/ensure-docker`,
          )
        : undefined,
  };
}

async function runVerifyCommand(ctx: CommandContext, raw: VerifyCommandOptions): Promise<void> {
  const options = { ...raw, contexts: raw.contexts ?? raw.contextRegistry };
  const { factor, maxForeignShare, untracedFactor } = parseMeasurementOptions(options);
  const io = resolveVerifyIO(ctx, options);
  const registryPath = resolve(ctx.cwd, io.files.registry);
  await readContextRegistry(registryPath);
  const resultsPath = io.files.results;
  const tablePath = io.writes.verified.path;
  await runStep(ctx, io, options, async ({ perf: rows }) => {
    const previous = options.remeasure ? [] : await readPrevious(resultsPath);
    const output = await verify(
      { rows },
      {
        docker: createDockerClient({ env: ctx.env }),
        store: new OfflineStore(options.store),
        registryPath,
        log: ctx.log,
      },
      {
        factor,
        maxForeignShare,
        untracedFactor,
        cpusetCpus: options.cpusetCpus,
        verifyMinutes: options.verifyMinutes,
        maxBenchmarks: options.maxBenchmarks,
        maxParamSets: options.maxParamSets,
        passes: options.passes as 1 | 2,
        previous,
      },
    );
    return verifyOutcome(output, { resultsPath, tablePath });
  });
}
