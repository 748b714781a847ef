import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit } from '@datasmith/git';

/** A clean copy of a repository at one commit, in a temporary folder; `dispose()` removes it. */
export interface RepoCheckout {
  dir: string;
  dispose(): Promise<void>;
  /** Submodules filled from the store (path → `owner/name@commit`). */
  submodules: Record<string, string>;
  /** Problems that did not stop the checkout: files of the commit missing from the mirror, submodules the store lacks. */
  warnings: string[];
}

/** Finds the mirror of a submodule URL (e.g. `https://github.com/numpy/meson.git`), or null. */
export type SubmoduleResolver = (url: string) => Promise<string | null>;

/** `owner/name` of a GitHub-style URL (https, ssh or scp-like), or null. */
export function repoNameOfUrl(url: string): string | null {
  const m = /(?:github\.com[/:]|^)([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

/** Extracts `git archive` of one commit of a mirror into a folder. */
function extractTree(mirror: string, commit: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', ['-C', mirror, 'archive', '--format=tar', commit], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    archive.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-1000);
    });
    archive.stdout.pipe(tar.stdin);
    const closed = (child: ReturnType<typeof spawn>) =>
      new Promise<number | null>((done) => {
        child.on('close', done);
        child.on('error', () => done(-1));
      });
    Promise.all([closed(archive), closed(tar)]).then(([a, t]) =>
      a === 0 && t === 0
        ? resolve()
        : reject(new Error(err.trim().split('\n').pop() || `git archive exit ${a}, tar exit ${t}`)),
    );
  });
}

/**
 * Fills the submodules of `.gitmodules` at `sha` from mirrors the resolver finds, at the commit the
 * superproject records (files only, no nested repository). A submodule without a mirror, or whose
 * commit the mirror lacks, stays empty and is reported.
 */
async function fillSubmodules(
  dir: string,
  sha: string,
  resolve: SubmoduleResolver,
): Promise<{ filled: Record<string, string>; warnings: string[] }> {
  const filled: Record<string, string> = {};
  const warnings: string[] = [];
  let config = '';
  try {
    config = (
      await runGit(dir, ['config', '--blob', `${sha}:.gitmodules`, '--get-regexp', '^submodule\\..*\\.(path|url)$'])
    ).toString('utf8');
  } catch {
    return { filled, warnings };
  }
  const modules = new Map<string, { path?: string; url?: string }>();
  for (const line of config.split('\n')) {
    const m = /^submodule\.(.+)\.(path|url) (.+)$/.exec(line.trim());
    if (!m) continue;
    const entry = modules.get(m[1] as string) ?? {};
    entry[m[2] as 'path' | 'url'] = m[3] as string;
    modules.set(m[1] as string, entry);
  }
  for (const { path, url } of modules.values()) {
    if (!path || !url) continue;
    const tree = (await runGit(dir, ['ls-tree', sha, '--', path]).catch(() => Buffer.from(''))).toString('utf8');
    const commit = /^160000 commit ([0-9a-f]{40})\t/.exec(tree)?.[1];
    if (!commit) continue;
    const mirror = await resolve(url);
    if (!mirror) {
      warnings.push(`submodule_unavailable: ${path} (${url}) has no mirror in the store`);
      continue;
    }
    try {
      await mkdir(join(dir, path), { recursive: true });
      await extractTree(mirror, commit, join(dir, path));
      filled[path] = `${repoNameOfUrl(url) ?? url}@${commit}`;
    } catch (error) {
      warnings.push(`submodule_unavailable: ${path} at ${commit.slice(0, 12)}: ${(error as Error).message}`);
    }
  }
  return { filled, warnings };
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
export async function checkoutAtCommit(
  mirror: string,
  sha: string,
  resolveSubmodule?: SubmoduleResolver,
): Promise<RepoCheckout> {
  const root = await mkdtemp(join(tmpdir(), 'datasmith-repo-'));
  const dir = join(root, 'repo');
  const dispose = () => rm(root, { recursive: true, force: true });
  try {
    await runGit(root, ['init', '-q', dir]);
    await copyHistory(mirror, sha, dir);
    await runGit(dir, ['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', sha]);
    const warnings: string[] = [];
    // A snapshot mirror may lack some large files of the commit: git checks out the rest (exit 0).
    const missing = (await runGit(dir, ['ls-files', '--deleted'])).toString('utf8').trim();
    if (missing) warnings.push(`files_missing_from_mirror: ${missing.split('\n').join(', ')}`);
    const submodules = resolveSubmodule
      ? await fillSubmodules(dir, sha, resolveSubmodule)
      : { filled: {}, warnings: [] };
    warnings.push(...submodules.warnings);
    await runGit(dir, ['reflog', 'expire', '--expire=now', '--all']);
    await rm(join(dir, '.git', 'logs'), { recursive: true, force: true });
    await rm(join(dir, '.git', 'hooks'), { recursive: true, force: true });
    await rm(join(dir, '.git', 'FETCH_HEAD'), { force: true });
    // The initial branch is unborn; make sure no ref exists at all.
    const refs = (await runGit(dir, ['for-each-ref', '--format=%(refname)'])).toString('utf8').trim();
    for (const ref of refs ? refs.split('\n') : []) await runGit(dir, ['update-ref', '-d', ref]);
    return { dir, dispose, submodules: submodules.filled, warnings };
  } catch (error) {
    await dispose();
    throw error;
  }
}
