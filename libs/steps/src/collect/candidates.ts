import type { CommitRecord } from '@datasmith/git';
import { inWindow } from '@datasmith/paths';
import type { StorePullJson } from '@datasmith/store';
import type { CommitRow } from '@datasmith/tables';
import { parseLandedMessage } from './messages';
import { type RebaseRule, findRebaseMerges } from './rebase';

/** A pull request merged in the window, as found in a PR file or in the history, before its row is built. */
export interface Candidate {
  /** null for a rebase merge found from git alone (its commits carry no PR number). */
  number: number | null;
  style: CommitRow['merge_style'];
  title: string;
  body: string;
  mergedAt: string;
  mergeCommitSha: string;
  baseRefSha: string | null;
  record: CommitRecord | null;
  /** For a rebase merge: how many commits landed. */
  landedCommits: number;
  fromPullFile: boolean;
  notOnDefaultBranch: boolean;
  /** Which rule found a rebase merge without a PR file. */
  rebaseRule?: RebaseRule;
}

/** A PR file of a merged pull request. */
export type MergedPull = StorePullJson & { merged_at: string; merge_commit_sha: string };

/** The walked first-parent history, newest first, with each commit's position in it. */
export interface WalkedHistory {
  walked: readonly CommitRecord[];
  index: ReadonlyMap<string, number>;
}

export function isMergedPull(pull: StorePullJson): pull is MergedPull {
  return Boolean(pull.merged_at && pull.merge_commit_sha);
}

export function toUtcIso(date: string | Date): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/** How a pull request landed, from its commit on the line (if walked) and its commit count. */
function mergeStyleOf(record: CommitRecord | null, commits: number): CommitRow['merge_style'] {
  if (!record) return 'unknown';
  if (record.parents.length >= 2) return 'merge';
  const landed = parseLandedMessage(record.message, record.parents.length);
  return landed?.style === 'squash' || commits <= 1 ? 'squash' : 'rebase';
}

/**
 * The candidates of the PR files merged in the window (they know rebase merges and the true
 * merged_at), by number, and the commits they claim: a merge commit, and every commit a rebase
 * merge landed, not only the last one.
 */
function candidatesFromPullFiles(
  pulls: readonly MergedPull[],
  history: WalkedHistory,
  window: { start: Date; end: Date },
  branch: string,
): { candidates: Map<number, Candidate>; claimed: Set<string> } {
  const { walked, index } = history;
  const candidates = new Map<number, Candidate>();
  const claimed = new Set<string>();
  for (const pull of pulls) {
    if (!inWindow(new Date(pull.merged_at), window)) continue;
    const record = walked[index.get(pull.merge_commit_sha) ?? -1] ?? null;
    const commits = pull.commits ?? 1;
    const style = mergeStyleOf(record, commits);
    candidates.set(pull.number, {
      number: pull.number,
      style,
      title: pull.title,
      body: pull.body ?? '',
      mergedAt: toUtcIso(pull.merged_at),
      mergeCommitSha: pull.merge_commit_sha,
      baseRefSha: pull.base?.sha ?? null,
      record,
      landedCommits: style === 'rebase' ? commits : 1,
      fromPullFile: true,
      notOnDefaultBranch: Boolean(pull.base?.ref && pull.base.ref !== branch),
    });
    claimed.add(pull.merge_commit_sha);
    const at = index.get(pull.merge_commit_sha);
    if (style === 'rebase' && at !== undefined)
      for (let k = 1; k < commits; k++) {
        const landedCommit = walked[at + k];
        if (landedCommit) claimed.add(landedCommit.sha);
      }
  }
  return { candidates, claimed };
}

/**
 * Adds the candidates that only a landing message names (`Merge pull request #N`, `title (#N)`) in
 * the window, skipping commits a PR file claimed or names.
 */
function addCandidatesFromMessages(
  candidates: Map<number, Candidate>,
  walked: readonly CommitRecord[],
  skip: (sha: string) => boolean,
  window: { start: Date; end: Date },
): void {
  for (const record of walked) {
    if (skip(record.sha)) continue;
    const landed = parseLandedMessage(record.message, record.parents.length);
    if (!landed) continue;
    const mergedAt = toUtcIso(record.committerDate);
    if (!inWindow(new Date(mergedAt), window)) continue;
    const previous = candidates.get(landed.number);
    // The same number twice (a revert and re-land): keep the first landing, so a PR counts once.
    if (previous && (previous.fromPullFile || previous.mergedAt <= mergedAt)) continue;
    candidates.set(landed.number, {
      number: landed.number,
      style: landed.style,
      title: landed.title,
      body: landed.body,
      mergedAt,
      mergeCommitSha: record.sha,
      baseRefSha: null,
      record,
      landedCommits: 1,
      fromPullFile: false,
      notOnDefaultBranch: false,
    });
  }
}

/**
 * The numbered candidates merged in the window, by number: PR files first (they know rebase merges
 * and the true merged_at), then landing messages.
 */
export function numberedCandidates(
  pulls: readonly MergedPull[],
  history: WalkedHistory,
  window: { start: Date; end: Date },
  branch: string,
): Candidate[] {
  const pullBySha = new Map(pulls.map((p) => [p.merge_commit_sha, p]));
  const { candidates, claimed } = candidatesFromPullFiles(pulls, history, window, branch);
  addCandidatesFromMessages(candidates, history.walked, (sha) => claimed.has(sha) || pullBySha.has(sha), window);
  return [...candidates.values()].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
}

/**
 * For a store without PR files: runs of commits a maintainer rebased onto the line (no PR number in
 * any message) are rebase merges.
 */
export function rebaseCandidates(walked: readonly CommitRecord[], window: { start: Date; end: Date }): Candidate[] {
  const rebased: Candidate[] = [];
  for (const merge of findRebaseMerges(walked)) {
    const tip = merge.commits[merge.commits.length - 1] as CommitRecord;
    const mergedAt = toUtcIso(tip.committerDate);
    if (!inWindow(new Date(mergedAt), window)) continue;
    const message = merge.commits.map((r) => r.message.trim()).join('\n\n');
    const [title = '', ...rest] = message.split('\n');
    rebased.push({
      number: null,
      style: 'rebase',
      title: title.trim(),
      body: rest.join('\n').trim(),
      mergedAt,
      mergeCommitSha: tip.sha,
      baseRefSha: null,
      record: { ...tip, message },
      landedCommits: merge.commits.length,
      fromPullFile: false,
      notOnDefaultBranch: false,
      rebaseRule: merge.rule,
    });
  }
  return rebased;
}
