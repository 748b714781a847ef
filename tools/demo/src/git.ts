import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { GitError } from '@datasmith/errors';
import { gitRawDate } from './people';
import type { FileChange } from './tree';

/**
 * git with no user or system configuration, a fixed locale and zone: the generator's output must
 * not depend on the machine it runs on.
 */
export const DEMO_GIT_ENV: NodeJS.ProcessEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
  TZ: 'UTC',
};

/** Runs git in `cwd` and returns stdout; throws a GitError with stderr's last lines on failure. */
export function git(cwd: string, args: readonly string[], input?: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, ...DEMO_GIT_ENV },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new GitError(`git ${args[0]} could not start: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out));
      const stderr = Buffer.concat(err).toString('utf8');
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(
        new GitError(`git ${args.join(' ').slice(0, 100)} failed in ${cwd} (exit ${code}): ${tail}`, {
          gitExitCode: code,
          stderr,
        }),
      );
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** git's trimmed stdout as text. */
export async function gitText(cwd: string, args: readonly string[]): Promise<string> {
  return (await git(cwd, args)).toString('utf8').trim();
}

/** An author or committer line: who, when, and from which time zone. */
export interface GitSignature {
  readonly name: string;
  readonly email: string;
  readonly at: Date;
  /** Minutes east of UTC. */
  readonly offset: number;
}

/** One commit of a fast-import stream. Parents are marks of earlier commits in the same stream. */
export interface FastImportCommit {
  readonly ref: string;
  readonly mark: number;
  readonly author: GitSignature;
  readonly committer: GitSignature;
  readonly message: string;
  /** First parent; omitted for a root commit. */
  readonly from?: number;
  /** Further parents (a merge). */
  readonly merges?: readonly number[];
  readonly changes: readonly FileChange[];
}

function signature(kind: 'author' | 'committer', s: GitSignature): string {
  return `${kind} ${s.name} <${s.email}> ${gitRawDate(s.at, s.offset)}\n`;
}

/**
 * A `git fast-import` stream built in memory: commits with inline blobs, refs reset to marks. The
 * same calls give the same bytes, so the same commits (and shas) on every run.
 */
export class FastImportScript {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private commitCount = 0;

  private push(text: string | Buffer): void {
    const chunk = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  private data(content: string): void {
    const body = Buffer.from(content, 'utf8');
    this.push(`data ${body.length}\n`);
    this.push(body);
    this.push('\n');
  }

  /** Appends a commit. */
  commit(c: FastImportCommit): void {
    this.push(`commit ${c.ref}\nmark :${c.mark}\n`);
    this.push(signature('author', c.author));
    this.push(signature('committer', c.committer));
    this.data(c.message);
    if (c.from !== undefined) this.push(`from :${c.from}\n`);
    for (const m of c.merges ?? []) this.push(`merge :${m}\n`);
    for (const change of c.changes) {
      if (/[\n"]/.test(change.path) || change.path.startsWith(' ')) throw new Error(`unsupported path ${change.path}`);
      if ('deleted' in change) this.push(`D ${change.path}\n`);
      else {
        this.push(`M 100644 inline ${change.path}\n`);
        this.data(change.content);
      }
    }
    this.push('\n');
    this.commitCount++;
  }

  /** Points `ref` at the commit `mark` (branches, tags). */
  reset(ref: string, mark: number): void {
    this.push(`reset ${ref}\nfrom :${mark}\n\n`);
  }

  get size(): { bytes: number; commits: number } {
    return { bytes: this.bytes, commits: this.commitCount };
  }

  /** The whole stream, terminated with `done`. */
  toBuffer(): Buffer {
    return Buffer.concat([...this.chunks, Buffer.from('done\n')]);
  }
}

/**
 * Runs `git fast-import` in a bare repository and returns the sha of every mark. Objects go to one
 * pack; refs are written as the stream says.
 */
export async function runFastImport(gitDir: string, script: FastImportScript): Promise<Map<number, string>> {
  const marksFile = `${gitDir}/demo-marks.tmp`;
  await git(gitDir, ['fast-import', '--quiet', '--done', `--export-marks=${marksFile}`], script.toBuffer());
  const marks = new Map<number, string>();
  for (const line of (await readFile(marksFile, 'utf8')).split('\n')) {
    const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line);
    if (m) marks.set(Number(m[1]), m[2] as string);
  }
  await rm(marksFile, { force: true });
  return marks;
}

/** `git init --bare` with no template (no sample hooks), HEAD on `defaultBranch`. */
export async function initBareRepository(gitDir: string, defaultBranch: string): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  await git(gitDir, ['init', '--bare', '--quiet', '--template=', `--initial-branch=${defaultBranch}`, '.']);
}
