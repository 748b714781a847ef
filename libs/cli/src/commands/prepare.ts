import { InputError } from '@datasmith/errors';
import { GATE_MODES, type GateMode } from '@datasmith/steps/prepare/gate';
import { DEFAULT_PREPARE_OPTIONS, prepare } from '@datasmith/steps/prepare/prepare';
import { COMMITS_TABLE, PREPARED_TABLE } from '@datasmith/tables';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { type PartitionOptions, intOption } from './shared';
import { type StepTables, resolveStepIO, runStep } from './step-runner';

interface PrepareCliOptions extends PartitionOptions {
  in?: string;
  input?: string;
  out?: string;
  output?: string;
  fetchPatches?: boolean;
  maxWorkers: number;
  maxTotalChanges: number;
  maxFilesChanged: number;
  minPatchTokens: number;
  maxPatchTokens?: number;
  minGateScore: number;
  gateMode: string;
  gateShare: string;
  tokenEncoding: string;
  json?: boolean;
}

/** What prepare reads and writes (its PIPELINE entry's tables, with their schemas). */
export const PREPARE_TABLES = {
  reads: { commits: COMMITS_TABLE },
  writes: { prepared: PREPARED_TABLE },
} as const satisfies StepTables;

/** The limits and the gate that decide which commits go on. */
function withGateOptions(command: Command): Command {
  const d = DEFAULT_PREPARE_OPTIONS;
  return command
    .option(
      '--max-total-changes <n>',
      'drop (too_large) at this many added+deleted lines',
      intOption('--max-total-changes'),
      d.maxTotalChanges,
    )
    .option(
      '--max-files-changed <n>',
      'drop (too_many_files) at this many files',
      intOption('--max-files-changed'),
      d.maxFilesChanged,
    )
    .option(
      '--min-patch-tokens <n>',
      'drop (too_few_tokens) below this many o200k_base tokens',
      intOption('--min-patch-tokens'),
      d.minPatchTokens,
    )
    .option(
      '--max-patch-tokens <n>',
      'drop (too_many_tokens) at this many tokens; default DSPY_MAX_TOKENS, else 16000',
      intOption('--max-patch-tokens'),
    )
    .option(
      '--min-gate-score <n>',
      'gate score needed without performance wording in title/message',
      intOption('--min-gate-score'),
      d.minGateScore,
    )
    .option(
      '--gate-mode <mode>',
      "rank: the learned model's top --gate-share of each month's merged PRs, plus performance wording in the headline; evidence: pass on performance evidence; recall: also pass every runtime-code change without a non-performance title prefix; learned: the learned model's fitted threshold",
      d.gateMode,
    )
    .option(
      '--gate-share <x>',
      "rank gate: the share of each month's merged PRs passed by rank (0 < x <= 1)",
      String(d.gateShare),
    );
}

/** `datasmith prepare`: token counts, sizes, the cheap performance gate, container names (step 2). */
export const registerPrepare: RegisterCommand = (program, context) => {
  const command = program
    .command('prepare')
    .description('Measure each merged PR and pass the likely performance ones through a cheap gate (step 2)')
    .option('--in <file>', 'commits table (Parquet, CSV or JSONL)')
    .option('--input <file>', 'alias of --in (original flag)')
    .option('--out <file>', 'prepared table (Parquet)')
    .option('--output <file>', 'alias of --out (original flag)')
    .option('--repo <owner/name>', 'partition mode: one repository (Nx targets)')
    .option('--month <YYYY-MM>', 'partition mode: one UTC month')
    .option('--out-root <dir>', 'partition mode: output root', 'data')
    .option(
      '--fetch-patches',
      'fill patch from GitHub where the mirror lacks objects (no-op with the offline store: patches come from git)',
    )
    .option('--max-workers <n>', 'patch fetches at once (with --fetch-patches)', intOption('--max-workers'), 8);
  withGateOptions(command)
    .option('--token-encoding <name>', 'tokenizer encoding (only o200k_base)', 'o200k_base')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  datasmith prepare --in data/commits.parquet --out data/prepared.parquet\n  datasmith prepare --repo demo-org/fastmath --month 2024-03',
    )
    .action((options: PrepareCliOptions) => runPrepareCommand(context(), options));
};

/** Throws on a tokenizer other than o200k_base, an unknown gate mode or a share outside (0, 1]; returns the share. */
function checkPrepareOptions(options: PrepareCliOptions): number {
  if (options.tokenEncoding !== 'o200k_base') {
    throw new InputError(
      `Invalid --token-encoding: ${JSON.stringify(options.tokenEncoding)}; only o200k_base is supported`,
    );
  }
  if (!GATE_MODES.includes(options.gateMode as GateMode)) {
    throw new InputError(`Invalid --gate-mode: ${JSON.stringify(options.gateMode)}; expected ${GATE_MODES.join(', ')}`);
  }
  const gateShare = Number(options.gateShare);
  if (!Number.isFinite(gateShare) || gateShare <= 0 || gateShare > 1) {
    throw new InputError(
      `Invalid --gate-share: ${JSON.stringify(options.gateShare)}; expected a number above 0 and at most 1`,
    );
  }
  return gateShare;
}

async function runPrepareCommand(ctx: CommandContext, options: PrepareCliOptions): Promise<void> {
  const gateShare = checkPrepareOptions(options);
  const io = resolveStepIO('prepare', options, {
    reads: {
      commits: {
        table: PREPARE_TABLES.reads.commits,
        file: options.in ?? options.input,
        missing: 'Missing --in: give the commits table (or --repo with --month)',
      },
    },
    writes: {
      prepared: {
        table: PREPARE_TABLES.writes.prepared,
        file: options.out ?? options.output,
        missing: 'Missing --out: where to write the prepared table',
      },
    },
  });
  const maxPatchTokens =
    options.maxPatchTokens ??
    envInt(ctx.env.DSPY_MAX_TOKENS, 'DSPY_MAX_TOKENS') ??
    DEFAULT_PREPARE_OPTIONS.maxPatchTokens;
  await runStep(ctx, io, options, async ({ commits }) => {
    const result = await prepare(
      {
        rows: commits,
        options: {
          maxTotalChanges: options.maxTotalChanges,
          maxFilesChanged: options.maxFilesChanged,
          minPatchTokens: options.minPatchTokens,
          maxPatchTokens,
          minGateScore: options.minGateScore,
          gateMode: options.gateMode as GateMode,
          gateShare,
          fetchPatches: Boolean(options.fetchPatches),
        },
      },
      { log: ctx.log },
    );
    const out = io.writes.prepared.path;
    const candidates = result.rows.filter((r) => r.is_perf_candidate).length;
    return {
      tables: { prepared: result.rows },
      summary: result.summary,
      extra: {
        rows: result.rows.length,
        perf_candidates: candidates,
        gate_pass_rate: Number(result.gatePassRate.toFixed(4)),
        out,
      },
      detail: [
        `prepare: ${candidates} of ${commits.filter((r) => r.kept).length} kept commits pass the gate (${(100 * result.gatePassRate).toFixed(1)}%), wrote ${out}`,
      ],
    };
  });
}

function envInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InputError(`Invalid ${name}: ${JSON.stringify(value)}; expected a positive integer`);
  return n;
}
