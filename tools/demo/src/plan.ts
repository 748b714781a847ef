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

/** Builds the fast-import stream for one repository. Throws on any inconsistency between cases and content. */
export function planRepository(history: RepoHistory, cases: readonly DemoCase[]): RepoPlan {
  const repo = history.repo;
  const caseNumbers = cases.map((c) => c.number).sort((a, b) => a - b);
  const contentNumbers = Object.keys(history.pulls)
    .map(Number)
    .sort((a, b) => a - b);
  if (caseNumbers.join(',') !== contentNumbers.join(',')) {
    const missing = caseNumbers.filter((n) => !contentNumbers.includes(n));
    const extra = contentNumbers.filter((n) => !caseNumbers.includes(n));
    throw new Error(`${repo}: cases and contents disagree (no content for ${missing}; no case for ${extra})`);
  }

  const script = new FastImportScript();
  let nextMark = 1;
  const lines = new Map<string, BranchLine>();
  const labels = new Map<string, { branch: string; index: number }>();
  const tags = new Map<string, number>();
  const treeAt = new Map<number, DemoTree>();
  const pulls: PlannedPull[] = [];
  const issues: PlannedIssue[] = [];

  const pushCommit = (line: BranchLine, mark: number, at: Date, tree: DemoTree, changed: readonly string[]) => {
    line.commits.push({ mark, at, tree });
    treeAt.set(mark, tree);
    for (const p of changed) line.lastTouched.set(p, line.commits.length - 1);
  };

  const events: TimelineEvent[] = [];
  let seq = 0;
  for (const commit of history.direct) events.push({ kind: 'direct', at: new Date(commit.at), seq: seq++, commit });
  for (const c of cases) {
    const content = history.pulls[c.number] as PullContent;
    events.push({ kind: 'pull', at: new Date(c.mergedAt), seq: seq++, pullCase: c, content });
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.seq - b.seq);

  // The root commit.
  {
    const tree = new DemoTree();
    history.initial.apply(tree);
    const mark = nextMark++;
    const at = new Date(history.initial.at);
    const ref = `refs/heads/${history.defaultBranch}`;
    script.commit({
      ref,
      mark,
      author: sig(history.initial.by, at),
      committer: sig(history.initial.by, at),
      message: `${history.initial.message}\n`,
      changes: diffTrees(new DemoTree(), tree),
    });
    const line: BranchLine = { ref, commits: [], lastTouched: new Map() };
    lines.set(history.defaultBranch, line);
    pushCommit(line, mark, at, tree, tree.paths());
    if (events[0] && events[0].at.getTime() <= at.getTime())
      throw new Error(`${repo}: an event precedes the initial commit`);
  }

  const lineOf = (branch: string): BranchLine => {
    const line = lines.get(branch);
    if (!line) throw new Error(`${repo}: unknown branch ${branch}`);
    return line;
  };

  for (const event of events) {
    if (event.kind === 'direct') {
      const { commit } = event;
      const branch = commit.branch ?? history.defaultBranch;
      const line = lineOf(branch);
      const tip = line.commits[line.commits.length - 1] as LineCommit;
      const tree = tip.tree.clone();
      commit.apply(tree);
      const changes = diffTrees(tip.tree, tree);
      if (changes.length === 0) throw new Error(`${repo}: direct commit "${commit.message}" changes nothing`);
      const mark = nextMark++;
      script.commit({
        ref: line.ref,
        mark,
        author: sig(commit.by, event.at),
        committer: sig(commit.by, event.at),
        message: `${commit.message}\n`,
        from: tip.mark,
        changes,
      });
      pushCommit(
        line,
        mark,
        event.at,
        tree,
        changes.map((c) => c.path),
      );
      if (commit.tag) tags.set(commit.tag, mark);
      if (commit.label) {
        labels.set(commit.label, { branch, index: line.commits.length - 1 });
        for (const bp of history.branches ?? []) {
          if (bp.fromLabel !== commit.label) continue;
          lines.set(bp.name, {
            ref: `refs/heads/${bp.name}`,
            commits: [line.commits[line.commits.length - 1] as LineCommit],
            lastTouched: new Map(),
          });
        }
      }
      continue;
    }

    const { pullCase: c, content } = event;
    const baseBranch = c.baseRef ?? history.defaultBranch;
    const line = lineOf(baseBranch);
    const tipIndex = line.commits.length - 1;
    const tip = line.commits[tipIndex] as LineCommit;
    const mergedAt = event.at;
    const where = `${repo}#${c.number}`;
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

    // Where the PR branch starts, and its commits.
    let forkIndex: number;
    if (content.forkBefore) {
      const label = labels.get(content.forkBefore);
      if (!label || label.branch !== baseBranch) throw new Error(`${where}: unknown forkBefore ${content.forkBefore}`);
      forkIndex = label.index - 1;
    } else {
      forkIndex = Math.max(0, tipIndex - (content.forkLag ?? c.number % 4));
      for (const p of touched) forkIndex = Math.max(forkIndex, line.lastTouched.get(p) ?? 0);
    }
    const buildHead = (index: number): DemoTree[] | null => {
      const trees: DemoTree[] = [];
      let tree = (line.commits[index] as LineCommit).tree;
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
    };
    let headTrees = buildHead(forkIndex);
    if (!headTrees && !content.forkBefore && forkIndex !== tipIndex) {
      forkIndex = tipIndex;
      headTrees = buildHead(forkIndex);
    }
    if (!headTrees) throw new Error(`${where}: the PR's commits do not apply at their fork point`);
    const fork = line.commits[forkIndex] as LineCommit;

    // PR timeline: first commit after the fork, PR opened soon after, further commits later.
    const span = mergedAt.getTime() - fork.at.getTime();
    if (span < 60_000) throw new Error(`${where}: merged less than a minute after its fork point`);
    const firstAt = fork.at.getTime() + Math.min(span * 0.2, 2 * DAY);
    const gap = Math.min((span * 0.5) / content.steps.length, DAY);
    const stepAt = (i: number) => floorToSecond(firstAt + i * gap);
    const createdAt = floorToSecond(firstAt + Math.min(gap / 2, HOUR));

    let parentMark = fork.mark;
    let headTree = fork.tree;
    content.steps.forEach((step, i) => {
      const next = headTrees[i] as DemoTree;
      const mark = nextMark++;
      script.commit({
        ref: `refs/pull/${c.number}/head`,
        mark,
        author: sig(content.author, stepAt(i)),
        committer: sig(content.author, stepAt(i)),
        message: `${step.message}\n`,
        from: parentMark,
        changes: diffTrees(headTree, next),
      });
      treeAt.set(mark, next);
      parentMark = mark;
      headTree = next;
    });
    const headMark = parentMark;

    // Landing on the base branch.
    const landedCommitter = (): GitSignature => sig('github', mergedAt, content.mergedBy);
    let landedMark: number;
    let landedCount = 1;
    if (c.style === 'merge') {
      landedMark = nextMark++;
      const body = content.body ? `\n\n${content.body}` : '';
      script.commit({
        ref: line.ref,
        mark: landedMark,
        author: sig(content.mergedBy, mergedAt),
        committer: landedCommitter(),
        message: `Merge pull request #${c.number} from ${person(content.author).login}/${content.branch}\n\n${c.title}${body}\n`,
        from: tip.mark,
        merges: [headMark],
        changes: landedChanges,
      });
      pushCommit(line, landedMark, mergedAt, merged, touched);
    } else if (c.style === 'squash') {
      landedMark = nextMark++;
      const body = content.body ? `\n\n${content.body}` : '';
      script.commit({
        ref: line.ref,
        mark: landedMark,
        author: sig(content.author, mergedAt),
        committer: landedCommitter(),
        message: `${c.title} (#${c.number})${body}\n`,
        from: tip.mark,
        changes: landedChanges,
      });
      pushCommit(line, landedMark, mergedAt, merged, touched);
    } else {
      let parent = tip;
      landedMark = -1;
      content.steps.forEach((step, i) => {
        const next = parent.tree.clone();
        step.apply(next);
        const changes = diffTrees(parent.tree, next);
        if (changes.length === 0) throw new Error(`${where}: rebased commit ${i + 1} changes nothing`);
        const mark = nextMark++;
        script.commit({
          ref: line.ref,
          mark,
          author: sig(content.author, stepAt(i)),
          committer: landedCommitter(),
          message: `${step.message}\n`,
          from: parent.mark,
          changes,
        });
        pushCommit(
          line,
          mark,
          mergedAt,
          next,
          changes.map((ch) => ch.path),
        );
        parent = line.commits[line.commits.length - 1] as LineCommit;
        landedMark = mark;
      });
      landedCount = content.steps.length;
    }

    pulls.push({
      case: c,
      content,
      createdAt,
      mergedAt,
      landedMark,
      landedCount,
      baseMark: tip.mark,
      forkMark: fork.mark,
      headMark,
      changedPaths: touched,
    });

    if (content.issue) {
      const issue = content.issue;
      if (c.linkedIssue !== issue.number)
        throw new Error(`${where}: case links issue ${c.linkedIssue}, content ${issue.number}`);
      if (caseNumbers.includes(issue.number)) throw new Error(`${where}: issue #${issue.number} reuses a PR number`);
      if (!content.body?.includes(`#${issue.number}`))
        throw new Error(`${where}: body does not mention #${issue.number}`);
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
      issues.push({ issue, pullNumber: c.number, openedAt, closedAt: mergedAt, comments });
    } else if (c.linkedIssue !== null) {
      throw new Error(`${where}: case links issue ${c.linkedIssue} but the content has none`);
    }
  }

  const branchTips = new Map<string, number>();
  for (const [name, line] of lines) {
    const tipMark = (line.commits[line.commits.length - 1] as LineCommit).mark;
    branchTips.set(name, tipMark);
    script.reset(line.ref, tipMark);
  }
  for (const [tag, mark] of [...tags].sort()) script.reset(`refs/tags/${tag}`, mark);
  const main = lineOf(history.defaultBranch);
  return {
    repo,
    defaultBranch: history.defaultBranch,
    script,
    pulls: pulls.sort((a, b) => a.case.number - b.case.number),
    issues: issues.sort((a, b) => a.issue.number - b.issue.number),
    tags,
    branchTips,
    finalTree: (main.commits[main.commits.length - 1] as LineCommit).tree,
    treeAt,
    firstCommitAt: new Date(history.initial.at),
    lastCommitAt: new Date(
      Math.max(...[...lines.values()].map((l) => (l.commits[l.commits.length - 1] as LineCommit).at.getTime())),
    ),
  };
}
