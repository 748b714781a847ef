import { parseRepoName } from '@datasmith/paths';
import type { StoreRepoJson } from '@datasmith/store';
import { type GitHubClient, toRemoteError } from './client';

/** Statuses GitHub answers for a repository that is gone, private to us, or blocked: recorded, not thrown. */
export const ABSENT_STATUSES: readonly number[] = [404, 410, 451];

/** A repository object as GitHub returns it (the fields we read are typed; the rest passes through). */
export type GitHubRepository = StoreRepoJson & { full_name: string; [key: string]: unknown };

/** What `GET /repos/{owner}/{repo}` said. */
export type RepositoryLookup =
  | {
      status: 'found';
      /** The name asked for. */
      requested: string;
      /** The current name (differs after a rename or transfer). */
      fullName: string;
      renamed: boolean;
      repo: GitHubRepository;
    }
  | { status: 'absent'; requested: string; httpStatus: number };

/**
 * `GET /repos/{owner}/{repo}`: the repository object, following a 301 for a renamed or transferred
 * repository (recorded in `client.renames`), or a recorded absence for 404, 410 and 451. Any other
 * failure, after the retry policy, throws a RemoteError.
 */
export async function getRepository(client: GitHubClient, repoName: string): Promise<RepositoryLookup> {
  const { owner, name, full } = parseRepoName(repoName);
  try {
    const response = await client.octokit.rest.repos.get({ owner, repo: name });
    const repo = response.data as unknown as GitHubRepository;
    const fullName = repo.full_name ?? full;
    // GitHub names are case-insensitive: a different case is the canonical spelling, not a rename.
    const renamed = fullName.toLowerCase() !== full.toLowerCase();
    if (renamed) {
      client.renames.set(full, fullName);
      client.log.warn(`GitHub: ${full} was renamed to ${fullName}; following it (update the repository list)`);
    }
    return { status: 'found', requested: full, fullName, renamed, repo };
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && ABSENT_STATUSES.includes(status)) {
      client.absences.set(full, status);
      client.log.warn(`GitHub: ${full} answered ${status}; recorded as absent`);
      return { status: 'absent', requested: full, httpStatus: status };
    }
    throw toRemoteError(client, error, `GET /repos/${full}`);
  }
}
