import type { CommitRecord } from '@datasmith/git';
import { parseLandedMessage } from './messages';

/**
 * How a rebase merge was recognised from git alone:
 * - `run`: two or more consecutive first-parent commits without a PR number that share one committer
 *   identity and one committer timestamp (a rebase writes every commit in the same second);
 * - `single_applied`: one such commit whose author is not its committer, and the committer is a
 *   person rather than GitHub's web flow (a maintainer landed a contributor's commit). A commit
 *   committed by GitHub itself without a PR number is a web-interface edit (`Create FUNDING.yml`,
 *   `Update v0.6.1.rst`) or an edited squash title: not evidence of a PR either way, so it is left out,
 *   and so is a commit its author pushed directly.
 */
export type RebaseRule = 'run' | 'single_applied';

export interface RebaseMerge {
  rule: RebaseRule;
  /** The landed commits, oldest first; the last one is the merge's `sha`. */
  commits: CommitRecord[];
}

/** GitHub's web-flow committer: web edits and squash merges, never a person's rebase. */
const WEB_FLOW_EMAIL = /^noreply@github\.com$/i;

const norm = (s: string) => s.trim().toLowerCase();

/** Same person when the names or the e-mail addresses agree (one person often has several of each). */
export function samePerson(a: { name: string; email: string }, b: { name: string; email: string }): boolean {
  return (
    (norm(a.name) !== '' && norm(a.name) === norm(b.name)) || (norm(a.email) !== '' && norm(a.email) === norm(b.email))
  );
}

function hasPrNumber(record: CommitRecord): boolean {
  return parseLandedMessage(record.message, record.parents.length) !== null;
}

function sameLanding(a: CommitRecord, b: CommitRecord): boolean {
  return (
    norm(a.committerName) === norm(b.committerName) &&
    norm(a.committerEmail) === norm(b.committerEmail) &&
    Date.parse(a.committerDate) === Date.parse(b.committerDate)
  );
}

/**
 * Rebase merges among first-parent commits (newest first, as the history walk yields them): every
 * one-parent commit without a PR number in its message is grouped with its first-parent neighbours
 * landed by the same committer in the same second; groups of two or more are `run`s, single commits
 * count only under `single_applied`. Commits that are not adjacent on the line are never grouped.
 * Returned oldest first.
 */
export function findRebaseMerges(walkedNewestFirst: readonly CommitRecord[]): RebaseMerge[] {
  const out: RebaseMerge[] = [];
  let group: CommitRecord[] = [];
  const flush = () => {
    if (group.length >= 2) out.push({ rule: 'run', commits: group });
    else if (group.length === 1) {
      const only = group[0] as CommitRecord;
      const author = { name: only.authorName, email: only.authorEmail };
      const committer = { name: only.committerName, email: only.committerEmail };
      if (!samePerson(author, committer) && !WEB_FLOW_EMAIL.test(only.committerEmail.trim()))
        out.push({ rule: 'single_applied', commits: group });
    }
    group = [];
  };
  for (let i = walkedNewestFirst.length - 1; i >= 0; i--) {
    const record = walkedNewestFirst[i] as CommitRecord;
    const candidate = record.parents.length === 1 && !record.unavailable && !hasPrNumber(record);
    if (!candidate) {
      flush();
      continue;
    }
    const previous = group[group.length - 1];
    if (previous && !(record.parents[0] === previous.sha && sameLanding(previous, record))) flush();
    group.push(record);
  }
  flush();
  return out;
}
