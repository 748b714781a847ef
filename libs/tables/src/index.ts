export { acquireFileLock, isProcessAlive } from './lock';
export type { FileLockOptions, LockHolder } from './lock';
export { parseCsv } from './csv';
export type { CsvRecord } from './csv';
export {
  COLLECT_DROP_REASONS,
  DropReason,
  RepoRow,
  CommitRow,
  FailureRow,
  TABLE_KEYS,
  REPOS_TABLE,
  COMMITS_TABLE,
} from './schemas';
export { partitionTable, globalTable } from './table-spec';
export type { TableSpec, TableLocation } from './table-spec';
export {
  writeTable,
  readTable,
  queryRows,
  validateRows,
  sortRows,
  tableColumns,
  duckTypeOf,
  writeFileAtomic,
  stageTable,
  stageFile,
  sqlLiteral,
  openQuerySession,
} from './parquet';
export type { QuerySession, StagedFile } from './parquet';
export {
  PatchSource,
  PreparedRow,
  OptimizationCategory,
  Difficulty,
  ClassifierBackend,
  ClassifiedRow,
  CLASSIFY_TABLE_KEYS,
  PREPARED_TABLE,
  CLASSIFIED_TABLE,
  PERF_TABLE,
} from './classify-schemas';
export {
  SynthesizeInputRow,
  SynthesisStrategy,
  SynthesisStage,
  SynthesisReason,
  SynthesisAttempt,
  SynthesisResult,
  ContextRow,
  SYNTHESIZE_TABLE_KEYS,
  CONTEXTS_TABLE,
} from './synthesize-schemas';
export {
  ImageRow,
  MasterRow,
  DatasetRow,
  PUBLISH_TABLE_KEYS,
  IMAGES_TABLE,
  MASTER_TABLE,
} from './publish-schemas';
export {
  VerifyReason,
  VerifySide,
  VerifyBenchmark,
  VerifyResult,
  VerifiedRow,
  VERIFY_TABLE_KEYS,
  VERIFIED_TABLE,
  parseVerifyJsonl,
} from './verify-schemas';
