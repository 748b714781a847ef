import { addedLines } from '../prepare/features';

/** Added patch lines shorter than this (after trimming) are too common (`}`, `else:`) to guard. */
export const MIN_GUARDED_LINE_CHARS = 8;

/** The solution of one task: its added lines, normalised for matching. */
export interface LeakGuard {
  readonly guarded: readonly string[];
}

const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Builds the guard from a patch: every added line of at least {@link MIN_GUARDED_LINE_CHARS} characters. */
export function createLeakGuard(patch: string | null): LeakGuard {
  const guarded = new Set<string>();
  for (const line of addedLines(patch)) {
    const n = normalize(line);
    if (n.length >= MIN_GUARDED_LINE_CHARS) guarded.add(n);
  }
  // Longest first, so a line that contains a shorter guarded line is handled as a whole.
  return { guarded: [...guarded].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)) };
}

/**
 * Sentences that describe the change rather than the problem: what "this PR" does, what "we/I"
 * changed, "now uses", "by caching", "instead of", "replaced with", closing references, and
 * sentences that open with an imperative change verb ("Use a dict", "Cache the result").
 */
const SOLUTION_CUES: RegExp[] = [
  /\bthis (pr|pull request|patch|change|changeset|commit|branch|mr|diff|fix)\b/i,
  /\b(we|i)('ve| have| had)? (now |then |also |simply |just )?(use[sd]?|replace[sd]?|switch(ed)?|change[sd]?|rewr(ite|ote)|refactor(ed)?|move[sd]?|add(ed)?|implement(ed)?|introduce[sd]?|vectori[sz]ed?|cache[sd]?|avoid(ed)?|remove[sd]?|make|made|convert(ed)?|modif\w+|update[sd]?|port(ed)?|precompute[sd]?|reuse[sd]?|skip(ped)?|inline[sd]?|batch(ed)?|parallelized?|delegate[sd]?|call(ed)?|defer(red)?)\b/i,
  /\b(now|instead)\b/i,
  /\b(replac(e|es|ed|ing)|switch(es|ed|ing)? (to|over)|in favou?r of|rather than)\b/i,
  /\b(by|via|through) (using|caching|vectori[sz]ing|avoiding|precomputing|replacing|switching|adding|removing|moving|reusing|calling|skipping|checking|storing|building|pre-?allocating|rewriting|making|implementing|introducing|converting|doing|computing|delegating|deferring|batching|inlining|parallelizing|hoisting|exploiting|leveraging|taking|passing|returning)\b/i,
  /\b(the )?(fix|solution|approach|implementation|optimi[sz]ation|change|patch|trick|idea) (is|was|here|uses|does|consists|works|relies)\b/i,
  /\b(fix(es|ed)?|close[sd]?|resolve[sd]?)\s*:?\s*(#|gh-|https?:|[\w.-]+\/[\w.-]+#)/i,
  /\b(is|are|was|were|gets|get) (now )?(computed|done|handled|implemented|cached|vectori[sz]ed|stored|performed|calculated|evaluated|replaced|avoided|skipped|precomputed|reused|memoi[sz]ed|delegated) (with|using|via|by|in|once|lazily|up front|ahead)\b/i,
  /^(please )?(use|uses|add|adds|implement|implements|introduce|introduces|replace|replaces|avoid|avoids|cache|caches|vectori[sz]e|vectori[sz]es|rewrite|rewrites|refactor|refactors|move|moves|switch|switches|skip|skips|reuse|reuses|precompute|precomputes|port|ports|inline|inlines|defer|defers|hoist|hoists|delegate|delegates|preallocate|preallocates|memoi[sz]e|memoi[sz]es|parallelize|parallelizes|special-?case|special-?cases|short-?circuit|short-?circuits)\b/i,
];

/** True when a sentence describes the fix. */
export function describesSolution(sentence: string): boolean {
  return SOLUTION_CUES.some((cue) => cue.test(sentence.trim().replace(/^[-*+>\d.)\s]+/, '')));
}

function containsGuarded(text: string, guard: LeakGuard): boolean {
  const n = normalize(text);
  return n.length > 0 && guard.guarded.some((g) => n.includes(g));
}

const FENCE = /```[^\n]*\n[\s\S]*?(```|$)/g;
const DIFF_LINE = /^\s*(\+|-|@@)(?!\s*$)/;

function splitSentences(line: string): string[] {
  return line.split(/(?<=[.!?])\s+(?=[A-Z`*_(["'])/);
}

/**
 * Removes the solution from free text: HTML comments; code blocks that show a diff or any added
 * patch line; lines and sentences that contain an added line or describe the fix. What remains is
 * only the problem. Deterministic.
 */
export function stripSolution(text: string, guard: LeakGuard): string {
  let out = text.replace(/\r\n/g, '\n').replace(/<!--[\s\S]*?(-->|$)/g, '');
  out = out.replace(FENCE, (block) => {
    const lines = block.split('\n').slice(1);
    const diffy = lines.filter((l) => DIFF_LINE.test(l)).length >= Math.max(1, lines.length / 3);
    return diffy || containsGuarded(block, guard) || /^```\s*diff/.test(block) ? '' : block;
  });
  const kept: string[] = [];
  let inFence = false;
  for (const line of out.split('\n')) {
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      kept.push(line);
      continue;
    }
    if (inFence) {
      kept.push(line);
      continue;
    }
    if (containsGuarded(line, guard)) continue;
    const sentences = splitSentences(line).filter((s) => !describesSolution(s) && !containsGuarded(s, guard));
    if (sentences.length === 0 && line.trim() !== '') continue;
    kept.push(sentences.join(' '));
  }
  out = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return redactGuarded(out, guard);
}

/**
 * Last resort: any guarded added line still present (across line breaks, or inside a template) is
 * cut out. Text without one is returned unchanged.
 */
export function redactGuarded(text: string, guard: LeakGuard): string {
  let out = text;
  for (const g of guard.guarded) {
    if (out.includes(g)) out = out.split(g).join('[…]');
    if (normalize(out).includes(g)) out = normalize(out).split(g).join('[…]');
  }
  return out;
}

const TITLE_PREFIX = /^\s*(\[[^\]]{1,20}\]\s*|[A-Za-z]{2,12}(\([^)]*\))?\s*[:!]\s*)+/;
const HOW_CLAUSE =
  /\s+(by|via|using|with|through|in favou?r of|instead of|rather than|when|for|from|to use|and use)\b.*$|\s*[(:;-]\s.*$/i;
const GOAL_START =
  /^(speed(s|ed)? up|speed-?up|improve|improves|optimi[sz]e|optimi[sz]es|faster|make .+ faster|reduce|reduces|lower|decrease|accelerate|fix (slow|performance)|perf(ormance)?)\b/i;

/**
 * The title as a goal without its solution: prefixes (`PERF:`, `ENH:`) and how-clauses ("by
 * caching …", "using …") removed. Null when what is left still reads as a solution ("Use a dict").
 */
export function neutralGoal(title: string): string | null {
  const bare = title
    .replace(TITLE_PREFIX, '')
    .replace(/\s*\((#|gh-)\d+\)\s*$/i, '')
    .trim();
  const goal = bare.replace(HOW_CLAUSE, '').trim();
  if (!goal || !GOAL_START.test(goal) || describesSolution(goal)) return null;
  return goal.replace(/[.\s]+$/, '');
}
