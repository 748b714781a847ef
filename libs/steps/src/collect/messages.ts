/** A PR recognised from the message of the commit it landed as. */
export interface LandedPull {
  number: number;
  style: 'merge' | 'squash';
  title: string;
  body: string;
}

const MERGE_RE = /^Merge pull request #(\d+) from \S+/;
const SQUASH_RE = /^(.*?)\s*\(#(\d+)\)\s*$/;

/**
 * Recognises GitHub's two landing messages on the first-parent line: a merge commit
 * `Merge pull request #N from owner/branch` (title on the next paragraph) with two parents, and a
 * squash commit `Title (#N)` with one parent. A one-parent commit with the merge message is a squash
 * merge that kept it (numpy has several); a two-parent commit with the squash message is a merge
 * whose message was edited to it. Anything else is not a PR.
 */
export function parseLandedMessage(message: string, parentCount: number): LandedPull | null {
  const lines = message.split('\n');
  const subject = lines[0] ?? '';
  const merge = MERGE_RE.exec(subject);
  if (merge && parentCount >= 1) {
    const rest = lines.slice(1).join('\n').replace(/^\n+/, '');
    const [title = '', ...body] = rest.split('\n');
    // One parent: a squash merge that kept GitHub's merge message as its subject.
    const style = parentCount >= 2 ? 'merge' : 'squash';
    return { number: Number(merge[1]), style, title: title.trim(), body: body.join('\n').trim() };
  }
  const squash = SQUASH_RE.exec(subject);
  if (squash && parentCount >= 1) {
    // Two parents: a merge commit whose message was edited to GitHub's squash form (astropy and
    // numpy have dozens); the PR's own commits are its second-parent side, as for any merge.
    return {
      number: Number(squash[2]),
      style: parentCount >= 2 ? 'merge' : 'squash',
      title: (squash[1] ?? '').trim(),
      body: lines.slice(1).join('\n').trim(),
    };
  }
  return null;
}

/**
 * Where a row's `pr_title` came from: the PR file (`pull`), the landed commit message (`message`),
 * the PR's own commit (`commit`: the subject of its only commit, or of its first when the branch
 * name says nothing), the head branch of `Merge pull request #N from user/branch` (`branch`), or
 * nowhere (`none`: the title is empty).
 */
export const TITLE_SOURCES = ['pull', 'message', 'commit', 'branch', 'none'] as const;
export type TitleSource = (typeof TITLE_SOURCES)[number];

/** The head branch named by a `Merge pull request #N from user/branch` line, without the user. */
export function mergeSubjectBranch(message: string): string {
  const from = /^Merge pull request #\d+ from (\S+)/m.exec(message)?.[1] ?? '';
  return from.includes('/') ? from.slice(from.indexOf('/') + 1) : from;
}

/**
 * Branch names that say nothing about the change: the default branches, GitHub's web-editor
 * `patch-N`, a bare PR or issue number, bot update branches.
 */
const UNINFORMATIVE_BRANCH =
  /^(main|master|develop|dev|trunk|default|patch|patch-\d+|fix|fixes|bugfix|feature|branch|wip|update|updates|pr|pr-?\d+|issue-?\d+|gh-?\d+|\d+|[0-9a-f]{7,40}|dependabot\/.*|pre-commit-ci-update-config|renovate\/.*)$/i;

/**
 * A branch name as words, the way GitHub proposes a title for a new multi-commit PR:
 * `speed-up-nanmedian` → "Speed up nanmedian", `user/ENH_faster_unique` → "ENH faster unique".
 * '' when the name says nothing (`main`, `patch-1`, a number).
 */
export function humanizeBranch(branch: string): string {
  const name = branch.trim();
  if (!name || UNINFORMATIVE_BRANCH.test(name)) return '';
  const words = name
    .replace(/[-_/.]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!/[a-z]{3}/i.test(words)) return '';
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A title for a merged PR whose landing message has none (GitHub writes `Merge pull request #N
 * from user/branch` with an empty body when the PR was merged without editing the message). As
 * GitHub titles a new PR: the subject of its only commit; else its branch name in words; else the
 * subject of its first commit. `commits` are the PR's own commit subjects, oldest first.
 */
export function derivedTitle(branch: string, commits: readonly string[]): { title: string; source: TitleSource } {
  const subjects = commits.map((s) => s.trim()).filter(Boolean);
  if (subjects.length === 1) return { title: subjects[0] as string, source: 'commit' };
  const fromBranch = humanizeBranch(branch);
  if (fromBranch) return { title: fromBranch, source: 'branch' };
  if (subjects.length > 0) return { title: subjects[0] as string, source: 'commit' };
  return { title: '', source: 'none' };
}
