import type { OfflineStore } from '@datasmith/store';

/** A repository's description, for the report's blurb. */
export interface RepoInfo {
  fullName: string;
  description: string | null;
  language: string | null;
  topics: string[];
}

/** A comment on an issue or a PR. */
export interface DiscussionComment {
  author: string | null;
  createdAt: string;
  body: string;
}

/** An issue (or an unmerged PR) referenced by a PR. */
export interface IssueRecord {
  repoName: string;
  number: number;
  title: string;
  body: string;
  url: string;
  createdAt: string | null;
  closedAt: string | null;
  isPullRequest: boolean;
  /** For a PR: merged. A merged PR is another change, not an issue, and is skipped. */
  merged: boolean;
  comments: DiscussionComment[];
}

/** What the source knows about the PR itself. */
export interface PullDiscussion {
  createdAt: string | null;
  labels: string[];
  comments: DiscussionComment[];
}

/**
 * Where classify reads repository blurbs, linked issues and PR discussions. The offline store
 * implements it now; a GitHub source can replace it without touching the step.
 */
export interface DiscussionSource {
  repo(repoName: string): Promise<RepoInfo | null>;
  issue(repoName: string, issueNumber: number): Promise<IssueRecord | null>;
  pull(repoName: string, prNumber: number): Promise<PullDiscussion | null>;
}

/** A source that knows nothing (no store given): reports hold the PR's own text only. */
export const emptyDiscussionSource: DiscussionSource = {
  repo: async () => null,
  issue: async () => null,
  pull: async () => null,
};

interface RawComment {
  user?: { login?: string } | null;
  created_at?: string;
  body?: string | null;
}

function comments(value: unknown): DiscussionComment[] {
  if (!Array.isArray(value)) return [];
  return (value as RawComment[])
    .filter((c) => c && typeof c.created_at === 'string' && typeof c.body === 'string' && c.body.trim() !== '')
    .map((c) => ({ author: c.user?.login ?? null, createdAt: c.created_at as string, body: c.body as string }))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/**
 * The offline store as a discussion source: `<store>/<owner>/<name>/repo.json`,
 * `issues/<n>.json` (a GitHub issue object whose `comments` is the list of comment objects) and
 * `pulls/<n>.json` (its `comments` / `review_comments` lists, when present, are the discussion).
 */
export function storeDiscussionSource(store: OfflineStore): DiscussionSource {
  const pulls = new Map<string, Promise<Map<number, Record<string, unknown>>>>();
  const pullsOf = (repoName: string) => {
    let found = pulls.get(repoName);
    if (!found) {
      found = store
        .readPulls(repoName)
        .then((list) => new Map(list.map((p) => [p.number, p as unknown as Record<string, unknown>])));
      pulls.set(repoName, found);
    }
    return found;
  };
  return {
    async repo(repoName) {
      const json = await store.readRepoJson(repoName);
      if (!json) return null;
      return {
        fullName: json.full_name ?? repoName,
        description: json.description ?? null,
        language: json.language ?? null,
        topics: json.topics ?? [],
      };
    },
    async issue(repoName, issueNumber) {
      const json = await store.readIssue(repoName, issueNumber);
      if (!json) return null;
      const pr = json.pull_request as { merged_at?: string | null } | undefined;
      const pull = pr ? (await pullsOf(repoName)).get(issueNumber) : undefined;
      return {
        repoName,
        number: json.number,
        title: json.title,
        body: json.body ?? '',
        url: json.html_url ?? `https://github.com/${repoName}/issues/${json.number}`,
        createdAt: json.created_at ?? null,
        closedAt: json.closed_at ?? null,
        isPullRequest: pr !== undefined && pr !== null,
        merged: Boolean(pr?.merged_at ?? pull?.merged_at),
        comments: comments(json.comments),
      };
    },
    async pull(repoName, prNumber) {
      const json = (await pullsOf(repoName)).get(prNumber);
      if (!json) return null;
      const labels = Array.isArray(json.labels)
        ? (json.labels as Array<{ name?: string }>).map((l) => l.name ?? '').filter(Boolean)
        : [];
      return {
        createdAt: typeof json.created_at === 'string' ? json.created_at : null,
        labels,
        comments: [...comments(json.comments), ...comments(json.review_comments)].sort((a, b) =>
          a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
        ),
      };
    },
  };
}
