// Integration tests of the Nx graph (spec §2, required semantics): the real nx, the real CLI and
// real git mirrors in a temporary copy of the workspace. Each test asserts the exact set of tasks
// that ran, read from Nx's own `.nx/cache/run.json`. The tests share one workspace and run in order.
import { rmSync } from 'node:fs';
import { startFakeOpenAiServer } from '@datasmith/llm/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED_REPO_STEPS } from './options';
import { type NxRun, TestWorkspace, buildTwoMonthStore, pullJson } from './test-workspace';

const REPOS = ['o1/alpha', 'o1/beta', 'o2/gamma'] as const;
const PROJECTS = REPOS.map((r) => `repo-${r.replace('/', '__')}`);

/**
 * The per-repository steps that need no Docker engine (synthesize and publish have their own Docker
 * tests); every one must be enabled, so a step whose command does not exist fails here.
 */
const STEPS: readonly string[] = ['collect', 'prepare', 'classify'].filter((s) =>
  (ENABLED_REPO_STEPS as readonly string[]).includes(s),
);
const LAST = STEPS[STEPS.length - 1] ?? 'collect';

const CONFIG = { source: 'store', store: 'data/store', repos: { file: 'data/config/repos.csv' } };

let ws: TestWorkspace;
const timings: string[] = [];

/** Every task of the given projects and steps, as Nx names them. */
function tasks(projects: readonly string[], steps: readonly string[] = STEPS): string[] {
  return projects.flatMap((p) => steps.map((s) => `${p}:${s}`)).sort();
}

/** Runs every enabled step of one month; fails the test when Nx fails. */
async function runMonth(month: string, label: string, env: NodeJS.ProcessEnv = {}): Promise<NxRun> {
  const run = await ws.nx(
    ['run-many', '-t', ...STEPS, `--month=${month}`, '--output-style=static', '--parallel=2'],
    env,
  );
  timings.push(`${label}: ${run.executed.length} executed, ${run.cached.length} cached, ${run.seconds.toFixed(1)} s`);
  expect(run.status, run.output).toBe(0);
  return run;
}

function monthDirs(month: string): string[] {
  return STEPS.flatMap((step) => REPOS.map((r) => `data/${step}/${r.replace('/', '__')}/${month}`));
}

beforeAll(() => {
  ws = new TestWorkspace('datasmith-nx-', [...STEPS, 'scrape-repos']);
  buildTwoMonthStore(ws, REPOS);
  ws.write('datasmith.config.json', `${JSON.stringify(CONFIG, null, 2)}\n`);
  ws.write('data/config/repos.csv', `repo_name\n${REPOS.join('\n')}\n`);
  ws.commitAll('workspace');
});

afterAll(() => {
  console.info(`graph.test.ts (steps: ${STEPS.join(', ')})\n  ${timings.join('\n  ')}`);
  ws?.dispose();
});

// Each step runs real CLI processes; on a loaded 2-core machine one run can take half a minute.
describe.sequential('the Nx graph (spec §2)', { timeout: 300_000 }, () => {
  it('runs every task of a month once on the first run', async () => {
    const run = await runMonth('2024-01', 'first run 2024-01');
    expect(run.executed).toEqual(tasks(PROJECTS));
    for (const repo of REPOS)
      expect(ws.exists(`data/collect/${repo.replace('/', '__')}/2024-01/commits.parquet`)).toBe(true);
  });

  it('§2.1 executes nothing on a second identical run', async () => {
    const run = await runMonth('2024-01', '§2.1 second run');
    const n = PROJECTS.length * STEPS.length;
    expect(run.executed).toEqual([]);
    expect(run.cached).toEqual(tasks(PROJECTS));
    expect(run.output).toContain(`for ${n} out of ${n} tasks`);
  });

  it('§2.8 leaves git status clean: every output is under the ignored data/', () => {
    expect(ws.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });

  it('§2.6 restores deleted outputs from the cache, byte-identical', async () => {
    const before = ws.fingerprint(monthDirs('2024-01'));
    rmSync(ws.path('data/collect/o2__gamma/2024-01/commits.parquet'));
    rmSync(ws.path(`data/${LAST}/o1__alpha/2024-01`), { recursive: true });
    const run = await runMonth('2024-01', '§2.6 deleted outputs');
    expect(run.executed).toEqual([]);
    expect(ws.fingerprint(monthDirs('2024-01'))).toEqual(before);
  });

  it("§2.2 a new commit in one mirror re-runs only that repository's tasks", async () => {
    const src = ws.source('o1/alpha');
    src.squashPull(
      5,
      'Vectorise mean',
      { 'pkg/stats.py': 'def mean(xs):\n    return sum(xs) / len(xs)  # fast\n' },
      '2024-01-25T08:00:00Z',
    );
    ws.push('o1/alpha');
    const run = await runMonth('2024-01', '§2.2 new commit in o1/alpha');
    expect(run.executed).toEqual(tasks(['repo-o1__alpha']));
  });

  it("§2.2 an edited PR file re-runs only that repository's tasks", async () => {
    const pull = JSON.parse(ws.read('data/store/o1/beta/pulls/2.json')) as { merge_commit_sha: string };
    ws.write(
      'data/store/o1/beta/pulls/2.json',
      pullJson(pull.merge_commit_sha, 1, 'mean() no longer copies; 2x faster.'),
    );
    const run = await runMonth('2024-01', '§2.2 edited o1/beta pulls/2.json');
    expect(run.executed).toEqual(tasks(['repo-o1__beta']));
  });

  it.runIf(STEPS.includes('classify'))(
    "§2.2 a new issue file re-runs that repository's store readers; prepare is cut off",
    async () => {
      ws.write(
        'data/store/o2/gamma/issues/7.json',
        JSON.stringify({ number: 7, title: 'total() is slow', body: null }),
      );
      const run = await runMonth('2024-01', '§2.2 new o2/gamma issues/7.json');
      // collect re-runs (its hash covers the store) but writes the same table, so prepare is a hit;
      // classify reads issues itself and re-runs.
      expect(run.executed).toEqual(['repo-o2__gamma:classify', 'repo-o2__gamma:collect']);
    },
  );

  it("§2.4 a new month runs only that month's tasks; earlier months stay byte-identical", async () => {
    const january = ws.fingerprint(monthDirs('2024-01'));
    const run = await runMonth('2024-02', '§2.4 new month 2024-02');
    expect(run.executed).toEqual(tasks(PROJECTS));
    for (const repo of REPOS)
      expect(ws.exists(`data/collect/${repo.replace('/', '__')}/2024-02/commits.parquet`)).toBe(true);
    expect(ws.fingerprint(monthDirs('2024-01'))).toEqual(january);
    const again = await runMonth('2024-01', '§2.4 back to 2024-01');
    expect(again.executed).toEqual([]);
    expect(ws.fingerprint(monthDirs('2024-01'))).toEqual(january);
  });

  it('a repository added to the list runs only its own tasks', async () => {
    const src = ws.source('o3/delta');
    src.commit(
      { 'asv.conf.json': '{"version": 1}\n', 'pkg/__init__.py': '' },
      'Initial commit',
      '2023-12-01T10:00:00Z',
    );
    src.squashPull(1, 'Faster import', { 'pkg/__init__.py': '# lazy\n' }, '2024-01-15T10:00:00Z');
    ws.mirror('o3/delta');
    ws.write('data/config/repos.csv', `repo_name\n${[...REPOS, 'o3/delta'].join('\n')}\n`);
    const run = await runMonth('2024-01', 'repository o3/delta added');
    expect(run.executed).toEqual(tasks(['repo-o3__delta']));
    expect(run.cached).toEqual(tasks(PROJECTS));
    ws.write('data/config/repos.csv', `repo_name\n${REPOS.join('\n')}\n`);
  });

  it.runIf(STEPS.includes('classify'))(
    '§2.3 switching classify.backend to llm re-runs classify only, and a second run calls no LLM',
    async () => {
      const llm = await startFakeOpenAiServer({
        respond: () => ({
          content: JSON.stringify({
            is_performance_commit: true,
            explanation: 'The change replaces a Python loop with a builtin.',
            category: 'use_better_algorithm',
            difficulty: 'easy',
            confidence: 90,
            problem_statement: 'Summing a large sequence is slow.',
          }),
        }),
      });
      try {
        const llmConfig = { ...CONFIG, classify: { backend: 'llm', model: 'fake-model' } };
        ws.write('datasmith.config.json', `${JSON.stringify(llmConfig, null, 2)}\n`);
        const env = { DSPY_URL: llm.url };
        const run = await runMonth('2024-01', '§2.3 classify.backend rules -> llm', env);
        const later = STEPS.slice(STEPS.indexOf('classify'));
        expect(run.executed).toEqual(tasks(PROJECTS, later));
        expect(run.cached).toEqual(tasks(PROJECTS, STEPS.slice(0, STEPS.indexOf('classify'))));
        const calls = llm.completions().length;
        expect(calls).toBeGreaterThan(0);

        const again = await runMonth('2024-01', '§2.3 llm backend, second run', env);
        expect(again.executed).toEqual([]);
        expect(llm.completions().length).toBe(calls);
      } finally {
        await llm.close();
        ws.write('datasmith.config.json', `${JSON.stringify(CONFIG, null, 2)}\n`);
      }
      // Back to the committed config: the rules results come back from the cache.
      const back = await runMonth('2024-01', '§2.3 back to rules');
      expect(back.executed).toEqual([]);
    },
  );

  it('§2.7 nx graph shows the chain of every repository', async () => {
    const run = await ws.nx(['graph', '--file=graph.json']);
    expect(run.status, run.output).toBe(0);
    const graph = JSON.parse(ws.read('graph.json')) as {
      graph: { nodes: Record<string, { data: { targets: Record<string, { dependsOn?: unknown[] }> } }> };
    };
    for (const project of PROJECTS) {
      const targets = graph.graph.nodes[project]?.data.targets ?? {};
      expect(Object.keys(targets)).toEqual(expect.arrayContaining([...STEPS]));
      STEPS.forEach((step, i) => {
        expect(targets[step]?.dependsOn).toEqual(i === 0 ? undefined : [{ target: STEPS[i - 1], params: 'forward' }]);
      });
    }
    const taskGraph = await ws.nx(['graph', `--targets=${LAST}`, '--file=tasks.json']);
    expect(taskGraph.status, taskGraph.output).toBe(0);
    const deps = (JSON.parse(ws.read('tasks.json')) as { tasks: { dependencies: Record<string, string[]> } }).tasks
      .dependencies;
    for (const project of PROJECTS) {
      STEPS.forEach((step, i) => {
        expect(deps[`${project}:${step}`]).toEqual(i === 0 ? [] : [`${project}:${STEPS[i - 1]}`]);
      });
    }
    rmSync(ws.path('graph.json'));
    rmSync(ws.path('tasks.json'));
    rmSync(ws.path('static'), { recursive: true, force: true });
  });

  it('§2.7 nx affected: a changed classify rule affects classify, never collect or prepare', async () => {
    // An edit to a rule file classify imports (a new file nothing imports is no step's code).
    const rules = 'libs/steps/src/classify/rules.ts';
    const original = ws.read(rules);
    ws.write(rules, `${original}\n// probe: a changed rule\n`);
    try {
      const upstream = STEPS.includes('classify') ? STEPS.slice(0, STEPS.indexOf('classify')) : [...STEPS];
      // Task-level selection (NX_LEGACY_AFFECTED=false): the steps before classify are not even selected.
      const env = { NX_LEGACY_AFFECTED: 'false' };
      const before = await ws.nx(['affected', '-t', ...upstream, '--month=2024-01', '--output-style=static'], env);
      expect(before.status, before.output).toBe(0);
      expect(before.output).toMatch(/No tasks were run|Nothing affected/);
      expect([...before.executed, ...before.cached]).toEqual([]);
      // Nx's default, project-level selection picks every repository project, but recomputes nothing.
      const legacy = await ws.nx(['affected', '-t', ...upstream, '--month=2024-01', '--output-style=static']);
      expect(legacy.status, legacy.output).toBe(0);
      expect(legacy.executed).toEqual([]);
      expect(legacy.cached).toEqual(tasks(PROJECTS, upstream));
      if (STEPS.includes('classify')) {
        const classify = await ws.nx(['affected', '-t', 'classify', '--month=2024-01', '--output-style=static'], env);
        timings.push(
          `§2.7 affected -t classify: ${classify.executed.length} executed, ${classify.seconds.toFixed(1)} s`,
        );
        expect(classify.status, classify.output).toBe(0);
        expect(classify.executed).toEqual(tasks(PROJECTS, ['classify']));
      }
    } finally {
      ws.write(rules, original);
    }
  });

  it('scrape-repos runs once, then hits the cache, and is restored when deleted', async () => {
    const first = await ws.nx(['run', 'repos:scrape-repos', '--output-style=static']);
    timings.push(`scrape-repos first: ${first.executed.length} executed, ${first.seconds.toFixed(1)} s`);
    expect(first.status, first.output).toBe(0);
    expect(first.executed).toEqual(['repos:scrape-repos']);
    expect(ws.read('data/repos/repos.csv').split('\n')[0]).toMatch(/^repo_name/);
    const csv = ws.read('data/repos/repos.csv');
    rmSync(ws.path('data/repos'), { recursive: true });
    const second = await ws.nx(['run', 'repos:scrape-repos', '--output-style=static']);
    expect(second.executed).toEqual([]);
    expect(second.cached).toEqual(['repos:scrape-repos']);
    expect(ws.read('data/repos/repos.csv')).toBe(csv);
    expect(ws.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });

  it('every per-repository task fails without a month', async () => {
    const run = await ws.nx(['run', `repo-o1__alpha:collect`, '--output-style=static', '--skip-nx-cache']);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/--month/);
  });
});
