export type { GitHubClient, GitHubClientOptions, GitHubClientStats, GitHubOctokit } from './client';
export {
  createGitHubClient,
  toRemoteError,
  GITHUB_CLIENT_DEFAULTS,
  HTTP_CACHE_NAMESPACE,
  HTTP_CACHE_VERSION,
} from './client';
export type { GitHubPolicy } from './policy';
export { GITHUB_POLICY_DEFAULTS, normalizePolicy, doNotRetryStatuses } from './policy';
export type { PooledToken, RateResource } from './token-pool';
export { TokenPool, NO_TOKEN_WARNING, TOKEN_ENV_NAMES, resourceOfPath } from './token-pool';
export type { FollowedRedirect } from './transport';
export type { GitHubRepository, RepositoryLookup } from './repos';
export { getRepository, ABSENT_STATUSES } from './repos';
export type { GitHubPull, PullListing } from './pulls';
export { listPullsUpdatedSince, getPull, PULLS_LISTING } from './pulls';
export type { MirrorOptions, MirrorResult } from './mirror';
export { syncMirror, gitUrlFor, DEFAULT_GIT_URL_TEMPLATE } from './mirror';
export type { SyncDeps, SyncResult, SyncCounts, SyncWindow } from './sync';
export { syncRepositoryFromGitHub, SYNC_CODE_VERSION, SYNC_MEMO_NAMESPACE } from './sync';
export type { CodeSearchOptions, CodeSearchResult } from './search';
export { searchCodeRepositories, SEARCH_RESULT_CAP, DEFAULT_CODE_QUERY } from './search';
