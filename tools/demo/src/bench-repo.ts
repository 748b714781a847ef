import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FastImportScript, type GitSignature, git, gitText, initBareRepository, runFastImport } from './git';
import { PEOPLE, type PersonId, offsetAt } from './people';
import type { FileChange } from './tree';

/**
 * A large synthetic repository for speed benchmarks of collect and friends: thousands of merged
 * PRs (merge commits and squash commits) with small, real-looking Python diffs, an ASV config from
 * the first commit, spread over 2024 with committers in several time zones. Written in one
 * `git fast-import` stream; deterministic for a given `prs` and `seed`.
 */

/** Options of {@link generateBenchRepo}. */
export interface BenchRepoOptions {
  /** How many PRs to merge. */
  prs: number;
  /** PRNG seed. Default 20240101. */
  seed?: number;
}

/** What {@link generateBenchRepo} wrote. */
export interface BenchRepoSummary {
  readonly gitDir: string;
  readonly prs: number;
  readonly mergeCommits: number;
  readonly squashCommits: number;
  /** Every commit, PR branch commits included. */
  readonly commits: number;
  readonly head: string;
  readonly firstMergedAt: string;
  readonly lastMergedAt: string;
  readonly elapsedMs: number;
}

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODULES = 48;
const FUNCS_PER_MODULE = 12;
const CAST: readonly PersonId[] = [
  'asouza',
  'kwatanabe',
  'lfischer',
  'mjohnson',
  'praman',
  'tokafor',
  'wzhang',
  'staylor',
];

function moduleLines(m: number): string[] {
  const lines = [`"""Generated module ${m} of benchpkg."""`, '', 'import math', ''];
  for (let f = 0; f < FUNCS_PER_MODULE; f++) {
    lines.push('', `def f_${f}(x):`, `    """Function ${f} of module ${m}."""`, `    return x * ${f + 1} + ${m}`);
  }
  return lines;
}

/** Generates the benchmark repository as a bare repo at `gitDir` (replaced when it exists). */
export async function generateBenchRepo(gitDir: string, options: BenchRepoOptions): Promise<BenchRepoSummary> {
  const started = Date.now();
  if (!Number.isInteger(options.prs) || options.prs < 1)
    throw new Error(`--prs must be a positive integer, got ${options.prs}`);
  const dir = resolve(gitDir);
  await rm(dir, { recursive: true, force: true });
  await initBareRepository(dir, 'main');
  const random = prng(options.seed ?? 20240101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  const files = new Map<string, string[]>();
  for (let m = 0; m < MODULES; m++) files.set(`benchpkg/mod_${String(m).padStart(2, '0')}.py`, moduleLines(m));
  files.set('benchpkg/__init__.py', ['"""benchpkg."""', '', '__version__ = "1.0.0"']);
  files.set('pyproject.toml', ['[project]', 'name = "benchpkg"', 'version = "1.0.0"', 'dependencies = ["numpy"]']);
  files.set('asv.conf.json', [
    '{',
    '    "version": 1,',
    '    "project": "benchpkg",',
    '    "repo": ".",',
    '    "benchmark_dir": "benchmarks",',
    '    "environment_type": "virtualenv"',
    '}',
  ]);
  files.set('benchmarks/__init__.py', ['']);
  files.set('benchmarks/bench_mods.py', ['from benchpkg import mod_00', '', '', 'def time_f0():', '    mod_00.f_0(3)']);
  files.set('tests/test_mods.py', [
    'from benchpkg import mod_00',
    '',
    '',
    'def test_f0():',
    '    assert mod_00.f_0(1) == 1',
  ]);
  files.set('docs/index.rst', ['benchpkg', '========']);
  files.set('.github/workflows/ci.yml', ['name: ci', 'on: [push]']);
  const text = (path: string) => `${(files.get(path) as string[]).join('\n')}\n`;

  const script = new FastImportScript();
  let mark = 0;
  const start = Date.UTC(2024, 0, 1, 0, 0, 0);
  const end = Date.UTC(2025, 0, 1, 0, 0, 0);
  const step = (end - start) / (options.prs + 1);
  const signature = (id: PersonId, at: Date, zone: PersonId = id): GitSignature => ({
    name: PEOPLE[id].name,
    email: PEOPLE[id].email,
    at,
    offset: offsetAt(PEOPLE[zone], at),
  });

  const rootAt = new Date(start - 86_400_000);
  let tip = ++mark;
  script.commit({
    ref: 'refs/heads/main',
    mark: tip,
    author: signature('asouza', rootAt),
    committer: signature('asouza', rootAt),
    message: 'Initial commit\n',
    changes: [...files.keys()].sort().map((path) => ({ path, content: text(path) })),
  });
  let commits = 1;
  let merges = 0;
  let squashes = 0;

  const editModule = (): { change: FileChange; what: string } => {
    const m = Math.floor(random() * MODULES);
    const path = `benchpkg/mod_${String(m).padStart(2, '0')}.py`;
    const lines = files.get(path) as string[];
    const f = Math.floor(random() * FUNCS_PER_MODULE);
    const at = 4 + f * 4 + 3;
    const k = Math.floor(random() * 97) + 1;
    lines[at] = random() < 0.5 ? `    return x * ${k} + ${m}` : `    return math.floor(x * ${k}) + ${m}`;
    return { change: { path, content: text(path) }, what: `f_${f} in mod_${String(m).padStart(2, '0')}` };
  };
  const appendLine = (path: string, line: string): FileChange => {
    (files.get(path) as string[]).push(line);
    return { path, content: text(path) };
  };

  let firstMergedAt = '';
  let lastMergedAt = '';
  for (let n = 1; n <= options.prs; n++) {
    const mergedAt = new Date(Math.floor((start + n * step + random() * step * 0.5) / 1000) * 1000);
    const author = pick(CAST);
    const merger = pick(CAST);
    const roll = random();
    const stepChanges: FileChange[][] = [];
    let title: string;
    if (roll < 0.08) {
      stepChanges.push([appendLine('docs/index.rst', `Note ${n}.`)]);
      title = `DOC: clarify note ${n}`;
    } else if (roll < 0.14) {
      stepChanges.push([appendLine('tests/test_mods.py', `# regression check ${n}`)]);
      title = `TST: add regression check ${n}`;
    } else if (roll < 0.17) {
      stepChanges.push([appendLine('.github/workflows/ci.yml', `# job ${n}`)]);
      title = `CI: adjust workflow (${n})`;
    } else {
      const first = editModule();
      stepChanges.push([first.change]);
      title =
        roll < 0.27 ? `PERF: speed up ${first.what}` : roll < 0.6 ? `Fix ${first.what}` : `ENH: extend ${first.what}`;
      if (random() < 0.35) stepChanges.push([editModule().change]);
    }
    const merge = random() < 0.5;
    const body = `Changes ${title.toLowerCase()}.`;
    if (merge) {
      let parent = tip;
      stepChanges.forEach((changes, i) => {
        const at = new Date(mergedAt.getTime() - (stepChanges.length - i) * 3_600_000);
        const m = ++mark;
        script.commit({
          ref: 'refs/heads/pr-scratch',
          mark: m,
          author: signature(author, at),
          committer: signature(author, at),
          message: `${title} (part ${i + 1})\n`,
          from: parent,
          changes,
        });
        parent = m;
        commits++;
      });
      const m = ++mark;
      script.commit({
        ref: 'refs/heads/main',
        mark: m,
        author: signature(merger, mergedAt),
        committer: signature('github', mergedAt, merger),
        message: `Merge pull request #${n} from ${PEOPLE[author].login}/change-${n}\n\n${title}\n\n${body}\n`,
        from: tip,
        merges: [parent],
        changes: mergeChanges(stepChanges),
      });
      tip = m;
      merges++;
    } else {
      const m = ++mark;
      script.commit({
        ref: 'refs/heads/main',
        mark: m,
        author: signature(author, mergedAt),
        committer: signature('github', mergedAt, merger),
        message: `${title} (#${n})\n\n${body}\n`,
        from: tip,
        changes: mergeChanges(stepChanges),
      });
      tip = m;
      squashes++;
    }
    commits++;
    const iso = mergedAt.toISOString();
    if (!firstMergedAt) firstMergedAt = iso;
    lastMergedAt = iso;
  }
  script.reset('refs/heads/main', tip);
  await runFastImport(dir, script);
  // PR branches were written on one scratch ref (cheap for fast-import); merged, they need no ref.
  if (merges > 0) await git(dir, ['update-ref', '-d', 'refs/heads/pr-scratch']);
  const head = await gitText(dir, ['rev-parse', 'refs/heads/main']);
  return {
    gitDir: dir,
    prs: options.prs,
    mergeCommits: merges,
    squashCommits: squashes,
    commits,
    head,
    firstMergedAt,
    lastMergedAt,
    elapsedMs: Date.now() - started,
  };
}

/** The final content of every path changed by a PR's commits (later commits win). */
function mergeChanges(stepChanges: readonly FileChange[][]): FileChange[] {
  const byPath = new Map<string, FileChange>();
  for (const changes of stepChanges) for (const c of changes) byPath.set(c.path, c);
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}
