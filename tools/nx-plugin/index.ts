// The datasmith Nx plugin: registered in nx.json as "./tools/nx-plugin/index.ts".
export { createNodes, createNodesV2, createDatasmithProjects, repoProjectRoot, CONFIG_FILE } from './plugin';
export type { DatasmithPluginOptions, NormalizedPluginOptions, PipelineStep, RepoStep, GlobalStep } from './options';
export {
  normalizeOptions,
  ENABLED_REPO_STEPS,
  ENABLED_GLOBAL_STEPS,
  REPO_STEPS,
  GLOBAL_STEPS,
  GLOBAL_PROJECTS,
} from './options';
export { repoStateCommand, storeStateCommand, reportStateCommand } from './targets';
export type { PluginWorkspace } from './workspace';
export { readPluginWorkspace } from './workspace';
