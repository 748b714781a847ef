import { RemoteError } from '@datasmith/errors';
import { parseRepoName } from '@datasmith/paths';
import { StorePullJson } from '@datasmith/store';
import { type GitHubClient, toRemoteError } from './client';

/** A pull request object as the list endpoint returns it (fields we read typed, the rest kept). */
export type GitHubPull = StorePullJson & { updated_at: string; [key: string]: unknown };

/** What one listing pass saw. */
export interface PullListing {
  /** Every PR updated at or after `since`, newest update first, one object per number. */
  pulls: GitHubPull[];
  /** Pages requested (both passes). */
  pages: number;
  /** PR objects read, including the first one older than `since` that stopped the pass. */
  read: number;
}

/** The listing request: closed PRs by last update, newest first, 100 a page (the maximum). */
export const PULLS_LISTING = Object.freeze({
  state: 'closed',
  sort: 'updated',
  direction: 'desc',
  per_page: 100,
} as const);

function parsePull(raw: unknown, repo: string): GitHubPull {
  const parsed = StorePullJson.safeParse(raw);
  const updated = (raw as { updated_at?: unknown } | null)?.updated_at;
  if (!parsed.success || typeof updated !== 'string' || Number.isNaN(Date.parse(updated))) {
    const issue = parsed.success ? 'updated_at: expected a date' : parsed.error.issues[0]?.message;
    throw new RemoteError(`GitHub returned a malformed pull request for ${repo}: ${issue}`);
  }
  return { ...(raw as object), ...parsed.data, updated_at: updated } as GitHubPull;
}

/**
 * Lists every closed PR of `repoName` updated at or after `since`, following `Link: rel="next"`
 * (Octokit's paginate iterator). The list is ordered by `updated_at`, and `merged_at ≤ updated_at`,
 * so the first PR updated before `since` ends the listing: nothing after it can have been merged in
 * the window. The creation date plays no part (the original stopped on it and lost PRs opened
 * before the window). When more than one page was read, page 1 is read again down to the newest
 * update of the first pass, so a PR updated while paging (which moves to the top) is not lost.
 */
export async function listPullsUpdatedSince(client: GitHubClient, repoName: string, since: Date): Promise<PullListing> {
  const { owner, name, full } = parseRepoName(repoName);
  const seen = new Map<number, GitHubPull>();
  let pages = 0;
  let read = 0;
  let newest: number | null = null;
  const pass = async (floor: number): Promise<void> => {
    const iterator = client.octokit.paginate.iterator(client.octokit.rest.pulls.list, {
      owner,
      repo: name,
      ...PULLS_LISTING,
    });
    for await (const page of iterator) {
      pages++;
      for (const raw of page.data as unknown[]) {
        read++;
        const pull = parsePull(raw, full);
        const updated = Date.parse(pull.updated_at);
        if (updated < floor) return;
        newest ??= updated;
        seen.set(pull.number, pull);
      }
    }
  };
  try {
    await pass(since.getTime());
    if (pages > 1 && newest !== null) await pass(newest);
  } catch (error) {
    throw toRemoteError(client, error, `listing pull requests of ${full}`);
  }
  const pulls = [...seen.values()].sort(
    (a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at) || b.number - a.number,
  );
  return { pulls, pages, read };
}

/** `GET /repos/{owner}/{repo}/pulls/{number}`: the full object (with `commits`, `additions`, ...). */
export async function getPull(client: GitHubClient, repoName: string, number: number): Promise<GitHubPull> {
  const { owner, name, full } = parseRepoName(repoName);
  try {
    const response = await client.octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
    return parsePull(response.data, full);
  } catch (error) {
    throw toRemoteError(client, error, `GET /repos/${full}/pulls/${number}`);
  }
}
