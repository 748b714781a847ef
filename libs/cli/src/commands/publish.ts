import { createDockerClient } from '@datasmith/docker';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatasmithError, InputError } from '@datasmith/errors';
import { dataLayout } from '@datasmith/paths';
import {
  DistributionClient,
  type RegistryEndpoint,
  dockerAuthConfig,
  dockerImageEngine,
  normalizeRegistryRetryPolicy,
  parseRegistryUrl,
  resolveCredentials,
  DOCKER_HUB,
} from '@datasmith/registry';
import { publish, type PublishTarget } from '@datasmith/steps/publish/publish';
import {
  type ContextInfo,
  type PublishTask,
  readPublishContexts,
  readSynthesisResults,
  tasksFromCommits,
  tasksFromResults,
} from '@datasmith/steps/publish/tasks';
import { CONTEXTS_TABLE, IMAGES_TABLE, queryRows, sqlLiteral } from '@datasmith/tables';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import type { RegisterCommand } from './index';
import { type PartitionOptions, intOption, openMemo } from './shared';
import {
  type StepTables,
  partitionTablePath,
  resolveStepIO,
  runStep,
  summarizeWithFailures,
  withFlagNames,
} from './step-runner';

interface PublishOptions extends PartitionOptions {
  in?: string;
  commits?: string;
  contexts?: string;
  contextRegistry?: string;
  out?: string;
  namespace?: string;
  imageRegistry?: string;
  skipExisting?: boolean;
  repositoryMode: string;
  singleRepo: string;
  username?: string;
  password?: string;
  maxWorkers: number;
  json?: boolean;
}

/** The registry target from flags and environment, or null for local only. */
function resolveTarget(
  options: PublishOptions,
  env: NodeJS.ProcessEnv,
): {
  target: PublishTarget | null;
  registry: RegistryEndpoint | null;
  credentials: ReturnType<typeof resolveCredentials>;
} {
  const mode = options.repositoryMode;
  if (mode !== 'single' && mode !== 'mirror') {
    throw new InputError(`Invalid --repository-mode: ${JSON.stringify(mode)}; expected single or mirror`);
  }
  const registryFlag = options.imageRegistry ?? env.DATASMITH_IMAGE_REGISTRY;
  let registry: RegistryEndpoint | null = null;
  if (registryFlag && registryFlag !== 'none') registry = parseRegistryUrl(registryFlag);
  const hubCredentials = resolveCredentials(DOCKER_HUB, {
    username: options.username,
    password: options.password,
    env,
  });
  if (!registry && registryFlag !== 'none' && (options.username || env.DOCKERHUB_USERNAME) && hubCredentials) {
    registry = DOCKER_HUB;
  }
  if (!registry) return { target: null, registry: null, credentials: null };
  const credentials = registry.dockerHub
    ? hubCredentials
    : resolveCredentials(registry, { username: options.username, password: options.password, env });
  const namespace = options.namespace ?? env.DOCKERHUB_NAMESPACE ?? (registry.dockerHub ? undefined : 'datasmith');
  if (!namespace) {
    throw new InputError('Missing --namespace: pushing to Docker Hub needs a namespace (or DOCKERHUB_NAMESPACE)');
  }
  return {
    target: {
      registry,
      namespace,
      mode,
      singleRepo: options.singleRepo,
      auth: dockerAuthConfig(registry, credentials),
    },
    registry,
    credentials,
  };
}

async function readInputTasks(path: string, contexts: ContextInfo[] | null): Promise<PublishTask[]> {
  if (path.endsWith('.jsonl')) return tasksFromResults(await readSynthesisResults(path), contexts ?? []);
  const reader = path.endsWith('.csv')
    ? `read_csv(${sqlLiteral(path)}, header=true, all_varchar=true)`
    : `read_parquet(${sqlLiteral(path)})`;
  if (!existsSync(path)) throw new InputError(`Missing input: ${path} does not exist`, { file: path });
  let rows: Array<Record<string, unknown>>;
  try {
    const cols = new Set((await queryRows(`DESCRIBE SELECT * FROM ${reader}`)).map((r) => String(r.column_name)));
    const missing = ['repo_name', 'pr_base_sha'].filter((c) => !cols.has(c));
    if (missing.length) {
      throw new InputError(`Invalid table: ${path} is missing column(s) ${missing.join(', ')}`, { file: path });
    }
    rows = await queryRows(`SELECT DISTINCT repo_name, pr_base_sha FROM ${reader} ORDER BY repo_name, pr_base_sha`);
  } catch (error) {
    if (error instanceof DatasmithError) throw error;
    throw new InputError(`Unreadable table: ${path}: ${(error as Error).message.split('\n')[0]}`, { file: path });
  }
  return tasksFromCommits(
    rows.map((r) => ({
      repo_name: String(r.repo_name),
      pr_base_sha: r.pr_base_sha === null ? null : String(r.pr_base_sha),
    })),
    contexts,
  );
}

/** What publish reads and writes (its PIPELINE entry's tables, with their schemas), besides synthesize's results.jsonl. */
export const PUBLISH_TABLES = {
  reads: { contexts: CONTEXTS_TABLE },
  writes: { images: IMAGES_TABLE },
} as const satisfies StepTables;

/** The registry: where images go, how they are named, and as whom. */
function withRegistryOptions(command: Command): Command {
  return command
    .option('--namespace <ns>', 'registry namespace (env DOCKERHUB_NAMESPACE; default datasmith off Docker Hub)')
    .option(
      '--image-registry <url>',
      'registry URL, e.g. http://127.0.0.1:5000 or docker.io; "none" = local only (env DATASMITH_IMAGE_REGISTRY)',
    )
    .option('--skip-existing', 'ask the registry first; skip images it already holds under their tag')
    .option('--repository-mode <mode>', 'single (every image in one repository, encoded tags) or mirror', 'single')
    .option('--single-repo <name>', 'the repository of single mode', 'all')
    .option('--username <user>', 'registry user (env DOCKERHUB_USERNAME)')
    .option('--password <secret>', 'registry password or token (env DOCKERHUB_TOKEN / DOCKERHUB_PASSWORD)')
    .option('--max-workers <n>', 'pushes at once (env PUSH_CONCURRENCY)', intOption('--max-workers'));
}

/** `datasmith publish`: tag and push validated images, record digests in `images` (step 5). */
export const registerPublish: RegisterCommand = (program, context) => {
  const command = program
    .command('publish')
    .description('Tag and push each validated image; record its manifest digest in the images table (step 5)')
    .option('--in <file>', "synthesize's results.jsonl, or a table with repo_name and pr_base_sha")
    .option('--commits <file>', 'alias of --in (original flag)')
    .option('--contexts <file>', "synthesize's context registry JSON or contexts.parquet (validated image ids)")
    .option('--context-registry <file>', 'alias of --contexts (original flag)')
    .option('--out <file>', 'images table to write (default: images.parquet beside --in)');
  withRegistryOptions(command)
    .option('--docker-dir <dir>', 'ignored (original flag)')
    .option('--repo <owner/name>', 'partition mode: one repository (Nx targets)')
    .option('--month <YYYY-MM>', 'partition mode: one UTC month')
    .option('--out-root <dir>', 'partition mode: output root', 'data')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Without a registry (no --image-registry, no DOCKERHUB_USERNAME) the images stay local: the digest',
        'recorded is the local image id and registry is null.',
        '',
        'Examples:',
        '  datasmith publish --in data/synthesize/o__r/2024-01/results.jsonl --contexts contexts.json --namespace formulacode --image-registry http://127.0.0.1:5000',
        '  datasmith publish --repo o/r --month 2024-01 --image-registry http://127.0.0.1:5000 --skip-existing',
      ].join('\n'),
    )
    .action((raw: PublishOptions) => runPublishCommand(context(), raw));
};

/** The step IO and the input files: a partition's results.jsonl and contexts table, or --in and --contexts. */
function resolvePublishInputs(options: PublishOptions) {
  const missingIn = 'Missing --in: give results.jsonl of synthesize (or --repo with --month)';
  const io = resolveStepIO('publish', options, {
    reads: {},
    writes: {
      images: {
        table: PUBLISH_TABLES.writes.images,
        override: options.out,
        file: options.in && join(dirname(options.in), 'images.parquet'),
        missing: missingIn,
      },
    },
  });
  const { partition } = io;
  let inPath: string;
  let contextsPath: string | undefined;
  if (partition) {
    const layout = dataLayout(partition.outRoot);
    inPath = layout.synthesizeResults(partition.repo, partition.month.key);
    const contextsTable = partitionTablePath(PUBLISH_TABLES.reads.contexts, partition);
    contextsPath = options.contexts ?? (existsSync(contextsTable) ? contextsTable : undefined);
  } else {
    if (!options.in) throw new InputError(missingIn);
    inPath = options.in;
    contextsPath = options.contexts;
  }
  return { io, inPath, contextsPath };
}

/** Logs where the images go: the registry, namespace, mode and user, or local only. */
function logPublishTarget(
  ctx: CommandContext,
  tasks: readonly PublishTask[],
  target: PublishTarget | null,
  credentials: ReturnType<typeof resolveCredentials>,
): void {
  if (target) {
    ctx.log.info(
      `publish: ${tasks.filter((t) => t.ok).length} images to ${target.registry.host}/${target.namespace} (${target.mode} mode)` +
        (credentials ? ` as ${credentials.username} (${credentials.source})` : ', anonymous'),
    );
  } else {
    ctx.log.info('publish: no registry configured (--image-registry or DOCKERHUB_USERNAME); recording local image ids');
  }
}

async function runPublishCommand(ctx: CommandContext, raw: PublishOptions): Promise<void> {
  const options: PublishOptions = {
    ...raw,
    in: raw.in ?? raw.commits,
    contexts: raw.contexts ?? raw.contextRegistry,
    // `datasmith update --skip-existing` reaches the Nx target through the environment.
    skipExisting: raw.skipExisting ?? ctx.env.DATASMITH_SKIP_EXISTING === '1',
  };
  const { io, inPath, contextsPath } = resolvePublishInputs(options);
  const { partition } = io;
  const out = io.writes.images.path;
  const contexts = contextsPath
    ? await withFlagNames({ '--contexts': contextsPath }, () => readPublishContexts(contextsPath))
    : null;
  const tasks = await readInputTasks(inPath, contexts);
  const { target, credentials } = resolveTarget(options, ctx.env);
  const policy = normalizeRegistryRetryPolicy({}, ctx.env);
  const concurrency = options.maxWorkers ?? (Number(ctx.env.PUSH_CONCURRENCY) || 4);
  logPublishTarget(ctx, tasks, target, credentials);
  const started = Date.now();
  await runStep(ctx, io, options, async () => {
    const result = await publish(
      { tasks, target, skipExisting: Boolean(options.skipExisting) },
      {
        engine: () => dockerImageEngine(createDockerClient({ env: ctx.env })),
        distribution: target ? new DistributionClient({ registry: target.registry, credentials, policy }) : null,
        memo: openMemo(ctx, partition?.outRoot ?? 'data'),
        log: ctx.log,
        policy,
        concurrency,
      },
    );
    const s = result.stats;
    return {
      tables: { images: result.rows },
      failures: { beside: 'images' as const, rows: result.failures },
      summary: summarizeWithFailures(result.rows, result.failures),
      extra: { ...s, out },
      detail: [
        `publish: pushed ${s.pushed}, skipped ${s.skipped} already in the registry, ${s.local} local only, ${s.layersPushed} layers uploaded in ${((Date.now() - started) / 1000).toFixed(2)} s; wrote ${out}`,
      ],
      error:
        result.failures.length > 0
          ? new DatasmithError(
              'E_REMOTE',
              `${result.failures.length} of ${tasks.length} images failed to publish (${result.failures[0]?.message}); see ${out.replace(/\.parquet$/, '')}.failures.jsonl`,
            )
          : undefined,
    };
  });
}
