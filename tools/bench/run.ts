/**
 * `npm run bench`: speed against the physical limit, measured in one run on the same machine.
 *   collect/git = R   collect over a ≥10,000-PR history ÷ the git command that reads what collect must read:
 *                     `git log --first-parent --diff-merges=first-parent -p --numstat --summary` over the same
 *                     window, one process, one thread (goal 1.5×; this script exits non-zero above 3×).
 *                     Also printed: the ratio against `git log --first-parent --numstat` (no patches).
 *   no-op = S s       a fully cached re-run of the whole demo graph (`npm run demo` twice)
 *   cli start         `datasmith --help`, `datasmith prepare --help`, `datasmith config print` and a prepare
 *                     of an empty commits table, each ÷ `node -e 0` and ÷ `node --import tsx -e 0` (the
 *                     floor of a CLI that runs TypeScript through tsx); Nx starts one CLI per target. This
 *                     script exits non-zero when `prepare --help` is above 3× the tsx floor.
 * Flags: --no-demo, --no-collect (skip those parts).
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
const START_RUNS = 7;

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

/** {@link timeCommand} for a command whose log lines would drown the report: stderr shown only on failure. */
function timeQuietly(command: string, argv: string[], cwd: string): number {
  const t0 = performance.now();
  const result = spawnSync(command, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${result.status}): ${result.stderr}`);
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

/** Median wall time of CLI starts, interleaved with the floors so that load on the machine hits all alike. */
async function benchCliStart(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'ds-bench-start-'));
  try {
    await writeTable(join(work, 'commits.parquet'), CommitRow, [], TABLE_KEYS.commits);
    const cli = join(root, 'libs/cli/bin/datasmith.js');
    const runs: [label: string, argv: string[], cwd: string][] = [
      ['node -e 0', ['-e', '0'], root],
      ['node --import tsx -e 0', ['--import', 'tsx', '-e', '0'], root],
      ['datasmith --help', [cli, '--help'], root],
      ['datasmith prepare --help', [cli, 'prepare', '--help'], root],
      ['datasmith config print', [cli, 'config', 'print'], root],
      ['datasmith prepare (0 rows)', [cli, 'prepare', '--in', 'commits.parquet', '--out', 'prepared.parquet'], work],
    ];
    const times = new Map(runs.map(([label]) => [label, [] as number[]]));
    // The first round warms the disk cache and tsx's transform cache; it is not counted.
    for (let round = 0; round <= START_RUNS; round++) {
      for (const [label, argv, cwd] of runs) {
        const t = timeQuietly(process.execPath, argv, cwd);
        if (round > 0) times.get(label)!.push(t);
      }
    }
    const node = median(times.get('node -e 0')!);
    const tsx = median(times.get('node --import tsx -e 0')!);
    for (const [label] of runs) {
      const t = median(times.get(label)!);
      process.stdout.write(
        `${label.padEnd(28)} ${(t * 1000).toFixed(0).padStart(5)} ms  ×node ${(t / node).toFixed(1).padStart(5)}  ×tsx ${(t / tsx).toFixed(2).padStart(5)}  (median of ${START_RUNS})\n`,
      );
    }
    return median(times.get('datasmith prepare --help')!) / tsx;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const startRatio = await benchCliStart();
process.stdout.write(`cli start (prepare --help)/tsx floor = ${startRatio.toFixed(2)}\n`);
const ratio = args.has('--no-collect') ? null : await benchCollect();
if (ratio !== null) process.stdout.write(`collect/git = ${ratio.toFixed(2)}\n`);
if (!args.has('--no-demo')) {
  const noop = benchNoop();
  process.stdout.write(`no-op = ${noop.toFixed(1)} s\n`);
}
if (ratio !== null && ratio > 3) {
  process.stderr.write(`bench: collect/git = ${ratio.toFixed(2)} is above the 3× limit\n`);
  process.exit(1);
}
if (startRatio > 3) {
  process.stderr.write(`bench: a step's CLI start is ${startRatio.toFixed(2)}× the tsx floor, above the 3× limit\n`);
  process.exit(1);
}
