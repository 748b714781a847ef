import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLLECT_DROP_REASONS,
  DEMO_CASES,
  DEMO_MONTHS,
  DEMO_REPOS,
  type DemoCase,
  EMPTY_MONTH,
  MONTH_BOUNDARY_CASES,
  PERF_CATEGORIES,
  PREPARE_DROP_REASONS,
  findCase,
} from './cases';
import { type DemoStoreSummary, generateBenchRepo, generateDemoStore } from './generate';
import { git, gitText } from './git';
import { pythonUnavailableReason, runAllBenchmarksOnce, runPackageTests, timeBenchmarks } from './python-check';

/**
 * Checks the generated store from the outside, with real git and the JSON files only: what a
 * collect implementation would see. The summary returned by the generator is used only to find
 * commits for the Python checks.
 */

let root: string;
let store: string;
let summary: DemoStoreSummary;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'demo-store-test-'));
  store = join(root, 'a', 'store');
  summary = await generateDemoStore(store);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface LogEntry {
  sha: string;
  parents: string[];
  /** Committer date as git prints it (`%cI`, local time with offset). */
  committerDate: string;
  message: string;
}

async function firstParentLog(gitDir: string, ref: string): Promise<LogEntry[]> {
  const out = await gitText(gitDir, ['log', '--first-parent', '--format=%H%x1f%P%x1f%cI%x1f%B%x1e', ref]);
  return out
    .split('\x1e')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [sha = '', parents = '', committerDate = '', message = ''] = s.split('\x1f');
      return { sha, parents: parents.split(' ').filter(Boolean), committerDate, message: message.trim() };
    });
}

interface PullFile {
  number: number;
  title: string;
  merged_at: string;
  merge_commit_sha: string;
  commits: number;
  created_at: string;
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function pullFiles(repo: string): Promise<PullFile[]> {
  const dir = join(store, repo, 'pulls');
  const files = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(files.map((f) => readJson<PullFile>(join(dir, f))));
}

function utcMonth(iso: string): string {
  return new Date(iso).toISOString().slice(0, 7);
}

interface DerivedPull {
  repo: string;
  number: number;
  style: 'merge' | 'squash' | 'rebase';
  month: string;
  landed: string;
  base: string;
  onDefaultBranch: boolean;
}

/** Every merged PR found from git history plus PR files, the way the spec describes it. */
async function derivePulls(repo: string, defaultBranch: string): Promise<DerivedPull[]> {
  const gitDir = join(store, `${repo}.git`);
  const log = await firstParentLog(gitDir, `refs/heads/${defaultBranch}`);
  const index = new Map(log.map((e, i) => [e.sha, i]));
  const files = await pullFiles(repo);
  const fileBySha = new Map(files.map((f) => [f.merge_commit_sha, f]));
  const out: DerivedPull[] = [];
  for (const [i, e] of log.entries()) {
    const merge = /^Merge pull request #(\d+) from \S+\/\S+$/.exec(e.message.split('\n')[0] ?? '');
    const squash = /\(#(\d+)\)$/.exec(e.message.split('\n')[0] ?? '');
    const file = fileBySha.get(e.sha);
    const month = utcMonth(file?.merged_at ?? e.committerDate);
    if (merge && e.parents.length === 2) {
      out.push({
        repo,
        number: Number(merge[1]),
        style: 'merge',
        month,
        landed: e.sha,
        base: e.parents[0] as string,
        onDefaultBranch: true,
      });
    } else if (squash && e.parents.length === 1) {
      out.push({
        repo,
        number: Number(squash[1]),
        style: 'squash',
        month,
        landed: e.sha,
        base: e.parents[0] as string,
        onDefaultBranch: true,
      });
    } else if (file) {
      const first = log[i + file.commits - 1] as LogEntry;
      out.push({
        repo,
        number: file.number,
        style: 'rebase',
        month,
        landed: e.sha,
        base: first.parents[0] as string,
        onDefaultBranch: true,
      });
    }
  }
  for (const f of files) {
    if (index.has(f.merge_commit_sha)) continue;
    const parents = (await gitText(gitDir, ['rev-list', '--parents', '-n', '1', f.merge_commit_sha]))
      .split(' ')
      .slice(1);
    out.push({
      repo,
      number: f.number,
      style: parents.length === 2 ? 'merge' : 'squash',
      month: utcMonth(f.merged_at),
      landed: f.merge_commit_sha,
      base: parents[0] as string,
      onDefaultBranch: false,
    });
  }
  return out.sort((a, b) => a.number - b.number);
}

const PACKAGE_REPOS = DEMO_REPOS.filter((r) => r.benchmarkDir !== null);

describe('demo store', () => {
  let derived: DerivedPull[];
  beforeAll(async () => {
    derived = (await Promise.all(PACKAGE_REPOS.map((r) => derivePulls(r.name, r.defaultBranch)))).flat();
  });

  it('has the PRs of the cases, found from git and PR files alone', () => {
    const key = (x: { repo: string; number: number }) => `${x.repo}#${x.number}`;
    expect(derived.map(key).sort()).toEqual(DEMO_CASES.map(key).sort());
    for (const d of derived) {
      const c = findCase(d.repo, d.number);
      expect({ style: d.style, month: d.month, onDefault: d.onDefaultBranch }, key(d)).toEqual({
        style: c.style,
        month: c.month,
        onDefault: c.baseRef === null,
      });
    }
  });

  it('meets the volume and merge-style floors in 2024', () => {
    const year = derived.filter((d) => d.month.startsWith('2024-'));
    const count = (style: string) => year.filter((d) => d.style === style).length;
    expect(year.length).toBeGreaterThanOrEqual(150);
    expect(count('merge') / year.length).toBeGreaterThanOrEqual(0.3);
    expect(count('squash') / year.length).toBeGreaterThanOrEqual(0.3);
    expect(count('rebase')).toBeGreaterThanOrEqual(5);
    expect(
      DEMO_CASES.filter((c) => c.expected.label === 'perf' && c.expected.collect.kept).length,
    ).toBeGreaterThanOrEqual(25);
  });

  it('has PRs in every month but the empty one, and none in the empty month', () => {
    for (const month of DEMO_MONTHS) {
      const n = derived.filter((d) => d.month === month).length;
      if (month === EMPTY_MONTH) expect(n, month).toBe(0);
      else expect(n, month).toBeGreaterThan(0);
    }
  });

  it('has a case for every collect and prepare drop reason and valid categories', () => {
    for (const reason of COLLECT_DROP_REASONS) {
      expect(
        DEMO_CASES.some((c) => c.expected.collect.dropReason === reason),
        reason,
      ).toBe(true);
    }
    for (const reason of PREPARE_DROP_REASONS) {
      expect(
        DEMO_CASES.some((c) => c.expected.prepare?.dropReason === reason),
        reason,
      ).toBe(true);
    }
    for (const c of DEMO_CASES) {
      if (c.expected.label === 'perf') expect(PERF_CATEGORIES).toContain(c.expected.category);
      else expect(c.expected.category).toBeUndefined();
      expect(c.month).toBe(utcMonth(c.mergedAt));
    }
  });

  it('writes committer dates in several time zones, with a merge near a month boundary', async () => {
    const offsets = new Set<string>();
    for (const r of PACKAGE_REPOS) {
      for (const e of await firstParentLog(join(store, `${r.name}.git`), `refs/heads/${r.defaultBranch}`)) {
        offsets.add(e.committerDate.slice(19));
      }
    }
    expect(offsets.size).toBeGreaterThanOrEqual(5);
    expect([...offsets].some((o) => o.endsWith(':30'))).toBe(true);
    for (const { repo, number } of MONTH_BOUNDARY_CASES) {
      const d = derived.find((x) => x.repo === repo && x.number === number) as DerivedPull;
      const local = await gitText(join(store, `${repo}.git`), ['show', '-s', '--format=%cI', d.landed]);
      const utc = new Date(local);
      expect(local.slice(19)).not.toMatch(/^(Z|\+00:00)$/);
      expect(local.slice(0, 7), `${repo}#${number} local month`).not.toBe(utcMonth(local));
      const boundary = Date.UTC(utc.getUTCFullYear(), utc.getUTCMonth() + (utc.getUTCDate() > 15 ? 1 : 0), 1);
      expect(Math.abs(utc.getTime() - boundary)).toBeLessThan(3_600_000);
    }
  });

  it('keeps collect drop reasons true to the store', async () => {
    const byReason = (reason: string) => DEMO_CASES.filter((c) => c.expected.collect.dropReason === reason);
    const landed = (c: DemoCase) => derived.find((d) => d.repo === c.repo && d.number === c.number) as DerivedPull;
    for (const c of byReason('empty_change')) {
      const gitDir = join(store, `${c.repo}.git`);
      const d = landed(c);
      expect(await gitText(gitDir, ['rev-parse', `${d.landed}^{tree}`])).toBe(
        await gitText(gitDir, ['rev-parse', `${d.base}^{tree}`]),
      );
    }
    for (const c of byReason('no_asv_at_base')) {
      const paths = await gitText(join(store, `${c.repo}.git`), ['ls-tree', '-r', '--name-only', landed(c).base]);
      expect(
        paths.split('\n').some((p) => /(^|\/)asv\..*\.json$/.test(p)),
        `${c.repo}#${c.number}`,
      ).toBe(false);
    }
    for (const c of byReason('not_on_default_branch')) {
      const file = await readJson<PullFile>(join(store, c.repo, 'pulls', `${c.number}.json`));
      const repo = DEMO_REPOS.find((r) => r.name === c.repo);
      expect(file.base.ref).not.toBe(repo?.defaultBranch);
      const line = await gitText(join(store, `${c.repo}.git`), [
        'rev-list',
        '--first-parent',
        `refs/heads/${repo?.defaultBranch}`,
      ]);
      expect(line.split('\n')).not.toContain(file.merge_commit_sha);
    }
    for (const c of DEMO_CASES.filter((x) => x.expected.prepare)) {
      const d = landed(c);
      const numstat = await gitText(join(store, `${c.repo}.git`), ['diff', '--numstat', d.base, d.landed]);
      const rows = numstat.split('\n').filter(Boolean);
      const lines = rows.reduce((n, r) => n + Number(r.split('\t')[0]) + Number(r.split('\t')[1]), 0);
      const reason = c.expected.prepare?.dropReason;
      if (reason === 'too_large') expect(lines).toBeGreaterThan(40_000);
      if (reason === 'too_many_files') expect(rows.length).toBeGreaterThanOrEqual(500);
      if (reason === 'too_few_tokens') expect(lines).toBeLessThanOrEqual(2);
    }
  });

  it('stores one mirror as loose objects with exactly one PR whose diff cannot be computed', async () => {
    const repo = DEMO_REPOS.find((r) => r.mirror === 'imperfect');
    expect(repo).toBeDefined();
    const gitDir = join(store, `${repo?.name}.git`);
    expect((await readdir(join(gitDir, 'objects', 'pack'))).filter((f) => f.endsWith('.pack'))).toEqual([]);
    const failing: number[] = [];
    for (const d of derived.filter((x) => x.repo === repo?.name)) {
      await git(gitDir, ['ls-tree', '-r', d.landed]);
      try {
        await git(gitDir, ['diff', d.base, d.landed]);
      } catch {
        failing.push(d.number);
      }
    }
    expect(failing).toEqual([repo?.missingBlob?.pullNumber]);
    const blob = await gitText(gitDir, ['rev-parse', `refs/heads/${repo?.defaultBranch}:${repo?.missingBlob?.path}`]);
    await expect(git(gitDir, ['cat-file', '-e', blob])).rejects.toThrow();
  });

  it('reaches one mirror through a symlink into the store', async () => {
    const repo = DEMO_REPOS.find((r) => r.mirror === 'symlink');
    const link = join(store, `${repo?.name}.git`);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).not.toMatch(/^\//);
    expect(relative(await realpath(store), await realpath(link))).toMatch(/^\.mirrors\//);
    expect(await gitText(link, ['rev-parse', '--is-bare-repository'])).toBe('true');
  });

  it('writes repos.csv, repo.json files and issue files as documented', async () => {
    const csv = (await readFile(join(store, 'repos.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toMatch(/^repo_name,stars,/);
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(DEMO_REPOS.map((r) => r.name));
    for (const r of DEMO_REPOS) {
      const file = join(store, r.name, 'repo.json');
      if (!r.metadata) {
        await expect(lstat(file)).rejects.toThrow();
        continue;
      }
      const json = await readJson<Record<string, unknown>>(file);
      expect(json).toMatchObject({
        full_name: r.name,
        stargazers_count: r.metadata.stars,
        fork: r.metadata.fork,
        archived: r.metadata.archived,
        default_branch: r.defaultBranch,
      });
      if (r.mirror !== 'none') {
        const paths = await gitText(join(store, `${r.name}.git`), [
          'ls-tree',
          '-r',
          '--name-only',
          `refs/heads/${r.defaultBranch}`,
        ]);
        expect(
          paths
            .split('\n')
            .filter((p) => /(^|\/)asv\..*\.json$/.test(p))
            .sort(),
        ).toEqual([...r.asvConfigAtHead]);
      }
    }
    for (const c of DEMO_CASES.filter((x) => x.linkedIssue !== null)) {
      const pull = await readJson<PullFile & { body: string }>(join(store, c.repo, 'pulls', `${c.number}.json`)).catch(
        () => null,
      );
      const issue = await readJson<{ created_at: string; comments: Array<{ created_at: string }> }>(
        join(store, c.repo, 'issues', `${c.linkedIssue}.json`),
      );
      expect(issue.comments.length).toBeGreaterThan(0);
      if (pull) {
        expect(pull.body).toContain(`#${c.linkedIssue}`);
        expect(issue.comments.some((cm) => cm.created_at < pull.created_at)).toBe(true);
        expect(issue.created_at < pull.created_at).toBe(true);
      }
    }
  });

  it('has every perf case benchmark at the base commit', async () => {
    for (const c of DEMO_CASES.filter((x) => x.expected.label === 'perf')) {
      const repo = DEMO_REPOS.find((r) => r.name === c.repo);
      const d = derived.find((x) => x.repo === c.repo && x.number === c.number) as DerivedPull;
      for (const name of c.expected.benchmarks ?? []) {
        const [module, cls, method] = name.split('.');
        const source = await gitText(join(store, `${c.repo}.git`), [
          'show',
          `${d.base}:${repo?.benchmarkDir}/${module}.py`,
        ]);
        expect(source, `${c.repo}#${c.number} ${name}`).toContain(`class ${cls}:`);
        expect(source, `${c.repo}#${c.number} ${name}`).toContain(`def ${method}(self)`);
      }
    }
  });

  it('is deterministic: same refs and same files on a second run, also over an existing store', async () => {
    const other = join(root, 'b', 'store');
    await generateDemoStore(other);
    await generateDemoStore(store);
    const snapshot = async (dir: string) => {
      const files: Record<string, string> = {};
      const walk = async (rel: string): Promise<void> => {
        for (const entry of (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) =>
          a.name < b.name ? -1 : 1,
        )) {
          const path = join(rel, entry.name);
          if (entry.isSymbolicLink()) files[path] = `-> ${await readlink(join(dir, path))}`;
          else if (entry.isDirectory()) {
            if (entry.name.endsWith('.git'))
              files[path] = await gitText(join(dir, path), ['for-each-ref', '--format=%(refname) %(objectname)']);
            else await walk(path);
          } else
            files[path] = createHash('sha256')
              .update(await readFile(join(dir, path)))
              .digest('hex');
        }
      };
      await walk('');
      return files;
    };
    const [a, b] = await Promise.all([snapshot(store), snapshot(other)]);
    expect(Object.keys(a).length).toBeGreaterThan(100);
    expect(a).toEqual(b);
    expect((await readdir(join(root, 'a'))).sort()).toEqual(['store']);
  });
});

describe('benchmark repository', () => {
  it('writes thousands of merged PRs with fast-import', async () => {
    const dir = join(root, 'bench.git');
    const result = await generateBenchRepo(dir, { prs: 1_000 });
    expect(result.mergeCommits + result.squashCommits).toBe(1_000);
    const log = await firstParentLog(dir, 'refs/heads/main');
    expect(log.filter((e) => /^Merge pull request #\d+ /.test(e.message)).length).toBe(result.mergeCommits);
    expect(log.filter((e) => /\(#\d+\)$/.test(e.message.split('\n')[0] ?? '')).length).toBe(result.squashCommits);
    expect(await gitText(dir, ['ls-tree', '--name-only', log.at(-1)?.sha ?? ''])).toContain('asv.conf.json');
    const again = await generateBenchRepo(join(root, 'bench2.git'), { prs: 1_000 });
    expect(again.head).toBe(result.head);
  });
});

const reason = await pythonUnavailableReason();

describe('demo packages on the host python', () => {
  const perfChecks = [
    { repo: 'acme/fastmath', number: 10 },
    { repo: 'orbit/textkit', number: 24 },
    { repo: 'gridlab/geoframe', number: 25 },
  ];

  it.skipIf(reason !== null)(
    `runs each package's tests and benchmarks ${reason ? `(skipped: ${reason})` : ''}`,
    async () => {
      for (const repo of PACKAGE_REPOS) {
        const gitDir = join(store, `${repo.name}.git`);
        // The imperfect mirror cannot export its head; use the commit its last PR applies to.
        const ref =
          repo.mirror === 'imperfect'
            ? (summary.landed.find((l) => l.repo === repo.name && l.number === repo.missingBlob?.pullNumber)
                ?.baseSha as string)
            : await gitText(gitDir, ['rev-parse', `refs/heads/${repo.defaultBranch}`]);
        const tests = await runPackageTests(gitDir, ref);
        expect(tests.failed, repo.name).toEqual([]);
        expect(tests.passed, repo.name).toBeGreaterThan(0);
        const ran = await runAllBenchmarksOnce(gitDir, ref, repo.benchmarkDir as string);
        expect(ran.length, repo.name).toBeGreaterThan(0);
      }
    },
    180_000,
  );

  it.skipIf(reason !== null)(
    `makes perf PRs measurably faster ${reason ? `(skipped: ${reason})` : ''}`,
    async () => {
      for (const { repo, number } of perfChecks) {
        const c = findCase(repo, number);
        const demoRepo = DEMO_REPOS.find((r) => r.name === repo);
        const landed = summary.landed.find((l) => l.repo === repo && l.number === number);
        const gitDir = join(store, `${repo}.git`);
        if (!landed || !demoRepo?.benchmarkDir) throw new Error(`no landing for ${repo}#${number}`);
        for (const sha of [landed.baseSha, landed.sha]) {
          expect((await runPackageTests(gitDir, sha)).failed, `${repo}#${number} at ${sha}`).toEqual([]);
        }
        const names = c.expected.benchmarks ?? [];
        const before = await timeBenchmarks(gitDir, landed.baseSha, demoRepo.benchmarkDir, names, 0.3);
        const after = await timeBenchmarks(gitDir, landed.sha, demoRepo.benchmarkDir, names, 0.3);
        for (const name of names) {
          expect(
            (before[name] as number) / (after[name] as number),
            `${repo}#${number} ${name}`,
          ).toBeGreaterThanOrEqual(1.3);
        }
      }
    },
    180_000,
  );
});
