import { DatasmithError, InputError } from '@datasmith/errors';
import {
  type LlmClient,
  type ResponseFormatMode,
  type RetryPolicy,
  createLlmClient,
  llmSettingsFromEnv,
} from '@datasmith/llm';
import { classify } from '@datasmith/steps/classify/classify';
import { DEFAULT_RULES_MODEL, RULES_MODELS, type RulesModel } from '@datasmith/steps/classify/rules';
import { type DiscussionSource, emptyDiscussionSource, storeDiscussionSource } from '@datasmith/steps/classify/sources';
import { OfflineStore } from '@datasmith/store';
import { CLASSIFIED_TABLE, PERF_TABLE, PREPARED_TABLE } from '@datasmith/tables';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { type PartitionOptions, intOption, openMemo } from './shared';
import { type StepTables, resolveStepIO, runStep } from './step-runner';

interface ClassifyCliOptions extends PartitionOptions {
  in?: string;
  commits?: string;
  out?: string;
  outRaw?: string;
  outfile?: string;
  backend: string;
  rulesModel: string;
  model?: string;
  modelName?: string;
  store?: string;
  maxWorkers: number;
  maxLlmCalls?: number;
  sampleSize?: number;
  responseFormat: string;
  cache: boolean;
  json?: boolean;
}

const BACKENDS = ['rules', 'llm'];
const RESPONSE_FORMATS = ['json_schema', 'json_object', 'none'];

/** What classify reads and writes (its PIPELINE entry's tables, with their schemas). */
export const CLASSIFY_TABLES = {
  reads: { prepared: PREPARED_TABLE },
  writes: { classified: CLASSIFIED_TABLE, perf: PERF_TABLE },
} as const satisfies StepTables;

/** Where the tables are: --in/--out/--out-raw (or the original --outfile prefix) or a partition, and the store. */
function withTableOptions(command: Command): Command {
  return command
    .option('--in <file>', 'prepared table (Parquet, CSV or JSONL)')
    .option('--commits <file>', 'alias of --in (original flag)')
    .option('--out <file>', 'performance rows only (Parquet)')
    .option('--out-raw <file>', 'every row (Parquet)')
    .option('--outfile <prefix>', 'original flag: writes <prefix>.parquet and <prefix>.raw.parquet')
    .option('--repo <owner/name>', 'partition mode: one repository (Nx targets)')
    .option('--month <YYYY-MM>', 'partition mode: one UTC month')
    .option('--out-root <dir>', 'partition mode: output root (memo under <root>/memo)', 'data')
    .option('--store <dir>', 'offline store with repo.json, pulls/ and issues/ for the reports');
}

/** The backend (rules weights or the LLM) and how much of it a run may use. */
function withBackendOptions(command: Command): Command {
  return command
    .option('--backend <name>', 'rules (embedded, offline) or llm (OpenAI-compatible endpoint)', 'rules')
    .option(
      '--rules-model <weights>',
      `rules backend weights: hand (hand-set) or learned (prepare/learned-weights.json)`,
      DEFAULT_RULES_MODEL,
    )
    .option('--model <name>', 'LLM model; default DSPY_MODEL_NAME, then OPENAI_MODEL')
    .option('--model-name <name>', 'alias of --model (original flag)')
    .option('--max-workers <n>', 'rows (and LLM requests) in flight', intOption('--max-workers'), 4)
    .option(
      '--max-llm-calls <n>',
      'stop calling the LLM after N calls; the rest are llm_budget_exhausted',
      intOption('--max-llm-calls'),
    )
    .option(
      '--sample-size <n>',
      'classify only the first N gated rows; the rest are not_sampled',
      intOption('--sample-size'),
    )
    .option(
      '--response-format <mode>',
      'json_schema, json_object or none (for endpoints without structured output)',
      'json_schema',
    )
    .option('--no-cache', 'ignore and do not write the memo store');
}

/** `datasmith classify`: performance or not, category, difficulty, problem statement (step 3). */
export const registerClassify: RegisterCommand = (program, context) => {
  const command = program
    .command('classify')
    .description('Decide which gated PRs are performance work and write their problem statements (step 3)');
  withBackendOptions(withTableOptions(command))
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  datasmith classify --in prepared.parquet --out perf.parquet --out-raw classified.parquet\n  DSPY_URL=http://localhost:30000/v1 DSPY_MODEL_NAME=local/openai/gpt-oss-120b datasmith classify --backend llm --repo demo-org/fastmath --month 2024-03 --store data/demo/store',
    )
    .action((options: ClassifyCliOptions) => runClassifyCommand(context(), options));
};

/** Throws on an unknown backend, rules model or response format. */
function checkClassifyOptions(options: ClassifyCliOptions): void {
  if (!BACKENDS.includes(options.backend)) {
    throw new InputError(`Invalid --backend: ${JSON.stringify(options.backend)}; expected rules or llm`);
  }
  if (!(RULES_MODELS as readonly string[]).includes(options.rulesModel)) {
    throw new InputError(
      `Invalid --rules-model: ${JSON.stringify(options.rulesModel)}; expected ${RULES_MODELS.join(' or ')}`,
    );
  }
  if (!RESPONSE_FORMATS.includes(options.responseFormat)) {
    throw new InputError(
      `Invalid --response-format: ${JSON.stringify(options.responseFormat)}; expected ${RESPONSE_FORMATS.join(', ')}`,
    );
  }
}

function resolveClassifyIO(options: ClassifyCliOptions) {
  const prefix = options.outfile?.replace(/\.parquet$/, '');
  const missingOut = 'Missing --out/--out-raw: where to write the perf and classified tables';
  return resolveStepIO('classify', options, {
    reads: {
      prepared: {
        table: CLASSIFY_TABLES.reads.prepared,
        file: options.in ?? options.commits,
        missing: 'Missing --in: give the prepared table (or --repo with --month)',
      },
    },
    writes: {
      classified: {
        table: CLASSIFY_TABLES.writes.classified,
        file: options.outRaw ?? (prefix && `${prefix}.raw.parquet`),
        missing: missingOut,
      },
      perf: {
        table: CLASSIFY_TABLES.writes.perf,
        file: options.out ?? (prefix && `${prefix}.parquet`),
        missing: missingOut,
      },
    },
  });
}

/** The LLM client of the llm backend (memoised under the output root unless --no-cache). */
function classifyLlmClient(ctx: CommandContext, options: ClassifyCliOptions, outRoot: string): LlmClient {
  const settings = llmSettingsFromEnv(ctx.env, { model: options.model ?? options.modelName });
  const memo = openMemo(ctx, outRoot);
  return createLlmClient({
    settings,
    concurrency: options.maxWorkers,
    maxCalls: options.maxLlmCalls,
    responseFormat: options.responseFormat as ResponseFormatMode,
    memo: options.cache && memo.enabled ? memo : undefined,
    log: ctx.log,
    retry: retryFromEnv(ctx.env),
  });
}

/** The step's outcome: both tables, the failures, the summary with LLM usage, and an error when rows failed. */
function classifyOutcome(
  result: Awaited<ReturnType<typeof classify>>,
  backend: 'rules' | 'llm',
  llm: LlmClient | undefined,
  paths: { out: string; outRaw: string },
) {
  const { out, outRaw } = paths;
  const usage = result.llm;
  const tokens = usage
    ? `; llm ${usage.calls} calls (${usage.memoHits} from memo), tokens ${usage.promptTokens} prompt + ${usage.completionTokens} completion`
    : '';
  return {
    tables: { classified: result.rows, perf: result.perf },
    failures: {
      beside: 'classified' as const,
      rows: result.failures.map((f) => ({ step: 'classify', item: f.item, code: f.code, message: f.message })),
    },
    summary: {
      ...result.summary,
      ...(result.failures.length
        ? { failed: result.failures.length, failures: { classifier_error: result.failures.length } }
        : {}),
    },
    extra: {
      backend,
      model: llm?.settings.model ?? null,
      gated: result.counts.gated,
      classified: result.counts.classified,
      perf: result.counts.perf,
      with_linked_issue: result.counts.withLinkedIssue,
      llm_calls: usage?.calls ?? 0,
      llm_requests: usage?.requests ?? 0,
      memo_hits: usage?.memoHits ?? 0,
      prompt_tokens: usage?.promptTokens ?? 0,
      completion_tokens: usage?.completionTokens ?? 0,
      out,
      out_raw: outRaw,
    },
    detail: [
      `classify (${backend}): ${result.counts.perf} performance of ${result.counts.classified} classified${tokens}; wrote ${out} and ${outRaw}`,
    ],
    error:
      result.failures.length > 0
        ? new DatasmithError(
            'E_REMOTE',
            `${result.failures.length} of ${result.counts.classified} rows failed (classifier_error, e.g. ${result.failures[0]?.item}: ${result.failures[0]?.message}); tables written, re-run to retry them`,
          )
        : undefined,
  };
}

async function runClassifyCommand(ctx: CommandContext, options: ClassifyCliOptions): Promise<void> {
  checkClassifyOptions(options);
  const io = resolveClassifyIO(options);
  const out = io.writes.perf.path;
  const outRaw = io.writes.classified.path;
  const backend = options.backend as 'rules' | 'llm';
  const llm = backend === 'llm' ? classifyLlmClient(ctx, options, io.partition?.outRoot ?? 'data') : undefined;
  const discussions: DiscussionSource = options.store
    ? storeDiscussionSource(new OfflineStore(options.store))
    : emptyDiscussionSource;
  if (!options.store) ctx.log.debug('classify: no --store; reports hold the PR text only');
  await runStep(ctx, io, options, async ({ prepared }) => {
    const result = await classify(
      {
        rows: prepared,
        options: {
          backend,
          sampleSize: options.sampleSize,
          concurrency: options.maxWorkers,
          rulesModel: options.rulesModel as RulesModel,
        },
      },
      { log: ctx.log, discussions, llm, tty: process.stderr },
    );
    return classifyOutcome(result, backend, llm, { out, outRaw });
  });
}

/**
 * Retry knobs from the environment: DATASMITH_LLM_RETRY_UNIT_MS (the time unit of every backoff
 * wait, default 1000; tests shrink it) and DATASMITH_LLM_TIMEOUT_MS (per request, default 120000).
 */
function retryFromEnv(env: NodeJS.ProcessEnv): Partial<RetryPolicy> {
  const out: Partial<RetryPolicy> = {};
  for (const [key, field] of [
    ['DATASMITH_LLM_RETRY_UNIT_MS', 'unitMs'],
    ['DATASMITH_LLM_TIMEOUT_MS', 'timeoutMs'],
  ] as const) {
    const raw = env[key];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new InputError(`Invalid ${key}: ${JSON.stringify(raw)}; expected milliseconds`);
    out[field] = n;
  }
  return out;
}
