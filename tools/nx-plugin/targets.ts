import type { TargetConfiguration } from '@nx/devkit';
import type { GlobalStep, NormalizedPluginOptions, PipelineStep, RepoStep } from './options';
import { GLOBAL_PROJECTS, REPO_STEPS } from './options';
import { stepDefinition } from '@datasmith/paths';
import type { PluginWorkspace } from './workspace';
import { type CodeGraph, cliEntry } from './code-inputs';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/** The helper that turns a step's config section into CLI flags at run time (see config-flags.cjs for why). */
const CONFIG_FLAGS = 'node tools/nx-plugin/config-flags.cjs';

/** Quotes a value for a POSIX shell, unless it only holds characters a shell leaves alone. */
function sh(value: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The code inputs of each step (memoised: every repository's targets share them). */
export type CodeInputs = (step: PipelineStep) => Input[];

/**
 * Code inputs of a step, from the import graph (see code-inputs.ts): exactly the files the CLI's
 * shell and the step's command module transitively import (package indexes followed only for the
 * names used), the files they read next to themselves (prompts, weights), the package.json of each
 * package involved, and the npm packages they import. Tests, `testing/` folders and the other
 * commands are never reached, so editing them re-runs nothing.
 */
export function codeInputsFromGraph(graph: CodeGraph, cli: string): CodeInputs {
  const memo = new Map<PipelineStep, Input[]>();
  return (step) => {
    let inputs = memo.get(step);
    if (!inputs) {
      const code = graph.stepCode([cliEntry(cli)], step);
      inputs = [...code.files.map((file) => `{workspaceRoot}/${file}`), { externalDependencies: code.packages }];
      memo.set(step, inputs);
    }
    return inputs;
  };
}

/** Inputs shared by every step: code, packages, the config choice and step-specific environment. */
function commonInputs(step: PipelineStep, ws: PluginWorkspace, code: CodeInputs): Input[] {
  const inputs: Input[] = [
    ...code(step),
    { env: 'DATASMITH_CONFIG' },
    ...stepDefinition(step).env.map((env) => ({ env })),
  ];
  const section = stepDefinition(step).configSection;
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
    description: stepDefinition(step).description,
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
  code: CodeInputs,
): Record<string, TargetConfiguration> {
  const { cli, targetNames } = options;
  const out = ws.outputRoot;
  const storeFlag = ws.store === null ? '' : ` --store ${sh(ws.store)}`;
  const commands: Record<RepoStep, string> = {
    collect: `${cli} collect --repo ${repo}${storeFlag} --out-root ${sh(out)}`,
    // Step settings come from the config at run time, never from the project (see config-flags.cjs).
    prepare: `flags=$(${CONFIG_FLAGS} prepare) && ${cli} prepare --repo ${repo} --out-root ${sh(out)} $flags`,
    classify: `flags=$(${CONFIG_FLAGS} classify) && ${cli} classify --repo ${repo} --out-root ${sh(out)}${storeFlag} $flags`,
    synthesize: `flags=$(${CONFIG_FLAGS} synthesize) && ${cli} synthesize --repo ${repo} --out-root ${sh(out)}${storeFlag} $flags`,
    verify: `flags=$(${CONFIG_FLAGS} verify) && ${cli} verify --repo ${repo} --out-root ${sh(out)}${storeFlag} $flags`,
    publish: `${cli} publish --repo ${repo} --out-root ${sh(out)}`,
  };
  const targets: Record<string, TargetConfiguration> = {};
  let previous: RepoStep | null = null;
  for (const step of options.repoSteps) {
    const inputs = commonInputs(step, ws, code);
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
      // A measurement shares its CPUs with nothing the pipeline itself runs (verify's machine-wide
      // lock keeps measurements one at a time; this keeps builds of other repositories away).
      ...(stepDefinition(step).exclusive ? { parallelism: false } : {}),
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
  code: CodeInputs,
): TargetConfiguration {
  const { cli, targetNames } = options;
  const out = ws.outputRoot;
  const inputs = commonInputs(step, ws, code);
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
