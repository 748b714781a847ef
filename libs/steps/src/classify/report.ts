import type { PreparedRow } from '@datasmith/tables';
import { stripHtmlComments } from '../prepare/features';
import type { DiscussionComment, DiscussionSource, IssueRecord, RepoInfo } from './sources';

/** An issue or PR reference found in text. */
export interface IssueRef {
  repoName: string;
  number: number;
}

/** Most references followed per PR. */
export const MAX_ISSUE_REFS = 10;

const URL_REF = /https?:\/\/github\.com\/([\w.-]+\/[\w.-]+)\/(?:issues|pull)\/(\d+)/gi;
const REPO_REF = /(?<![\w/.-])([\w.-]+\/[\w.-]+)#(\d+)\b/g;
const BARE_REF = /(?<![\w#&/])(?:#|gh-|GH-)(\d+)\b/g;

/**
 * References in text: GitHub issue/PR URLs, `owner/repo#N`, bare `#N` and numpy-style `gh-N`
 * (same repository). Sorted, deduplicated, without the PR itself, at most {@link MAX_ISSUE_REFS}.
 */
export function extractIssueRefs(text: string, repoName: string, selfNumber: number | null): IssueRef[] {
  const found = new Map<string, IssueRef>();
  const add = (repo: string, n: number) => {
    if (!Number.isSafeInteger(n) || n <= 0) return;
    if (repo.toLowerCase() === repoName.toLowerCase() && n === selfNumber) return;
    const canonical = repo.toLowerCase() === repoName.toLowerCase() ? repoName : repo;
    found.set(`${canonical.toLowerCase()}#${n}`, { repoName: canonical, number: n });
  };
  const clean = stripHtmlComments(text);
  for (const m of clean.matchAll(URL_REF)) add(m[1] as string, Number(m[2]));
  const withoutUrls = clean.replace(URL_REF, ' ');
  for (const m of withoutUrls.matchAll(REPO_REF)) add(m[1] as string, Number(m[2]));
  for (const m of withoutUrls.replace(REPO_REF, ' ').matchAll(BARE_REF)) add(repoName, Number(m[1]));
  return [...found.values()]
    .sort((a, b) => (a.repoName < b.repoName ? -1 : a.repoName > b.repoName ? 1 : a.number - b.number))
    .slice(0, MAX_ISSUE_REFS);
}

/** Everything known about a PR before it was merged, from the row and the discussion source. */
export interface PrReport {
  repo: RepoInfo | null;
  /** One sentence about the repository. */
  repoBlurb: string;
  /** `### title | Pull Request #N | owner/repo`, labels, description. */
  header: string;
  /** Linked issues (not merged PRs), with comments made before the PR was opened. */
  issues: IssueRecord[];
  /** PR comments made before merged_at. */
  discussion: DiscussionComment[];
  /** References found but not readable from the source. */
  unresolvedRefs: IssueRef[];
  hasLinkedIssue: boolean;
  /** When the PR was opened (from the source), else its merge time: the cutoff for issue comments. */
  cutoff: string;
}

/** The repository blurb (reference §6.1 step 2). */
export function repoBlurb(repoName: string, repo: RepoInfo | null): string {
  const parts = [`This task is in the repository ${repo?.fullName ?? repoName}`];
  if (repo?.language) parts.push(`, written primarily in ${repo.language}`);
  let text = `${parts.join('')}.`;
  if (repo?.description) text += ` Its description: "${repo.description.trim()}".`;
  if (repo?.topics.length) text += ` Topics: ${repo.topics.join(', ')}.`;
  return text;
}

const before = (t: string, cutoff: string) => Date.parse(t) < Date.parse(cutoff);

/**
 * Builds the report of one PR (reference §6.1): repository blurb, PR header, linked issues with
 * the comments made before the PR was opened, and the PR discussion before merged_at. Issue refs
 * inside that discussion are followed too. Reads only through `source`.
 */
export async function buildReport(row: PreparedRow, source: DiscussionSource): Promise<PrReport> {
  // A rebase merge found in a git-only store has no PR number, hence no PR file or discussion.
  const [repo, pull] = await Promise.all([
    source.repo(row.repo_name),
    row.pr_number === null ? Promise.resolve(null) : source.pull(row.repo_name, row.pr_number),
  ]);
  const cutoff = pull?.createdAt && before(pull.createdAt, row.pr_merged_at) ? pull.createdAt : row.pr_merged_at;
  const discussion = (pull?.comments ?? []).filter((c) => before(c.createdAt, row.pr_merged_at));
  const labels = pull?.labels.length ? pull.labels.join(', ') : '—';
  const body = stripHtmlComments(row.pr_body).trim();
  const header = [
    `### ${row.pr_title} | ${row.pr_number === null ? `Rebase merge ${row.sha.slice(0, 12)}` : `Pull Request #${row.pr_number}`} | ${row.repo_name}`,
    `Labels: ${labels}`,
    '',
    'Description:',
    body || '(empty)',
  ].join('\n');
  const refText = [row.pr_title, row.pr_body, ...discussion.map((c) => c.body)].join('\n');
  const refs = extractIssueRefs(refText, row.repo_name, row.pr_number);
  const issues: IssueRecord[] = [];
  const unresolvedRefs: IssueRef[] = [];
  for (const ref of refs) {
    const issue = await source.issue(ref.repoName, ref.number);
    if (!issue) {
      unresolvedRefs.push(ref);
      continue;
    }
    if (issue.isPullRequest && issue.merged) continue;
    if (issue.createdAt && !before(issue.createdAt, row.pr_merged_at)) continue;
    issues.push({ ...issue, comments: issue.comments.filter((c) => before(c.createdAt, cutoff)) });
  }
  return {
    repo,
    repoBlurb: repoBlurb(row.repo_name, repo),
    header,
    issues,
    discussion,
    unresolvedRefs,
    hasLinkedIssue: issues.some((i) => !i.isPullRequest),
    cutoff,
  };
}

/** Renders issues (reference §6.1 step 7), each text passed through `clean`. */
export function renderIssues(issues: readonly IssueRecord[], clean: (text: string) => string = (t) => t): string {
  return issues
    .map((issue) => {
      const lines = [
        `# Issue #${issue.number}: ${clean(issue.title)}`,
        '',
        'Description:',
        clean(issue.body) || '(empty)',
      ];
      const comments = issue.comments.map((c) => clean(c.body)).filter((b) => b.trim() !== '');
      if (comments.length) lines.push('', 'Comments:', ...comments.map((b) => `- ${b.replace(/\n/g, '\n  ')}`));
      return lines.join('\n');
    })
    .join('\n\n');
}

/** The whole report as one text for the LLM (it sees the PR as written; leaks are stripped from outputs). */
export function renderReport(report: PrReport): string {
  const parts = [report.repoBlurb, '', report.header];
  if (report.discussion.length) {
    parts.push('', 'Comments:', ...report.discussion.map((c) => `- ${c.body.replace(/\n/g, '\n  ')}`));
  }
  if (report.issues.length) parts.push('', renderIssues(report.issues));
  return parts.join('\n');
}
