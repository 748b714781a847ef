export type { StoreRepoListing } from './store';
export { OfflineStore, StoreRepoJson, StorePullJson, StoreIssueJson, parseRepoListCsv } from './store';
