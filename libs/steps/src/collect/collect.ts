import { InputError, isDatasmithError } from '@datasmith/errors';
import {
  type CommitRecord,
  assertRepository,
  commitHeader,
  diffRange,
  firstParentShas,
  gitText,
  headBranch,
  listTreePaths,
  mergedCommitSubjects,
  mergedCommitSubjectsOf,
  readFirstParentHistoryConcurrently,
  resolveRef,
} from '@datasmith/git';
import type { MemoStore } from '@datasmith/memo';
import { inWindow } from '@datasmith/paths';
import { type Logger, createProgress } from '@datasmith/progress';
import type { OfflineStore, StorePullJson } from '@datasmith/store';
import type { CommitRow, DropReason, FailureRow } from '@datasmith/tables';
import { derivedTitle, mergeSubjectBranch, parseLandedMessage } from './messages';
import { type RebaseRule, findRebaseMerges } from './rebase';
import { isAsvConfig, nonCodeDropReason } from './path-rules';
import pLimit from 'p-limit';

/** Bump when the same store and window would now give different rows. */
export const COLLECT_CODE_VERSION = 'collect-4';

/** Commits are walked this far outside the window, since PR files may date a merge apart from its commit. */
const WALK_MARGIN_MS = 7 * 24 * 3600 * 1000;

export interface CollectWindow {
  start: Date;
  end: Date;
}

export interface CollectInput {
  repos: readonly string[];
  window: CollectWindow;
  /** Recorded in each row's `source`: `github` when the store was synced from GitHub. Default `store`. */
  source?: CommitRow['source'];
}

export interface CollectDeps {
  store: OfflineStore;
  memo: MemoStore;
  log: Logger;
  /** Repositories mined at once. Default 2. */
  concurrency?: number;
  /** git processes per repository (segments of the history diffed in parallel). Default 2. */
  gitProcesses?: number;
  /** A terminal for progress redraws. */
  tty?: NodeJS.WriteStream;
}

export interface CollectResult {
  rows: CommitRow[];
  failures: FailureRow[];
  /** Repositories answered from the memo store (finished in an earlier, possibly killed, run). */
  memoHits: number;
}

function toUtcIso(date: string | Date): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

interface Candidate {
  /** null for a rebase merge found from git alone (its commits carry no PR number). */
  number: number | null;
  style: CommitRow['merge_style'];
  title: string;
  body: string;
  mergedAt: string;
  mergeCommitSha: string;
  baseRefSha: string | null;
  record: CommitRecord | null;
  /** For a rebase merge: how many commits landed. */
  landedCommits: number;
  fromPullFile: boolean;
  notOnDefaultBranch: boolean;
  /** Which rule found a rebase merge without a PR file. */
  rebaseRule?: RebaseRule;
}

function isMergedPull(pull: StorePullJson): pull is StorePullJson & { merged_at: string; merge_commit_sha: string } {
  return Boolean(pull.merged_at && pull.merge_commit_sha);
}

/** Mines one repository's merged PRs in the window (spec §3 `commits`, §6). */
export async function collectRepository(
  repoName: string,
  window: CollectWindow,
  deps: Pick<CollectDeps, 'store' | 'log' | 'gitProcesses'>,
  source: CommitRow['source'] = 'store',
): Promise<CommitRow[]> {
  const { store } = deps;
  const mirror = store.mirrorPath(repoName);
  await assertRepository(mirror);
  const repoJson = await store.readRepoJson(repoName);
  const branch = repoJson?.default_branch ?? (await headBranch(mirror)) ?? 'main';
  const head = await resolveRef(mirror, `refs/heads/${branch}`);
  if (!head) throw new InputError(`Unreadable repository: ${mirror} has no branch ${branch}`, { file: mirror });
  const allPulls = await store.readPulls(repoName);
  const pulls = allPulls.filter(isMergedPull);
  const pullBySha = new Map(pulls.map((p) => [p.merge_commit_sha, p]));

  // One streaming pass over the first-parent history around the window.
  const walked = await readFirstParentHistoryConcurrently(
    mirror,
    {
      ref: head,
      since: new Date(window.start.getTime() - WALK_MARGIN_MS),
      until: new Date(window.end.getTime() + WALK_MARGIN_MS),
    },
    { concurrency: deps.gitProcesses ?? 2 },
  );
  const index = new Map(walked.map((r, i) => [r.sha, i]));

  // ASV presence after each walked commit: the tree of the oldest walked commit's parent, then
  // every created/deleted path applied in order. One ls-tree, no per-PR process.
  const asvAfter = new Map<string, boolean>();
  const oldest = walked[walked.length - 1];
  const startParent = oldest?.parents[0];
  const asvPaths = new Set<string>(startParent ? (await listTreePaths(mirror, startParent)).filter(isAsvConfig) : []);
  if (startParent) asvAfter.set(startParent, asvPaths.size > 0);
  for (let i = walked.length - 1; i >= 0; i--) {
    const record = walked[i] as CommitRecord;
    for (const p of record.deleted) if (isAsvConfig(p)) asvPaths.delete(p);
    for (const p of record.created) if (isAsvConfig(p)) asvPaths.add(p);
    asvAfter.set(record.sha, asvPaths.size > 0);
  }
  const hasAsvAt = async (sha: string): Promise<boolean> => {
    const known = asvAfter.get(sha);
    if (known !== undefined) return known;
    const present = (await listTreePaths(mirror, sha)).some(isAsvConfig);
    asvAfter.set(sha, present);
    return present;
  };

  // Candidates: PR files first (they know rebase merges and the true merged_at), then messages.
  const candidates = new Map<number, Candidate>();
  const claimed = new Set<string>();
  for (const pull of pulls) {
    if (!inWindow(new Date(pull.merged_at), window)) continue;
    const record = walked[index.get(pull.merge_commit_sha) ?? -1] ?? null;
    const landed = record ? parseLandedMessage(record.message, record.parents.length) : null;
    const commits = pull.commits ?? 1;
    const style: CommitRow['merge_style'] = record
      ? record.parents.length >= 2
        ? 'merge'
        : landed?.style === 'squash' || commits <= 1
          ? 'squash'
          : 'rebase'
      : 'unknown';
    candidates.set(pull.number, {
      number: pull.number,
      style,
      title: pull.title,
      body: pull.body ?? '',
      mergedAt: toUtcIso(pull.merged_at),
      mergeCommitSha: pull.merge_commit_sha,
      baseRefSha: pull.base?.sha ?? null,
      record,
      landedCommits: style === 'rebase' ? commits : 1,
      fromPullFile: true,
      notOnDefaultBranch: Boolean(pull.base?.ref && pull.base.ref !== branch),
    });
    claimed.add(pull.merge_commit_sha);
    // Every commit a rebase merge landed belongs to it, not only the last one.
    const at = index.get(pull.merge_commit_sha);
    if (style === 'rebase' && at !== undefined)
      for (let k = 1; k < commits; k++) {
        const landedCommit = walked[at + k];
        if (landedCommit) claimed.add(landedCommit.sha);
      }
  }
  for (const record of walked) {
    if (claimed.has(record.sha) || pullBySha.has(record.sha)) continue;
    const landed = parseLandedMessage(record.message, record.parents.length);
    if (!landed) continue;
    const mergedAt = toUtcIso(record.committerDate);
    if (!inWindow(new Date(mergedAt), window)) continue;
    const previous = candidates.get(landed.number);
    // The same number twice (a revert and re-land): keep the first landing, so a PR counts once.
    if (previous && (previous.fromPullFile || previous.mergedAt <= mergedAt)) continue;
    candidates.set(landed.number, {
      number: landed.number,
      style: landed.style,
      title: landed.title,
      body: landed.body,
      mergedAt,
      mergeCommitSha: record.sha,
      baseRefSha: null,
      record,
      landedCommits: 1,
      fromPullFile: false,
      notOnDefaultBranch: false,
    });
  }

  // A store without PR files: runs of commits a maintainer rebased onto the line (no PR number in
  // any message) are rebase merges. With PR files the files are the record, and they win.
  const rebased: Candidate[] = [];
  if (allPulls.length === 0) {
    for (const merge of findRebaseMerges(walked)) {
      const tip = merge.commits[merge.commits.length - 1] as CommitRecord;
      const mergedAt = toUtcIso(tip.committerDate);
      if (!inWindow(new Date(mergedAt), window)) continue;
      const message = merge.commits.map((r) => r.message.trim()).join('\n\n');
      const [title = '', ...rest] = message.split('\n');
      rebased.push({
        number: null,
        style: 'rebase',
        title: title.trim(),
        body: rest.join('\n').trim(),
        mergedAt,
        mergeCommitSha: tip.sha,
        baseRefSha: null,
        record: { ...tip, message },
        landedCommits: merge.commits.length,
        fromPullFile: false,
        notOnDefaultBranch: false,
        rebaseRule: merge.rule,
      });
    }
  }

  let firstParentSet: Set<string> | null = null;
  // The PR's own commits of every merge on the line, read with one git process (oldest merge first).
  const ownCommitsOf = await mergedCommitSubjectsOf(
    mirror,
    walked
      .filter((r) => r.parents.length >= 2)
      .reverse()
      .map((r) => ({ sha: r.sha, first: r.parents[0] as string, second: r.parents[1] as string })),
    new Set(walked.map((r) => r.sha)),
    startParent ?? null,
  );
  const rows: CommitRow[] = [];
  const numbered = [...candidates.values()].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  for (const candidate of [...numbered, ...rebased]) {
    rows.push(await buildRow(repoName, candidate));
  }
  return rows;

  async function buildRow(repo: string, c: Candidate): Promise<CommitRow> {
    const base: Omit<
      CommitRow,
      | 'pr_base_sha'
      | 'message'
      | 'date'
      | 'files_changed'
      | 'total_additions'
      | 'total_deletions'
      | 'total_files_changed'
      | 'has_asv'
      | 'patch'
      | 'kept'
      | 'drop_reason'
    > = {
      repo_name: repo,
      pr_number: c.number,
      pr_title: c.title,
      pr_title_source: c.fromPullFile ? 'pull' : c.title ? 'message' : 'none',
      pr_body: c.body,
      pr_commits: '',
      pr_merged_at: c.mergedAt,
      pr_merge_commit_sha: c.mergeCommitSha,
      sha: c.mergeCommitSha,
      pr_base_ref_sha: c.baseRefSha,
      merge_style: c.style,
      source,
    };
    const dropped = (reason: DropReason, extra: Partial<CommitRow> = {}): CommitRow => ({
      ...base,
      pr_base_sha: null,
      message: '',
      date: c.mergedAt,
      files_changed: '',
      total_additions: 0,
      total_deletions: 0,
      total_files_changed: 0,
      has_asv: false,
      patch: null,
      kept: false,
      drop_reason: reason,
      ...extra,
    });

    let record = c.record;
    if (!record) {
      if (c.notOnDefaultBranch) {
        const landed = (await resolveRef(mirror, c.mergeCommitSha))
          ? await commitHeader(mirror, c.mergeCommitSha)
          : null;
        const style = landed
          ? landed.parents.length >= 2
            ? 'merge'
            : c.landedCommits > 1
              ? 'rebase'
              : 'squash'
          : 'unknown';
        return dropped('not_on_default_branch', {
          merge_style: style,
          message: landed?.message ?? '',
          date: landed?.committerDate ?? c.mergedAt,
        });
      }
      if (!(await resolveRef(mirror, c.mergeCommitSha))) return dropped('patch_unavailable');
      firstParentSet ??= new Set(await firstParentShas(mirror, head as string));
      if (!firstParentSet.has(c.mergeCommitSha)) return dropped('not_on_default_branch');
      // On the default branch but outside the walk (its commit date is far from merged_at).
      const header = await commitHeader(mirror, c.mergeCommitSha);
      const parent = header.parents[0];
      const diff = parent ? await diffRange(mirror, parent, header.sha) : null;
      record = {
        sha: header.sha,
        parents: header.parents,
        committerDate: header.committerDate,
        authorName: '',
        authorEmail: '',
        committerName: '',
        committerEmail: '',
        message: header.message,
        files: diff?.files ?? [],
        created: diff?.created ?? [],
        deleted: diff?.deleted ?? [],
        patch: diff?.patch ?? null,
        unavailable: diff?.unavailable ?? true,
      };
      if (c.style === 'unknown')
        c.style = header.parents.length >= 2 ? 'merge' : c.landedCommits > 1 ? 'rebase' : 'squash';
      base.merge_style = c.style;
    }

    let baseSha = record.parents[0] ?? null;
    let files = record.files;
    let patch = record.patch;
    let unavailable = record.unavailable;
    if (c.style === 'rebase' && c.landedCommits > 1) {
      const i = index.get(record.sha);
      const first = i !== undefined ? walked[i + c.landedCommits - 1] : undefined;
      baseSha = first?.parents[0] ?? (await resolveRef(mirror, `${record.sha}~${c.landedCommits}`));
      if (baseSha) {
        const diff = await diffRange(mirror, baseSha, record.sha);
        files = diff.files;
        patch = diff.patch;
        unavailable = diff.unavailable;
      }
    }
    // A merge commit: the PR's own commits are its second-parent side. Their subjects are kept, and
    // give the title when the landing message has none (merged without editing GitHub's message).
    const ownCommits =
      record.parents.length >= 2
        ? (ownCommitsOf.get(record.sha) ??
          (await mergedCommitSubjects(mirror, record.parents[0] as string, record.parents[1] as string)))
        : [];
    base.pr_commits = ownCommits.join('\n');
    if (!base.pr_title) {
      const derived = derivedTitle(mergeSubjectBranch(record.message), ownCommits);
      base.pr_title = derived.title;
      base.pr_title_source = derived.source;
    }
    const facts = {
      pr_base_sha: baseSha,
      message: record.message,
      date: record.committerDate,
      files_changed: files.map((f) => f.path).join('\n'),
      total_additions: files.reduce((n, f) => n + f.additions, 0),
      total_deletions: files.reduce((n, f) => n + f.deletions, 0),
      total_files_changed: files.length,
      has_asv: baseSha ? await hasAsvAt(baseSha) : false,
      patch: unavailable ? null : patch,
    };
    const reason: DropReason | null = unavailable
      ? 'patch_unavailable'
      : files.length === 0
        ? 'empty_change'
        : !facts.has_asv
          ? 'no_asv_at_base'
          : nonCodeDropReason(files.map((f) => f.path));
    return { ...base, ...facts, kept: reason === null, drop_reason: reason };
  }
}

/**
 * collect (step 1): every merged PR in the window for each repository, from the offline store.
 * Each finished repository is memoised (key: repository, window, mirror head, metadata hash,
 * code version), so a killed run resumes without redoing finished repositories. A repository that
 * fails is recorded in `failures` with its reason; the others go on.
 */
export async function collect(input: CollectInput, deps: CollectDeps): Promise<CollectResult> {
  const { store, memo, log } = deps;
  await store.assertExists();
  const rows: CommitRow[] = [];
  const failures: FailureRow[] = [];
  let memoHits = 0;
  const progress = createProgress({ label: 'collect repos', total: input.repos.length, log, tty: deps.tty });
  const limit = pLimit(Math.max(1, deps.concurrency ?? 2));
  const collectOne = async (repo: string) => {
    try {
      const mirror = store.mirrorPath(repo);
      await assertRepository(mirror);
      const state = {
        repo,
        start: input.window.start.toISOString(),
        end: input.window.end.toISOString(),
        heads: await headsOf(mirror),
        metadata: await store.metadataHash(repo),
        source: input.source ?? 'store',
      };
      const hitsBefore = memo.stats.hits;
      const repoRows = await memo.memoize('collect', COLLECT_CODE_VERSION, state, () =>
        collectRepository(repo, input.window, deps, input.source ?? 'store'),
      );
      if (memo.stats.hits > hitsBefore) memoHits++;
      rows.push(...repoRows);
    } catch (error) {
      if (!isDatasmithError(error)) throw error;
      failures.push({ step: 'collect', item: repo, code: error.code, message: error.message });
      log.warn(`collect ${repo}: ${error.message}`);
    }
    progress.tick(1, repo);
  };
  await Promise.all(input.repos.map((repo) => limit(() => collectOne(repo))));
  progress.done();
  return { rows, failures, memoHits };
}

async function headsOf(mirror: string): Promise<string> {
  return gitText(mirror, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads']);
}
