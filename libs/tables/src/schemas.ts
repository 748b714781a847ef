import { z } from 'zod';
import { globalTable, partitionTable } from './table-spec';

/** The reasons collect drops a row for. */
export const COLLECT_DROP_REASONS = [
  'not_on_default_branch',
  'patch_unavailable',
  'empty_change',
  'no_asv_at_base',
  'docs_only',
  'tests_only',
  'benchmarks_only',
  'ci_only',
  'examples_only',
  'non_code_only',
] as const;

/**
 * Every reason a row can be dropped, in every table (spec §3). Free text goes in `*_explanation`
 * columns; this enum is what summaries and reports count.
 */
export const DropReason = z.enum([
  // scrape-repos
  'repo_inaccessible',
  'repo_fork',
  'repo_archived',
  'repo_below_min_stars',
  'repo_excluded',
  'repo_no_asv',
  'repo_over_max_repos',
  ...COLLECT_DROP_REASONS,
  // prepare
  'too_large',
  'too_many_files',
  'too_few_tokens',
  'too_many_tokens',
  'not_perf_candidate',
  // classify
  'not_perf',
  'classifier_error',
  // synthesize / publish
  'build_failed',
  'validation_failed',
  'push_failed',
  // classify trial runs (--sample-size, --max-llm-calls): left unclassified, not failed
  'not_sampled',
  'llm_budget_exhausted',
]);
export type DropReason = z.infer<typeof DropReason>;

const isoInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'expected an ISO-8601 instant');
const sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-hex commit sha');

/** `repos` (global): one row per repository considered by scrape-repos. */
export const RepoRow = z.object({
  repo_name: z.string().describe('owner/name'),
  url: z.string(),
  stars: z.number().int().nullable().describe('null when the store has no metadata (unknown, kept)'),
  is_fork: z.boolean().nullable(),
  is_archived: z.boolean().nullable(),
  default_branch: z.string().nullable(),
  language: z.string().nullable(),
  description: z.string().nullable(),
  topics: z.array(z.string()),
  asv_config_paths: z.array(z.string()),
  source: z.enum(['github', 'store']),
  fetched_at: isoInstant.nullable().describe('null for the offline store, whose content is its own version'),
  kept: z.boolean(),
  drop_reason: DropReason.nullable(),
});
export type RepoRow = z.infer<typeof RepoRow>;

/** `commits` (step 1): one row per merged PR in the window. */
export const CommitRow = z.object({
  repo_name: z.string(),
  pr_number: z
    .number()
    .int()
    .nullable()
    .describe('null for a rebase merge found in a git-only store: its commits carry no PR number'),
  pr_title: z.string(),
  pr_title_source: z
    .enum(['pull', 'message', 'commit', 'branch', 'none'])
    .nullable()
    .default(null)
    .describe(
      "where pr_title came from: the PR file, the landed message, the PR's own commit subject, its head branch name, or nowhere (null: a table written before this column)",
    ),
  pr_body: z.string(),
  pr_commits: z
    .string()
    .default('')
    .describe(
      "a merge commit's own PR commits (second-parent side), their subjects newline-joined, oldest first; '' otherwise",
    ),
  pr_merged_at: isoInstant.describe('UTC'),
  pr_merge_commit_sha: sha.describe("GitHub's merge_commit_sha, else the landed commit"),
  sha: sha.describe('the commit the change landed as on the default branch'),
  pr_base_sha: sha
    .nullable()
    .describe('first parent of sha; for a rebase-merge, the parent of the first landed commit'),
  pr_base_ref_sha: sha.nullable().describe("GitHub's base.sha when known"),
  merge_style: z.enum(['merge', 'squash', 'rebase', 'unknown']),
  message: z.string().describe('the landed commit message; for a rebase merge, every landed message, oldest first'),
  date: isoInstant.describe('committer date of sha, with its offset'),
  files_changed: z.string().describe('newline-joined paths'),
  total_additions: z.number().int(),
  total_deletions: z.number().int(),
  total_files_changed: z.number().int(),
  has_asv: z.boolean().describe('asv.*.json present at pr_base_sha'),
  patch: z.string().nullable().describe('git diff pr_base_sha sha'),
  kept: z.boolean(),
  drop_reason: DropReason.nullable(),
  source: z.enum(['github', 'store']),
});
export type CommitRow = z.infer<typeof CommitRow>;

/** A row of `failures`: one per item that could not be processed, with its reason. */
export const FailureRow = z.object({
  step: z.string(),
  item: z.string(),
  code: z.string(),
  message: z.string(),
});
export type FailureRow = z.infer<typeof FailureRow>;

/** Sort keys per table: rows are sorted by these before writing, so equal inputs give equal bytes. */
export const TABLE_KEYS = {
  repos: ['repo_name'],
  commits: ['repo_name', 'pr_merged_at', 'pr_number'],
  failures: ['step', 'item'],
} as const;

/** `data/repos/repos.parquet`, written by scrape-repos. */
export const REPOS_TABLE = globalTable('repos', 'reposTable', RepoRow, TABLE_KEYS.repos);
/** `collect/<repo>/<month>/commits.parquet`. */
export const COMMITS_TABLE = partitionTable('collect', 'commits', CommitRow, TABLE_KEYS.commits);
