import type { DiscussionSource, IssueRecord, PullDiscussion, RepoInfo } from './sources';

/** An in-memory discussion source (tests, and callers that already hold the data). */
export function memoryDiscussionSource(data: {
  repos?: Record<string, RepoInfo>;
  issues?: IssueRecord[];
  pulls?: Record<string, PullDiscussion>;
}): DiscussionSource {
  return {
    repo: async (repoName) => data.repos?.[repoName] ?? null,
    issue: async (repoName, n) => data.issues?.find((i) => i.repoName === repoName && i.number === n) ?? null,
    pull: async (repoName, n) => data.pulls?.[`${repoName}#${n}`] ?? null,
  };
}
