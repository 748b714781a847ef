export { DropReason, RepoRow, CommitRow, FailureRow, TABLE_KEYS } from './schemas';
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
} from './parquet';
