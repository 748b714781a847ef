import { join, resolve } from 'node:path';
import { DockerError, InputError } from '@datasmith/errors';
import {
  ASV_SOURCE_ENV,
  type AsvSource,
  DEBIAN_RELEASE_NAMES,
  type DebianRelease,
  createDockerClient,
  onlineBaseRecipe,
  readAsvSource,
} from '@datasmith/docker';
import { createLlmClient, llmSettingsFromEnv } from '@datasmith/llm';
import { dataLayout } from '@datasmith/paths';
import { readContextRegistry } from '@datasmith/steps/synthesize/registry';
import { type BaseImageChoice, synthesize } from '@datasmith/steps/synthesize/synthesize';
import { OfflineStore } from '@datasmith/store';
import { CONTEXTS_TABLE, PERF_TABLE, SynthesisResult } from '@datasmith/tables';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { type PartitionOptions, intOption, openMemo } from './shared';
import { contextRegistryBinding, perfTaskInput } from './task-inputs';
import { type StepTables, resolveStepIO, runStep } from './step-runner';

interface SynthesizeOptions extends PartitionOptions {
  in?: string;
  contexts?: string;
  outDir?: string;
  backend: string;
  store: string;
  maxAttempts?: number;
  maxWorkers: number;
  maxSteps?: number;
  buildTimeout: number;
  benchTimeout: number;
  baseImage?: string;
  asvSource?: string;
  releases?: string;
  debianPackages?: string;
  online?: boolean;
  pythonVersion?: string;
  retryFailed?: boolean;
  maxSimilarCandidates: number;
  maxBuildMinutes?: number;
  ignoreExhausted?: boolean;
  limitPerRepo: number;
  model?: string;
  maxLlmCalls?: number;
  cache: boolean;
  json?: boolean;
}

/** What synthesize reads and writes (its PIPELINE entry's tables, with their schemas), besides results.jsonl. */
export const SYNTHESIZE_TABLES = {
  reads: { perf: PERF_TABLE },
  writes: { contexts: CONTEXTS_TABLE },
} as const satisfies StepTables;

type RawSynthesizeOptions = SynthesizeOptions & { commits?: string; contextRegistry?: string; outputDir?: string };

/** Where the tables and files are, and the backend: --in/--out-dir/--contexts or a partition. */
function withInputOptions(command: Command): Command {
  return command
    .option('--in <file>', 'perf table of classify (Parquet, CSV or JSONL)')
    .option('--commits <file>', 'alias of --in (original flag)')
    .option('--contexts <file>', 'context registry JSON, read and updated atomically')
    .option('--context-registry <file>', 'alias of --contexts (original flag)')
    .option('--out-dir <dir>', 'where results.jsonl and contexts.parquet go')
    .option('--output-dir <dir>', 'alias of --out-dir (original flag)')
    .option(
      '--backend <name>',
      'after the registry and similar contexts: rules, or rules then the LLM build agent (agent; DSPY_URL / OPENAI_BASE_URL)',
      'rules',
    )
    .option('--store <dir>', 'offline store with the repository mirrors', 'data/store')
    .option('--repo <owner/name>', 'partition mode: one repository (Nx targets)')
    .option('--month <YYYY-MM>', 'partition mode: one UTC month')
    .option('--out-root <dir>', 'partition mode: output root', 'data');
}

/** How much work a run may do: attempts, candidates, workers, agent turns, build minutes, tasks. */
function withLimitOptions(command: Command): Command {
  return command
    .option(
      '--max-attempts <n>',
      'rules candidates per task (editable, regular install), and agent attempts after them (default 2 rules, 3 agent)',
      intOption('--max-attempts'),
    )
    .option(
      '--max-similar-candidates <n>',
      'validated contexts of other commits of the repository tried first, nearest commit date first',
      intOption('--max-similar-candidates'),
      5,
    )
    .option('--max-workers <n>', 'tasks built at once', intOption('--max-workers'), 1)
    .option('--max-steps <n>', 'LLM tool-calling turns per agent attempt (agent backend)', intOption('--max-steps'), 5)
    .option(
      '--max-build-minutes <n>',
      'Docker build minutes this run may spend over all tasks; later attempts fail build_budget_exhausted',
      intOption('--max-build-minutes'),
    )
    .option('--ignore-exhausted', 'skip tasks whose recorded failure tried every candidate (attempts_exhausted)')
    .option(
      '--limit-per-repo <n>',
      'at most N tasks per repository (a reproducible choice); -1 keeps all',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n))
          throw new InputError(`Invalid --limit-per-repo: ${JSON.stringify(v)} is not an integer`);
        return n;
      },
      -1,
    );
}

/** The agent's LLM, and the time limits of a build and of the quick benchmark run. */
function withLlmAndTimeoutOptions(command: Command): Command {
  return command
    .option('--model <name>', 'agent LLM model; default DSPY_MODEL_NAME, then OPENAI_MODEL')
    .option('--max-llm-calls <n>', 'stop calling the LLM after N calls in this run', intOption('--max-llm-calls'))
    .option('--no-cache', 'agent: ignore and do not write the LLM memo store')
    .option('--build-timeout <s>', 'wall clock of one docker build, seconds', intOption('--build-timeout'), 2400)
    .option(
      '--bench-timeout <s>',
      'limit of the quick benchmark run, seconds (a timeout fails)',
      intOption('--bench-timeout'),
      300,
    );
}

/** The base images: offline Debian bases (asv source, releases, packages), an existing image, or online. */
function withBaseImageOptions(command: Command): Command {
  return command
    .option(
      '--asv-source <dir|url>',
      `offline bases: a folder of asv and asv_runner sdists or wheels, or a package index URL (default: $${ASV_SOURCE_ENV}; required offline)`,
    )
    .option(
      '--releases <list>',
      `Debian releases of the offline bases, chosen per task (comma-separated; default ${DEBIAN_RELEASE_NAMES.join(',')})`,
    )
    .option('--base-image <ref>', 'use this existing image as the base instead of building the default one')
    .option('--debian-packages <list>', 'extra Debian packages for every dependency layer (comma-separated)')
    .option(
      '--online',
      'base image python:<version>-slim per requested Python, asv and dependencies from PyPI (needs network)',
    )
    .option('--python-version <v>', 'online: one Python for every task instead of the requested one');
}

/** `datasmith synthesize`: build and strictly validate one Docker image per task (step 4). */
export const registerSynthesize: RegisterCommand = (program, context) => {
  const command = program
    .command('synthesize')
    .description(
      'Build a layered Docker image per (repository, base sha) of the perf table and validate it strictly (step 4)',
    );
  withBaseImageOptions(withLlmAndTimeoutOptions(withLimitOptions(withInputOptions(command))))
    .option('--retry-failed', 'rebuild tasks whose recorded failure has the same context')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  datasmith synthesize --in perf.parquet --contexts contexts.json --out-dir out/ --store data/demo/store\n  datasmith synthesize --repo demo-org/fastmath --month 2024-03 --store data/demo/store',
    )
    .action((raw: RawSynthesizeOptions) => runSynthesizeCommand(context(), raw));
};

/** The options with the original flags' aliases folded in; throws on an unknown backend. */
function normalizeSynthesizeOptions(raw: RawSynthesizeOptions): SynthesizeOptions {
  const options: SynthesizeOptions = {
    ...raw,
    in: raw.in ?? raw.commits,
    contexts: raw.contexts ?? raw.contextRegistry,
    outDir: raw.outDir ?? raw.outputDir,
  };
  if (options.backend !== 'rules' && options.backend !== 'agent') {
    throw new InputError(`Invalid --backend: ${JSON.stringify(options.backend)}; expected rules or agent`);
  }
  return options;
}

function resolveSynthesizeIO(ctx: CommandContext, options: SynthesizeOptions) {
  const outDir = options.outDir;
  const missingOutDir = 'Missing --out-dir: where to write results.jsonl';
  return resolveStepIO('synthesize', options, {
    reads: { perf: perfTaskInput(SYNTHESIZE_TABLES.reads.perf, options.in) },
    files: {
      registry: contextRegistryBinding(
        ctx.env,
        options.contexts,
        'Missing --contexts: give the context registry JSON file',
      ),
      results: {
        partition: (p) => dataLayout(p.outRoot).synthesizeResults(p.repo, p.month.key),
        file: outDir && join(outDir, 'results.jsonl'),
        missing: missingOutDir,
      },
    },
    writes: {
      contexts: {
        table: SYNTHESIZE_TABLES.writes.contexts,
        file: outDir && join(outDir, 'contexts.parquet'),
        missing: missingOutDir,
      },
    },
  });
}

/** The base-image options of a run, checked before any build. */
interface BaseImages {
  base: BaseImageChoice | ((python: string) => BaseImageChoice) | undefined;
  asvSource: AsvSource | undefined;
  releases: string[];
  extraDebianPackages: string[];
}

/**
 * The base images to build on: an existing image, online bases, or offline Debian bases, which
 * need asv from somewhere (refused at once, before any build, when it is missing or empty).
 */
function resolveBaseImages(ctx: CommandContext, options: SynthesizeOptions): BaseImages {
  const fixedPython = options.pythonVersion;
  const base: BaseImageChoice | ((python: string) => BaseImageChoice) | undefined = options.baseImage
    ? { ref: options.baseImage }
    : options.online
      ? (python: string) => ({ recipe: onlineBaseRecipe(fixedPython ?? python) })
      : undefined;
  const releases = (options.releases ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  for (const r of releases) {
    if (!(DEBIAN_RELEASE_NAMES as string[]).includes(r)) {
      throw new InputError(`Invalid --releases: ${JSON.stringify(r)}; expected ${DEBIAN_RELEASE_NAMES.join(', ')}`);
    }
  }
  const sourceSetting = options.asvSource ?? ctx.env[ASV_SOURCE_ENV];
  let asvSource: AsvSource | undefined;
  if (!base) {
    if (!sourceSetting?.trim()) {
      throw new InputError(
        `synthesize.asvSource (--asv-source or ${ASV_SOURCE_ENV}) is not set: offline base images need a folder of asv and asv_runner sdists or wheels, or a package index URL`,
      );
    }
    asvSource = readAsvSource(resolve(ctx.cwd, sourceSetting), options.asvSource ? '--asv-source' : ASV_SOURCE_ENV);
  }
  const extraDebianPackages = (options.debianPackages ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return { base, asvSource, releases, extraDebianPackages };
}

/** The step's outcome: the contexts table, results.jsonl sorted by task, the summary, and an error when the engine was unreachable. */
function synthesizeOutcome(
  output: Awaited<ReturnType<typeof synthesize>>,
  llmCalls: number,
  paths: { resultsPath: string; contextsPath: string; registry: string },
) {
  const { resultsPath, contextsPath, registry } = paths;
  const results = output.results
    .map((r) => SynthesisResult.parse(r))
    .sort((a, b) => (`${a.owner}/${a.repo}/${a.sha}` < `${b.owner}/${b.repo}/${b.sha}` ? -1 : 1));
  const strategies: Record<string, number> = {};
  for (const r of results) if (r.ok) strategies[r.strategy] = (strategies[r.strategy] ?? 0) + 1;
  const unreachable = results.filter((r) => r.reason === 'engine_unreachable').length;
  return {
    tables: { contexts: output.contexts },
    files: [{ path: resultsPath, content: results.map((r) => `${JSON.stringify(r)}\n`).join('') }],
    summary: output.summary,
    extra: {
      tasks: results.length,
      strategies,
      attempts: results.reduce((n, r) => n + r.attempts.length, 0),
      llm_calls: llmCalls,
      results: resultsPath,
      contexts: contextsPath,
      registry,
    },
    detail: [`synthesize: ${results.length} tasks, wrote ${resultsPath} and ${contextsPath}`],
    error:
      unreachable > 0
        ? new DockerError(
            `${unreachable} of ${results.length} tasks could not reach the Docker engine (${output.engine.reason ?? 'see the log'}); start one with tools/scripts/ensure-docker`,
          )
        : undefined,
  };
}

async function runSynthesizeCommand(ctx: CommandContext, raw: RawSynthesizeOptions): Promise<void> {
  const options = normalizeSynthesizeOptions(raw);
  const io = resolveSynthesizeIO(ctx, options);
  const { registry, results: resultsPath } = io.files;
  const contextsPath = io.writes.contexts.path;
  // A bad registry (e.g. the original's v2 file) fails before any work.
  await readContextRegistry(resolve(ctx.cwd, registry));
  const llm =
    options.backend === 'agent'
      ? createLlmClient({
          settings: llmSettingsFromEnv(ctx.env, { model: options.model }),
          concurrency: options.maxWorkers,
          maxCalls: options.maxLlmCalls,
          memo: options.cache ? openMemo(ctx, io.partition?.outRoot ?? 'data') : undefined,
          log: ctx.log,
        })
      : undefined;
  await runStep(ctx, io, options, async ({ perf: rows }) => {
    const images = resolveBaseImages(ctx, options);
    const output = await synthesize(
      { rows },
      {
        docker: createDockerClient({ env: ctx.env }),
        store: new OfflineStore(options.store),
        registryPath: resolve(ctx.cwd, registry),
        log: ctx.log,
        llm,
      },
      {
        base: images.base,
        asvSource: images.asvSource,
        releases: images.releases.length > 0 ? (images.releases as DebianRelease[]) : undefined,
        online: Boolean(options.online),
        extraDebianPackages: images.extraDebianPackages,
        backend: options.backend as 'rules' | 'agent',
        maxAttempts: options.maxAttempts,
        maxSimilarCandidates: options.maxSimilarCandidates,
        maxSteps: options.maxSteps,
        maxBuildMinutes: options.maxBuildMinutes,
        ignoreExhausted: Boolean(options.ignoreExhausted),
        limitPerRepo: options.limitPerRepo,
        maxWorkers: options.maxWorkers,
        retryFailed: Boolean(options.retryFailed),
        build: { buildTimeoutMs: options.buildTimeout * 1000 },
        validation: { benchTimeoutMs: options.benchTimeout * 1000 },
      },
    );
    return synthesizeOutcome(output, llm?.stats.calls ?? 0, { resultsPath, contextsPath, registry });
  });
}
