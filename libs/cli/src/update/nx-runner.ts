import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DatasmithError, InputError, redactSecrets } from '@datasmith/errors';
import { type SessionStage, stageHeader } from './nx-session.cjs';

/**
 * Runs Nx commands in the workspace, echoing and appending their output to a log file. All the stages
 * run in one Nx process (nx-session.cjs): the project graph is built once, not once per command.
 */
export interface NxRunner {
  run(stages: SessionStage[]): Promise<void>;
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

/** The script that runs a list of Nx commands in one process. */
export const NX_SESSION = join(import.meta.dirname, 'nx-session.cjs');

/**
 * The environment of the Nx process. Plugins load in that process (`NX_ISOLATE_PLUGINS=false`): Nx
 * otherwise starts one worker process per plugin, seconds on a small machine, for a graph built
 * from one config file. Each variable can be overridden through the caller's environment.
 */
export function nxEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_ISOLATE_PLUGINS: 'false', ...env };
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
  // Refuses a folder that is not a workspace with Nx installed before anything is logged.
  nxBinary(options.workspaceRoot);
  await mkdir(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const write = (text: string) => {
    const clean = redactSecrets(text, options.secrets);
    options.echo(clean);
    log.write(clean);
  };
  return {
    async run(stages) {
      // The stage running is the last whose header the session printed (a header may span two chunks).
      let current = stages[0]?.title ?? 'nx';
      let seen = '';
      const headers = new Map(stages.map((stage) => [stageHeader(stage).trim(), stage.title]));
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [NX_SESSION, JSON.stringify(stages)], {
          cwd: options.workspaceRoot,
          env: nxEnvironment(options.env),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          seen = (seen + text).slice(-4096);
          let at = -1;
          for (const [header, title] of headers) {
            const i = seen.lastIndexOf(header);
            if (i > at) [at, current] = [i, title];
          }
          write(text);
        });
        child.stderr.on('data', (chunk: Buffer) => write(chunk.toString('utf8')));
        child.on('error', () => resolve(-1));
        child.on('close', (c) => resolve(c));
      });
      if (code !== 0)
        throw new DatasmithError('E_INTERNAL', `${current} failed (nx exit ${code}); see ${options.logFile}`);
    },
    close: () => new Promise((resolve) => log.end(resolve)),
  };
}
