import {
  GLOBAL_STEPS as PIPELINE_GLOBAL_STEPS,
  PARTITIONED_STEPS,
  PIPELINE,
  type GlobalStep as PipelineGlobalStep,
} from '@datasmith/paths';

/** Per-repository steps in pipeline order (from @datasmith/paths PIPELINE); each is one Nx target that takes `--month=YYYY-MM`. */
export const REPO_STEPS = PARTITIONED_STEPS;
export type RepoStep = (typeof REPO_STEPS)[number];

/** Global steps: one target each, no month; each reads every partition on disk. */
export const GLOBAL_STEPS = PIPELINE_GLOBAL_STEPS;
export type GlobalStep = PipelineGlobalStep;

export type PipelineStep = RepoStep | GlobalStep;

/** The project of each global step (roots `data/projects/<name>`, never created on disk). */
export const GLOBAL_PROJECTS = Object.fromEntries(
  PIPELINE.filter((s) => s.partition === 'global').map((s) => [s.name, s.project as string]),
) as Record<GlobalStep, string>;

/**
 * The per-repository steps whose CLI command exists. The plugin must not probe the CLI (it runs on
 * every nx command), so whoever lands a step's command adds it here; the target's command and
 * inputs are already defined in `targets.ts`.
 */
export const ENABLED_REPO_STEPS: readonly RepoStep[] = REPO_STEPS;

/** The global steps whose CLI command exists (see {@link ENABLED_REPO_STEPS}). */
export const ENABLED_GLOBAL_STEPS: readonly GlobalStep[] = ['scrape-repos', 'merge', 'dataset', 'report'];

/** Options a user may set in nx.json: `{"plugin": "./tools/nx-plugin/index.ts", "options": {...}}`. */
export interface DatasmithPluginOptions {
  /** Rename targets, e.g. `{ "collect": "mine" }`; defaults to the step names. */
  targetNames?: Partial<Record<PipelineStep, string>>;
  /** Steps to generate; defaults to {@link ENABLED_REPO_STEPS} and {@link ENABLED_GLOBAL_STEPS}. */
  steps?: PipelineStep[];
  /** The command that runs the CLI, relative to the workspace root. Default `node libs/cli/bin/datasmith.js`. */
  cli?: string;
}

/** Options after defaults. */
export interface NormalizedPluginOptions {
  targetNames: Record<PipelineStep, string>;
  repoSteps: RepoStep[];
  globalSteps: GlobalStep[];
  cli: string;
}

/** Fills defaults and checks names; throws on an unknown step or two steps sharing a target name. */
export function normalizeOptions(options: DatasmithPluginOptions | undefined): NormalizedPluginOptions {
  const known = new Set<string>([...REPO_STEPS, ...GLOBAL_STEPS]);
  for (const step of [...Object.keys(options?.targetNames ?? {}), ...(options?.steps ?? [])]) {
    if (!known.has(step)) {
      throw new Error(
        `Invalid datasmith plugin option: unknown step ${JSON.stringify(step)}; expected one of ${[...known].join(', ')}`,
      );
    }
  }
  const targetNames = Object.fromEntries(
    [...REPO_STEPS, ...GLOBAL_STEPS].map((step) => [step, options?.targetNames?.[step] ?? step]),
  ) as Record<PipelineStep, string>;
  const names = Object.values(targetNames);
  const clash = names.find((name, i) => names.indexOf(name) !== i);
  if (clash) throw new Error(`Invalid datasmith plugin option: two steps use the target name ${JSON.stringify(clash)}`);
  const chosen = options?.steps ? new Set<PipelineStep>(options.steps) : null;
  return {
    targetNames,
    repoSteps: REPO_STEPS.filter((s) => (chosen ? chosen.has(s) : ENABLED_REPO_STEPS.includes(s))),
    globalSteps: GLOBAL_STEPS.filter((s) => (chosen ? chosen.has(s) : ENABLED_GLOBAL_STEPS.includes(s))),
    cli: options?.cli ?? 'node libs/cli/bin/datasmith.js',
  };
}
