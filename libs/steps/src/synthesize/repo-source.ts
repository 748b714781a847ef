import { spawn } from 'node:child_process';
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
 * Copies the history up to `sha` from the mirror as one pack. Unlike `git fetch`, it tolerates
 * objects missing from the mirror's history (snapshots and partial mirrors leave out large blobs):
 * only the files of `sha` itself must be there, which the checkout then checks.
 */
function copyHistory(mirror: string, sha: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const pack = spawn('git', ['-C', mirror, 'pack-objects', '--revs', '--missing=allow-any', '--stdout', '-q'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const index = spawn('git', ['-C', dir, 'index-pack', '--stdin'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const onErr = (c: Buffer) => {
      err = (err + c.toString()).slice(-2000);
    };
    pack.stderr.on('data', onErr);
    index.stderr.on('data', onErr);
    pack.stdout.pipe(index.stdin);
    const closed = (child: ReturnType<typeof spawn>) =>
      new Promise<number | null>((done) => {
        child.on('close', done);
        child.on('error', () => done(-1));
      });
    Promise.all([closed(pack), closed(index)]).then(([packCode, indexCode]) => {
      if (packCode === 0 && indexCode === 0) resolve();
      else
        reject(
          new Error(
            `copying the history of ${sha} from ${mirror} failed: ${err.trim().split('\n').slice(-2).join(' | ')}`,
          ),
        );
    });
    pack.stdin.end(`${sha}\n`);
  });
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
    await copyHistory(mirror, sha, dir);
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
