import { type GitHubClient, toRemoteError } from './client';

/** GitHub search answers at most this many results per query, whatever the paging. */
export const SEARCH_RESULT_CAP = 1000;
/** The original's discovery query. */
export const DEFAULT_CODE_QUERY = 'filename:asv.conf.json';
/** Code search indexes files up to 384 KB; larger sizes share the last, open-ended range. */
const MAX_INDEXED_SIZE = 384 * 1024;

export interface CodeSearchOptions {
  /** Default `filename:asv.conf.json`. */
  query?: string;
  /** Results per page (at most 100). Default 100. */
  perPage?: number;
}

export interface CodeSearchResult {
  /** Repository full name → the matching paths in it, sorted; repositories sorted by name. */
  repositories: Map<string, string[]>;
  /** Search requests' queries, in order (each is paged separately). */
  queries: string[];
  /** Queries still over the cap at a one-byte size range (results beyond the cap were unreachable). */
  capped: string[];
  /** Queries GitHub flagged with `incomplete_results` (its own time limit). */
  incomplete: string[];
}

interface CodeItem {
  path?: string;
  repository?: { full_name?: string };
}

/**
 * Code search past the 1000-result cap (issue 3): a query whose `total_count` exceeds the cap is
 * split by file size (`size:lo..hi`, halving the range) until each part fits, then every part is
 * paged through with `Link: rel="next"`. Each hit contributes its repository once, with its path.
 */
export async function searchCodeRepositories(
  client: GitHubClient,
  options: CodeSearchOptions = {},
): Promise<CodeSearchResult> {
  const query = options.query ?? DEFAULT_CODE_QUERY;
  const perPage = Math.min(100, Math.max(1, options.perPage ?? 100));
  const result: CodeSearchResult = { repositories: new Map(), queries: [], capped: [], incomplete: [] };
  const add = (item: CodeItem) => {
    const name = item.repository?.full_name;
    if (!name) return;
    const paths = result.repositories.get(name) ?? [];
    if (item.path && !paths.includes(item.path)) paths.push(item.path);
    result.repositories.set(name, paths);
  };

  /** Runs `q` restricted to sizes [lo, hi] (hi null: open-ended; both null: no size qualifier). */
  const run = async (lo: number | null, hi: number | null): Promise<void> => {
    const q = lo === null ? query : hi === null ? `${query} size:>=${lo}` : `${query} size:${lo}..${hi}`;
    result.queries.push(q);
    const iterator = client.octokit.paginate.iterator(client.octokit.rest.search.code, { q, per_page: perPage });
    let first = true;
    let seen = 0;
    try {
      for await (const page of iterator) {
        const data = page.data as unknown as CodeItem[] & { total_count?: number; incomplete_results?: boolean };
        if (first) {
          first = false;
          const total = data.total_count ?? 0;
          if (data.incomplete_results) result.incomplete.push(q);
          if (total > SEARCH_RESULT_CAP) {
            const from = lo ?? 0;
            const to = hi ?? MAX_INDEXED_SIZE;
            if (to > from) {
              const mid = Math.floor((from + to) / 2);
              await run(from, mid);
              await run(mid + 1, hi === null ? null : to);
              return;
            }
            result.capped.push(q);
            client.log.warn(
              `GitHub code search: "${q}" has ${total} results; only the first ${SEARCH_RESULT_CAP} are reachable`,
            );
          }
        }
        for (const item of data) add(item);
        seen += data.length;
        if (seen >= SEARCH_RESULT_CAP) break;
      }
    } catch (error) {
      throw toRemoteError(client, error, `code search "${q}"`);
    }
  };

  await run(null, null);
  for (const paths of result.repositories.values()) paths.sort();
  result.repositories = new Map([...result.repositories.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return result;
}
