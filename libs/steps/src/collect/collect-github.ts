import { mkdir } from 'node:fs/promises';
import { isDatasmithError } from '@datasmith/errors';
import { type GitHubClient, type SyncResult, syncRepositoryFromGitHub } from '@datasmith/github';
import { createProgress } from '@datasmith/progress';
import type { FailureRow } from '@datasmith/tables';
import { type CollectDeps, type CollectInput, type CollectResult, collect } from './collect';
import pLimit from 'p-limit';

/** The failure code of a repository GitHub answered 404, 410 or 451 for: recorded, not fatal. */
export const ABSENT_FAILURE_CODE = 'E_ABSENT';

export interface CollectFromGitHubDeps extends CollectDeps {
  github: GitHubClient;
  /** Decides closed months and memo freshness. Default the wall clock. */
  clock?: () => Date;
  /** Git URL of each mirror: `{owner}`, `{name}`, `{repo}`. Default GitHub's https URL. */
  gitUrlTemplate?: string;
  /** Partial-clone filter; default `blob:none` for http(s) URLs. */
  mirrorFilter?: string | null;
  /** Freshness of a memoised listing of a window that reaches into the current month, in ms. Default 1 hour. */
  openWindowTtlMs?: number;
}

export interface CollectFromGitHubResult extends CollectResult {
  /** One sync per repository that did not fail, in input order. */
  syncs: SyncResult[];
}

/**
 * collect (step 1) with GitHub as the source: each repository's merged PRs of the window and its
 * mirror are synced into `deps.store` (a cache folder in the offline store's layout), then the
 * offline collect runs over that store with `source: 'github'`. Both sources go through the same
 * code from the store on, so their tables can only differ in `source` and `pr_base_ref_sha`.
 * A repository GitHub reports absent is a failure row with code E_ABSENT; one whose sync fails
 * after the retry policy is a failure row with its error code; the others go on.
 */
export async function collectFromGitHub(
  input: CollectInput,
  deps: CollectFromGitHubDeps,
): Promise<CollectFromGitHubResult> {
  const { log } = deps;
  await mkdir(deps.store.root, { recursive: true });
  const failures: FailureRow[] = [];
  const syncs = new Map<string, SyncResult>();
  const progress = createProgress({ label: 'github sync', total: input.repos.length, log, tty: deps.tty });
  const limit = pLimit(Math.max(1, deps.concurrency ?? 2));
  const syncOne = async (repo: string) => {
    try {
      const result = await syncRepositoryFromGitHub(repo, input.window, {
        github: deps.github,
        store: deps.store,
        memo: deps.memo,
        log,
        clock: deps.clock,
        gitUrlTemplate: deps.gitUrlTemplate,
        mirrorFilter: deps.mirrorFilter,
        openWindowTtlMs: deps.openWindowTtlMs,
      });
      if (result.status === 'absent') {
        failures.push({
          step: 'collect',
          item: repo,
          code: ABSENT_FAILURE_CODE,
          message: `GitHub answered ${result.httpStatus} for ${repo}: the repository is gone, private or blocked`,
        });
      } else syncs.set(repo, result);
    } catch (error) {
      if (!isDatasmithError(error)) throw error;
      failures.push({ step: 'collect', item: repo, code: error.code, message: error.message });
      log.warn(`collect ${repo}: ${error.message}`);
    }
    progress.tick(1, repo);
  };
  await Promise.all(input.repos.map((repo) => limit(() => syncOne(repo))));
  progress.done();

  const synced = input.repos.filter((r) => syncs.has(r));
  const mined = await collect({ ...input, repos: synced, source: 'github' }, deps);
  return {
    rows: mined.rows,
    failures: [...failures, ...mined.failures].sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : 0)),
    memoHits: mined.memoHits,
    syncs: synced.map((r) => syncs.get(r) as SyncResult),
  };
}
