// `datasmith update` end to end (issue: operate it every month): the real CLI driving the real Nx over a
// throw-away workspace, limited to the steps that need no Docker engine. Asserts the lock, the log,
// and that a SIGKILLed run, run again, redoes no finished task and ends byte-identical.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkspace, buildTwoMonthStore } from './test-workspace';

const REPOS = ['o1/alpha', 'o2/beta'] as const;
const STEPS = ['scrape-repos', 'collect', 'prepare', 'classify', 'merge', 'dataset'];
const OUTPUT_DIRS = ['data/collect', 'data/prepare', 'data/classify', 'data/master', 'data/dataset'];
const WINDOW = ['--start-date', '2024-01-01', '--end-date', '2024-03-01'];

let ws: TestWorkspace;

interface CliRun {
  status: number | null;
  output: string;
}

function startUpdate(args: string[]): { child: ChildProcess; done: Promise<CliRun>; output: () => string } {
  const child = spawn(process.execPath, ['libs/cli/bin/datasmith.js', 'update', ...args], {
    cwd: ws.root,
    env: { ...process.env, DATASMITH_CONFIG: '', NX_DAEMON: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that the test can SIGKILL update and the Nx run under it at once.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  const done = new Promise<CliRun>((resolve) => child.on('close', (status) => resolve({ status, output })));
  return { child, done, output: () => output };
}

function runUpdate(args: string[] = WINDOW): Promise<CliRun> {
  return startUpdate(args).done;
}

/** The Nx output of one section of an update log (`=== <title>: nx …` up to the next section). */
function section(log: string, title: string): string {
  const start = log.lastIndexOf(`=== ${title}:`);
  if (start < 0) return '';
  const next = log.indexOf('\n=== ', start + 4);
  return log.slice(start, next < 0 ? undefined : next);
}

/** The newest day's log: update names it by the UTC date its run started, which a slow run may leave behind. */
function todayLog(): string {
  const logs = readdirSync(ws.path('data/logs')).filter((f) => /^\d{4}-\d{2}-\d{2}\.log$/.test(f));
  return ws.path('data/logs', logs.sort().pop() ?? `${new Date().toISOString().slice(0, 10)}.log`);
}

/** Runs nx-session.cjs in the workspace on the given stages. */
function session(stages: object[], env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const run = spawnSync(process.execPath, ['libs/cli/src/update/nx-session.cjs', JSON.stringify(stages)], {
    cwd: ws.root,
    env: {
      ...process.env,
      DATASMITH_CONFIG: '',
      NX_DAEMON: 'false',
      NX_ISOLATE_PLUGINS: 'false',
      NO_COLOR: '1',
      ...env,
    },
    encoding: 'utf8',
  });
  return { ...run, output: `${run.stdout}${run.stderr}`, seconds: (Date.now() - started) / 1000 };
}

function month(key: string) {
  return {
    title: `month ${key}`,
    command: 'run-many',
    targets: ['collect', 'prepare', 'classify'],
    overrides: { month: key },
    parallel: 2,
  };
}

beforeAll(() => {
  ws = new TestWorkspace('datasmith-update-', STEPS);
  buildTwoMonthStore(ws, REPOS);
  ws.write(
    'datasmith.config.json',
    `${JSON.stringify({ source: 'store', store: 'data/store', repos: { file: 'data/config/repos.csv' }, scrape: { minStars: 0 } }, null, 2)}\n`,
  );
  ws.write('data/config/repos.csv', `repo_name\n${REPOS.join('\n')}\n`);
  ws.commitAll('workspace');
});

afterAll(() => ws?.dispose());

describe.sequential('datasmith update (real CLI, real Nx)', { timeout: 600_000 }, () => {
  let uninterrupted: Record<string, string> = {};

  it('refuses an end in the future and a date that is not the first of a month, before any work', async () => {
    const future = await runUpdate(['--start-date', '2024-01-01', '--end-date', '2999-01-01']);
    expect(future.status).toBe(2);
    expect(future.output).toMatch(/--end-date 2999-01-01: it is in the future/);
    const mid = await runUpdate(['--start-date', '2024-01-15', '--end-date', '2024-03-01']);
    expect(mid.status).toBe(2);
    expect(mid.output).toMatch(/Invalid --start-date/);
    expect(existsSync(ws.path('data/collect'))).toBe(false);
  });

  it('--dry-run lists the Nx commands of every month and the global steps, and runs nothing', async () => {
    const run = await runUpdate([...WINDOW, '--dry-run']);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('scrape-repos: nx run repos:scrape-repos');
    expect(run.output).toMatch(
      /month 2024-01: nx run-many -t collect prepare classify synthesize verify publish --month=2024-01/,
    );
    expect(run.output).toMatch(/month 2024-02: nx run-many .*--month=2024-02/);
    expect(run.output).toMatch(/global steps: nx run-many -t merge dataset report/);
    // Nothing has run yet: the first tasks would run, the ones reading their outputs follow them.
    expect(run.output).toMatch(/would run\s+repo-o1__alpha:collect/);
    expect(run.output).toMatch(/after upstream\s+repo-o1__alpha:classify/);
    expect(run.output).toMatch(/would run\s+repos:scrape-repos/);
    expect(existsSync(ws.path('data/collect'))).toBe(false);
  });

  it('runs scrape-repos, every month and the global steps, and logs to data/logs/<date>.log', async () => {
    const run = await runUpdate();
    expect(run.status, run.output).toBe(0);
    for (const repo of REPOS) {
      for (const month of ['2024-01', '2024-02'])
        expect(ws.exists(`data/classify/${repo.replace('/', '__')}/${month}/classified.parquet`)).toBe(true);
    }
    expect(ws.exists('data/master/master.parquet')).toBe(true);
    expect(ws.exists('data/dataset/README.md')).toBe(true);
    const log = readFileSync(todayLog(), 'utf8');
    for (const title of ['scrape-repos', 'month 2024-01', 'month 2024-02', 'global steps'])
      expect(log).toContain(`=== ${title}:`);
    // One Nx process for the whole update: the project graph is built before scrape-repos and once
    // more after it (it writes the repository list), not once per month.
    expect(run.output.match(/nx-session: project graph built \(\d+ projects/g)).toHaveLength(2);
    expect(section(log, 'month 2024-02')).toMatch(/Successfully ran targets collect, prepare, classify/);
    expect(ws.exists('data/update.lock')).toBe(false);
    uninterrupted = ws.fingerprint(OUTPUT_DIRS);
    expect(Object.keys(uninterrupted).length).toBeGreaterThan(8);

    // Now every task is in Nx's cache, and the dry run says so.
    const dry = await runUpdate([...WINDOW, '--dry-run']);
    expect(dry.status, dry.output).toBe(0);
    const totals = [...dry.output.matchAll(/(\d+) tasks: (\d+) cached, (\d+) would run, (\d+) after upstream/g)];
    expect(totals.map((m) => [m[1], m[2]])).toEqual([
      ['1', '1'],
      ['6', '6'],
      ['6', '6'],
      ['2', '2'],
    ]);
  });

  it('the Nx session: each stage reports its own run, and the first failing stage ends it with its name', () => {
    // Every task is cached: six months in one process, each with Nx's own summary.
    const cached = session(['2024-01', '2024-02', '2024-01', '2024-02', '2024-01', '2024-02'].map(month));
    expect(cached.status, cached.output).toBe(0);
    expect(cached.output.match(/for 6 out of 6 tasks/g)).toHaveLength(6);
    // Nx measures a run from this process's performance entries: a stage's "Run duration" must not
    // include the stages before it (their sum stays below the session's own wall time).
    const durations = [...cached.output.matchAll(/Run duration:\s+([\d.]+)(ms|s)/g)].map(
      (m) => Number(m[1]) / (m[2] === 'ms' ? 1000 : 1),
    );
    expect(durations).toHaveLength(6);
    expect(durations.reduce((a, b) => a + b, 0)).toBeLessThan(cached.seconds);

    const failing = session([
      month('2024-13'),
      { title: 'global steps', command: 'run-many', targets: ['merge'], overrides: {} },
    ]);
    // Nx's own exit status (nx run-many exits 130 here: the failed collect leaves tasks unrun).
    expect(failing.status).not.toBe(0);
    expect(failing.stderr).toContain(`nx-session: month 2024-13 failed (nx exit ${failing.status})`);
    expect(failing.output).not.toContain('=== global steps');
  });

  it('the Nx session builds the graph again after scrape-repos, whose repository list makes the projects', () => {
    rmSync(ws.path('data/repos'), { recursive: true, force: true });
    const scrape = {
      title: 'scrape-repos',
      command: 'run',
      targets: ['scrape-repos'],
      projects: ['repos'],
      overrides: {},
      refreshGraph: true,
    };
    // The list is scrape-repos' output (as in the demo config): no repository project before it runs.
    const run = session([scrape, month('2024-01')], { DATASMITH_REPOS: 'data/repos/repos.csv' });
    expect(run.status, run.output).toBe(0);
    const counts = [...run.output.matchAll(/project graph built \((\d+) projects/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(2);
    expect((counts[1] ?? 0) - (counts[0] ?? 0)).toBe(REPOS.length);
    for (const repo of REPOS) expect(run.output).toContain(`repo-${repo.replace('/', '__')}:classify --month=2024-01`);
  });

  it('a second run while one holds the lock exits 3 naming its PID; a lock of a dead PID is taken over', async () => {
    const holder = spawn('sleep', ['60']);
    try {
      ws.write(
        'data/update.lock',
        JSON.stringify({ pid: holder.pid, startedAt: new Date().toISOString(), command: 'update' }),
      );
      const blocked = await runUpdate();
      expect(blocked.status).toBe(3);
      expect(blocked.output).toContain(`PID ${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
    }
    const dead = spawnSync('true').pid;
    ws.write('data/update.lock', JSON.stringify({ pid: dead, startedAt: new Date().toISOString(), command: 'update' }));
    const takeover = await runUpdate();
    expect(takeover.status, takeover.output).toBe(0);
    expect(takeover.output).toContain(`its holder (PID ${dead}) is gone`);
    expect(ws.fingerprint(OUTPUT_DIRS)).toEqual(uninterrupted);
  });

  it('SIGKILLed in the middle and run again: completes, redoes no finished task, byte-identical tables', async () => {
    for (const dir of [...OUTPUT_DIRS, 'data/repos', '.nx/cache', 'data/memo', 'data/logs'])
      rmSync(ws.path(dir), { recursive: true, force: true });
    const first = startUpdate(WINDOW);
    // Wait until the first month is done and the second has started, then kill the whole group.
    const deadline = Date.now() + 240_000;
    while (!first.output().includes('=== month 2024-02:') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(first.output()).toContain('=== month 2024-02:');
    process.kill(-(first.child.pid as number), 'SIGKILL');
    const killed = await first.done;
    expect(killed.status).toBeNull();
    expect(ws.exists('data/update.lock')).toBe(true);

    const again = await runUpdate();
    expect(again.status, again.output).toBe(0);
    // Every task of the finished month comes from Nx's cache: nothing finished is redone.
    const month1 = section(readFileSync(todayLog(), 'utf8'), 'month 2024-01');
    expect(month1).toMatch(/from the cache instead of running the command for (\d+) out of \1 tasks/);
    expect(ws.fingerprint(OUTPUT_DIRS)).toEqual(uninterrupted);
  });
});
