import { readFileSync } from 'node:fs';
import type { PreparedRow } from '@datasmith/tables';
import type { RowFeatures } from '../prepare/features';
import { type LeakGuard, neutralGoal, redactGuarded, stripSolution } from './leak-guard';
import { renderTemplate } from './prompts/prompts';
import { type PrReport, renderIssues } from './report';

const FINAL_TEMPLATE = readFileSync(new URL('./templates/final.md', import.meta.url), 'utf8');

/** Function or class names from hunk headers (`@@ … @@ def unique(ar, …)`), in order, deduplicated. */
export function touchedSymbols(f: RowFeatures, max = 3): string[] {
  const names: string[] = [];
  for (const file of f.codeFiles) {
    for (const context of file.hunkContexts) {
      const match = /\b(?:def|class|cdef|cpdef|fn|struct)\s+([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*\(/.exec(context);
      const name = match?.[1] ?? match?.[2];
      if (name && !names.includes(name) && !/^(if|for|while|switch|return|static|inline)$/.test(name)) names.push(name);
      if (names.length >= max) return names;
    }
  }
  return names;
}

/** "Improve the performance of `a.py` (`f`, `g`)" — where, never how. */
function areaGoal(f: RowFeatures): string {
  const files = f.codeFiles.slice(0, 3).map((file) => `\`${file.path}\``);
  const symbols = touchedSymbols(f).map((s) => `\`${s}\``);
  const where = files.length ? ` in ${files.join(', ')}${symbols.length ? ` (${symbols.join(', ')})` : ''}` : '';
  return `Improve the runtime performance of the code${where}`;
}

/**
 * A problem statement built from the row and its report, without the solution: the title as a goal
 * (how-clauses removed), the PR description and linked issues with every added patch line and
 * every sentence describing the fix removed.
 */
export function composeProblemStatement(row: PreparedRow, f: RowFeatures, report: PrReport, guard: LeakGuard): string {
  const goal = neutralGoal(row.pr_title) ?? areaGoal(f);
  const parts = [`${goal}.`];
  const body = stripSolution(row.pr_body, guard);
  if (body) parts.push(body);
  for (const issue of report.issues) {
    const title = stripSolution(issue.title, guard);
    const description = stripSolution(issue.body, guard);
    if (title || description) {
      parts.push(
        `Reported in issue #${issue.number}${title ? `: ${title}` : ''}${description ? `\n\n${description}` : ''}`,
      );
    }
  }
  return redactGuarded(parts.join('\n\n'), guard);
}

/** The agent brief (reference §6.1 step 12) around a problem statement, issues cleaned of the solution. */
export function renderFinalMd(report: PrReport, problemStatement: string, guard: LeakGuard): string {
  const issues = renderIssues(report.issues, (t) => stripSolution(t, guard));
  const text = renderTemplate(FINAL_TEMPLATE, {
    repo_description: report.repoBlurb,
    problem_statement: problemStatement,
    issues_section: issues ? `\n## Relevant Issues\n${issues}\n` : '',
  });
  return redactGuarded(text, guard);
}
