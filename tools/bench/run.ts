/**
 * `npm run bench`: speed against the physical limit, measured in one run on the same machine.
 *   collect/git = R   collect over a ≥10,000-PR history ÷ the git command that reads what collect must read:
 *                     `git log --first-parent --diff-merges=first-parent -p --numstat --summary` over the same
 *                     window, one process, one thread (goal 1.5×; this script exits non-zero above 3×).
 *                     Also printed: the ratio against `git log --first-parent --numstat` (no patches).
 *   no-op = S s       a fully cached re-run of the whole demo graph (`npm run demo` twice)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DIFF_ARGS } from '@datasmith/git';
import { MemoStore } from '@datasmith/memo';
import { silentLogger } from '@datasmith/progress';
import { collect } from '@datasmith/steps';
import { OfflineStore } from '@datasmith/store';
import { CommitRow, TABLE_KEYS, writeTable } from '@datasmith/tables';
import { generateBenchRepo } from '../demo/src/generate';

const root = resolve(import.meta.dirname, '../..');
const args = new Set(process.argv.slice(2));
const PRS = 10_000;
const RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timeCommand(command: string, argv: string[], cwd = root, env = process.env): number {
  const t0 = performance.now();
  const result = spawnSync(command, argv, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${result.status})`);
  return (performance.now() - t0) / 1000;
}

async function benchCollect(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'ds-bench-'));
  try {
    const mirror = join(work, 'store', 'bench', 'big.git');
    const t0 = performance.now();
    const summary = await generateBenchRepo(mirror, { prs: PRS });
    process.stdout.write(
      `bench repository: ${JSON.stringify(summary)} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    const first = spawnSync('git', ['-C', mirror, 'log', '--reverse', '--first-parent', '--format=%cI', 'HEAD'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const dates = first.stdout.trim().split('\n');
    const since = new Date(Date.UTC(new Date(dates[0] as string).getUTCFullYear(), 0, 1));
    const until = new Date(Date.UTC(new Date(dates[dates.length - 1] as string).getUTCFullYear() + 1, 0, 1));
    const gitTimes: number[] = [];
    const numstatTimes: number[] = [];
    const collectTimes: number[] = [];
    let rows = 0;
    const window = [`--since-as-filter=${since.toISOString()}`, `--until=${until.toISOString()}`, 'HEAD'];
    for (let i = 0; i < RUNS; i++) {
      gitTimes.push(
        timeCommand('git', [
          '-C',
          mirror,
          'log',
          '--first-parent',
          '--diff-merges=first-parent',
          ...DIFF_ARGS,
          '-p',
          '--numstat',
          '--summary',
          ...window,
        ]),
      );
      numstatTimes.push(timeCommand('git', ['-C', mirror, 'log', '--first-parent', '--numstat', ...window]));
      const t = performance.now();
      const memo = new MemoStore({ root: join(work, 'memo'), enabled: false });
      const result = await collect(
        { repos: ['bench/big'], window: { start: since, end: until } },
        { store: new OfflineStore(join(work, 'store')), memo, log: silentLogger },
      );
      await writeTable(join(work, 'commits.parquet'), CommitRow, result.rows, TABLE_KEYS.commits);
      collectTimes.push((performance.now() - t) / 1000);
      rows = result.rows.length;
    }
    const g = median(gitTimes);
    const c = median(collectTimes);
    const n = median(numstatTimes);
    process.stdout.write(
      `git log --first-parent -p --numstat (what collect reads): ${g.toFixed(2)} s (median of ${RUNS})\n`,
    );
    process.stdout.write(`git log --first-parent --numstat (no patches): ${n.toFixed(2)} s (median of ${RUNS})\n`);
    process.stdout.write(`collect (${rows} PRs, patches, has_asv, Parquet): ${c.toFixed(2)} s (median of ${RUNS})\n`);
    process.stdout.write(`collect/git-numstat = ${(c / n).toFixed(2)} (for comparison with earlier figures)\n`);
    return c / g;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function benchNoop(): number {
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  if (!existsSync(join(root, 'data', 'demo', 'store'))) timeCommand('npm', ['run', '-s', 'demo'], root, env);
  timeCommand('npm', ['run', '-s', 'demo'], root, env);
  return timeCommand('npm', ['run', '-s', 'demo'], root, env);
}

const ratio = await benchCollect();
process.stdout.write(`collect/git = ${ratio.toFixed(2)}\n`);
if (!args.has('--no-demo')) {
  const noop = benchNoop();
  process.stdout.write(`no-op = ${noop.toFixed(1)} s\n`);
}
if (ratio > 3) {
  process.stderr.write(`bench: collect/git = ${ratio.toFixed(2)} is above the 3× limit\n`);
  process.exit(1);
}
