import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CommitRow } from '@datasmith/tables';

/** The `datasmith` entry, run with plain node as users do (tests). */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'datasmith.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment of a spawned CLI: this process's, without any LLM settings of the machine. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DSPY_|OPENAI_|DATASMITH_)/.test(key)) delete env[key];
  }
  return { ...env, ...extra };
}

/** Spawns `node bin/datasmith.js …`; `onSpawn` gets the child (to kill it). */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; onSpawn?: (child: ChildProcess) => void },
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    options.onSpawn?.(child);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let n = 0;

/** A valid kept commits row with a real diff (tests). */
export function testCommit(title: string, body = '', overrides: Partial<CommitRow> = {}): CommitRow {
  n++;
  const number = overrides.pr_number ?? n;
  const hex = (seed: number) => seed.toString(16).padStart(40, '0');
  const patch = [
    `diff --git a/pkg/mod${number}.py b/pkg/mod${number}.py`,
    'index 1111111..2222222 100644',
    `--- a/pkg/mod${number}.py`,
    `+++ b/pkg/mod${number}.py`,
    '@@ -1,2 +1,1 @@ def total(values):',
    '-    for v in values:',
    '-        acc += v',
    `+    return np.add.reduce(values)  # row ${number}`,
    '',
  ].join('\n');
  return {
    repo_name: 'acme/widgets',
    pr_number: number,
    pr_title: title,
    pr_title_source: 'message',
    pr_body: body,
    pr_commits: '',
    pr_merged_at: `2024-05-${String(1 + (number % 28)).padStart(2, '0')}T12:00:00Z`,
    pr_merge_commit_sha: hex(number * 2 + 1),
    sha: hex(number * 2 + 1),
    pr_base_sha: hex(number * 2 + 2),
    pr_base_ref_sha: null,
    merge_style: 'squash',
    message: `${title} (#${number})`,
    date: '2024-05-10T12:00:00+00:00',
    files_changed: `pkg/mod${number}.py`,
    total_additions: 1,
    total_deletions: 2,
    total_files_changed: 1,
    has_asv: true,
    patch,
    kept: true,
    drop_reason: null,
    source: 'store',
    ...overrides,
  };
}
