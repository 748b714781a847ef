import type { Difficulty, OptimizationCategory } from '@datasmith/tables';

const DIFFICULTIES = ['easy', 'medium', 'hard', 'unknown'] as const;

/** Levenshtein distance (small strings). */
export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/**
 * The original's difficulty normaliser (reference §10 step 2): text after the last `.` (strips
 * `DifficultyLevel.`), trimmed, lower-cased; empty → `unknown`; otherwise the nearest of
 * easy|medium|hard|unknown by Levenshtein distance, ties to the first in that order.
 */
export function normalizeDifficultyLabel(value: unknown): Difficulty {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  const v = (text.split('.').pop() ?? '').trim().toLowerCase();
  if (!v) return 'unknown';
  let best: Difficulty = 'easy';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const d of DIFFICULTIES) {
    const distance = levenshtein(v, d);
    if (distance < bestDistance) {
      best = d;
      bestDistance = distance;
    }
  }
  return best;
}

/** The 14 enum names with the human labels older runs stored (reference §6.2), by their word keys. */
const CATEGORY_LABELS: Record<OptimizationCategory, string[]> = {
  use_better_algorithm: ['Use a better algorithm'],
  use_better_data_structure_and_layout: ['Use a better data structure (and layout)', 'Use a better data structure'],
  use_lower_level_system: ['Use a lower-level system'],
  accept_less_precise_solution: [
    'Accept a less-precise solution (approximation, heuristics)',
    'Accept a less precise solution',
  ],
  use_parallelization: ['Use parallelization', 'Parallelization'],
  remove_or_reduce_work: ['Remove or reduce work (requirements & UX)', 'Remove or reduce work'],
  cache_and_reuse: ['Cache & reuse', 'Caching'],
  do_it_earlier_batch_throttle: ['Do it earlier / batch it / throttle it', 'Do it earlier, batch it, throttle it'],
  scale_platform: ['Scale the platform'],
  database_and_storage_tuning: ['Database & storage tuning'],
  micro_optimizations: ['Micro-optimizations (hot path tweaks)', 'Micro optimization', 'Micro-optimisations'],
  io_and_latency_hiding: ['I/O and latency hiding (async, prefetching)', 'IO and latency hiding'],
  use_higher_level_system: ['Use a higher-level system that optimizes for you', 'Use a higher-level system'],
  uncategorized: ['Uncategorized', 'Uncategorised', 'Other'],
};

/** `Cache & reuse (x)` → `cache_and_reuse`: parentheses dropped, `&` → and, runs of other characters → `_`. */
function wordKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/\([^)]*\)/g, ' ')
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const CATEGORY_BY_KEY = new Map<string, OptimizationCategory>();
for (const [name, labels] of Object.entries(CATEGORY_LABELS) as Array<[OptimizationCategory, string[]]>) {
  CATEGORY_BY_KEY.set(name, name);
  for (const label of labels) CATEGORY_BY_KEY.set(wordKey(label), name);
}

/**
 * Classification to one of the 14 enum names: text after the last `.` (strips `OptimizationType.`),
 * trimmed; empty → `uncategorized`; enum names in any case (`USE_BETTER_ALGORITHM`) and the human
 * labels of older runs (`Cache & reuse`) map to their enum name; anything else is `uncategorized`.
 */
export function normalizeClassificationLabel(value: unknown): OptimizationCategory {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  // A dot inside a human label ("I/O …") is not an enum prefix: only strip `Word.` prefixes.
  const stripped = /^[A-Za-z]+\.[A-Za-z_]+$/.test(text.trim()) ? (text.trim().split('.').pop() ?? '') : text;
  const key = wordKey(stripped);
  if (!key) return 'uncategorized';
  const direct = CATEGORY_BY_KEY.get(key);
  if (direct) return direct;
  // Near misses: drop articles ("use_a_better_algorithm") and compare again.
  const compact = key.replace(/(^|_)(a|an|the|it|for|you|that|optimizes)(?=_|$)/g, '').replace(/^_+|_+$|_(?=_)/g, '');
  for (const [candidate, name] of CATEGORY_BY_KEY) {
    const other = candidate
      .replace(/(^|_)(a|an|the|it|for|you|that|optimizes)(?=_|$)/g, '')
      .replace(/^_+|_+$|_(?=_)/g, '');
    if (other === compact) return name;
  }
  return 'uncategorized';
}
