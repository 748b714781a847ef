export type { CollectInput, CollectDeps, CollectResult, CollectWindow } from './collect/collect';
export { collect, collectRepository, COLLECT_CODE_VERSION } from './collect/collect';
export type { PathKind } from './collect/path-rules';
export { classifyPath, nonCodeDropReason, isAsvConfig } from './collect/path-rules';
export type { LandedPull } from './collect/messages';
export { parseLandedMessage } from './collect/messages';
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
