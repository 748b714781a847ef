import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DatasmithError, InputError, redactSecrets } from '@datasmith/errors';

/** Runs nx commands in the workspace, echoing and appending their output to a log file. */
export interface NxRunner {
  run(title: string, args: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface NxRunnerOptions {
  workspaceRoot: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  secrets: readonly string[];
  /** Writes a line to the terminal. */
  echo: (text: string) => void;
}

/** Nx's own binary in the workspace. */
export function nxBinary(workspaceRoot: string): string {
  const bin = join(workspaceRoot, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
  if (!existsSync(join(workspaceRoot, 'nx.json')) || !existsSync(bin)) {
    throw new InputError(
      `Not a datasmith workspace: ${workspaceRoot} has no nx.json or node_modules/nx; run update from the workspace after npm ci`,
    );
  }
  return bin;
}

export async function createNxRunner(options: NxRunnerOptions): Promise<NxRunner> {
  const bin = nxBinary(options.workspaceRoot);
  await mkdir(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const write = (text: string) => {
    const clean = redactSecrets(text, options.secrets);
    options.echo(clean);
    log.write(clean);
  };
  return {
    async run(title, args) {
      write(`\n=== ${title}: nx ${args.join(' ')}\n`);
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [bin, ...args], {
          cwd: options.workspaceRoot,
          env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...options.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (chunk: Buffer) => write(chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => write(chunk.toString('utf8')));
        child.on('error', () => resolve(-1));
        child.on('close', (c) => resolve(c));
      });
      if (code !== 0)
        throw new DatasmithError('E_INTERNAL', `${title} failed (nx exit ${code}); see ${options.logFile}`);
    },
    close: () => new Promise((resolve) => log.end(resolve)),
  };
}
