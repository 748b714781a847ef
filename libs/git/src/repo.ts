import { stat } from 'node:fs/promises';
import { GitError, InputError } from '@datasmith/errors';
import { type SimpleGit, simpleGit } from 'simple-git';
import { unquoteGitPath } from './quote';
import { GIT_BASE_ARGS, gitText, runGit } from './run';

/** A simple-git client for one repository, with the shared safe flags. */
export function gitClient(repoDir: string): SimpleGit {
  return simpleGit({ baseDir: repoDir, config: ['core.quotePath=false', 'safe.directory=*'] });
}

/** Checks that `repoDir` is a readable git repository (bare or not); follows symlinks. */
export async function assertRepository(repoDir: string): Promise<void> {
  try {
    await stat(repoDir);
  } catch {
    throw new InputError(`Missing mirror: ${repoDir} does not exist`, { file: repoDir });
  }
  try {
    await runGit(repoDir, ['rev-parse', '--git-dir']);
  } catch (error) {
    throw new InputError(`Unreadable repository: ${repoDir} is not a git repository`, { file: repoDir, cause: error });
  }
}

/** The branch HEAD points at (a mirror's default branch), or null when HEAD is detached. */
export async function headBranch(repoDir: string): Promise<string | null> {
  try {
    return (await gitClient(repoDir).raw(['symbolic-ref', '--short', '-q', 'HEAD'])).trim() || null;
  } catch {
    return null;
  }
}

/** The full sha of a ref, or null when it does not resolve. */
export async function resolveRef(repoDir: string, ref: string): Promise<string | null> {
  try {
    return await gitText(repoDir, ['rev-parse', '--verify', '-q', `${ref}^{commit}`]);
  } catch {
    return null;
  }
}

/** True when the commit object exists locally. */
export async function hasCommit(repoDir: string, sha: string): Promise<boolean> {
  return (await resolveRef(repoDir, sha)) !== null;
}

/** Every path in the tree of `sha` (needs trees only, not blobs). */
export async function listTreePaths(repoDir: string, sha: string): Promise<string[]> {
  const out = await runGit(repoDir, ['ls-tree', '-r', '--name-only', '-z', sha]);
  return out.toString('utf8').split('\0').filter(Boolean);
}

/** The first-parent line of `ref`, newest first. */
export async function firstParentShas(repoDir: string, ref: string): Promise<string[]> {
  const out = await gitText(repoDir, ['rev-list', '--first-parent', ref]);
  return out ? out.split('\n') : [];
}

/** The commit `n` first-parent steps before `sha` (`sha~n`), or null. */
export async function firstParentAncestor(repoDir: string, sha: string, n: number): Promise<string | null> {
  return resolveRef(repoDir, `${sha}~${n}`);
}

/** Committer date (ISO with offset) and full message of a commit. */
export async function commitHeader(
  repoDir: string,
  sha: string,
): Promise<{ sha: string; parents: string[]; committerDate: string; message: string }> {
  const text = await gitText(repoDir, ['log', '-1', '--no-walk', '--format=%H%x1f%P%x1f%cI%x1f%B', sha]);
  const [full = '', parents = '', committerDate = '', ...message] = text.split('\x1f');
  if (!full) throw new GitError(`Unknown commit ${sha}`);
  return { sha: full, parents: parents ? parents.split(' ') : [], committerDate, message: message.join('\x1f').trim() };
}

/**
 * Subjects of the commits a merge brought in (`git log --no-merges first..second`), oldest first: a
 * PR's own commits when `second` is its head. At most `max` (the newest ones); empty when a parent
 * is missing from the mirror.
 */
export async function mergedCommitSubjects(
  repoDir: string,
  firstParent: string,
  secondParent: string,
  max = 50,
): Promise<string[]> {
  try {
    const text = await gitText(repoDir, [
      'log',
      '--no-merges',
      '--reverse',
      `--max-count=${max}`,
      '--format=%s',
      `${firstParent}..${secondParent}`,
    ]);
    return text ? text.split('\n').map((s) => s.trim()) : [];
  } catch {
    return [];
  }
}

/** A merge commit whose brought-in commits are wanted: its first and second parent. */
export interface MergeParents {
  sha: string;
  first: string;
  second: string;
}

/**
 * {@link mergedCommitSubjects} for many merges with one git process: `git log --stdin` over every
 * second parent, minus what `boundary` reaches, lists the side commits with their parents in git's
 * order; each merge's own commits are then walked in memory from its second parent down to the
 * first-parent line (`mainLine`), which is where a PR branch meets the history it was merged into.
 * `merges` come oldest first: a commit an earlier merge brought in is reachable from the later ones'
 * first parents, so it is not theirs (a PR stacked on another). Subjects of merges inside a PR are
 * skipped, as `--no-merges` does; at most `max`, the newest.
 */
export async function mergedCommitSubjectsOf(
  repoDir: string,
  merges: readonly MergeParents[],
  mainLine: ReadonlySet<string>,
  boundary: string | null,
  max = 50,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (merges.length === 0) return out;
  const revs = [...new Set(merges.map((m) => m.second))];
  if (boundary) revs.push(`^${boundary}`);
  let text: string;
  try {
    text = (
      await runGit(repoDir, ['log', '--stdin', '--format=%H%x1f%P%x1f%s'], { input: `${revs.join('\n')}\n` })
    ).toString('utf8');
  } catch {
    // A missing object (a snapshot mirror): fall back to one walk per merge.
    for (const m of merges) out.set(m.sha, await mergedCommitSubjects(repoDir, m.first, m.second, max));
    return out;
  }
  const commits = new Map<string, { order: number; parents: string[]; subject: string }>();
  let order = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [sha = '', parents = '', subject = ''] = line.split('\x1f');
    commits.set(sha, { order: order++, parents: parents ? parents.split(' ') : [], subject: subject.trim() });
  }
  const claimed = new Set<string>();
  for (const m of merges) {
    const seen = new Set<string>();
    const stack = [m.second];
    while (stack.length > 0) {
      const sha = stack.pop() as string;
      if (seen.has(sha) || claimed.has(sha) || mainLine.has(sha)) continue;
      const commit = commits.get(sha);
      if (!commit) continue;
      seen.add(sha);
      stack.push(...commit.parents);
    }
    for (const sha of seen) claimed.add(sha);
    const own = [...seen]
      .map((sha) => commits.get(sha) as { order: number; parents: string[]; subject: string })
      .filter((c) => c.parents.length < 2)
      .sort((a, b) => a.order - b.order)
      .slice(0, max)
      .reverse()
      .map((c) => c.subject);
    out.set(m.sha, own);
  }
  return out;
}

export { unquoteGitPath, GIT_BASE_ARGS };
