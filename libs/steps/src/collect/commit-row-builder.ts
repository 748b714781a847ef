import {
  type CommitRecord,
  type FileStat,
  commitHeader,
  diffRange,
  firstParentShas,
  mergedCommitSubjects,
  resolveRef,
} from '@datasmith/git';
import type { CommitRow, DropReason } from '@datasmith/tables';
import type { AsvPresence } from './asv-presence';
import type { Candidate, WalkedHistory } from './candidates';
import { derivedTitle, mergeSubjectBranch } from './messages';
import { nonCodeDropReason } from './path-rules';

/** The fields of a row known from the candidate alone. */
type RowHeader = Omit<
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
>;

/** What a candidate changed: its base and the diff from there. */
interface LandedChange {
  baseSha: string | null;
  files: FileStat[];
  patch: string | null;
  unavailable: boolean;
}

/** What `CommitRowBuilder` reads besides the candidates. */
export interface RowBuilderContext {
  repo: string;
  mirror: string;
  /** The default branch's head. */
  head: string;
  history: WalkedHistory;
  /** The PR's own commits of each walked merge commit (see `mergedCommitSubjectsOf`). */
  ownCommitsOf: ReadonlyMap<string, string[]>;
  asv: AsvPresence;
  source: CommitRow['source'];
}

function rowHeader(repo: string, c: Candidate, source: CommitRow['source']): RowHeader {
  return {
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
}

function droppedRow(header: RowHeader, c: Candidate, reason: DropReason, extra: Partial<CommitRow> = {}): CommitRow {
  return {
    ...header,
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
  };
}

/** How a landed commit merged a PR: a merge commit, a rebase of several commits, else a squash. */
function landingStyle(parents: readonly string[], landedCommits: number): CommitRow['merge_style'] {
  return parents.length >= 2 ? 'merge' : landedCommits > 1 ? 'rebase' : 'squash';
}

/** A commit outside the walk, read on its own with its diff against its first parent. */
async function readCommitRecord(mirror: string, sha: string): Promise<CommitRecord> {
  const header = await commitHeader(mirror, sha);
  const parent = header.parents[0];
  const diff = parent ? await diffRange(mirror, parent, header.sha) : null;
  return {
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
}

function dropReasonOf(change: LandedChange, hasAsv: boolean): DropReason | null {
  return change.unavailable
    ? 'patch_unavailable'
    : change.files.length === 0
      ? 'empty_change'
      : !hasAsv
        ? 'no_asv_at_base'
        : nonCodeDropReason(change.files.map((f) => f.path));
}

/** Builds the `commits` row of each candidate of one repository, kept or with its drop reason. */
export class CommitRowBuilder {
  /** The default branch's first-parent line, read on the first candidate the walk did not reach. */
  private firstParentSet: Set<string> | null = null;

  constructor(private readonly context: RowBuilderContext) {}

  /** The row of one candidate; may settle the candidate's merge style when the PR file could not. */
  async build(c: Candidate): Promise<CommitRow> {
    const header = rowHeader(this.context.repo, c, this.context.source);
    let record = c.record;
    if (!record) {
      const found = await this.recordOutsideWalk(c, header);
      if ('dropped' in found) return found.dropped;
      record = found.record;
    }
    const change = await this.landedChange(c, record);
    // A merge commit: the PR's own commits are its second-parent side. Their subjects are kept, and
    // give the title when the landing message has none (merged without editing GitHub's message).
    const ownCommits = await this.ownCommits(record);
    header.pr_commits = ownCommits.join('\n');
    if (!header.pr_title) {
      const derived = derivedTitle(mergeSubjectBranch(record.message), ownCommits);
      header.pr_title = derived.title;
      header.pr_title_source = derived.source;
    }
    const facts = {
      pr_base_sha: change.baseSha,
      message: record.message,
      date: record.committerDate,
      files_changed: change.files.map((f) => f.path).join('\n'),
      total_additions: change.files.reduce((n, f) => n + f.additions, 0),
      total_deletions: change.files.reduce((n, f) => n + f.deletions, 0),
      total_files_changed: change.files.length,
      has_asv: change.baseSha ? await this.context.asv.at(change.baseSha) : false,
      patch: change.unavailable ? null : change.patch,
    };
    const reason = dropReasonOf(change, facts.has_asv);
    return { ...header, ...facts, kept: reason === null, drop_reason: reason };
  }

  /**
   * The commit of a candidate the walk did not reach, or its dropped row: not on the default branch,
   * or not in the mirror. A commit on the default branch but outside the walk (its commit date is far
   * from merged_at) is read on its own.
   */
  private async recordOutsideWalk(
    c: Candidate,
    header: RowHeader,
  ): Promise<{ dropped: CommitRow } | { record: CommitRecord }> {
    const { mirror } = this.context;
    if (c.notOnDefaultBranch) return { dropped: await this.dropOffBranchPull(c, header) };
    if (!(await resolveRef(mirror, c.mergeCommitSha))) return { dropped: droppedRow(header, c, 'patch_unavailable') };
    this.firstParentSet ??= new Set(await firstParentShas(mirror, this.context.head));
    if (!this.firstParentSet.has(c.mergeCommitSha)) {
      return { dropped: droppedRow(header, c, 'not_on_default_branch') };
    }
    const record = await readCommitRecord(mirror, c.mergeCommitSha);
    if (c.style === 'unknown') c.style = landingStyle(record.parents, c.landedCommits);
    header.merge_style = c.style;
    return { record };
  }

  /** The dropped row of a PR merged into another branch, with its landed commit when the mirror has it. */
  private async dropOffBranchPull(c: Candidate, header: RowHeader): Promise<CommitRow> {
    const { mirror } = this.context;
    const landed = (await resolveRef(mirror, c.mergeCommitSha)) ? await commitHeader(mirror, c.mergeCommitSha) : null;
    const style = landed ? landingStyle(landed.parents, c.landedCommits) : 'unknown';
    return droppedRow(header, c, 'not_on_default_branch', {
      merge_style: style,
      message: landed?.message ?? '',
      date: landed?.committerDate ?? c.mergedAt,
    });
  }

  /** The candidate's base and diff: its commit's, or for a rebase merge of several commits the whole run's. */
  private async landedChange(c: Candidate, record: CommitRecord): Promise<LandedChange> {
    const change: LandedChange = {
      baseSha: record.parents[0] ?? null,
      files: record.files,
      patch: record.patch,
      unavailable: record.unavailable,
    };
    if (c.style === 'rebase' && c.landedCommits > 1) {
      const { walked, index } = this.context.history;
      const i = index.get(record.sha);
      const first = i !== undefined ? walked[i + c.landedCommits - 1] : undefined;
      change.baseSha = first?.parents[0] ?? (await resolveRef(this.context.mirror, `${record.sha}~${c.landedCommits}`));
      if (change.baseSha) {
        const diff = await diffRange(this.context.mirror, change.baseSha, record.sha);
        change.files = diff.files;
        change.patch = diff.patch;
        change.unavailable = diff.unavailable;
      }
    }
    return change;
  }

  /** A merge commit's own commits (its second-parent side); none for a commit with one parent. */
  private async ownCommits(record: CommitRecord): Promise<string[]> {
    if (record.parents.length < 2) return [];
    return (
      this.context.ownCommitsOf.get(record.sha) ??
      (await mergedCommitSubjects(this.context.mirror, record.parents[0] as string, record.parents[1] as string))
    );
  }
}
