export type { MemoStats, MemoStoreOptions } from './memo';
export { MemoStore, canonicalJson, memoKey } from './memo';
