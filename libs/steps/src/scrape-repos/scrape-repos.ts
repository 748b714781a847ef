import { assertRepository, headBranch, listTreePaths, resolveRef } from '@datasmith/git';
import type { Logger } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import type { DropReason, RepoRow } from '@datasmith/tables';
import { isAsvConfig } from '../collect/path-rules';

export interface ScrapeReposInput {
  /** Minimum stars; applied only to known values (a repository without metadata is kept). Default 500. */
  minStars: number;
  /** Keep the top N by stars. Default 150. */
  maxRepos: number;
}

export interface ScrapeReposDeps {
  store: OfflineStore;
  log: Logger;
}

/** Never a task source: the benchmark tool itself. */
const EXCLUDED = new Set(['airspeed-velocity/asv']);

/**
 * scrape-repos (step 0) from the offline store: every listed repository with its metadata and the
 * ASV configs at the head of its default branch; the original's filters (accessible, not a fork,
 * not archived, stars ≥ min, not asv itself) as drop reasons, then the top `maxRepos` by stars.
 */
export async function scrapeRepos(input: ScrapeReposInput, deps: ScrapeReposDeps): Promise<RepoRow[]> {
  const { store } = deps;
  const listing = await store.listRepos();
  const rows: RepoRow[] = [];
  for (const entry of listing) {
    const repoJson = await store.readRepoJson(entry.repo_name);
    const mirror = store.mirrorPath(entry.repo_name);
    let accessible = true;
    let asvPaths: string[] = [];
    let branch: string | null = repoJson?.default_branch ?? null;
    try {
      await assertRepository(mirror);
      branch ??= await headBranch(mirror);
      const head = branch ? await resolveRef(mirror, `refs/heads/${branch}`) : null;
      asvPaths = head ? (await listTreePaths(mirror, head)).filter(isAsvConfig).sort() : [];
    } catch {
      accessible = false;
    }
    const stars = repoJson?.stargazers_count ?? entry.stars ?? null;
    const isArchived = repoJson ? Boolean(repoJson.archived || repoJson.disabled) : null;
    const reason: DropReason | null = !accessible
      ? 'repo_inaccessible'
      : repoJson?.fork
        ? 'repo_fork'
        : isArchived
          ? 'repo_archived'
          : EXCLUDED.has(entry.repo_name.toLowerCase())
            ? 'repo_excluded'
            : stars !== null && stars < input.minStars
              ? 'repo_below_min_stars'
              : asvPaths.length === 0
                ? 'repo_no_asv'
                : null;
    rows.push({
      repo_name: entry.repo_name,
      url: repoJson?.html_url ?? `https://github.com/${entry.repo_name}`,
      stars,
      is_fork: repoJson ? Boolean(repoJson.fork) : null,
      is_archived: isArchived,
      default_branch: branch,
      language: repoJson?.language ?? null,
      description: repoJson?.description ?? null,
      topics: repoJson?.topics ?? [],
      asv_config_paths: asvPaths,
      source: 'store',
      fetched_at: null,
      kept: reason === null,
      drop_reason: reason,
    });
  }
  const kept = rows
    .filter((r) => r.kept)
    .sort((a, b) => (b.stars ?? -1) - (a.stars ?? -1) || (a.repo_name < b.repo_name ? -1 : 1));
  for (const row of kept.slice(input.maxRepos)) {
    row.kept = false;
    row.drop_reason = 'repo_over_max_repos';
  }
  return rows;
}
