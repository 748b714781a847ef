export type { CollectInput, CollectDeps, CollectResult, CollectWindow } from './collect/collect';
export { collect, collectRepository, COLLECT_CODE_VERSION } from './collect/collect';
export type { PathKind } from './collect/path-rules';
export { classifyPath, nonCodeDropReason, isAsvConfig } from './collect/path-rules';
export type { LandedPull } from './collect/messages';
export { parseLandedMessage } from './collect/messages';
export type { RebaseMerge, RebaseRule } from './collect/rebase';
export { findRebaseMerges, samePerson } from './collect/rebase';
export type { ScrapeReposInput, ScrapeReposDeps } from './scrape-repos/scrape-repos';
export { scrapeRepos } from './scrape-repos/scrape-repos';
export type {
  ScrapeReposFromGitHubInput,
  ScrapeReposFromGitHubDeps,
  ScrapeReposFromGitHubResult,
} from './scrape-repos/scrape-repos-github';
export { scrapeReposFromGitHub, repoDropReason } from './scrape-repos/scrape-repos-github';
export type { CollectFromGitHubDeps, CollectFromGitHubResult } from './collect/collect-github';
export { collectFromGitHub, ABSENT_FAILURE_CODE } from './collect/collect-github';
export type { RepoListEntry } from './common/repo-list';
export { readRepoList, topByStars } from './common/repo-list';
export type {
  PrepareOptions,
  NormalizedPrepareOptions,
  PrepareInput,
  PrepareDeps,
  PrepareResult,
} from './prepare/prepare';
export {
  prepare,
  prepareRow,
  normalizePrepareOptions,
  containerName,
  countPatchTokens,
  changedLineTokens,
  DEFAULT_PREPARE_OPTIONS,
  PREPARE_CODE_VERSION,
} from './prepare/prepare';
export type { GateVerdict } from './prepare/gate';
export type { GateMode } from './prepare/gate';
export {
  perfGate,
  learnedGate,
  GATE_WEIGHTS,
  DEFAULT_MIN_GATE_SCORE,
  GATE_MODES,
  hasStrongHeadline,
  runtimeCodePath,
} from './prepare/gate';
export type { RankItem, RankPlace } from './prepare/rank';
export { DEFAULT_GATE_SHARE, rankByMonth } from './prepare/rank';
export type { SignalId, Signals, SignalWeights, ScoredSignal } from './prepare/signals';
export { SIGNAL_IDS, detectSignals, scoreSignals } from './prepare/signals';
export type { PatchFile, RowFeatures } from './prepare/features';
export type { LearnedFeature } from './prepare/learned';
export {
  LEARNED_FEATURES,
  LearnedModel,
  learnedFeatureValues,
  scoreLearned,
  shippedLearnedModel,
} from './prepare/learned';
export { parsePatch, rowFeatures, isBenchmarkPath, isCompiledPath, isRuntimeCodePath } from './prepare/features';
export type {
  ClassifyOptions,
  ClassifyInput,
  ClassifyDeps,
  ClassifyFailure,
  ClassifyResult,
} from './classify/classify';
export { classify } from './classify/classify';
export type { RulesVerdict, RulesModel } from './classify/rules';
export {
  classifyByRules,
  classifyByLearnedRules,
  rulesVersion,
  RULES_MODELS,
  DEFAULT_RULES_MODEL,
  categorize,
  difficultyOf,
  RULES_VERSION,
  RULES_WEIGHTS,
  RULES_THRESHOLD,
} from './classify/rules';
export type { LeakGuard } from './classify/leak-guard';
export {
  createLeakGuard,
  stripSolution,
  describesSolution,
  neutralGoal,
  MIN_GUARDED_LINE_CHARS,
} from './classify/leak-guard';
export type { IssueRef, PrReport } from './classify/report';
export { buildReport, extractIssueRefs, renderReport } from './classify/report';
export type { RepoInfo, DiscussionComment, IssueRecord, PullDiscussion, DiscussionSource } from './classify/sources';
export { emptyDiscussionSource, storeDiscussionSource } from './classify/sources';
export type { ClassifyPrompts } from './classify/prompts/prompts';
export { PROMPT_VERSION, loadPrompts } from './classify/prompts/prompts';
export type { LlmVerdict } from './classify/llm-backend';
export { normalizeCategory, normalizeDifficulty, normalizeConfidence } from './classify/llm-backend';
export type {
  SynthesizeOptions,
  SynthesizeDeps,
  SynthesizeOutput,
  BaseImageChoice,
} from './synthesize/synthesize';
export { synthesize, tasksFromRows, readFactsAt } from './synthesize/synthesize';
export type { BuildContext, RegistryEntry, ValidationResult, ValidationCheck } from './synthesize/context';
export { SYNTHESIZE_CODE_VERSION, contextHash, registryKey, ContextRegistryFile } from './synthesize/context';
export { readContextRegistry, updateContextRegistry } from './synthesize/registry';
export { changeContextRegistry, mergeLegacy } from './synthesize/registry';
export type { LegacyRegistry, LegacyContext, LegacyTask } from './synthesize/context';
export {
  importRegistryV2,
  exportRegistryV2,
  parseTaskKey,
  formatTaskKey,
  sortedJson,
} from './synthesize/registry-v2';
export type { ValidationCommands, ValidationOptions } from './synthesize/validate';
export { validateImage, DEFAULT_VALIDATION_COMMANDS, DEFAULT_SECRET_PATTERNS } from './synthesize/validate';
export type { RepoFacts } from './synthesize/facts';
export { readRepoFacts, findAsvConfigs, parseAsvJson } from './synthesize/facts';
export { planContextByRules, rulesVariants, withEnv } from './synthesize/rules';
export { buildTaskImage, checkInstallScript, TaskBuildFailure } from './synthesize/build-task';
export { checkoutAtCommit } from './synthesize/repo-source';
export { choosePythonVersion } from './synthesize/python-versions';
export type { PublishTask, ContextInfo } from './publish/tasks';
export {
  datasetContainerName,
  synthesisDropReason,
  readSynthesisResults,
  readPublishContexts,
  tasksFromResults,
  tasksFromCommits,
} from './publish/tasks';
export type { PublishTarget, PublishInput, PublishDeps, PublishStats, PublishResult } from './publish/publish';
export { publish, PUBLISH_CODE_VERSION } from './publish/publish';
export type { PartitionFile } from './merge/partitions';
export { findPartitionFiles } from './merge/partitions';
export { levenshtein, normalizeDifficultyLabel, normalizeClassificationLabel } from './merge/normalize';
export type { LegacyImport } from './merge/legacy';
export { importMasterLike, MASTER_KEY_COLUMNS } from './merge/legacy';
export type {
  MasterSource,
  MergeStats,
  BuildMasterInput,
  BuildMasterResult,
  MergeFilesOptions,
  MergeFilesResult,
} from './merge/merge';
export {
  MERGE_CODE_VERSION,
  masterKey,
  combineMasterSources,
  masterRowFromPerf,
  buildMaster,
  mergeMasterFiles,
} from './merge/merge';
export type { TaskKeySet } from './dataset/verified';
export { taskKey, parsePythonPair, readTaskKeyList } from './dataset/verified';
export type {
  DatasetDropReason,
  BuildDatasetInput,
  DatasetConfig,
  BuildDatasetResult,
  VerifiedChoice,
} from './dataset/dataset';
export {
  DATASET_CODE_VERSION,
  DATASET_COLUMNS,
  containerNameOf,
  taskIdOf,
  buildDataset,
  datasetConfigs,
  chooseVerified,
  datasetHubFiles,
  checkRegistry,
} from './dataset/dataset';
export type {
  FunnelStageKey,
  FunnelStep,
  ReasonCount,
  FunnelStage,
  DockerStats,
  PublishedTask,
  ClassifierUsage,
  LlmUsage,
  MonthReport,
  RepoYield,
  SourceCount,
  ReportData,
} from './report/report-data';
export { FUNNEL_STAGES, PSEUDO_REASONS } from './report/report-data';
export { queryReportData } from './report/queries';
export { renderReportHtml, escapeHtml, formatCount, formatMinutes } from './report/render';
export type { ReportPageInput, ReportPageDeps, ReportPageResult } from './report/report';
export { buildReportPage } from './report/report';
export type { VerifyDeps, VerifyOptions, VerifyOutput } from './verify/verify';
export { verify, defaultCpuset, needsRebuild, installModeOf, VERIFY_CODE_VERSION } from './verify/verify';
export { planPasses } from './verify/abba-passes';
export type { BenchmarkChange, MeasuredBenchmark, SideResult, Verdict } from './verify/decide';
export { compareBenchmark, decideVerdict, isResultBetter, isNoisy } from './verify/decide';
export type { ChangedFile, ChangeTargets, SelectedBenchmark } from './verify/select';
export { parsePatchFiles, changeTargets, selectBenchmarks, enclosingDefs, moduleName } from './verify/select';
