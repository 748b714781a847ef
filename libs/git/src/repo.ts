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

export { unquoteGitPath, GIT_BASE_ARGS };
