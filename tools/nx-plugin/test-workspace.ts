import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { FixtureRepo } from '@datasmith/git/testing';

/** The real workspace this file belongs to. */
export const MAIN_ROOT = resolve(import.meta.dirname, '../..');

/** Files copied from the real workspace; `libs` and the plugin are copied so tests may edit them. */
const COPIED = ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json', '.gitignore'];

/** The result of one `nx` invocation. */
export interface NxRun {
  status: number;
  output: string;
  /** `project:target` of every task Nx executed (not restored from cache), sorted. */
  executed: string[];
  /** `project:target` of every task restored from cache, sorted. */
  cached: string[];
  /** The part of `cached` that came from the remote cache (Nx's `remote-cache-hit`), sorted. */
  remote: string[];
  seconds: number;
}

/**
 * A throw-away copy of the workspace: config files copied, `libs` and `tools/nx-plugin` copied (so a
 * test may edit a rule file), `node_modules` rebuilt from symlinks into the real one (with
 * `@datasmith/*` pointing at the copied libs), its own git repository and its own offline store.
 */
export class TestWorkspace {
  readonly root: string;
  readonly store: string;
  private readonly sources: string;

  /**
   * @param pluginSteps when given, the copied nx.json registers the plugin with only these steps
   *   (e.g. the steps that need no Docker engine).
   */
  constructor(prefix = 'datasmith-nx-', pluginSteps?: readonly string[]) {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.store = join(this.root, 'data/store');
    this.sources = join(this.root, '.fixture-sources');
    for (const file of COPIED) cpSync(join(MAIN_ROOT, file), join(this.root, file));
    const skip = (src: string) => !/[/\\](node_modules|__snapshots__)([/\\]|$)/.test(src);
    cpSync(join(MAIN_ROOT, 'libs'), join(this.root, 'libs'), { recursive: true, filter: skip });
    cpSync(join(MAIN_ROOT, 'tools/nx-plugin'), join(this.root, 'tools/nx-plugin'), { recursive: true, filter: skip });
    this.linkNodeModules();
    if (pluginSteps) {
      const nxJson = JSON.parse(readFileSync(join(this.root, 'nx.json'), 'utf8'));
      nxJson.plugins = [{ plugin: './tools/nx-plugin/index.ts', options: { steps: [...pluginSteps] } }];
      writeFileSync(join(this.root, 'nx.json'), `${JSON.stringify(nxJson, null, 2)}\n`);
    }
    writeFileSync(
      join(this.root, '.gitignore'),
      `${readFileSync(join(this.root, '.gitignore'), 'utf8')}/.fixture-sources/\n`,
    );
  }

  private linkNodeModules(): void {
    const target = join(this.root, 'node_modules');
    mkdirSync(target);
    for (const entry of readdirSync(join(MAIN_ROOT, 'node_modules'))) {
      if (entry === '@datasmith' || entry === '.cache') continue;
      symlinkSync(join(MAIN_ROOT, 'node_modules', entry), join(target, entry));
    }
    mkdirSync(join(target, '@datasmith'));
    for (const lib of readdirSync(join(this.root, 'libs'))) {
      symlinkSync(join(this.root, 'libs', lib), join(target, '@datasmith', lib));
    }
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  write(file: string, content: string): void {
    mkdirSync(dirname(this.path(file)), { recursive: true });
    writeFileSync(this.path(file), content);
  }

  /** sha256 of every file under the given folders (relative to the workspace), keyed by path. */
  fingerprint(dirs: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (dir: string) => {
      if (!existsSync(this.path(dir))) return;
      for (const entry of readdirSync(this.path(dir)).sort()) {
        const rel = `${dir}/${entry}`;
        if (statSync(this.path(rel)).isDirectory()) walk(rel);
        else
          out[rel] = createHash('sha256')
            .update(readFileSync(this.path(rel)))
            .digest('hex');
      }
    };
    for (const dir of dirs) walk(dir);
    return out;
  }

  read(file: string): string {
    return readFileSync(this.path(file), 'utf8');
  }

  exists(file: string): boolean {
    return existsSync(this.path(file));
  }

  git(args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.root,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: this.root },
    }).trim();
  }

  /** `git init` + one commit of everything not ignored. */
  commitAll(message: string): void {
    if (!existsSync(this.path('.git'))) {
      this.git(['init', '-q', '-b', 'main']);
      this.git(['config', 'user.email', 'test@example.com']);
      this.git(['config', 'user.name', 'test']);
    }
    this.git(['add', '-A']);
    this.git(['commit', '-q', '--allow-empty', '-m', message]);
  }

  /** The working repository behind a mirror of the store (created on first use). */
  source(repo: string): FixtureRepo {
    return new FixtureRepo(join(this.sources, repo));
  }

  /** Copies a source repository into the store as a bare mirror `<store>/<owner>/<name>.git`. */
  mirror(repo: string): void {
    const bare = join(this.store, `${repo}.git`);
    rmSync(bare, { recursive: true, force: true });
    mkdirSync(dirname(bare), { recursive: true });
    execFileSync('git', ['clone', '-q', '--bare', join(this.sources, repo), bare]);
  }

  /** Pushes the source's main branch to its mirror (a new commit arriving in the store). */
  push(repo: string): void {
    execFileSync('git', ['-C', join(this.sources, repo), 'push', '-q', join(this.store, `${repo}.git`), 'main']);
  }

  /**
   * Runs the real Nx of the workspace without daemon, cloud or TUI, and reads which tasks ran.
   * Asynchronous, so that loopback servers of the test process (a fake LLM) can answer the tasks.
   */
  async nx(args: string[], env: NodeJS.ProcessEnv = {}): Promise<NxRun> {
    const started = performance.now();
    rmSync(this.path('.nx/cache/run.json'), { force: true });
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      CI: 'true',
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      ...env,
    };
    // The caller's own choices must not leak in (vitest may run with a config or a cache dir set).
    for (const key of ['DATASMITH_CONFIG', 'NX_CACHE_DIRECTORY', 'NX_SKIP_NX_CACHE', 'NX_BASE', 'NX_HEAD']) {
      if (!(key in env)) delete childEnv[key];
    }
    const child = spawn(process.execPath, [join(this.root, 'node_modules/nx/dist/bin/nx.js'), ...args], {
      cwd: this.root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const status = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? -1));
    });
    const seconds = (performance.now() - started) / 1000;
    return { status, output, ...this.lastRunTasks(), seconds };
  }

  /**
   * The tasks of this run from `.nx/cache/run.json` (removed before each run; Nx writes it with each
   * task's cache status): executed = not a cache hit. Empty when the run started no task.
   */
  private lastRunTasks(): { executed: string[]; cached: string[]; remote: string[] } {
    const file = this.path('.nx/cache/run.json');
    if (!existsSync(file)) return { executed: [], cached: [], remote: [] };
    const run = JSON.parse(readFileSync(file, 'utf8')) as {
      tasks: { taskId: string; cacheStatus: string }[];
    };
    const executed = run.tasks.filter((t) => !t.cacheStatus.includes('hit')).map((t) => t.taskId);
    const cached = run.tasks.filter((t) => t.cacheStatus.includes('hit')).map((t) => t.taskId);
    const remote = run.tasks.filter((t) => t.cacheStatus.includes('remote')).map((t) => t.taskId);
    return { executed: executed.sort(), cached: cached.sort(), remote: remote.sort() };
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A GitHub pull request file for the squash-merged PR #2. */
export function pullJson(sha: string, i: number, body: string): string {
  return JSON.stringify({
    number: 2,
    title: 'Avoid a copy in mean',
    body,
    state: 'closed',
    merged_at: `2024-01-1${i}T12:00:00Z`,
    merge_commit_sha: sha,
    base: { ref: 'main' },
  });
}

/** Two months of history per repository: merge commits and squash commits on the first-parent line. */
export function buildTwoMonthStore(ws: TestWorkspace, repos: readonly string[]): void {
  for (const [i, repo] of repos.entries()) {
    const src = ws.source(repo);
    src.commit(
      {
        'asv.conf.json': '{"version": 1, "benchmark_dir": "benchmarks"}\n',
        'pkg/__init__.py': '',
        'pkg/core.py': 'def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n',
        'benchmarks/bench_core.py': 'from pkg.core import total\n\ndef time_total():\n    total(range(1000))\n',
      },
      'Initial commit',
      '2023-11-01T10:00:00Z',
    );
    src.mergePull(
      1,
      'Speed up total with sum',
      { 'pkg/core.py': 'def total(xs):\n    return sum(xs)\n' },
      `2024-01-0${i + 2}T10:00:00Z`,
    );
    const squash = src.squashPull(
      2,
      'Avoid a copy in mean',
      { 'pkg/stats.py': 'def mean(xs):\n    return sum(xs) / len(xs)\n' },
      `2024-01-1${i}T12:00:00Z`,
    );
    src.squashPull(3, 'Document total', { 'docs/index.md': '# total\n' }, '2024-02-03T09:00:00Z');
    src.mergePull(
      4,
      'Cache the parsed config',
      { 'pkg/config.py': 'import functools\n\n@functools.cache\ndef load():\n    return {}\n' },
      '2024-02-14T16:00:00Z',
    );
    ws.mirror(repo);
    ws.write(`data/store/${repo}/repo.json`, JSON.stringify({ full_name: repo, stargazers_count: 1000 + i }));
    ws.write(`data/store/${repo}/pulls/2.json`, pullJson(squash, i, 'mean() no longer copies its input.'));
  }
}
