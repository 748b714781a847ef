export type {
  CaseExpectation,
  ChangeKind,
  DemoCase,
  DemoRepo,
  MergeStyle,
  MirrorKind,
  PerfCategory,
  StepOutcome,
} from './cases';
export {
  COLLECT_DROP_REASONS,
  DEMO_CASES,
  DEMO_MONTHS,
  DEMO_REPOS,
  EMPTY_MONTH,
  MONTH_BOUNDARY_CASES,
  PERF_CATEGORIES,
  PREPARE_DROP_REASONS,
  casesOf,
  findCase,
} from './cases';
export type {
  BenchRepoOptions,
  BenchRepoSummary,
  DemoRepoSummary,
  DemoStoreOptions,
  DemoStoreSummary,
  LandedPull,
} from './generate';
export { generateBenchRepo, generateDemoStore } from './generate';
export type { PackageTestResult } from './python-check';
export { pythonUnavailableReason, runAllBenchmarksOnce, runPackageTests, timeBenchmarks } from './python-check';
