import { join, resolve } from 'node:path';
import { InputError } from '@datasmith/errors';

/** Per-repository steps, in pipeline order. */
export const PARTITIONED_STEPS = ['collect', 'prepare', 'classify', 'synthesize', 'verify', 'publish'] as const;
export type PartitionedStep = (typeof PARTITIONED_STEPS)[number];

/** The table each partitioned step writes (spec §3). */
export const STEP_TABLES = {
  collect: ['commits'],
  prepare: ['prepared'],
  classify: ['classified', 'perf'],
  synthesize: ['contexts'],
  verify: ['verified'],
  publish: ['images'],
} as const satisfies Record<PartitionedStep, readonly string[]>;

const REPO_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Validates `owner/name`. */
export function parseRepoName(value: string, where = 'repository name'): { owner: string; name: string; full: string } {
  const trimmed = value.trim();
  if (!REPO_RE.test(trimmed) || trimmed.includes('..')) {
    throw new InputError(`Invalid ${where}: ${JSON.stringify(value)}; expected owner/name, e.g. numpy/numpy`);
  }
  const [owner, name] = trimmed.split('/') as [string, string];
  return { owner, name, full: trimmed };
}

/** `owner/name` → `owner__name`, the folder and project slug (GitHub owners never contain `__`). */
export function repoSlug(repoName: string): string {
  const { owner, name } = parseRepoName(repoName);
  return `${owner}__${name}`;
}

/** `owner__name` → `owner/name`. */
export function repoFromSlug(slug: string): string {
  const i = slug.indexOf('__');
  if (i <= 0) throw new InputError(`Invalid repository slug ${JSON.stringify(slug)}; expected owner__name`);
  return `${slug.slice(0, i)}/${slug.slice(i + 2)}`;
}

/** The Nx project name of a repository. */
export function repoProjectName(repoName: string): string {
  return `repo-${repoSlug(repoName)}`;
}

/**
 * The data layout of spec §9, rooted at `root` (default `data`). Steps receive paths from here and
 * never assemble them.
 */
export interface DataLayout {
  readonly root: string;
  partitionDir(step: PartitionedStep, repoName: string, month: string): string;
  tablePath(step: PartitionedStep, repoName: string, month: string, table?: string): string;
  synthesizeResults(repoName: string, month: string): string;
  /** `verify/<owner>__<name>/<YYYY-MM>/verify.jsonl`: one row per task with every measured number. */
  verifyResults(repoName: string, month: string): string;
  readonly reposTable: string;
  readonly reposCsv: string;
  readonly masterTable: string;
  readonly datasetDir: string;
  readonly reportHtml: string;
  readonly logsDir: string;
  readonly memoDir: string;
  readonly demoStore: string;
  /** The store GitHub mode fills (mirrors and PR files), a cache in the offline store's layout. */
  readonly githubStore: string;
}

export function dataLayout(root = 'data'): DataLayout {
  const base = root;
  return {
    root: base,
    partitionDir: (step, repoName, month) => join(base, step, repoSlug(repoName), month),
    tablePath: (step, repoName, month, table) =>
      join(base, step, repoSlug(repoName), month, `${table ?? STEP_TABLES[step][0]}.parquet`),
    synthesizeResults: (repoName, month) => join(base, 'synthesize', repoSlug(repoName), month, 'results.jsonl'),
    verifyResults: (repoName, month) => join(base, 'verify', repoSlug(repoName), month, 'verify.jsonl'),
    reposTable: join(base, 'repos', 'repos.parquet'),
    reposCsv: join(base, 'repos', 'repos.csv'),
    masterTable: join(base, 'master', 'master.parquet'),
    datasetDir: join(base, 'dataset'),
    reportHtml: join(base, 'report', 'index.html'),
    logsDir: join(base, 'logs'),
    memoDir: join(base, 'memo'),
    demoStore: join(base, 'demo', 'store'),
    githubStore: join(base, 'github-store'),
  };
}

/** Where a repository lives inside an offline store (spec §4). */
export interface StoreLayout {
  readonly root: string;
  readonly reposCsv: string;
  mirror(repoName: string): string;
  metaDir(repoName: string): string;
  repoJson(repoName: string): string;
  pullsDir(repoName: string): string;
  pullJson(repoName: string, prNumber: number): string;
  issuesDir(repoName: string): string;
  issueJson(repoName: string, issueNumber: number): string;
}

export function storeLayout(root: string): StoreLayout {
  const abs = resolve(root);
  const metaDir = (repoName: string) => {
    const { owner, name } = parseRepoName(repoName);
    return join(abs, owner, name);
  };
  return {
    root: abs,
    reposCsv: join(abs, 'repos.csv'),
    mirror: (repoName) => `${metaDir(repoName)}.git`,
    metaDir,
    repoJson: (repoName) => join(metaDir(repoName), 'repo.json'),
    pullsDir: (repoName) => join(metaDir(repoName), 'pulls'),
    pullJson: (repoName, n) => join(metaDir(repoName), 'pulls', `${n}.json`),
    issuesDir: (repoName) => join(metaDir(repoName), 'issues'),
    issueJson: (repoName, n) => join(metaDir(repoName), 'issues', `${n}.json`),
  };
}
