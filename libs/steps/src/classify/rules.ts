import type { Difficulty, OptimizationCategory } from '@datasmith/tables';
import type { RowFeatures } from '../prepare/features';
import { type LearnedModel, scoreLearned } from '../prepare/learned';
import { type SignalWeights, type Signals, describeHits, scoreSignals } from '../prepare/signals';

/** Bump when the rules would now decide the same row differently. Recorded as `prompt_version`. */
export const RULES_VERSION = 'rules-3';

/**
 * Rules weights (precision first, unlike the gate): a performance word in the title or message
 * decides almost alone; body evidence needs a measurement or patch support (before/after timings weigh 3); patch hints add at most
 * 2; non-performance prefixes and bug-fix wording pull the score down.
 */
export const RULES_WEIGHTS: SignalWeights = {
  headline_perf_prefix: 5,
  headline_perf_strong: 4,
  headline_perf_medium: 3,
  headline_negative_prefix: -5,
  headline_negative: -2,
  headline_bugfix: -2,
  body_perf_strong: 3,
  body_perf_medium: 0,
  body_measurement: 3,
  paths_benchmarks: 1,
  branch_perf: 3,
  paths_compiled: 1,
  paths_simd: 1,
  patch_cache: 1,
  patch_parallel: 1,
  patch_simd: 1,
  patch_low_level: 0,
  patch_vectorized_loop: 1,
  patch_perf_comment: 1,
  patch_data_structure: 1,
  patch_allocation: 1,
  patch_loops_changed: 0,
  commits_perf_strong: 0,
  headline_feature: 0,
  paths_docs: 0,
  paths_tests: 0,
  paths_new_code: 0,
  patch_small: 0,
  patch_large: 0,
  patch_net_removal: 0,
};

/** Score at which the rules call a row performance work. */
export const RULES_THRESHOLD = 4;
/** Most the patch_* signals add together. */
export const RULES_PATCH_CAP = 2;

/** The decision of the rules backend for one row. */
export interface RulesVerdict {
  isPerformance: boolean;
  category: OptimizationCategory | null;
  difficulty: Difficulty;
  /** 0–100: distance of the score from the threshold, 50 at the threshold. */
  confidence: number;
  explanation: string;
}

interface CategoryRule {
  category: OptimizationCategory;
  text: RegExp;
  code?: RegExp;
}

/** Category cues, in tie-break order (first wins on equal scores). Text counts 2, code 1. */
const CATEGORY_RULES: CategoryRule[] = [
  {
    category: 'cache_and_reuse',
    text: /\b(cach(e|es|ed|ing)|memoi[sz]\w*|reus(e|es|ed|ing)|precomput\w*|lookup table)\b/i,
    code: /\b(lru_cache|functools\.cache|cached_property|_cache\b)|@cache\b/,
  },
  {
    category: 'use_parallelization',
    text: /\b(parallel\w*|multi-?thread\w*|threads?|multiprocess\w*|concurren\w*|openmp|async\w*)\b/i,
    code: /\b(ThreadPool\w*|ProcessPool\w*|concurrent\.futures|multiprocessing|prange|joblib)\b|#\s*pragma\s+omp/,
  },
  {
    category: 'use_lower_level_system',
    text: /\b(simd|avx\d*|sse\d?|neon|vsx|sve|intrinsics?|cython|numba|jit|c\+\+|c extension|in c|rust|vectori[sz]\w*|broadcast\w*|highway)\b/i,
    code: /\b(cdef|cpdef|nogil|_mm\d*_\w+|npyv_\w+|__m256\w*)\b|@n?jit\b|hwy::/,
  },
  {
    category: 'use_better_algorithm',
    text: /\b(algorithm\w*|complexity|quadratic|O\(n[^)]*\)|binary search|linear time|log n|divide and conquer)\b/i,
    code: /\b(bisect|heapq|searchsorted|argpartition)\b/,
  },
  {
    category: 'use_better_data_structure_and_layout',
    text: /\b(data structure|hash ?(map|table|set)|dict(ionary)?|set lookup|contiguous|memory layout|layout|struct of arrays|sparse)\b/i,
    code: /\b(frozenset|defaultdict|deque|OrderedDict|__slots__)\b|\bset\(/,
  },
  {
    category: 'remove_or_reduce_work',
    text: /\b(avoid\w*|skip\w*|unnecessary|redundant|needless|lazy|lazily|short-?circuit\w*|early (exit|return)|fast[- ]?path|fewer|less work|once|cop(y|ies))\b/i,
    code: /\bcopy=False\b|\breturn\b.*#.*fast/,
  },
  {
    category: 'do_it_earlier_batch_throttle',
    text: /\b(batch\w*|chunk\w*|bulk|prefetch\w*|debounce|throttl\w*|upfront|up front|ahead of time|buffer\w*)\b/i,
  },
  {
    category: 'io_and_latency_hiding',
    text: /\b(i\/o|\bio\b|read(s|ing)? (from|files?)|writ(e|es|ing) (to|files?)|stream\w*|network|latency|mmap|disk|file access)\b/i,
    code: /\b(mmap|aiofiles|BufferedReader|readinto)\b/,
  },
  {
    category: 'database_and_storage_tuning',
    text: /\b(sql|query|queries|database|index(es|ing)?|parquet|hdf5|storage|compression|serializ\w*)\b/i,
  },
  {
    category: 'use_higher_level_system',
    text: /\b(use (numpy|np\.|pandas|scipy|a library|builtins?)|built-?in|standard library|blas|lapack|library call)\b/i,
    code: /\bnp\.(einsum|add\.reduce|bincount|searchsorted|cumsum)\(/,
  },
  {
    category: 'accept_less_precise_solution',
    text: /\b(approximat\w*|lower precision|float32|half precision|tolerance|heuristic\w*|less precise)\b/i,
  },
  {
    category: 'scale_platform',
    text: /\b(gpu|cuda|distributed|cluster|dask|ray|multi-?node)\b/i,
  },
  {
    category: 'micro_optimizations',
    text: /\b(micro-?optimi[sz]\w*|inline|inlin(ed|ing)|attribute lookup|local variable|tight loop|hoist\w*|branch(less)?|unroll\w*)\b/i,
  },
];

/** The most likely category from text and added code; `uncategorized` when nothing points anywhere. */
export function categorize(f: RowFeatures, extraText = ''): OptimizationCategory {
  const text = [f.title, f.message, f.body, extraText].join('\n');
  const added = f.codeFiles.flatMap((file) => file.added).join('\n');
  let best: OptimizationCategory = 'uncategorized';
  let bestScore = 0;
  for (const rule of CATEGORY_RULES) {
    const score = (rule.text.test(text) ? 2 : 0) + (rule.code?.test(added) ? 1 : 0);
    if (score > bestScore) {
      best = rule.category;
      bestScore = score;
    }
  }
  if (bestScore === 0 && f.addedCodeLines + f.removedCodeLines <= 20) return 'micro_optimizations';
  return best;
}

/**
 * Difficulty rubric (reference §6.2): easy = localised, under 50 changed code lines in at most 2
 * files; hard = over 300 lines, more than 6 files, or an algorithm change over 150 lines; else medium.
 */
export function difficultyOf(f: RowFeatures, category: OptimizationCategory | null): Difficulty {
  const lines = f.addedCodeLines + f.removedCodeLines;
  const files = f.codeFiles.length;
  if (lines < 50 && files <= 2) return 'easy';
  if (lines > 300 || files > 6 || (category === 'use_better_algorithm' && lines > 150)) return 'hard';
  return 'medium';
}

/**
 * The embedded rules backend: deterministic, from the title, message, body (plus linked issue
 * text), changed paths and patch features.
 */
export function classifyByRules(f: RowFeatures, signals: Signals, extraText = ''): RulesVerdict {
  const { score, hits } = scoreSignals(signals, RULES_WEIGHTS, RULES_PATCH_CAP);
  const isPerformance = score >= RULES_THRESHOLD;
  const confidence = Math.max(5, Math.min(95, 50 + 10 * Math.abs(score - RULES_THRESHOLD + (isPerformance ? 1 : 0))));
  const category = isPerformance ? categorize(f, extraText) : null;
  const difficulty = isPerformance ? difficultyOf(f, category) : 'unknown';
  const verdict = isPerformance ? 'performance' : 'not performance';
  return {
    isPerformance,
    category,
    difficulty,
    confidence,
    explanation: `rules: ${verdict} (score ${score} ${isPerformance ? '>=' : '<'} ${RULES_THRESHOLD}): ${describeHits(hits)}`,
  };
}

/**
 * Which weights the rules backend uses: `hand` (RULES_WEIGHTS above) or `learned` (the logistic model
 * of prepare/learned-weights.json, its rules threshold). The default is the one that measured better
 * leave-one-repository-out (`npm run eval:classify`, prepare/README.md).
 */
export const RULES_MODELS = ['hand', 'learned'] as const;
export type RulesModel = (typeof RULES_MODELS)[number];
export const DEFAULT_RULES_MODEL: RulesModel = 'hand';

/** The version recorded in `prompt_version`: the rules code, and the learned model's version when it decides. */
export function rulesVersion(rulesModel: RulesModel, model: LearnedModel): string {
  return rulesModel === 'learned' ? `${RULES_VERSION}+${model.version}` : RULES_VERSION;
}

/** The rules backend with the learned model: performance when the log-odds reach its rules threshold. */
export function classifyByLearnedRules(
  f: RowFeatures,
  signals: Signals,
  model: LearnedModel,
  runtimeCode: string | undefined,
  extraText = '',
): RulesVerdict {
  const { score, hits, runtime } = scoreLearned(model, signals, runtimeCode);
  const threshold = model.rules.threshold;
  const isPerformance = score >= threshold;
  const confidence = Math.max(5, Math.min(95, Math.round(50 + 15 * (score - threshold))));
  const category = isPerformance ? categorize(f, extraText) : null;
  const difficulty = isPerformance ? difficultyOf(f, category) : 'unknown';
  const extra =
    runtime !== 0 ? `, runtime_code(${runtime > 0 ? '+' : ''}${runtime} ${JSON.stringify(runtimeCode)})` : '';
  return {
    isPerformance,
    category,
    difficulty,
    confidence,
    explanation:
      `rules (${model.version}): ${isPerformance ? 'performance' : 'not performance'} ` +
      `(log-odds ${score} ${isPerformance ? '>=' : '<'} ${threshold}): ${describeHits(hits)}${extra}`,
  };
}
