import { mkdir, readFile, readdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { storeLayout } from '@datasmith/paths';
import { DEMO_CASES, DEMO_REPOS, type DemoRepo, type MergeStyle, casesOf } from './cases';
import { git, gitText, initBareRepository, runFastImport } from './git';
import { PEOPLE, githubTime } from './people';
import { type PlannedIssue, type PlannedPull, type RepoPlan, planRepository } from './plan';
import { DEMO_HISTORIES } from './repos';

export { generateBenchRepo } from './bench-repo';
export type { BenchRepoOptions, BenchRepoSummary } from './bench-repo';

/** Options of {@link generateDemoStore}. */
export interface DemoStoreOptions {
  /** Progress lines (one per repository). Default: silent. */
  log?: (line: string) => void;
}

/** One repository as generated. */
export interface DemoRepoSummary {
  readonly name: string;
  readonly mirror: DemoRepo['mirror'];
  /** Path of `<owner>/<name>.git` inside the store, or null without a mirror. */
  readonly mirrorPath: string | null;
  readonly defaultBranch: string;
  /** Sha of the default branch head. */
  readonly head: string | null;
  readonly pulls: number;
}

/** Where one PR landed in its mirror. */
export interface LandedPull {
  readonly repo: string;
  readonly number: number;
  /** The merge/squash commit, or the last commit of a rebase merge (GitHub's merge_commit_sha). */
  readonly sha: string;
  /** First parent of the first landed commit (collect's pr_base_sha). */
  readonly baseSha: string;
  /** GitHub's base.sha: where the PR branch started. */
  readonly forkSha: string;
  /** GitHub's head.sha, kept at refs/pull/N/head. */
  readonly headSha: string;
}

/** What {@link generateDemoStore} wrote. Everything but `elapsedMs` is the same on every run. */
export interface DemoStoreSummary {
  readonly storeDir: string;
  readonly repos: readonly DemoRepoSummary[];
  readonly pulls: {
    readonly total: number;
    readonly byStyle: Readonly<Record<MergeStyle, number>>;
    /** UTC month → PR count (every month of the cases, empty months included as 0 for 2024). */
    readonly byMonth: Readonly<Record<string, number>>;
    readonly perf: number;
    /** collect drop reason → PR count. */
    readonly collectDrops: Readonly<Record<string, number>>;
    readonly pullFiles: number;
    readonly issueFiles: number;
  };
  /** The repository stored as loose objects with one blob removed. */
  readonly imperfectMirror: {
    readonly repo: string;
    readonly pullNumber: number;
    readonly path: string;
    readonly blobSha: string;
    readonly landedSha: string;
  } | null;
  /** Where every PR landed: the landed commit (merge, squash, last rebased) and the commit it applies to. */
  readonly landed: readonly LandedPull[];
  /** Mirrors reached through a symlink. */
  readonly symlinkedMirrors: ReadonlyArray<{ readonly repo: string; readonly link: string; readonly target: string }>;
  readonly elapsedMs: number;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, json(value));
}

function repoId(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return 100_000_000 + (h % 800_000_000);
}

/** The GitHub repository object written to repo.json. */
function repoJson(repo: DemoRepo, plan: RepoPlan | null): Record<string, unknown> {
  const meta = repo.metadata;
  if (!meta) throw new Error(`${repo.name} has no metadata`);
  const [owner = '', name = ''] = repo.name.split('/');
  return {
    id: repoId(repo.name),
    name,
    full_name: repo.name,
    owner: { login: owner, type: 'Organization' },
    private: false,
    html_url: `https://github.com/${repo.name}`,
    description: meta.description,
    fork: meta.fork,
    url: `https://api.github.com/repos/${repo.name}`,
    clone_url: `https://github.com/${repo.name}.git`,
    homepage: null,
    stargazers_count: meta.stars,
    watchers_count: meta.stars,
    language: 'Python',
    forks_count: Math.floor(meta.stars / 9),
    archived: meta.archived,
    disabled: false,
    license: { key: 'bsd-3-clause', spdx_id: 'BSD-3-Clause' },
    topics: [...meta.topics],
    visibility: 'public',
    default_branch: repo.defaultBranch,
    ...(plan ? { created_at: githubTime(plan.firstCommitAt), pushed_at: githubTime(plan.lastCommitAt) } : {}),
    ...(meta.parent ? { parent: { full_name: meta.parent, html_url: `https://github.com/${meta.parent}` } } : {}),
  };
}

function pullJson(
  repo: string,
  defaultBranch: string,
  p: PlannedPull,
  sha: (mark: number) => string,
): Record<string, unknown> {
  const c = p.case;
  const author = PEOPLE[p.content.author];
  const owner = repo.split('/')[0] as string;
  const baseRef = c.baseRef ?? defaultBranch;
  const merged = githubTime(p.mergedAt);
  return {
    url: `https://api.github.com/repos/${repo}/pulls/${c.number}`,
    html_url: `https://github.com/${repo}/pull/${c.number}`,
    number: c.number,
    state: 'closed',
    locked: false,
    title: c.title,
    user: { login: author.login, type: 'User' },
    body: p.content.body,
    labels: (p.content.labels ?? []).map((name) => ({ name })),
    created_at: githubTime(p.createdAt),
    updated_at: merged,
    closed_at: merged,
    merged_at: merged,
    merge_commit_sha: sha(p.landedMark),
    draft: false,
    head: { label: `${author.login}:${p.content.branch}`, ref: p.content.branch, sha: sha(p.headMark) },
    base: { label: `${owner}:${baseRef}`, ref: baseRef, sha: sha(p.forkMark) },
    merged: true,
    merged_by: { login: PEOPLE[p.content.mergedBy].login, type: 'User' },
    commits: p.content.steps.length,
    changed_files: p.changedPaths.length,
  };
}

/** What writing one repository produced, for the store summary. */
interface WrittenRepository {
  summary: DemoRepoSummary;
  imperfect: DemoStoreSummary['imperfectMirror'];
  pullFiles: number;
  issueFiles: number;
  symlink: { repo: string; link: string; target: string } | null;
  landed: LandedPull[];
}

/** A repository without a mirror: its repo.json only, when it has metadata. */
async function writeMetadataOnly(layout: ReturnType<typeof storeLayout>, repo: DemoRepo): Promise<WrittenRepository> {
  if (repo.metadata) await writeJson(layout.repoJson(repo.name), repoJson(repo, null));
  return {
    summary: {
      name: repo.name,
      mirror: 'none',
      mirrorPath: null,
      defaultBranch: repo.defaultBranch,
      head: null,
      pulls: 0,
    },
    imperfect: null,
    pullFiles: 0,
    issueFiles: 0,
    symlink: null,
    landed: [],
  };
}

/** An imperfect mirror: loose objects, with the blob of `missingBlob` (at its PR's landed commit) deleted. */
async function removeMissingBlob(
  gitDir: string,
  repo: DemoRepo,
  plan: RepoPlan,
  sha: (mark: number) => string,
): Promise<NonNullable<DemoStoreSummary['imperfectMirror']>> {
  if (!repo.missingBlob) throw new Error(`${repo.name}: an imperfect mirror needs missingBlob`);
  const pull = plan.pulls.find((p) => p.case.number === repo.missingBlob?.pullNumber);
  if (!pull) throw new Error(`${repo.name}: no PR #${repo.missingBlob.pullNumber}`);
  const landedSha = sha(pull.landedMark);
  const blobSha = await gitText(gitDir, ['rev-parse', `${landedSha}:${repo.missingBlob.path}`]);
  await explodeToLooseObjects(gitDir);
  await git(gitDir, ['config', 'gc.auto', '0']);
  await unlink(join(gitDir, 'objects', blobSha.slice(0, 2), blobSha.slice(2)));
  return { repo: repo.name, pullNumber: pull.case.number, path: repo.missingBlob.path, blobSha, landedSha };
}

function issueJson(repo: string, i: PlannedIssue): Record<string, unknown> {
  const by = PEOPLE[i.issue.by];
  return {
    url: `https://api.github.com/repos/${repo}/issues/${i.issue.number}`,
    html_url: `https://github.com/${repo}/issues/${i.issue.number}`,
    number: i.issue.number,
    title: i.issue.title,
    user: { login: by.login, type: 'User' },
    labels: (i.issue.labels ?? []).map((n) => ({ name: n })),
    state: 'closed',
    state_reason: 'completed',
    body: i.issue.body,
    created_at: githubTime(i.openedAt),
    updated_at: githubTime(new Date(Math.max(i.closedAt.getTime(), ...i.comments.map((c) => c.at.getTime())))),
    closed_at: githubTime(i.closedAt),
    comments: i.comments.map((c) => ({
      user: { login: PEOPLE[c.by].login },
      created_at: githubTime(c.at),
      body: c.body,
    })),
  };
}

/** Writes repo.json (with metadata), the PR files of the cases that have one, and the issue files; returns the PR file count. */
async function writeMetadataFiles(
  layout: ReturnType<typeof storeLayout>,
  repo: DemoRepo,
  plan: RepoPlan,
  sha: (mark: number) => string,
): Promise<number> {
  if (repo.metadata) await writeJson(layout.repoJson(repo.name), repoJson(repo, plan));
  let pullFiles = 0;
  for (const p of plan.pulls) {
    if (!p.case.pullFile) continue;
    await writeJson(layout.pullJson(repo.name, p.case.number), pullJson(repo.name, repo.defaultBranch, p, sha));
    pullFiles++;
  }
  for (const i of plan.issues) await writeJson(layout.issueJson(repo.name, i.issue.number), issueJson(repo.name, i));
  return pullFiles;
}

/** Writes one repository's mirror and metadata into `root` (the store being built). */
async function writeRepository(root: string, repo: DemoRepo): Promise<WrittenRepository> {
  const layout = storeLayout(root);
  const history = DEMO_HISTORIES[repo.name];
  if (repo.mirror === 'none') {
    if (history) throw new Error(`${repo.name}: mirror 'none' but a history exists`);
    return writeMetadataOnly(layout, repo);
  }
  if (!history) throw new Error(`${repo.name}: no history module`);
  if (history.defaultBranch !== repo.defaultBranch) throw new Error(`${repo.name}: default branch mismatch`);
  const plan = planRepository(history, casesOf(repo.name));

  const linkPath = layout.mirror(repo.name);
  const [owner = '', name = ''] = repo.name.split('/');
  const gitDir = repo.mirror === 'symlink' ? join(root, '.mirrors', owner, `${name}.git`) : linkPath;
  await initBareRepository(gitDir, repo.defaultBranch);
  const marks = await runFastImport(gitDir, plan.script);
  const sha = (mark: number): string => {
    const s = marks.get(mark);
    if (!s) throw new Error(`${repo.name}: mark ${mark} was not exported`);
    return s;
  };
  const imperfect = repo.mirror === 'imperfect' ? await removeMissingBlob(gitDir, repo, plan, sha) : null;
  let link: { repo: string; link: string; target: string } | null = null;
  if (repo.mirror === 'symlink') {
    await mkdir(dirname(linkPath), { recursive: true });
    const target = relative(dirname(linkPath), gitDir);
    await symlink(target, linkPath, 'dir');
    link = { repo: repo.name, link: relative(root, linkPath), target };
  }
  const pullFiles = await writeMetadataFiles(layout, repo, plan, sha);
  const head = sha(plan.branchTips.get(repo.defaultBranch) as number);
  return {
    summary: {
      name: repo.name,
      mirror: repo.mirror,
      mirrorPath: relative(root, linkPath),
      defaultBranch: repo.defaultBranch,
      head,
      pulls: plan.pulls.length,
    },
    imperfect,
    pullFiles,
    issueFiles: plan.issues.length,
    symlink: link,
    landed: plan.pulls.map((p) => ({
      repo: repo.name,
      number: p.case.number,
      sha: sha(p.landedMark),
      baseSha: sha(p.baseMark),
      forkSha: sha(p.forkMark),
      headSha: sha(p.headMark),
    })),
  };
}

/** Replaces a repository's packs by loose objects (what an interrupted or dumb-HTTP fetch leaves). */
async function explodeToLooseObjects(gitDir: string): Promise<void> {
  const packDir = join(gitDir, 'objects', 'pack');
  const packs = (await readdir(packDir)).filter((f) => f.endsWith('.pack')).sort();
  for (const pack of packs) {
    const moved = join(gitDir, `${pack}.unpacking`);
    await rename(join(packDir, pack), moved);
    await rm(join(packDir, pack.replace(/\.pack$/, '.idx')), { force: true });
    await git(gitDir, ['unpack-objects', '-q'], await readFile(moved));
    await rm(moved);
  }
}

/** `repos.csv`: every repository with a mirror or metadata; unknown metadata stays empty. */
function reposCsv(): string {
  const rows = ['repo_name,stars,is_fork,is_archived,default_branch'];
  for (const repo of DEMO_REPOS) {
    const m = repo.metadata;
    rows.push(m ? `${repo.name},${m.stars},${m.fork},${m.archived},${repo.defaultBranch}` : `${repo.name},,,,`);
  }
  return `${rows.join('\n')}\n`;
}

/**
 * Generates the demo offline store (spec §4) into `storeDir`: bare mirrors written with
 * `git fast-import`, repo/PR/issue JSON files and repos.csv, all from `cases.ts` and the
 * repository modules. Deterministic: two runs give the same commit shas and the same files. The
 * store is built in a sibling folder and renamed into place, replacing any previous store.
 */
export async function generateDemoStore(storeDir: string, options: DemoStoreOptions = {}): Promise<DemoStoreSummary> {
  const started = Date.now();
  const target = resolve(storeDir);
  const building = join(dirname(target), `.${basename(target)}.building-${process.pid}`);
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  try {
    const results = [];
    for (const repo of DEMO_REPOS) {
      const result = await writeRepository(building, repo);
      options.log?.(`demo store: ${repo.name} (${result.summary.pulls} PRs, mirror ${repo.mirror})`);
      results.push(result);
    }
    await writeFile(join(building, 'repos.csv'), reposCsv());

    const previous = `${building}.previous`;
    await rm(previous, { recursive: true, force: true });
    let hadPrevious = false;
    try {
      await rename(target, previous);
      hadPrevious = true;
    } catch {
      // no previous store
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(building, target);
    if (hadPrevious) await rm(previous, { recursive: true, force: true });

    const byStyle: Record<MergeStyle, number> = { merge: 0, squash: 0, rebase: 0 };
    const byMonth: Record<string, number> = {};
    const collectDrops: Record<string, number> = {};
    for (const m of ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12']) byMonth[`2024-${m}`] = 0;
    for (const c of DEMO_CASES) {
      byStyle[c.style]++;
      byMonth[c.month] = (byMonth[c.month] ?? 0) + 1;
      const reason = c.expected.collect.dropReason;
      if (reason) collectDrops[reason] = (collectDrops[reason] ?? 0) + 1;
    }
    return {
      storeDir: target,
      repos: results.map((r) => r.summary),
      pulls: {
        total: DEMO_CASES.length,
        byStyle,
        byMonth: Object.fromEntries(Object.entries(byMonth).sort()),
        perf: DEMO_CASES.filter((c) => c.expected.label === 'perf').length,
        collectDrops: Object.fromEntries(Object.entries(collectDrops).sort()),
        pullFiles: results.reduce((n, r) => n + r.pullFiles, 0),
        issueFiles: results.reduce((n, r) => n + r.issueFiles, 0),
      },
      imperfectMirror: results.find((r) => r.imperfect)?.imperfect ?? null,
      landed: results.flatMap((r) => r.landed),
      symlinkedMirrors: results.flatMap((r) => (r.symlink ? [r.symlink] : [])),
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
}
