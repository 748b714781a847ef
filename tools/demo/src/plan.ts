import type { DemoCase } from './cases';
import { FastImportScript, type GitSignature } from './git';
import type { DirectCommit, LinkedIssue, PullContent, RepoHistory } from './history';
import { type DemoPerson, PEOPLE, type PersonId, offsetAt } from './people';
import { DemoTree, diffTrees } from './tree';

/**
 * Turns a repository's history (content) and its cases (when and how each PR lands) into one
 * `git fast-import` stream plus everything the PR and issue files need. Pure and deterministic:
 * the same inputs give the same stream bytes, hence the same commit shas.
 */

/** A commit on a branch line, with the tree after it. */
interface LineCommit {
  readonly mark: number;
  readonly at: Date;
  readonly tree: DemoTree;
}

/** A branch being built: its commits in first-parent order and when each path last changed. */
interface BranchLine {
  readonly ref: string;
  readonly commits: LineCommit[];
  readonly lastTouched: Map<string, number>;
}

/** Where a PR landed, as marks (resolved to shas after the import). */
export interface PlannedPull {
  readonly case: DemoCase;
  readonly content: PullContent;
  readonly createdAt: Date;
  readonly mergedAt: Date;
  /** The merge/squash commit, or the last rebased commit. */
  readonly landedMark: number;
  /** Commits that landed on the base branch (rebase: one per step). */
  readonly landedCount: number;
  /** First parent of the first landed commit: the commit the change applies to. */
  readonly baseMark: number;
  /** Where the PR branch started (GitHub's base.sha). */
  readonly forkMark: number;
  /** The last commit of the PR branch (GitHub's head.sha, kept at refs/pull/N/head). */
  readonly headMark: number;
  /** Paths the PR changes on its base branch. */
  readonly changedPaths: readonly string[];
}

/** A linked issue with absolute times. */
export interface PlannedIssue {
  readonly issue: LinkedIssue;
  readonly pullNumber: number;
  readonly openedAt: Date;
  readonly closedAt: Date;
  readonly comments: ReadonlyArray<{ by: PersonId; at: Date; body: string }>;
}

/** The import stream of one repository and the facts needed to write its metadata files. */
export interface RepoPlan {
  readonly repo: string;
  readonly defaultBranch: string;
  readonly script: FastImportScript;
  readonly pulls: readonly PlannedPull[];
  readonly issues: readonly PlannedIssue[];
  /** Tag name → mark. */
  readonly tags: ReadonlyMap<string, number>;
  /** Branch name → mark of its tip. */
  readonly branchTips: ReadonlyMap<string, number>;
  /** The tree at the tip of the default branch. */
  readonly finalTree: DemoTree;
  /** Tree after each commit mark (for checks). */
  readonly treeAt: ReadonlyMap<number, DemoTree>;
  /** Committer time of the root commit and of the newest commit on any branch. */
  readonly firstCommitAt: Date;
  readonly lastCommitAt: Date;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function person(id: PersonId): DemoPerson {
  return PEOPLE[id];
}

function sig(id: PersonId, at: Date, zoneOf: PersonId = id): GitSignature {
  const p = person(id);
  return { name: p.name, email: p.email, at, offset: offsetAt(person(zoneOf), at) };
}

function floorToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

type TimelineEvent =
  | { kind: 'direct'; at: Date; seq: number; commit: DirectCommit }
  | { kind: 'pull'; at: Date; seq: number; pullCase: DemoCase; content: PullContent };

type PullEvent = Extract<TimelineEvent, { kind: 'pull' }>;

/** The cases' PR numbers, sorted; throws when a case has no content or a content no case. */
function checkCasesMatchContent(history: RepoHistory, cases: readonly DemoCase[]): number[] {
  const caseNumbers = cases.map((c) => c.number).sort((a, b) => a - b);
  const contentNumbers = Object.keys(history.pulls)
    .map(Number)
    .sort((a, b) => a - b);
  if (caseNumbers.join(',') !== contentNumbers.join(',')) {
    const missing = caseNumbers.filter((n) => !contentNumbers.includes(n));
    const extra = contentNumbers.filter((n) => !caseNumbers.includes(n));
    throw new Error(`${history.repo}: cases and contents disagree (no content for ${missing}; no case for ${extra})`);
  }
  return caseNumbers;
}

/** Direct commits and PR landings in time order (ties: direct commits first, then cases, as listed). */
function timelineOf(history: RepoHistory, cases: readonly DemoCase[]): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  let seq = 0;
  for (const commit of history.direct) events.push({ kind: 'direct', at: new Date(commit.at), seq: seq++, commit });
  for (const c of cases) {
    const content = history.pulls[c.number] as PullContent;
    events.push({ kind: 'pull', at: new Date(c.mergedAt), seq: seq++, pullCase: c, content });
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.seq - b.seq);
  return events;
}

/**
 * The trees after each of a PR's commits applied from `start`, or null when one fails or changes
 * nothing, or (unless the PR forks before a label) when the result differs from the merged tree on
 * a path the PR touches.
 */
function headTreesFrom(
  start: DemoTree,
  content: PullContent,
  touched: readonly string[],
  merged: DemoTree,
): DemoTree[] | null {
  const trees: DemoTree[] = [];
  let tree = start;
  try {
    for (const step of content.steps) {
      const next = tree.clone();
      step.apply(next);
      if (diffTrees(tree, next).length === 0) return null;
      trees.push(next);
      tree = next;
    }
  } catch {
    return null;
  }
  if (!content.forkBefore) {
    for (const p of touched) {
      const a = tree.has(p) ? tree.read(p) : null;
      const b = merged.has(p) ? merged.read(p) : null;
      if (a !== b) return null;
    }
  }
  return trees;
}

/** A PR's timeline: first commit after the fork, PR opened soon after, further commits later. */
function pullTimes(
  forkAt: Date,
  mergedAt: Date,
  steps: number,
  where: string,
): { stepAt: (i: number) => Date; createdAt: Date } {
  const span = mergedAt.getTime() - forkAt.getTime();
  if (span < 60_000) throw new Error(`${where}: merged less than a minute after its fork point`);
  const firstAt = forkAt.getTime() + Math.min(span * 0.2, 2 * DAY);
  const gap = Math.min((span * 0.5) / steps, DAY);
  return {
    stepAt: (i: number) => floorToSecond(firstAt + i * gap),
    createdAt: floorToSecond(firstAt + Math.min(gap / 2, HOUR)),
  };
}

/**
 * The issue a PR links, with absolute times (opened some days before the PR, comments before the
 * PR was opened, one optional comment after the merge); null when it links none. Throws when the
 * case and the content disagree about it.
 */
function planIssue(
  pull: Pick<PlannedPull, 'case' | 'content' | 'createdAt' | 'mergedAt'>,
  where: string,
  caseNumbers: readonly number[],
): PlannedIssue | null {
  const { case: c, content, createdAt, mergedAt } = pull;
  if (!content.issue) {
    if (c.linkedIssue !== null) throw new Error(`${where}: case links issue ${c.linkedIssue} but the content has none`);
    return null;
  }
  const issue = content.issue;
  if (c.linkedIssue !== issue.number)
    throw new Error(`${where}: case links issue ${c.linkedIssue}, content ${issue.number}`);
  if (caseNumbers.includes(issue.number)) throw new Error(`${where}: issue #${issue.number} reuses a PR number`);
  if (!content.body?.includes(`#${issue.number}`)) throw new Error(`${where}: body does not mention #${issue.number}`);
  const openedAt = floorToSecond(createdAt.getTime() - (issue.openedDaysBeforePull ?? 7) * DAY);
  const comments = issue.comments.map((cm) => ({
    by: cm.by,
    at: new Date(openedAt.getTime() + cm.hoursAfterOpen * HOUR),
    body: cm.body,
  }));
  for (const cm of comments) {
    if (cm.at.getTime() >= createdAt.getTime())
      throw new Error(`${where}: an issue comment is not before the PR was opened`);
  }
  if (issue.commentAfterMerge) {
    comments.push({
      by: issue.commentAfterMerge.by,
      at: new Date(mergedAt.getTime() + 2 * HOUR),
      body: issue.commentAfterMerge.body,
    });
  }
  return { issue, pullNumber: c.number, openedAt, closedAt: mergedAt, comments };
}

/** What landing a PR on its base branch needs: the case, the branch, its tip and the merged change. */
interface Landing {
  c: DemoCase;
  content: PullContent;
  line: BranchLine;
  tip: LineCommit;
  merged: DemoTree;
  landedChanges: ReturnType<typeof diffTrees>;
  touched: readonly string[];
  mergedAt: Date;
  headMark: number;
  stepAt: (i: number) => Date;
  where: string;
}

/** Writes one repository's commits into a fast-import script, mark by mark, and keeps the facts about them. */
class RepoPlanner {
  readonly script = new FastImportScript();
  private nextMark = 1;
  readonly lines = new Map<string, BranchLine>();
  private readonly labels = new Map<string, { branch: string; index: number }>();
  readonly tags = new Map<string, number>();
  readonly treeAt = new Map<number, DemoTree>();

  constructor(private readonly history: RepoHistory) {}

  private pushCommit(line: BranchLine, mark: number, at: Date, tree: DemoTree, changed: readonly string[]): void {
    line.commits.push({ mark, at, tree });
    this.treeAt.set(mark, tree);
    for (const p of changed) line.lastTouched.set(p, line.commits.length - 1);
  }

  lineOf(branch: string): BranchLine {
    const line = this.lines.get(branch);
    if (!line) throw new Error(`${this.history.repo}: unknown branch ${branch}`);
    return line;
  }

  /** The root commit on the default branch; returns its time. */
  commitRoot(): Date {
    const { history } = this;
    const tree = new DemoTree();
    history.initial.apply(tree);
    const mark = this.nextMark++;
    const at = new Date(history.initial.at);
    const ref = `refs/heads/${history.defaultBranch}`;
    this.script.commit({
      ref,
      mark,
      author: sig(history.initial.by, at),
      committer: sig(history.initial.by, at),
      message: `${history.initial.message}\n`,
      changes: diffTrees(new DemoTree(), tree),
    });
    const line: BranchLine = { ref, commits: [], lastTouched: new Map() };
    this.lines.set(history.defaultBranch, line);
    this.pushCommit(line, mark, at, tree, tree.paths());
    return at;
  }

  /** A direct commit on its branch; a labelled one starts the branches declared from its label. */
  commitDirect(commit: DirectCommit, at: Date): void {
    const { history } = this;
    const branch = commit.branch ?? history.defaultBranch;
    const line = this.lineOf(branch);
    const tip = line.commits[line.commits.length - 1] as LineCommit;
    const tree = tip.tree.clone();
    commit.apply(tree);
    const changes = diffTrees(tip.tree, tree);
    if (changes.length === 0) throw new Error(`${history.repo}: direct commit "${commit.message}" changes nothing`);
    const mark = this.nextMark++;
    this.script.commit({
      ref: line.ref,
      mark,
      author: sig(commit.by, at),
      committer: sig(commit.by, at),
      message: `${commit.message}\n`,
      from: tip.mark,
      changes,
    });
    this.pushCommit(
      line,
      mark,
      at,
      tree,
      changes.map((c) => c.path),
    );
    if (commit.tag) this.tags.set(commit.tag, mark);
    if (commit.label) {
      this.labels.set(commit.label, { branch, index: line.commits.length - 1 });
      for (const bp of history.branches ?? []) {
        if (bp.fromLabel !== commit.label) continue;
        this.lines.set(bp.name, {
          ref: `refs/heads/${bp.name}`,
          commits: [line.commits[line.commits.length - 1] as LineCommit],
          lastTouched: new Map(),
        });
      }
    }
  }

  /**
   * Where the PR branch starts and the trees after its commits: just before the labelled commit it
   * forks before, else `forkLag` (default: number % 4) commits behind the tip, moved forward past the
   * last change to a path it touches, and to the tip when its commits do not apply there.
   */
  private forkPoint(
    event: PullEvent,
    line: BranchLine,
    touched: readonly string[],
    merged: DemoTree,
    where: string,
  ): { fork: LineCommit; headTrees: DemoTree[] } {
    const { pullCase: c, content } = event;
    const tipIndex = line.commits.length - 1;
    let forkIndex: number;
    if (content.forkBefore) {
      const label = this.labels.get(content.forkBefore);
      if (!label || label.branch !== (c.baseRef ?? this.history.defaultBranch))
        throw new Error(`${where}: unknown forkBefore ${content.forkBefore}`);
      forkIndex = label.index - 1;
    } else {
      forkIndex = Math.max(0, tipIndex - (content.forkLag ?? c.number % 4));
      for (const p of touched) forkIndex = Math.max(forkIndex, line.lastTouched.get(p) ?? 0);
    }
    const buildHead = (index: number) =>
      headTreesFrom((line.commits[index] as LineCommit).tree, content, touched, merged);
    let headTrees = buildHead(forkIndex);
    if (!headTrees && !content.forkBefore && forkIndex !== tipIndex) {
      forkIndex = tipIndex;
      headTrees = buildHead(forkIndex);
    }
    if (!headTrees) throw new Error(`${where}: the PR's commits do not apply at their fork point`);
    return { fork: line.commits[forkIndex] as LineCommit, headTrees };
  }

  /** The PR branch's commits from the fork (kept at refs/pull/N/head); returns the mark of its head. */
  private commitPullBranch(
    c: DemoCase,
    content: PullContent,
    fork: LineCommit,
    headTrees: readonly DemoTree[],
    stepAt: (i: number) => Date,
  ): number {
    let parentMark = fork.mark;
    let headTree = fork.tree;
    content.steps.forEach((step, i) => {
      const next = headTrees[i] as DemoTree;
      const mark = this.nextMark++;
      this.script.commit({
        ref: `refs/pull/${c.number}/head`,
        mark,
        author: sig(content.author, stepAt(i)),
        committer: sig(content.author, stepAt(i)),
        message: `${step.message}\n`,
        from: parentMark,
        changes: diffTrees(headTree, next),
      });
      this.treeAt.set(mark, next);
      parentMark = mark;
      headTree = next;
    });
    return parentMark;
  }

  /** A merge commit or a squash commit on the base branch; returns its mark. */
  private landOneCommit(landing: Landing): number {
    const { c, content, line, tip, mergedAt } = landing;
    const landedMark = this.nextMark++;
    const body = content.body ? `\n\n${content.body}` : '';
    const merge = c.style === 'merge';
    this.script.commit({
      ref: line.ref,
      mark: landedMark,
      author: sig(merge ? content.mergedBy : content.author, mergedAt),
      committer: sig('github', mergedAt, content.mergedBy),
      message: merge
        ? `Merge pull request #${c.number} from ${person(content.author).login}/${content.branch}\n\n${c.title}${body}\n`
        : `${c.title} (#${c.number})${body}\n`,
      from: tip.mark,
      ...(merge ? { merges: [landing.headMark] } : {}),
      changes: landing.landedChanges,
    });
    this.pushCommit(line, landedMark, mergedAt, landing.merged, landing.touched);
    return landedMark;
  }

  /** Each of the PR's commits replayed on the base branch; returns the mark of the last. */
  private landRebased(landing: Landing): number {
    const { content, line, mergedAt, stepAt, where } = landing;
    let parent = landing.tip;
    let landedMark = -1;
    content.steps.forEach((step, i) => {
      const next = parent.tree.clone();
      step.apply(next);
      const changes = diffTrees(parent.tree, next);
      if (changes.length === 0) throw new Error(`${where}: rebased commit ${i + 1} changes nothing`);
      const mark = this.nextMark++;
      this.script.commit({
        ref: line.ref,
        mark,
        author: sig(content.author, stepAt(i)),
        committer: sig('github', mergedAt, content.mergedBy),
        message: `${step.message}\n`,
        from: parent.mark,
        changes,
      });
      this.pushCommit(
        line,
        mark,
        mergedAt,
        next,
        changes.map((ch) => ch.path),
      );
      parent = line.commits[line.commits.length - 1] as LineCommit;
      landedMark = mark;
    });
    return landedMark;
  }

  /** A PR: its branch from the fork point, then its landing on the base branch by its case's style. */
  commitPull(event: PullEvent): PlannedPull {
    const { pullCase: c, content } = event;
    const line = this.lineOf(c.baseRef ?? this.history.defaultBranch);
    const tip = line.commits[line.commits.length - 1] as LineCommit;
    const mergedAt = event.at;
    const where = `${this.history.repo}#${c.number}`;
    if (c.style === 'rebase' && content.steps.length < 2) {
      throw new Error(`${where}: a rebase merge needs at least two commits (one looks like a squash)`);
    }
    // The change on top of the current tip.
    const merged = tip.tree.clone();
    for (const step of content.steps) step.apply(merged);
    const landedChanges = diffTrees(tip.tree, merged);
    const touched = landedChanges.map((ch) => ch.path);
    const expectEmpty = c.expected.collect.dropReason === 'empty_change';
    if (expectEmpty !== (touched.length === 0)) {
      throw new Error(
        `${where}: expected ${expectEmpty ? 'an empty' : 'a non-empty'} change, got ${touched.length} paths`,
      );
    }
    const { fork, headTrees } = this.forkPoint(event, line, touched, merged, where);
    const { stepAt, createdAt } = pullTimes(fork.at, mergedAt, content.steps.length, where);
    const headMark = this.commitPullBranch(c, content, fork, headTrees, stepAt);
    const landing: Landing = {
      c,
      content,
      line,
      tip,
      merged,
      landedChanges,
      touched,
      mergedAt,
      headMark,
      stepAt,
      where,
    };
    const rebase = c.style !== 'merge' && c.style !== 'squash';
    return {
      case: c,
      content,
      createdAt,
      mergedAt,
      landedMark: rebase ? this.landRebased(landing) : this.landOneCommit(landing),
      landedCount: rebase ? content.steps.length : 1,
      baseMark: tip.mark,
      forkMark: fork.mark,
      headMark,
      changedPaths: touched,
    };
  }

  /** Points every branch at its tip and every tag at its commit (tags in name order); returns the branch tips. */
  resetRefs(): Map<string, number> {
    const branchTips = new Map<string, number>();
    for (const [name, line] of this.lines) {
      const tipMark = (line.commits[line.commits.length - 1] as LineCommit).mark;
      branchTips.set(name, tipMark);
      this.script.reset(line.ref, tipMark);
    }
    for (const [tag, mark] of [...this.tags].sort()) this.script.reset(`refs/tags/${tag}`, mark);
    return branchTips;
  }
}

/** Builds the fast-import stream for one repository. Throws on any inconsistency between cases and content. */
export function planRepository(history: RepoHistory, cases: readonly DemoCase[]): RepoPlan {
  const repo = history.repo;
  const caseNumbers = checkCasesMatchContent(history, cases);
  const planner = new RepoPlanner(history);
  const pulls: PlannedPull[] = [];
  const issues: PlannedIssue[] = [];
  const events = timelineOf(history, cases);
  const rootAt = planner.commitRoot();
  if (events[0] && events[0].at.getTime() <= rootAt.getTime())
    throw new Error(`${repo}: an event precedes the initial commit`);
  for (const event of events) {
    if (event.kind === 'direct') {
      planner.commitDirect(event.commit, event.at);
      continue;
    }
    const pull = planner.commitPull(event);
    pulls.push(pull);
    const issue = planIssue(pull, `${repo}#${pull.case.number}`, caseNumbers);
    if (issue) issues.push(issue);
  }
  const branchTips = planner.resetRefs();
  const main = planner.lineOf(history.defaultBranch);
  const { lines } = planner;
  return {
    repo,
    defaultBranch: history.defaultBranch,
    script: planner.script,
    pulls: pulls.sort((a, b) => a.case.number - b.case.number),
    issues: issues.sort((a, b) => a.issue.number - b.issue.number),
    tags: planner.tags,
    branchTips,
    finalTree: (main.commits[main.commits.length - 1] as LineCommit).tree,
    treeAt: planner.treeAt,
    firstCommitAt: new Date(history.initial.at),
    lastCommitAt: new Date(
      Math.max(...[...lines.values()].map((l) => (l.commits[l.commits.length - 1] as LineCommit).at.getTime())),
    ),
  };
}
