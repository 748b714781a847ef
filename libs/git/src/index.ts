export type { FileStat, CommitRecord, HistoryOptions, ConcurrentHistoryOptions } from './history';
export { readFirstParentHistory, readFirstParentHistoryConcurrently, diffRange, DIFF_ARGS } from './history';
export type { GitStream } from './run';
export { runGit, gitText, streamGit, GIT_ENV, GIT_BASE_ARGS } from './run';
export {
  gitClient,
  assertRepository,
  headBranch,
  resolveRef,
  hasCommit,
  listTreePaths,
  firstParentShas,
  firstParentAncestor,
  commitHeader,
  mergedCommitSubjects,
  mergedCommitSubjectsOf,
} from './repo';
export { unquoteGitPath } from './quote';
export type { MergeParents } from './repo';
