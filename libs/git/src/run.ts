import { spawn } from 'node:child_process';
import { GitError } from '@datasmith/errors';

/** Environment for every git call: no prompts, no pager, no user config surprises. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_PAGER: 'cat',
  GIT_CONFIG_NOSYSTEM: '1',
  LC_ALL: 'C',
};

/** Flags placed before every subcommand. */
export const GIT_BASE_ARGS = ['-c', 'core.quotePath=false', '-c', 'safe.directory=*', '-c', 'log.showSignature=false'];

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Runs git to completion and returns stdout; throws GitError with the last stderr lines on failure. */
export function runGit(repoDir: string, args: readonly string[], options: { input?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...GIT_BASE_ARGS, '-C', repoDir, ...args], {
      env: { ...process.env, ...GIT_ENV },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) =>
      reject(new GitError(`git ${args[0]} could not start: ${error.message}`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else {
        const stderr = Buffer.concat(err).toString('utf8');
        reject(
          new GitError(
            `git ${args.join(' ').slice(0, 120)} failed in ${repoDir} (exit ${code}): ${lastLines(stderr)}`,
            {
              gitExitCode: code,
              stderr,
            },
          ),
        );
      }
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Runs git and returns trimmed stdout text. */
export async function gitText(repoDir: string, args: readonly string[]): Promise<string> {
  return (await runGit(repoDir, args)).toString('utf8').trim();
}

export interface GitStream {
  /** Chunks of stdout as they arrive. */
  chunks: AsyncIterable<Buffer>;
  /** Resolves when git exits: its exit code and stderr. */
  done: Promise<{ code: number | null; stderr: string }>;
  kill(): void;
}

/** Spawns git and exposes stdout as a stream, so large histories are parsed without buffering. */
export function streamGit(repoDir: string, args: readonly string[]): GitStream {
  const child = spawn('git', [...GIT_BASE_ARGS, '-C', repoDir, ...args], {
    env: { ...process.env, ...GIT_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const err: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('error', (error) => resolve({ code: -1, stderr: error.message }));
    child.on('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
  });
  return { chunks: child.stdout, done, kill: () => child.kill('SIGKILL') };
}
