export type { MonthWindow } from './month';
export { parseMonth, monthOf, monthRange, inWindow, parseDateArg, parseWindow } from './month';
export type { PartitionedStep, DataLayout, StoreLayout } from './layout';
export {
  PARTITIONED_STEPS,
  STEP_TABLES,
  parseRepoName,
  repoSlug,
  repoFromSlug,
  repoProjectName,
  dataLayout,
  storeLayout,
} from './layout';
export type { GlobalStep, PipelineStep, StepDefinition, TableRef } from './pipeline';
export { GLOBAL_STEPS, PIPELINE, pipelineStages, stepDefinition } from './pipeline';
