import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GitError, redactSecrets, redactUrl } from '@datasmith/errors';
import { gitText } from '@datasmith/git';
import { simpleGit } from 'simple-git';

/** The git URL of a repository by default: GitHub's https clone URL. */
export const DEFAULT_GIT_URL_TEMPLATE = 'https://github.com/{owner}/{name}.git';

/**
 * Fills a git URL template: `{owner}`, `{name}` and `{repo}` (`owner/name`). Tests use a local path
 * or a `file://` URL; private mirrors may use any URL git understands.
 */
export function gitUrlFor(template: string, repoName: string): string {
  const [owner = '', name = ''] = repoName.split('/');
  return template.replaceAll('{owner}', owner).replaceAll('{name}', name).replaceAll('{repo}', repoName);
}

export interface MirrorOptions {
  /** The default branch; HEAD of the mirror points at it, as collect expects. */
  branch: string;
  /**
   * A partial-clone filter (`blob:none`: commits and trees now, blobs when a diff needs them).
   * Default: `blob:none` for http(s) URLs, none for local paths and file:// URLs.
   */
  filter?: string | null;
  /** Time limit of one git command in ms. Default 30 minutes. */
  timeoutMs?: number;
}

export interface MirrorResult {
  action: 'cloned' | 'fetched' | 'unchanged';
  /** The default branch's head after the sync. */
  head: string | null;
}

const BRANCHES = '+refs/heads/*:refs/heads/*';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function defaultFilter(url: string): string | null {
  return /^https?:\/\//i.test(url) ? 'blob:none' : null;
}

async function headOf(dir: string, branch: string): Promise<string | null> {
  try {
    return await gitText(dir, ['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`]);
  } catch {
    return null;
  }
}

async function branchHeads(dir: string): Promise<string> {
  return gitText(dir, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads']);
}

/**
 * Clones (`git clone --bare`, partial when `filter` is set) or incrementally fetches the bare mirror
 * at `dir` from `url` with simple-git, keeping every branch (`+refs/heads/*:refs/heads/*`, pruned)
 * and pointing HEAD at the default branch. A first clone goes to a temporary sibling and is renamed
 * into place, so a killed clone never leaves a half mirror. The URL is redacted in errors.
 */
export async function syncMirror(url: string, dir: string, options: MirrorOptions): Promise<MirrorResult> {
  const filter = options.filter === undefined ? defaultFilter(url) : options.filter;
  const timeout = { block: options.timeoutMs ?? 30 * 60_000 };
  const fail = (what: string, error: unknown): GitError => {
    const detail = redactSecrets((error as Error).message ?? String(error)).replaceAll(url, redactUrl(url));
    return new GitError(
      `git ${what} of ${redactUrl(url)} into ${dir} failed: ${detail.split('\n').slice(-3).join(' | ')}`,
      {
        stderr: detail,
        cause: error,
      },
    );
  };
  try {
    if (!(await exists(dir))) {
      await mkdir(dirname(dir), { recursive: true });
      const tmp = join(dirname(dir), `.${basename(dir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await simpleGit({ timeout }).clone(url, tmp, [
          '--bare',
          '--no-tags',
          ...(filter ? [`--filter=${filter}`] : []),
        ]);
        const git = simpleGit({ baseDir: tmp, timeout });
        await git.addConfig('remote.origin.fetch', BRANCHES);
        await git.raw(['symbolic-ref', 'HEAD', `refs/heads/${options.branch}`]);
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        throw fail('clone', error);
      }
      try {
        await rename(tmp, dir);
      } catch (error) {
        // Another process (a parallel Nx task) put its clone in place first: keep that one.
        await rm(tmp, { recursive: true, force: true });
        if (!(await exists(dir))) throw fail('clone', error);
        return syncMirror(url, dir, { ...options, filter });
      }
      return { action: 'cloned', head: await headOf(dir, options.branch) };
    }
    const git = simpleGit({ baseDir: dir, timeout, config: ['safe.directory=*'] });
    const before = await branchHeads(dir);
    try {
      await git.remote(['set-url', 'origin', url]).catch(async () => git.addRemote('origin', url));
      await git.raw(['config', '--replace-all', 'remote.origin.fetch', BRANCHES]);
      await git.fetch(['--prune', '--no-tags', 'origin']).catch(async (error: Error) => {
        // A parallel fetch into the same mirror holds a ref lock: wait a moment and try once more.
        if (!/lock/i.test(error.message)) throw error;
        await new Promise((done) => setTimeout(done, 1000));
        return git.fetch(['--prune', '--no-tags', 'origin']);
      });
      await git.raw(['symbolic-ref', 'HEAD', `refs/heads/${options.branch}`]);
    } catch (error) {
      throw fail('fetch', error);
    }
    const after = await branchHeads(dir);
    return { action: after === before ? 'unchanged' : 'fetched', head: await headOf(dir, options.branch) };
  } catch (error) {
    if (error instanceof GitError) throw error;
    throw fail('sync', error);
  }
}
