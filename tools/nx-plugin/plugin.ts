import type { CreateNodesContextV2, CreateNodesResult, CreateNodesV2, ProjectConfiguration } from '@nx/devkit';
import { repoProjectName, repoSlug } from '@datasmith/paths';
import { type DatasmithPluginOptions, GLOBAL_PROJECTS, type GlobalStep, normalizeOptions } from './options';
import { CodeGraph } from './code-inputs';
import { codeInputsFromGraph, globalTarget, repoTargets } from './targets';
import { readPluginWorkspace } from './workspace';

/**
 * The one tracked file the plugin globs. Nx leaves git-ignored files out of plugin globs, so the
 * repository list (often generated and ignored) is read with fs from the config instead.
 */
export const CONFIG_FILE = 'datasmith.config.json';

/** Root of a repository's project (never created on disk). */
export function repoProjectRoot(slug: string): string {
  return `data/projects/${slug}`;
}

/**
 * Builds every project from the config chosen by `DATASMITH_CONFIG` (default `datasmith.config.json`):
 * one `repo-<owner>__<name>` project per repository with the enabled per-month steps, plus one
 * project per enabled global step. Reads files only; never runs a task or touches the network.
 */
export function createDatasmithProjects(
  options: DatasmithPluginOptions | undefined,
  context: Pick<CreateNodesContextV2, 'workspaceRoot'>,
  env: NodeJS.ProcessEnv = process.env,
): CreateNodesResult {
  const normalized = normalizeOptions(options);
  const ws = readPluginWorkspace(context.workspaceRoot, env);
  const graph = new CodeGraph(context.workspaceRoot, env);
  const code = codeInputsFromGraph(graph, normalized.cli);
  const projects: Record<string, ProjectConfiguration> = {};
  const hasRepos = normalized.globalSteps.includes('scrape-repos');
  const repoNames: string[] = [];

  if (normalized.repoSteps.length > 0) {
    for (const repo of ws.repos) {
      const slug = repoSlug(repo);
      const name = repoProjectName(repo);
      const root = repoProjectRoot(slug);
      repoNames.push(name);
      projects[root] = {
        root,
        name,
        tags: ['repo'],
        ...(hasRepos ? { implicitDependencies: [GLOBAL_PROJECTS['scrape-repos']] } : {}),
        targets: repoTargets(repo, slug, ws, normalized, code),
        metadata: { description: `Per-month steps of ${repo}` },
      };
    }
  }

  const upstream: Record<GlobalStep, string[]> = {
    'scrape-repos': [],
    merge: repoNames,
    dataset: normalized.globalSteps.includes('merge') ? [GLOBAL_PROJECTS.merge] : [],
    report: normalized.globalSteps.includes('dataset') ? [GLOBAL_PROJECTS.dataset] : [],
  };
  for (const step of normalized.globalSteps) {
    const name = GLOBAL_PROJECTS[step];
    const root = `data/projects/${name}`;
    projects[root] = {
      root,
      name,
      tags: ['global'],
      ...(upstream[step].length > 0 ? { implicitDependencies: upstream[step] } : {}),
      targets: { [normalized.targetNames[step]]: globalTarget(step, ws, normalized, code) },
      metadata: { description: `Global step ${step} (no month)` },
    };
  }
  graph.save();
  return { projects };
}

/** Nx 23 entry point: `[glob, function]`; only the workspace-root config file makes projects. */
export const createNodesV2: CreateNodesV2<DatasmithPluginOptions> = [
  CONFIG_FILE,
  async (files, options, context) =>
    files
      .filter((file) => file === CONFIG_FILE)
      .map((file) => [file, createDatasmithProjects(options, context)] as const),
];

/** Same as {@link createNodesV2}: Nx 23 reads either name. */
export const createNodes = createNodesV2;
