import { isDatasmithError } from '@datasmith/errors';
import {
  DEFAULT_CODE_QUERY,
  type GitHubClient,
  type GitHubRepository,
  getRepository,
  searchCodeRepositories,
} from '@datasmith/github';
import { type Logger, createProgress } from '@datasmith/progress';
import type { DropReason, FailureRow, RepoRow } from '@datasmith/tables';
import type { ScrapeReposInput } from './scrape-repos';
import pLimit from 'p-limit';

export interface ScrapeReposFromGitHubInput extends ScrapeReposInput {
  /** The code search query. Default `filename:asv.conf.json` (the original's). */
  query?: string;
}

export interface ScrapeReposFromGitHubDeps {
  github: GitHubClient;
  /** Stamps `fetched_at`. */
  clock: () => Date;
  log: Logger;
  /** Repository lookups at once. Default 4. */
  concurrency?: number;
  tty?: NodeJS.WriteStream;
}

export interface ScrapeReposFromGitHubResult {
  rows: RepoRow[];
  /** Repositories whose lookup failed after the retry policy (not the absent ones: those are rows). */
  failures: FailureRow[];
  /** Search queries run (a query over the 1000-result cap is split by file size). */
  queries: string[];
  /** Queries still over the cap at the finest split. */
  capped: string[];
}

/** Never a task source: the benchmark tool itself. */
const EXCLUDED = new Set(['airspeed-velocity/asv']);

/** The original's criteria as a drop reason (pure): accessible, not a fork, not archived, not asv, stars ≥ min. */
export function repoDropReason(
  facts: {
    repoName: string;
    accessible: boolean;
    fork: boolean | null;
    archived: boolean | null;
    stars: number | null;
  },
  minStars: number,
): DropReason | null {
  if (!facts.accessible) return 'repo_inaccessible';
  if (facts.fork) return 'repo_fork';
  if (facts.archived) return 'repo_archived';
  if (EXCLUDED.has(facts.repoName.toLowerCase())) return 'repo_excluded';
  if (facts.stars !== null && facts.stars < minStars) return 'repo_below_min_stars';
  return null;
}

function rowOf(
  name: string,
  repo: GitHubRepository | null,
  paths: string[],
  fetchedAt: string,
  minStars: number,
): RepoRow {
  const stars = repo?.stargazers_count ?? null;
  const isArchived = repo ? Boolean(repo.archived || repo.disabled) : null;
  const isFork = repo ? Boolean(repo.fork) : null;
  const reason = repoDropReason(
    { repoName: name, accessible: repo !== null, fork: isFork, archived: isArchived, stars },
    minStars,
  );
  return {
    repo_name: name,
    url: repo?.html_url ?? `https://github.com/${name}`,
    stars,
    is_fork: isFork,
    is_archived: isArchived,
    default_branch: repo?.default_branch ?? null,
    language: repo?.language ?? null,
    description: repo?.description ?? null,
    topics: repo?.topics ?? [],
    asv_config_paths: [...paths].sort(),
    source: 'github',
    fetched_at: fetchedAt,
    kept: reason === null,
    drop_reason: reason,
  };
}

/**
 * scrape-repos (step 0) online: code search for `asv.conf.json` (split past the 1000-result cap),
 * then `GET /repos/{r}` per repository found, with the original's criteria as drop reasons and the
 * top `maxRepos` by stars kept. A renamed repository is listed under its current name (its paths
 * merged when both names were found); an absent one (404/410/451) is a `repo_inaccessible` row.
 */
export async function scrapeReposFromGitHub(
  input: ScrapeReposFromGitHubInput,
  deps: ScrapeReposFromGitHubDeps,
): Promise<ScrapeReposFromGitHubResult> {
  const { github, log } = deps;
  const found = await searchCodeRepositories(github, { query: input.query ?? DEFAULT_CODE_QUERY });
  log.info(
    `scrape-repos: code search found ${found.repositories.size} repositories in ${found.queries.length} queries`,
  );
  const fetchedAt = deps.clock().toISOString();
  const rows = new Map<string, RepoRow>();
  const failures: FailureRow[] = [];
  const progress = createProgress({ label: 'github repos', total: found.repositories.size, log, tty: deps.tty });
  const limit = pLimit(Math.max(1, deps.concurrency ?? 4));
  const lookUp = async ([name, paths]: [string, string[]]) => {
    try {
      const lookup = await getRepository(github, name);
      const current = lookup.status === 'found' ? lookup.fullName : name;
      const repo = lookup.status === 'found' ? lookup.repo : null;
      const previous = rows.get(current.toLowerCase());
      rows.set(
        current.toLowerCase(),
        rowOf(
          current,
          repo,
          [...new Set([...(previous?.asv_config_paths ?? []), ...paths])],
          fetchedAt,
          input.minStars,
        ),
      );
    } catch (error) {
      if (!isDatasmithError(error)) throw error;
      failures.push({ step: 'scrape-repos', item: name, code: error.code, message: error.message });
      log.warn(`scrape-repos ${name}: ${error.message}`);
    }
    progress.tick(1, name);
  };
  await Promise.all([...found.repositories.entries()].map((entry) => limit(() => lookUp(entry))));
  progress.done();

  const all = [...rows.values()].sort((a, b) => (a.repo_name < b.repo_name ? -1 : a.repo_name > b.repo_name ? 1 : 0));
  const kept = all
    .filter((r) => r.kept)
    .sort((a, b) => (b.stars ?? -1) - (a.stars ?? -1) || (a.repo_name < b.repo_name ? -1 : 1));
  for (const row of kept.slice(input.maxRepos)) {
    row.kept = false;
    row.drop_reason = 'repo_over_max_repos';
  }
  return { rows: all, failures, queries: found.queries, capped: found.capped };
}
