import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit } from '@datasmith/git';

/** A clean copy of a repository at one commit, in a temporary folder; `dispose()` removes it. */
export interface RepoCheckout {
  dir: string;
  dispose(): Promise<void>;
}

/**
 * Makes a fresh repository that holds exactly the history up to `sha` (fetched by id from the
 * mirror): HEAD detached at `sha`, no branch, tag, stash, remote, reflog or FETCH_HEAD, and the work
 * tree checked out. Nothing later than the base commit can leak into the image from here.
 */
export async function checkoutAtCommit(mirror: string, sha: string): Promise<RepoCheckout> {
  const root = await mkdtemp(join(tmpdir(), 'datasmith-repo-'));
  const dir = join(root, 'repo');
  const dispose = () => rm(root, { recursive: true, force: true });
  try {
    await runGit(root, ['init', '-q', dir]);
    await runGit(dir, ['fetch', '-q', '--no-tags', '--no-write-fetch-head', mirror, sha]);
    await runGit(dir, ['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', sha]);
    await runGit(dir, ['reflog', 'expire', '--expire=now', '--all']);
    await rm(join(dir, '.git', 'logs'), { recursive: true, force: true });
    await rm(join(dir, '.git', 'hooks'), { recursive: true, force: true });
    await rm(join(dir, '.git', 'FETCH_HEAD'), { force: true });
    // The initial branch is unborn; make sure no ref exists at all.
    const refs = (await runGit(dir, ['for-each-ref', '--format=%(refname)'])).toString('utf8').trim();
    for (const ref of refs ? refs.split('\n') : []) await runGit(dir, ['update-ref', '-d', ref]);
    return { dir, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
