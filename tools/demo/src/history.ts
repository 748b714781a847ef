import type { PersonId } from './people';
import type { DemoTree } from './tree';

/**
 * The content of a demo repository's history: what each commit and PR changes, written by hand in
 * the per-repository modules under `repos/`. When and how each PR lands (number, style, merge
 * time, title, expected outcome) lives in `cases.ts`; the generator joins the two by PR number and
 * fails when either side has an entry the other lacks.
 */

/** One commit's worth of change: applied to a tree, it edits files in place. */
export interface ChangeStep {
  /** The commit message of this step on the PR branch (and on the default branch for a rebase merge). */
  readonly message: string;
  readonly apply: (tree: DemoTree) => void;
}

/** A comment on a linked issue. */
export interface IssueComment {
  readonly by: PersonId;
  /** Hours after the issue was opened. Comments before the PR was opened must come first. */
  readonly hoursAfterOpen: number;
  readonly body: string;
}

/** An issue that a PR's body links (`Closes #N`); written to `issues/<N>.json`. */
export interface LinkedIssue {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly by: PersonId;
  readonly labels?: readonly string[];
  /** Days before the PR was opened that the issue was opened. Default 7. */
  readonly openedDaysBeforePull?: number;
  readonly comments: readonly IssueComment[];
  /** A comment written after the merge (e.g. "fixed by #N"), which a report builder must ignore. */
  readonly commentAfterMerge?: { readonly by: PersonId; readonly body: string };
}

/** What a PR changes and who wrote and merged it. */
export interface PullContent {
  readonly author: PersonId;
  readonly mergedBy: PersonId;
  /** The head branch name (`<author login>/<branch>` appears in merge messages). */
  readonly branch: string;
  /** The PR description; null is stored as GitHub does for an empty description. */
  readonly body: string | null;
  readonly labels?: readonly string[];
  /** The PR's commits, in order. A rebase merge lands each as its own commit. */
  readonly steps: readonly ChangeStep[];
  readonly issue?: LinkedIssue;
  /**
   * How many default-branch commits behind the tip the PR branch starts (GitHub's base.sha). The
   * generator moves it forward when a file the PR touches changed since. Default: number % 4.
   */
  readonly forkLag?: number;
  /**
   * The PR branch starts just before the direct commit with this label. Used for the empty merge:
   * the change was pushed directly first, so merging the PR later changes nothing.
   */
  readonly forkBefore?: string;
}

/** A commit pushed directly (initial commit, release, cherry-pick): no PR. */
export interface DirectCommit {
  /** UTC instant. */
  readonly at: string;
  readonly by: PersonId;
  readonly message: string;
  readonly apply: (tree: DemoTree) => void;
  /** Branch it is pushed to. Default: the repository's default branch. */
  readonly branch?: string;
  /** A name other entries refer to (forkBefore, branch points). */
  readonly label?: string;
  /** A lightweight tag created at this commit. */
  readonly tag?: string;
}

/** A branch created at a labelled direct commit (e.g. a maintenance branch at a release). */
export interface BranchPoint {
  readonly name: string;
  readonly fromLabel: string;
}

/** Everything needed to write one repository's git history. */
export interface RepoHistory {
  /** `owner/name`; must match a DEMO_REPOS entry. */
  readonly repo: string;
  readonly defaultBranch: string;
  /** The root commit; its `apply` starts from an empty tree. */
  readonly initial: DirectCommit;
  readonly direct: readonly DirectCommit[];
  readonly branches?: readonly BranchPoint[];
  /** PR contents by number; the keys must equal the numbers of this repository's cases. */
  readonly pulls: Readonly<Record<number, PullContent>>;
}

/** A single-step PR change. */
export function oneStep(message: string, apply: (tree: DemoTree) => void): ChangeStep[] {
  return [{ message, apply }];
}
