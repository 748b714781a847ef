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

/** The files of the first commit (path → lines); PRs edit them in place. */
function initialFiles(): Map<string, string[]> {
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
  return files;
}

function signature(id: PersonId, at: Date, zone: PersonId = id): GitSignature {
  return { name: PEOPLE[id].name, email: PEOPLE[id].email, at, offset: offsetAt(PEOPLE[zone], at) };
}

/** One PR: its number, who wrote and merged it, when, its commits' changes and its title. */
interface BenchPull {
  n: number;
  author: PersonId;
  merger: PersonId;
  mergedAt: Date;
  stepChanges: FileChange[][];
  title: string;
}

/**
 * The bench repository's history as it is written: the files (edited in place by each PR), the
 * PRNG (drawn in a fixed order, so the history is the same for a seed), the stream and its counts.
 */
class BenchHistory {
  readonly script = new FastImportScript();
  private readonly files = initialFiles();
  private mark = 0;
  /** The mark of main's tip. */
  tip = 0;
  commits = 0;
  merges = 0;
  squashes = 0;

  constructor(private readonly random: () => number) {}

  private text(path: string): string {
    return `${(this.files.get(path) as string[]).join('\n')}\n`;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  commitRoot(at: Date): void {
    this.tip = ++this.mark;
    this.script.commit({
      ref: 'refs/heads/main',
      mark: this.tip,
      author: signature('asouza', at),
      committer: signature('asouza', at),
      message: 'Initial commit\n',
      changes: [...this.files.keys()].sort().map((path) => ({ path, content: this.text(path) })),
    });
    this.commits = 1;
  }

  /** Rewrites one random function of one random module. */
  private editModule(): { change: FileChange; what: string } {
    const { random } = this;
    const m = Math.floor(random() * MODULES);
    const path = `benchpkg/mod_${String(m).padStart(2, '0')}.py`;
    const lines = this.files.get(path) as string[];
    const f = Math.floor(random() * FUNCS_PER_MODULE);
    const at = 4 + f * 4 + 3;
    const k = Math.floor(random() * 97) + 1;
    lines[at] = random() < 0.5 ? `    return x * ${k} + ${m}` : `    return math.floor(x * ${k}) + ${m}`;
    return { change: { path, content: this.text(path) }, what: `f_${f} in mod_${String(m).padStart(2, '0')}` };
  }

  private appendLine(path: string, line: string): FileChange {
    (this.files.get(path) as string[]).push(line);
    return { path, content: this.text(path) };
  }

  /** A PR's change, drawn at random: a docs, test or CI line, or one or two function edits (PERF, Fix or ENH). */
  drawChange(n: number): { stepChanges: FileChange[][]; title: string } {
    const roll = this.random();
    if (roll < 0.08)
      return { stepChanges: [[this.appendLine('docs/index.rst', `Note ${n}.`)]], title: `DOC: clarify note ${n}` };
    if (roll < 0.14) {
      return {
        stepChanges: [[this.appendLine('tests/test_mods.py', `# regression check ${n}`)]],
        title: `TST: add regression check ${n}`,
      };
    }
    if (roll < 0.17) {
      return {
        stepChanges: [[this.appendLine('.github/workflows/ci.yml', `# job ${n}`)]],
        title: `CI: adjust workflow (${n})`,
      };
    }
    const first = this.editModule();
    const stepChanges = [[first.change]];
    const title =
      roll < 0.27 ? `PERF: speed up ${first.what}` : roll < 0.6 ? `Fix ${first.what}` : `ENH: extend ${first.what}`;
    if (this.random() < 0.35) stepChanges.push([this.editModule().change]);
    return { stepChanges, title };
  }

  /** The PR's commits on a scratch branch, an hour apart before the merge, then a merge commit on main. */
  landByMerge(pull: BenchPull, body: string): void {
    const { stepChanges, title, author, merger, mergedAt, n } = pull;
    let parent = this.tip;
    stepChanges.forEach((changes, i) => {
      const at = new Date(mergedAt.getTime() - (stepChanges.length - i) * 3_600_000);
      const m = ++this.mark;
      this.script.commit({
        ref: 'refs/heads/pr-scratch',
        mark: m,
        author: signature(author, at),
        committer: signature(author, at),
        message: `${title} (part ${i + 1})\n`,
        from: parent,
        changes,
      });
      parent = m;
      this.commits++;
    });
    const m = ++this.mark;
    this.script.commit({
      ref: 'refs/heads/main',
      mark: m,
      author: signature(merger, mergedAt),
      committer: signature('github', mergedAt, merger),
      message: `Merge pull request #${n} from ${PEOPLE[author].login}/change-${n}\n\n${title}\n\n${body}\n`,
      from: this.tip,
      merges: [parent],
      changes: mergeChanges(stepChanges),
    });
    this.tip = m;
    this.merges++;
  }

  /** One squash commit on main with the PR's whole change. */
  landBySquash(pull: BenchPull, body: string): void {
    const { stepChanges, title, author, merger, mergedAt, n } = pull;
    const m = ++this.mark;
    this.script.commit({
      ref: 'refs/heads/main',
      mark: m,
      author: signature(author, mergedAt),
      committer: signature('github', mergedAt, merger),
      message: `${title} (#${n})\n\n${body}\n`,
      from: this.tip,
      changes: mergeChanges(stepChanges),
    });
    this.tip = m;
    this.squashes++;
  }
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
  const history = new BenchHistory(random);
  const start = Date.UTC(2024, 0, 1, 0, 0, 0);
  const end = Date.UTC(2025, 0, 1, 0, 0, 0);
  const step = (end - start) / (options.prs + 1);
  history.commitRoot(new Date(start - 86_400_000));

  let firstMergedAt = '';
  let lastMergedAt = '';
  for (let n = 1; n <= options.prs; n++) {
    const mergedAt = new Date(Math.floor((start + n * step + random() * step * 0.5) / 1000) * 1000);
    const author = history.pick(CAST);
    const merger = history.pick(CAST);
    const pull: BenchPull = { n, author, merger, mergedAt, ...history.drawChange(n) };
    const merge = random() < 0.5;
    const body = `Changes ${pull.title.toLowerCase()}.`;
    if (merge) history.landByMerge(pull, body);
    else history.landBySquash(pull, body);
    history.commits++;
    const iso = mergedAt.toISOString();
    if (!firstMergedAt) firstMergedAt = iso;
    lastMergedAt = iso;
  }
  history.script.reset('refs/heads/main', history.tip);
  await runFastImport(dir, history.script);
  // PR branches were written on one scratch ref (cheap for fast-import); merged, they need no ref.
  if (history.merges > 0) await git(dir, ['update-ref', '-d', 'refs/heads/pr-scratch']);
  const head = await gitText(dir, ['rev-parse', 'refs/heads/main']);
  return {
    gitDir: dir,
    prs: options.prs,
    mergeCommits: history.merges,
    squashCommits: history.squashes,
    commits: history.commits,
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
