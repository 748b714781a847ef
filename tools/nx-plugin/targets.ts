import type { TargetConfiguration } from '@nx/devkit';
import type { GlobalStep, NormalizedPluginOptions, PipelineStep, RepoStep } from './options';
import { GLOBAL_PROJECTS, REPO_STEPS } from './options';
import type { PluginWorkspace } from './workspace';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/** The helper that turns a step's config section into CLI flags at run time (see config-flags.cjs for why). */
const CONFIG_FLAGS = 'node tools/nx-plugin/config-flags.cjs';

/**
 * CLI commands that drive or inspect the pipeline without being a step: no step's output depends on
 * them, so editing one re-runs nothing.
 */
const OPERATOR_COMMANDS = ['update', 'explain', 'doctor', 'gc', 'config', 'contexts'];
/** Their helper folders under libs/cli/src (`ops` holds what several of them share). */
const OPERATOR_FOLDERS = [...OPERATOR_COMMANDS, 'ops'];

/** Libraries every CLI-run step loads. */
const COMMON_LIBS = ['cli', 'config', 'errors', 'memo', 'paths', 'progress', 'tables', 'steps'];

/**
 * Libraries each step uses besides {@link COMMON_LIBS}. Over-declared on purpose (a missing one gives
 * stale cache hits; an extra one only a re-run), except that nothing before classify lists `llm`,
 * so a prompt change never re-runs collect or prepare.
 */
const STEP_LIBS: Record<PipelineStep, string[]> = {
  'scrape-repos': ['git', 'store', 'github'],
  collect: ['git', 'store', 'github'],
  prepare: ['git', 'store', 'github'],
  classify: ['git', 'store', 'github', 'llm'],
  synthesize: ['git', 'store', 'llm', 'docker'],
  verify: ['git', 'store', 'docker'],
  publish: ['docker'],
  merge: [],
  dataset: ['hub'],
  report: ['hub'],
};

/** npm packages whose version is part of each step's hash (they must be in package.json). */
const COMMON_PACKAGES = ['@duckdb/node-api', 'commander', 'tsx', 'zod'];
const STEP_PACKAGES: Record<PipelineStep, string[]> = {
  'scrape-repos': ['simple-git', '@octokit/rest'],
  collect: ['simple-git', '@octokit/rest'],
  prepare: ['simple-git', 'gpt-tokenizer'],
  classify: ['openai', 'gpt-tokenizer'],
  synthesize: ['dockerode', 'openai', 'smol-toml', 'tar-stream'],
  verify: ['dockerode', 'tar-stream'],
  publish: ['dockerode'],
  merge: [],
  dataset: ['@huggingface/hub', 'yaml'],
  report: ['d3-scale', 'd3-shape'],
};

/** The config section a step reads at run time (hashed with a `json` input), if any. */
const STEP_CONFIG_SECTION: Partial<Record<PipelineStep, string>> = {
  classify: 'classify',
  synthesize: 'synthesize',
  verify: 'verify',
};

/** Environment variables that change a step's result besides `DATASMITH_CONFIG`. */
const LLM_ENV = ['DSPY_MODEL_NAME', 'DSPY_TEMPERATURE', 'DSPY_MAX_TOKENS', 'OPENAI_MODEL'];
// The DATASMITH_* ones are how `datasmith update` passes its original flags to the targets.
const STEP_ENV: Partial<Record<PipelineStep, string[]>> = {
  classify: LLM_ENV,
  synthesize: [...LLM_ENV, 'DATASMITH_CONTEXTS', 'DATASMITH_ASV_SOURCE'],
  verify: ['DATASMITH_CONTEXTS'],
  publish: ['DOCKERHUB_NAMESPACE', 'DATASMITH_IMAGE_REGISTRY', 'DATASMITH_SKIP_EXISTING'],
  dataset: ['DATASMITH_HF_REPO', 'DATASMITH_VERIFIED', 'HF_ENDPOINT'],
};

/** One-line descriptions shown by `nx show project`. */
const DESCRIPTIONS: Record<PipelineStep, string> = {
  'scrape-repos': 'List repositories with ASV benchmarks from the store (step 0): repos.parquet and repos.csv',
  collect: 'Mine the merged PRs of one repository in one UTC month (step 1): commits.parquet',
  prepare: 'Token counts, cheap performance gate and container names for one month (step 2): prepared.parquet',
  classify: 'Classify one month of PRs as performance work or not (step 3): classified.parquet, perf.parquet',
  synthesize: 'Build and validate a Docker context per base commit for one month (step 4): contexts.parquet',
  verify:
    "Measure each task's gold patch against its base with real asv in the validated image (step 4b): verify.jsonl, verified.parquet",
  publish: 'Push the validated images of one month (step 5): images.parquet',
  merge: 'Merge every partition into the master table (step 6): master.parquet',
  dataset: 'Write the dataset in the Hugging Face layout (step 7)',
  report: 'Write the funnel report over every table: data/report/index.html (inline SVG, nothing from the network)',
};

/** Quotes a value for a POSIX shell, unless it only holds characters a shell leaves alone. */
function sh(value: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Every step in pipeline order (scrape-repos first, report last). */
const PIPELINE: readonly PipelineStep[] = ['scrape-repos', ...REPO_STEPS, 'merge', 'dataset', 'report'];

/**
 * Code inputs of a step: its libraries' sources minus tests, and minus the CLI command and step
 * folders of the steps *after* it and of scrape-repos (a step may reuse an earlier step's helpers,
 * never a later one's).
 * So a classify rule or prompt never re-runs collect or prepare, while a collect change re-runs
 * everything after it even when collect's output happens to be identical (safe over cut-off).
 */
function codeInputs(step: PipelineStep): Input[] {
  const libs = [...COMMON_LIBS, ...STEP_LIBS[step]];
  // scrape-repos feeds the others only through the repository list, never through its code.
  const skipped = PIPELINE.filter(
    (other, i) => other !== step && (other === 'scrape-repos' || i > PIPELINE.indexOf(step)),
  );
  const group = skipped.length === 1 ? skipped[0] : `{${skipped.join(',')}}`;
  const excluded = [
    `!{workspaceRoot}/libs/cli/src/commands/${group}.ts`,
    `!{workspaceRoot}/libs/cli/src/commands/${group}/**`,
    `!{workspaceRoot}/libs/steps/src/${group}/**`,
    `!{workspaceRoot}/libs/cli/src/commands/{${OPERATOR_COMMANDS.join(',')}}.ts`,
    `!{workspaceRoot}/libs/cli/src/{${OPERATOR_FOLDERS.join(',')}}/**`,
  ];
  return [
    '{workspaceRoot}/libs/cli/bin/**/*',
    ...libs.flatMap((lib) => [`{workspaceRoot}/libs/${lib}/src/**/*`, `{workspaceRoot}/libs/${lib}/package.json`]),
    ...excluded,
    '!{workspaceRoot}/libs/**/*.test.ts',
    '!{workspaceRoot}/libs/**/__snapshots__/**',
    '!{workspaceRoot}/libs/**/testing/**',
  ];
}

/** Inputs shared by every step: code, packages, the config choice and step-specific environment. */
function commonInputs(step: PipelineStep, ws: PluginWorkspace): Input[] {
  const inputs: Input[] = [
    ...codeInputs(step),
    { externalDependencies: [...COMMON_PACKAGES, ...STEP_PACKAGES[step]] },
    { env: 'DATASMITH_CONFIG' },
    ...(STEP_ENV[step] ?? []).map((env) => ({ env })),
  ];
  const section = STEP_CONFIG_SECTION[step];
  if (section) {
    inputs.push(
      '{workspaceRoot}/tools/nx-plugin/config-flags.cjs',
      ws.configInWorkspace
        ? { json: `{workspaceRoot}/${ws.configFile}`, fields: [section] }
        : { runtime: `${CONFIG_FLAGS} ${section}` },
    );
  }
  return inputs;
}

/**
 * A shell pipeline printing one hash of a repository's outside state: the mirror's HEAD and branch
 * heads, and the names and contents of its repo.json, pulls/ and issues/ files. It runs in the
 * workspace root; symlinks are followed; a missing mirror or folder hashes as such (Nx hashes the
 * output of a failing runtime command without error, which is what we want here). Files are hashed
 * with `xargs git hash-object --`, not `--stdin-paths`, which resolves paths against the top of the
 * enclosing git work tree (the workspace) instead of the current directory.
 */
export function repoStateCommand(store: string, repo: string): string {
  const mirror = sh(`${store}/${repo}.git`);
  const meta = sh(`${store}/${repo}`);
  return [
    `{ git -C ${mirror} show-ref --head --heads;`,
    `cd ${meta} && f=$(find -L repo.json pulls issues -type f | LC_ALL=C sort)`,
    `&& printf '%s\\n' "$f" && printf '%s\\n' "$f" | xargs git hash-object --; }`,
    '2>/dev/null | git hash-object --stdin',
  ].join(' ');
}

/** The same for a whole store: its repos.csv, every mirror's HEAD and every repo.json (scrape-repos). */
export function storeStateCommand(store: string): string {
  return [
    `cd ${sh(store)} && { cat repos.csv; for m in */*.git; do printf '%s ' "$m"; git -C "$m" rev-parse HEAD; done;`,
    `printf '%s\\n' */*/repo.json; git hash-object -- */*/repo.json; } 2>/dev/null | git hash-object --stdin`,
  ].join(' ');
}

/** The partition files a global step reads, as one hash (they are outputs of other Nx runs). */
function partitionsStateCommand(outputRoot: string, steps: RepoStep[]): string {
  const dirs = steps.map((s) => sh(`${outputRoot}/${s}`)).join(' ');
  return `find -L ${dirs} -type f -name '*.parquet' 2>/dev/null | LC_ALL=C sort | { f=$(cat); printf '%s\\n' "$f"; printf '%s\\n' "$f" | xargs git hash-object --; } 2>/dev/null | git hash-object --stdin`;
}

/**
 * The state of everything the report reads: every partition table, synthesize's results and the
 * dataset (by content), and the LLM memo's entries (by name: each name is the hash of its question).
 * The dataset alone would leave the report stale after a month that adds no task.
 */
export function reportStateCommand(outputRoot: string): string {
  const dirs = [...REPO_STEPS, 'dataset'].map((s) => sh(`${outputRoot}/${s}`)).join(' ');
  const memo = sh(`${outputRoot}/memo/llm`);
  return `{ find -L ${dirs} -type f \\( -name '*.parquet' -o -name 'results.jsonl' \\) 2>/dev/null | LC_ALL=C sort | { f=$(cat); printf '%s\\n' "$f"; printf '%s\\n' "$f" | xargs git hash-object --; }; find -L ${memo} -type f -name '*.json' 2>/dev/null | LC_ALL=C sort; } 2>/dev/null | git hash-object --stdin`;
}

/** `nx show project` shows the description; `nx run <project>:<target> --help` runs the help command. */
function metadata(step: PipelineStep, cli: string): TargetConfiguration['metadata'] {
  const perMonth = (REPO_STEPS as readonly string[]).includes(step);
  return {
    description: DESCRIPTIONS[step],
    technologies: ['datasmith'],
    help: { command: `${cli} ${step} --help`, example: perMonth ? { options: { month: '2024-01' } } : {} },
  };
}

/** The per-repository targets of one repository, chained collect → … in pipeline order. */
export function repoTargets(
  repo: string,
  slug: string,
  ws: PluginWorkspace,
  options: NormalizedPluginOptions,
): Record<string, TargetConfiguration> {
  const { cli, targetNames } = options;
  const out = ws.outputRoot;
  const storeFlag = ws.store === null ? '' : ` --store ${sh(ws.store)}`;
  const commands: Record<RepoStep, string> = {
    collect: `${cli} collect --repo ${repo}${storeFlag} --out-root ${sh(out)}`,
    prepare: `${cli} prepare --repo ${repo} --out-root ${sh(out)}`,
    // Step settings come from the config at run time, never from the project (see config-flags.cjs).
    classify: `flags=$(${CONFIG_FLAGS} classify) && ${cli} classify --repo ${repo} --out-root ${sh(out)}${storeFlag} $flags`,
    synthesize: `flags=$(${CONFIG_FLAGS} synthesize) && ${cli} synthesize --repo ${repo} --out-root ${sh(out)}${storeFlag} $flags`,
    verify: `flags=$(${CONFIG_FLAGS} verify) && ${cli} verify --repo ${repo} --out-root ${sh(out)}${storeFlag} $flags`,
    publish: `${cli} publish --repo ${repo} --out-root ${sh(out)}`,
  };
  const targets: Record<string, TargetConfiguration> = {};
  let previous: RepoStep | null = null;
  for (const step of options.repoSteps) {
    const inputs = commonInputs(step, ws);
    // A step that reads the store (collect; classify and synthesize for repo.json, PR and issue
    // files) hashes its state itself: an edited issue file leaves collect's output identical, so
    // classify would never see it through dependentTasksOutputFiles alone.
    if (ws.store !== null && commands[step].includes(' --store ')) {
      inputs.push({ runtime: repoStateCommand(ws.store, repo) });
    }
    if (previous !== null) {
      // verify reads synthesize's results.jsonl and registry; publish reads synthesize's results
      // through verify (transitively).
      if (step === 'publish') inputs.push({ dependentTasksOutputFiles: '**/*', transitive: true });
      else inputs.push({ dependentTasksOutputFiles: step === 'verify' ? '**/*' : '**/*.parquet' });
    }
    targets[targetNames[step]] = {
      executor: 'nx:run-commands',
      cache: true,
      options: { command: commands[step] },
      ...(previous === null ? {} : { dependsOn: [{ target: targetNames[previous], params: 'forward' as const }] }),
      inputs,
      outputs: [`{workspaceRoot}/${out}/${step}/${slug}/{options.month}`],
      metadata: metadata(step, cli),
    };
    previous = step;
  }
  return targets;
}

/** The target of one global step (no month). */
export function globalTarget(
  step: GlobalStep,
  ws: PluginWorkspace,
  options: NormalizedPluginOptions,
): TargetConfiguration {
  const { cli, targetNames } = options;
  const out = ws.outputRoot;
  const inputs = commonInputs(step, ws);
  const storeFlag = ws.store === null ? '' : ` --store ${sh(ws.store)}`;
  const partitions = options.repoSteps.filter((s) => s === 'classify' || s === 'verify' || s === 'publish');
  switch (step) {
    case 'scrape-repos': {
      const { minStars, maxRepos } = ws.config.scrape;
      if (ws.store !== null) inputs.push({ runtime: storeStateCommand(ws.store) });
      return {
        executor: 'nx:run-commands',
        cache: true,
        options: {
          command: `${cli} scrape-repos${storeFlag} --out ${sh(`${out}/repos/repos.parquet`)} --min-stars ${minStars} --max-repos ${maxRepos}`,
        },
        inputs,
        outputs: [`{workspaceRoot}/${out}/repos/repos.parquet`, `{workspaceRoot}/${out}/repos/repos.csv`],
        metadata: metadata(step, cli),
      };
    }
    case 'merge':
      inputs.push({ runtime: partitionsStateCommand(out, partitions) });
      return {
        executor: 'nx:run-commands',
        cache: true,
        options: { command: `${cli} merge --out-root ${sh(out)}` },
        inputs,
        outputs: [`{workspaceRoot}/${out}/master`],
        metadata: metadata(step, cli),
      };
    case 'dataset':
    case 'report': {
      const upstream = step === 'dataset' ? 'merge' : 'dataset';
      const hasUpstream = options.globalSteps.includes(upstream);
      if (hasUpstream) inputs.push({ dependentTasksOutputFiles: '**/*' });
      else if (step === 'dataset') inputs.push({ runtime: partitionsStateCommand(out, partitions) });
      if (step === 'report') inputs.push({ runtime: reportStateCommand(out) });
      return {
        executor: 'nx:run-commands',
        cache: true,
        options: { command: `${cli} ${step} --out-root ${sh(out)}` },
        ...(hasUpstream
          ? { dependsOn: [{ target: targetNames[upstream], projects: [GLOBAL_PROJECTS[upstream]] }] }
          : {}),
        inputs,
        outputs: [`{workspaceRoot}/${out}/${step}`],
        metadata: metadata(step, cli),
      };
    }
  }
}
