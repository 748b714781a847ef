export { acquireFileLock, isProcessAlive } from './lock';
export type { FileLockOptions, LockHolder } from './lock';
export { parseCsv } from './csv';
export type { CsvRecord } from './csv';
export { COLLECT_DROP_REASONS, DropReason, RepoRow, CommitRow, FailureRow, TABLE_KEYS } from './schemas';
export {
  writeTable,
  readTable,
  queryRows,
  validateRows,
  sortRows,
  tableColumns,
  duckTypeOf,
  writeFileAtomic,
  sqlLiteral,
  openQuerySession,
} from './parquet';
export type { QuerySession } from './parquet';
export {
  PatchSource,
  PreparedRow,
  OptimizationCategory,
  Difficulty,
  ClassifierBackend,
  ClassifiedRow,
  CLASSIFY_TABLE_KEYS,
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
} from './synthesize-schemas';
export { ImageRow, MasterRow, DatasetRow, PUBLISH_TABLE_KEYS } from './publish-schemas';
export {
  VerifyReason,
  VerifySide,
  VerifyBenchmark,
  VerifyResult,
  VerifiedRow,
  VERIFY_TABLE_KEYS,
  parseVerifyJsonl,
} from './verify-schemas';
