import { readFile, stat } from 'node:fs/promises';
import { resolveRef, runGit } from '@datasmith/git';
import { type MemoStore, memoKey } from '@datasmith/memo';
import { inWindow, monthOf, parseRepoName } from '@datasmith/paths';
import { type Logger, silentLogger } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import { writeFileAtomic } from '@datasmith/tables';
import type { GitHubClient } from './client';
import { DEFAULT_GIT_URL_TEMPLATE, type MirrorResult, gitUrlFor, syncMirror } from './mirror';
import { type GitHubPull, getPull, listPullsUpdatedSince } from './pulls';
import { type GitHubRepository, getRepository } from './repos';

/** Bump when the same GitHub answers would now be stored differently. */
export const SYNC_CODE_VERSION = 'github-sync-1';
/** The memo namespace of finished listings. */
export const SYNC_MEMO_NAMESPACE = 'github-sync';

/** A UTC window, half-open: `start <= merged_at < end`. */
export interface SyncWindow {
  start: Date;
  end: Date;
}

export interface SyncDeps {
  github: GitHubClient;
  /** The store to fill: `<store>/<owner>/<name>.git` and `<store>/<owner>/<name>/{repo.json,pulls/N.json}`. */
  store: OfflineStore;
  /** Finished listings are kept here: for good when the window ended before the current month, else for `openWindowTtlMs`. */
  memo?: MemoStore | null;
  log?: Logger;
  /** Decides which windows are closed and whether a memoised listing is fresh. Default the wall clock. */
  clock?: () => Date;
  /** Where mirrors are cloned from: `{owner}`, `{name}`, `{repo}`. Default {@link DEFAULT_GIT_URL_TEMPLATE}. */
  gitUrlTemplate?: string;
  /** Partial-clone filter; default `blob:none` for http(s) URLs, none for local ones. */
  mirrorFilter?: string | null;
  /** How long a listing of a window that reaches into the current month stays fresh, in ms. Default 1 hour. */
  openWindowTtlMs?: number;
}

/** Counts of one listing, for summaries. */
export interface SyncCounts {
  /** PR objects read from the listing (the one that stopped it included). */
  read: number;
  pages: number;
  /** Closed without merging. */
  notMerged: number;
  /** Merged, but not in the window. */
  outsideWindow: number;
  /** Merged in the window into another branch than the default one. */
  otherBase: number;
  /** PR files written (merged into the default branch in the window). */
  written: number;
  /** Full PR objects fetched because the landed commit looks like a rebase merge. */
  detailed: number;
}

export type SyncResult =
  | {
      repo: string;
      status: 'synced';
      /** The current name on GitHub. */
      fullName: string;
      /** Set when the repository was renamed or transferred. */
      renamedTo: string | null;
      defaultBranch: string;
      /** The PR numbers written, ascending. */
      pulls: number[];
      counts: SyncCounts;
      mirror: MirrorResult;
      /** The listing came from the memo (no PR listing request was made). */
      fromMemo: boolean;
    }
  | { repo: string; status: 'absent'; httpStatus: number };

interface MemoisedListing {
  storedAt: number;
  repo: GitHubRepository;
  fullName: string;
  pulls: GitHubPull[];
  counts: SyncCounts;
}

const DEFAULT_OPEN_WINDOW_TTL_MS = 3600_000;

function isMerged(pull: GitHubPull): pull is GitHubPull & { merged_at: string; merge_commit_sha: string } {
  return Boolean(pull.merged_at && pull.merge_commit_sha);
}

/**
 * The first-parent line of the default branch: each commit with its parent count and subject. Read
 * from the branch's own history, so a partial clone never lazily fetches a commit it lacks (git 2.39
 * has no switch against that), and a commit off the line reads as absent.
 */
async function firstParentLine(
  mirror: string,
  branch: string,
): Promise<Map<string, { parents: number; subject: string }>> {
  const out = new Map<string, { parents: number; subject: string }>();
  let text: string;
  try {
    text = (
      await runGit(mirror, ['log', '--first-parent', '--format=%H%x1f%P%x1f%s', `refs/heads/${branch}`, '--'])
    ).toString('utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [sha = '', parents = '', subject = ''] = line.split('\x1f');
    if (sha) out.set(sha, { parents: parents ? parents.split(' ').length : 0, subject });
  }
  return out;
}

/** Writes `content` unless the file already holds exactly it (keeps the store's bytes and mtimes stable). */
async function writeIfChanged(path: string, content: string): Promise<void> {
  try {
    if ((await readFile(path, 'utf8')) === content) return;
  } catch {
    // missing: write it
  }
  await writeFileAtomic(path, content);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Steps 1-2: the repository (a rename is followed; 404/410/451 is `absent`) and its PRs merged in the
 * window, from the listing of closed PRs by last update.
 */
async function listMergedPulls(
  github: GitHubClient,
  repo: string,
  window: SyncWindow,
  now: Date,
): Promise<MemoisedListing | { absent: number }> {
  const lookup = await getRepository(github, repo);
  if (lookup.status === 'absent') return { absent: lookup.httpStatus };
  const listed = await listPullsUpdatedSince(github, lookup.fullName, window.start);
  const counts: SyncCounts = {
    read: listed.read,
    pages: listed.pages,
    notMerged: 0,
    outsideWindow: 0,
    otherBase: 0,
    written: 0,
    detailed: 0,
  };
  const pulls: GitHubPull[] = [];
  for (const pull of listed.pulls) {
    if (!isMerged(pull)) counts.notMerged++;
    else if (!inWindow(new Date(pull.merged_at), window)) counts.outsideWindow++;
    else pulls.push(pull);
  }
  return { storedAt: now.getTime(), repo: lookup.repo, fullName: lookup.fullName, pulls, counts };
}

/** Step 3: the mirror, cloned or fetched; a memoised listing needs no fetch when the default branch already holds every landed commit. */
async function syncListingMirror(
  listing: MemoisedListing,
  fromMemo: boolean,
  mirrorDir: string,
  defaultBranch: string,
  deps: Pick<SyncDeps, 'gitUrlTemplate' | 'mirrorFilter'>,
): Promise<MirrorResult> {
  const url = gitUrlFor(deps.gitUrlTemplate ?? DEFAULT_GIT_URL_TEMPLATE, listing.fullName);
  const shas = listing.pulls.map((p) => p.merge_commit_sha as string);
  const mirrorExists = await stat(mirrorDir).then(
    () => true,
    () => false,
  );
  const known = fromMemo && mirrorExists ? await firstParentLine(mirrorDir, defaultBranch) : null;
  if (known && known.size > 0 && shas.every((sha) => known.has(sha))) {
    return { action: 'unchanged', head: await resolveRef(mirrorDir, `refs/heads/${defaultBranch}`) };
  }
  return syncMirror(url, mirrorDir, { branch: defaultBranch, filter: deps.mirrorFilter });
}

/**
 * Step 4 on a fresh listing: PRs into another branch stay only when their commit is on the default
 * branch's first-parent line; a single-parent landed commit that is not a squash of its PR gets the
 * full PR object (its `commits`). Sorts the PRs and counts them.
 */
async function refineListing(
  github: GitHubClient,
  listing: MemoisedListing,
  mirrorDir: string,
  defaultBranch: string,
): Promise<void> {
  const line = await firstParentLine(mirrorDir, defaultBranch);
  const kept: GitHubPull[] = [];
  for (const pull of listing.pulls) {
    const sha = pull.merge_commit_sha as string;
    if (pull.base?.ref && pull.base.ref !== defaultBranch && !line.has(sha)) {
      listing.counts.otherBase++;
      continue;
    }
    const commit = line.get(sha);
    const squashed = commit && new RegExp(`\\(#${pull.number}\\)\\s*$`).test(commit.subject);
    if (commit && commit.parents === 1 && !squashed && pull.commits == null) {
      kept.push(await getPull(github, listing.fullName, pull.number));
      listing.counts.detailed++;
    } else kept.push(pull);
  }
  listing.pulls = kept.sort((a, b) => a.number - b.number);
  listing.counts.written = kept.length;
}

/**
 * Fills the store with one repository's merged PRs in `window`, from GitHub (issue 3):
 * 1. `GET /repos/{o}/{r}` (a rename is followed and recorded; 404/410/451 returns `absent`);
 * 2. closed PRs by last update, newest first, until one was updated before `window.start`
 *    (see listPullsUpdatedSince), keeping those merged (merged_at and merge_commit_sha) in the window;
 * 3. the mirror `<store>/<owner>/<name>.git` cloned or fetched from the git URL;
 * 4. PRs into another branch are kept only when their commit is on the default branch's first-parent
 *    line (a renamed default branch); a single-parent landed commit that is not a squash of its PR
 *    gets the full PR object, whose `commits` tells collect how many commits a rebase merge landed;
 * 5. `repo.json` and `pulls/<N>.json` written atomically (the repository's requested name is the folder).
 * collect then reads the store exactly as it reads an offline one, so the two sources cannot diverge.
 */
export async function syncRepositoryFromGitHub(
  repoName: string,
  window: SyncWindow,
  deps: SyncDeps,
): Promise<SyncResult> {
  const { github, store } = deps;
  const log = deps.log ?? silentLogger;
  const clock = deps.clock ?? (() => new Date());
  const repo = parseRepoName(repoName).full;
  const now = clock();
  const closed = window.end.getTime() <= monthOf(now).start.getTime();
  const ttl = deps.openWindowTtlMs ?? DEFAULT_OPEN_WINDOW_TTL_MS;
  const memoInput = {
    baseUrl: github.baseUrl,
    repo,
    start: window.start.toISOString(),
    end: window.end.toISOString(),
  };
  const key = memoKey(SYNC_MEMO_NAMESPACE, SYNC_CODE_VERSION, memoInput);
  let listing = deps.memo ? await deps.memo.get<MemoisedListing>(SYNC_MEMO_NAMESPACE, key) : undefined;
  if (listing && !closed && now.getTime() - listing.storedAt >= ttl) listing = undefined;
  const fromMemo = listing !== undefined;
  if (!listing) {
    const listed = await listMergedPulls(github, repo, window, now);
    if ('absent' in listed) return { repo, status: 'absent', httpStatus: listed.absent };
    listing = listed;
  }

  const fullName = listing.fullName;
  const defaultBranch = listing.repo.default_branch ?? 'main';
  const mirrorDir = store.mirrorPath(repo);
  const mirror = await syncListingMirror(listing, fromMemo, mirrorDir, defaultBranch, deps);
  if (!fromMemo) {
    await refineListing(github, listing, mirrorDir, defaultBranch);
    if (deps.memo) await deps.memo.put(SYNC_MEMO_NAMESPACE, key, SYNC_CODE_VERSION, listing);
  }

  await writeIfChanged(store.layout.repoJson(repo), json(listing.repo));
  for (const pull of listing.pulls) await writeIfChanged(store.layout.pullJson(repo, pull.number), json(pull));

  const renamedTo = fullName.toLowerCase() !== repo.toLowerCase() ? fullName : null;
  log.debug(
    `github sync ${repo}${renamedTo ? ` (now ${renamedTo})` : ''}: ${listing.pulls.length} merged PRs in the window, ` +
      `${listing.counts.pages} pages${fromMemo ? ' (memo)' : ''}, mirror ${mirror.action}`,
  );
  return {
    repo,
    status: 'synced',
    fullName,
    renamedTo,
    defaultBranch,
    pulls: listing.pulls.map((p) => p.number),
    counts: listing.counts,
    mirror,
    fromMemo,
  };
}
