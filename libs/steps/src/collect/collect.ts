import { InputError, isDatasmithError } from '@datasmith/errors';
import {
  type CommitRecord,
  assertRepository,
  gitText,
  headBranch,
  mergedCommitSubjectsOf,
  readFirstParentHistoryConcurrently,
  resolveRef,
} from '@datasmith/git';
import type { MemoStore } from '@datasmith/memo';
import { type Logger, createProgress } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import type { CommitRow, FailureRow } from '@datasmith/tables';
import pLimit from 'p-limit';
import { AsvPresence } from './asv-presence';
import { isMergedPull, numberedCandidates, rebaseCandidates } from './candidates';
import { CommitRowBuilder } from './commit-row-builder';

/** Bump when the same store and window would now give different rows. */
export const COLLECT_CODE_VERSION = 'collect-4';

/** Commits are walked this far outside the window, since PR files may date a merge apart from its commit. */
const WALK_MARGIN_MS = 7 * 24 * 3600 * 1000;

export interface CollectWindow {
  start: Date;
  end: Date;
}

export interface CollectInput {
  repos: readonly string[];
  window: CollectWindow;
  /** Recorded in each row's `source`: `github` when the store was synced from GitHub. Default `store`. */
  source?: CommitRow['source'];
}

export interface CollectDeps {
  store: OfflineStore;
  memo: MemoStore;
  log: Logger;
  /** Repositories mined at once. Default 2. */
  concurrency?: number;
  /** git processes per repository (segments of the history diffed in parallel). Default 2. */
  gitProcesses?: number;
  /** A terminal for progress redraws. */
  tty?: NodeJS.WriteStream;
}

export interface CollectResult {
  rows: CommitRow[];
  failures: FailureRow[];
  /** Repositories answered from the memo store (finished in an earlier, possibly killed, run). */
  memoHits: number;
}

/** One streaming pass over the first-parent history around the window. */
function walkAroundWindow(
  mirror: string,
  head: string,
  window: CollectWindow,
  concurrency: number,
): Promise<CommitRecord[]> {
  return readFirstParentHistoryConcurrently(
    mirror,
    {
      ref: head,
      since: new Date(window.start.getTime() - WALK_MARGIN_MS),
      until: new Date(window.end.getTime() + WALK_MARGIN_MS),
    },
    { concurrency },
  );
}

/** The PR's own commits of every merge on the walked line, read with one git process (oldest merge first). */
function readOwnCommitsOfMerges(mirror: string, walked: readonly CommitRecord[]): Promise<Map<string, string[]>> {
  const startParent = walked[walked.length - 1]?.parents[0];
  return mergedCommitSubjectsOf(
    mirror,
    walked
      .filter((r) => r.parents.length >= 2)
      .reverse()
      .map((r) => ({ sha: r.sha, first: r.parents[0] as string, second: r.parents[1] as string })),
    new Set(walked.map((r) => r.sha)),
    startParent ?? null,
  );
}

/** Mines one repository's merged PRs in the window (spec §3 `commits`, §6). */
export async function collectRepository(
  repoName: string,
  window: CollectWindow,
  deps: Pick<CollectDeps, 'store' | 'log' | 'gitProcesses'>,
  source: CommitRow['source'] = 'store',
): Promise<CommitRow[]> {
  const { store } = deps;
  const mirror = store.mirrorPath(repoName);
  await assertRepository(mirror);
  const repoJson = await store.readRepoJson(repoName);
  const branch = repoJson?.default_branch ?? (await headBranch(mirror)) ?? 'main';
  const head = await resolveRef(mirror, `refs/heads/${branch}`);
  if (!head) throw new InputError(`Unreadable repository: ${mirror} has no branch ${branch}`, { file: mirror });
  const allPulls = await store.readPulls(repoName);
  const pulls = allPulls.filter(isMergedPull);
  const walked = await walkAroundWindow(mirror, head, window, deps.gitProcesses ?? 2);
  const history = { walked, index: new Map(walked.map((r, i) => [r.sha, i])) };
  const asv = await AsvPresence.fromWalk(mirror, walked);
  const numbered = numberedCandidates(pulls, history, window, branch);
  // Rebase merges found from git alone only for a store without PR files: with PR files the files are
  // the record, and they win.
  const rebased = allPulls.length === 0 ? rebaseCandidates(walked, window) : [];
  const ownCommitsOf = await readOwnCommitsOfMerges(mirror, walked);
  const builder = new CommitRowBuilder({ repo: repoName, mirror, head, history, ownCommitsOf, asv, source });
  const rows: CommitRow[] = [];
  for (const candidate of [...numbered, ...rebased]) {
    rows.push(await builder.build(candidate));
  }
  return rows;
}

/**
 * collect (step 1): every merged PR in the window for each repository, from the offline store.
 * Each finished repository is memoised (key: repository, window, mirror head, metadata hash,
 * code version), so a killed run resumes without redoing finished repositories. A repository that
 * fails is recorded in `failures` with its reason; the others go on.
 */
export async function collect(input: CollectInput, deps: CollectDeps): Promise<CollectResult> {
  const { store, memo, log } = deps;
  await store.assertExists();
  const rows: CommitRow[] = [];
  const failures: FailureRow[] = [];
  let memoHits = 0;
  const progress = createProgress({ label: 'collect repos', total: input.repos.length, log, tty: deps.tty });
  const limit = pLimit(Math.max(1, deps.concurrency ?? 2));
  const collectOne = async (repo: string) => {
    try {
      const mirror = store.mirrorPath(repo);
      await assertRepository(mirror);
      const state = {
        repo,
        start: input.window.start.toISOString(),
        end: input.window.end.toISOString(),
        heads: await headsOf(mirror),
        metadata: await store.metadataHash(repo),
        source: input.source ?? 'store',
      };
      const hitsBefore = memo.stats.hits;
      const repoRows = await memo.memoize('collect', COLLECT_CODE_VERSION, state, () =>
        collectRepository(repo, input.window, deps, input.source ?? 'store'),
      );
      if (memo.stats.hits > hitsBefore) memoHits++;
      rows.push(...repoRows);
    } catch (error) {
      if (!isDatasmithError(error)) throw error;
      failures.push({ step: 'collect', item: repo, code: error.code, message: error.message });
      log.warn(`collect ${repo}: ${error.message}`);
    }
    progress.tick(1, repo);
  };
  await Promise.all(input.repos.map((repo) => limit(() => collectOne(repo))));
  progress.done();
  return { rows, failures, memoHits };
}

async function headsOf(mirror: string): Promise<string> {
  return gitText(mirror, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads']);
}
