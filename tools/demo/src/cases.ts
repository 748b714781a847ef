import { COLLECT_DROP_REASONS, type DropReason, OptimizationCategory } from '@datasmith/tables';

/**
 * The intended outcome of every PR in the demo store, and of every repository for scrape-repos:
 * the single source that the generator writes from and that every later step's tests compare
 * against. Extend the expectations here (e.g. `prepare`, `classify`, `synthesize`) as steps are
 * added; never duplicate a case elsewhere.
 *
 * Conventions the store follows (see README of the demo in the final report):
 * - `mergedAt` is GitHub's `merged_at` (UTC); `month` is its UTC month. The committer date of the
 *   landed commit is the same instant written in the merger's time zone.
 * - `style` is how the PR landed on the default branch: a merge commit
 *   (`Merge pull request #N from <login>/<branch>\n\n<title>\n\n<body>`), a squash commit
 *   (`<title> (#N)\n\n<body>`), or a rebase merge (the PR's commits replayed; only the PR file
 *   says they form a PR: `merge_commit_sha` is the last one, `commits` how many landed).
 */

/** The 14 optimisation categories of the classifier (reference §6.2): the classify schema's own list. */
export const PERF_CATEGORIES = OptimizationCategory.options;
/** One of {@link PERF_CATEGORIES}. */
export type PerfCategory = (typeof PERF_CATEGORIES)[number];

/** How a PR landed on its base branch. */
export type MergeStyle = 'merge' | 'squash' | 'rebase';

/** What a PR is about, as its author would say; `performance` for every perf-labelled case. */
export type ChangeKind =
  | 'performance'
  | 'feature'
  | 'bug_fix'
  | 'refactor'
  | 'typing'
  | 'docs'
  | 'tests'
  | 'benchmarks'
  | 'ci'
  | 'examples'
  | 'maintenance'
  | 'non_code_mix';

/** Whether a step keeps a row, and why not. */
export interface StepOutcome {
  readonly kept: boolean;
  /** null when kept. */
  readonly dropReason: DropReason | null;
}

/** What the pipeline should conclude about one PR. */
export interface CaseExpectation {
  /** collect (step 1): kept, or the drop reason it must record. */
  readonly collect: StepOutcome;
  /**
   * prepare (step 2), only where this case exists to exercise a prepare rule (too_large,
   * too_many_files, too_few_tokens). Undefined: no specific expectation yet.
   */
  readonly prepare?: StepOutcome;
  /** The ground truth a classifier is scored against. */
  readonly label: 'perf' | 'not_perf';
  /** For perf cases: the optimisation category. */
  readonly category?: PerfCategory;
  /**
   * For perf cases: the ASV benchmarks (asv's names, `module.Class.method` relative to the
   * benchmark dir) that exist at the base commit and run measurably faster at the landed commit.
   */
  readonly benchmarks?: readonly string[];
}

/** One demo PR. */
export interface DemoCase {
  /** `owner/name`. */
  readonly repo: string;
  readonly number: number;
  readonly style: MergeStyle;
  /** GitHub's `merged_at`, UTC, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly mergedAt: string;
  /** UTC month of `mergedAt`, `YYYY-MM`. */
  readonly month: string;
  readonly title: string;
  readonly kind: ChangeKind;
  /** The branch the PR merged into; the repository's default branch unless noted. */
  readonly baseRef: string | null;
  /** True when the store has `pulls/<number>.json` for it (always for rebase merges). */
  readonly pullFile: boolean;
  /** True when `issues/<n>.json` exists for an issue the body links. */
  readonly linkedIssue: number | null;
  readonly expected: CaseExpectation;
}

/** Every drop reason collect can record (the schema's list); the demo has at least one PR for each. */
export { COLLECT_DROP_REASONS };

/** The prepare rules the demo has a case for. */
export const PREPARE_DROP_REASONS = [
  'too_large',
  'too_many_files',
  'too_few_tokens',
] as const satisfies readonly DropReason[];

/** The months the demo runs (UTC). */
export const DEMO_MONTHS = [
  '2024-01',
  '2024-02',
  '2024-03',
  '2024-04',
  '2024-05',
  '2024-06',
  '2024-07',
  '2024-08',
  '2024-09',
  '2024-10',
  '2024-11',
  '2024-12',
] as const;

/** The month in which no PR merged in any repository (direct commits still happen). */
export const EMPTY_MONTH = '2024-08';

/** How a repository's mirror is stored. */
export type MirrorKind =
  /** A bare repository with one pack, at `<store>/<owner>/<name>.git`. */
  | 'bare'
  /** A symlink `<store>/<owner>/<name>.git` → `<store>/.mirrors/<owner>/<name>.git`. */
  | 'symlink'
  /** Loose objects with one blob deleted: trees readable, one PR's diff is not. */
  | 'imperfect'
  /** No mirror at all (listed in repos.csv only). */
  | 'none';

/** A repository of the demo store and what scrape-repos should make of it. */
export interface DemoRepo {
  /** `owner/name`. */
  readonly name: string;
  readonly mirror: MirrorKind;
  /** Written to repo.json and repos.csv; null = no metadata anywhere (stars unknown). */
  readonly metadata: {
    readonly stars: number;
    readonly fork: boolean;
    readonly archived: boolean;
    readonly description: string;
    readonly topics: readonly string[];
    readonly parent?: string;
  } | null;
  readonly defaultBranch: string;
  /** ASV config paths at the head of the default branch (what scrape-repos reports). */
  readonly asvConfigAtHead: readonly string[];
  /** The benchmark directory relative to the repository root (for packages with PRs). */
  readonly benchmarkDir: string | null;
  /** For the imperfect mirror: the file whose blob, as landed by this PR, is deleted. */
  readonly missingBlob?: { readonly pullNumber: number; readonly path: string };
  /** scrape-repos with the defaults (min stars 500). */
  readonly expected: { readonly scrape: StepOutcome };
}

const keep: StepOutcome = { kept: true, dropReason: null };
const drop = (reason: DropReason): StepOutcome => ({ kept: false, dropReason: reason });

/** Every repository of the demo store. */
export const DEMO_REPOS: readonly DemoRepo[] = [
  {
    name: 'acme/fastmath',
    mirror: 'bare',
    metadata: {
      stars: 2150,
      fork: false,
      archived: false,
      description: 'Small numerical helpers on top of NumPy',
      topics: ['numpy', 'statistics', 'signal-processing'],
    },
    defaultBranch: 'main',
    asvConfigAtHead: ['asv.conf.json'],
    benchmarkDir: 'benchmarks',
    expected: { scrape: keep },
  },
  {
    name: 'orbit/textkit',
    mirror: 'bare',
    metadata: {
      stars: 1340,
      fork: false,
      archived: false,
      description: 'Tokenizing, counting and comparing text with the standard library',
      topics: ['nlp', 'text-processing'],
    },
    defaultBranch: 'master',
    asvConfigAtHead: ['asv.conf.json'],
    benchmarkDir: 'benchmarks',
    expected: { scrape: keep },
  },
  {
    name: 'gridlab/geoframe',
    mirror: 'symlink',
    metadata: {
      stars: 4800,
      fork: false,
      archived: false,
      description: 'Small tables and geometry on NumPy arrays',
      topics: ['gis', 'dataframe', 'numpy'],
    },
    defaultBranch: 'main',
    asvConfigAtHead: ['asv_bench/asv.conf.json'],
    benchmarkDir: 'asv_bench/benchmarks',
    expected: { scrape: keep },
  },
  {
    name: 'quietlabs/tinyspline',
    mirror: 'imperfect',
    metadata: {
      stars: 780,
      fork: false,
      archived: false,
      description: 'Piecewise-linear and cubic Hermite interpolation',
      topics: ['interpolation'],
    },
    defaultBranch: 'main',
    asvConfigAtHead: ['asv.conf.json'],
    benchmarkDir: 'benchmarks',
    missingBlob: { pullNumber: 10, path: 'tinyspline/boundary.py' },
    expected: { scrape: keep },
  },
  {
    name: 'solo-dev/quickhist',
    mirror: 'bare',
    metadata: null,
    defaultBranch: 'main',
    asvConfigAtHead: ['asv.conf.json'],
    benchmarkDir: 'benchmarks',
    expected: { scrape: keep },
  },
  {
    name: 'mlopez/fastmath',
    mirror: 'bare',
    metadata: {
      stars: 620,
      fork: true,
      archived: false,
      description: 'Small numerical helpers on top of NumPy',
      topics: [],
      parent: 'acme/fastmath',
    },
    defaultBranch: 'main',
    asvConfigAtHead: ['asv.conf.json'],
    benchmarkDir: null,
    expected: { scrape: drop('repo_fork') },
  },
  {
    name: 'oldlab/legacyplot',
    mirror: 'bare',
    metadata: {
      stars: 950,
      fork: false,
      archived: true,
      description: 'Plotting helpers (unmaintained)',
      topics: ['plotting'],
    },
    defaultBranch: 'main',
    asvConfigAtHead: ['asv.conf.json'],
    benchmarkDir: null,
    expected: { scrape: drop('repo_archived') },
  },
  {
    name: 'tinyco/smallsort',
    mirror: 'bare',
    metadata: { stars: 120, fork: false, archived: false, description: 'Sorting experiments', topics: [] },
    defaultBranch: 'main',
    asvConfigAtHead: ['asv.conf.json'],
    benchmarkDir: null,
    expected: { scrape: drop('repo_below_min_stars') },
  },
  {
    name: 'plainco/noasv',
    mirror: 'bare',
    metadata: { stars: 2600, fork: false, archived: false, description: 'A package without benchmarks', topics: [] },
    defaultBranch: 'main',
    asvConfigAtHead: [],
    benchmarkDir: null,
    expected: { scrape: drop('repo_no_asv') },
  },
  {
    name: 'ghost/vanished',
    mirror: 'none',
    metadata: null,
    defaultBranch: 'main',
    asvConfigAtHead: [],
    benchmarkDir: null,
    expected: { scrape: drop('repo_inaccessible') },
  },
];

interface CaseOptions {
  /** Expected prepare outcome (a prepare drop reason this case exercises). */
  prepare?: DropReason;
  /** Override whether a PR file is written (default: always for rebase and non-default bases, else number % 3 != 0). */
  pullFile?: boolean;
  /** Base branch when it is not the default branch. */
  baseRef?: string;
  /** Issue number the body links with an issue file in the store. */
  issue?: number;
}

type Outcome = Pick<DemoCase, 'kind' | 'expected'>;

/** A PR that collect keeps and that is not a performance change. */
function ordinary(kind: Exclude<ChangeKind, 'performance'>): Outcome {
  return { kind, expected: { collect: keep, label: 'not_perf' } };
}

/** A PR that collect drops for `reason`. */
function dropped(reason: DropReason, kind: Exclude<ChangeKind, 'performance'>): Outcome {
  return { kind, expected: { collect: drop(reason), label: 'not_perf' } };
}

/** A real performance PR: faster code, measured by `benchmarks` at its base and landed commits. */
function perf(category: PerfCategory, benchmarks: readonly string[]): Outcome {
  return { kind: 'performance', expected: { collect: keep, label: 'perf', category, benchmarks } };
}

function monthOfUtc(iso: string): string {
  return iso.slice(0, 7);
}

function pr(
  number: number,
  style: MergeStyle,
  mergedAt: string,
  title: string,
  outcome: Outcome,
  options: CaseOptions = {},
): Omit<DemoCase, 'repo'> {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(mergedAt))
    throw new Error(`case #${number}: bad mergedAt ${mergedAt}`);
  const expected = options.prepare ? { ...outcome.expected, prepare: drop(options.prepare) } : outcome.expected;
  return {
    number,
    style,
    mergedAt,
    month: monthOfUtc(mergedAt),
    title,
    kind: outcome.kind,
    baseRef: options.baseRef ?? null,
    pullFile: options.pullFile ?? (style === 'rebase' || options.baseRef !== undefined || number % 3 !== 0),
    linkedIssue: options.issue ?? null,
    expected,
  };
}

function inRepo(repo: string, cases: ReadonlyArray<Omit<DemoCase, 'repo'>>): DemoCase[] {
  return cases.map((c) => ({ repo, ...c }));
}

const FASTMATH = inRepo('acme/fastmath', [
  pr(2, 'squash', '2023-10-18T13:20:00Z', 'ENH: add gram_matrix', ordinary('feature')),
  pr(4, 'merge', '2023-11-07T16:45:00Z', 'Add CONTRIBUTING guide', dropped('docs_only', 'docs')),
  pr(6, 'squash', '2023-12-12T10:05:00Z', 'ENH: add cumulative_max', ordinary('feature')),
  pr(8, 'squash', '2024-01-04T15:12:44Z', 'BUG: honour ddof in variance', ordinary('bug_fix'), { issue: 7 }),
  pr(
    10,
    'squash',
    '2024-01-09T11:03:10Z',
    'PERF: vectorize rolling_mean with a cumulative sum',
    perf('use_better_algorithm', ['bench_stats.RollingMean.time_rolling_mean']),
  ),
  pr(11, 'merge', '2024-01-16T20:41:00Z', 'DOC: add a rolling statistics guide', dropped('docs_only', 'docs')),
  pr(12, 'squash', '2024-01-23T02:15:30Z', 'ENH: add weighted_mean', ordinary('feature')),
  pr(14, 'rebase', '2024-01-30T07:50:00Z', 'MAINT: tidy error messages in stats', ordinary('refactor')),
  pr(
    15,
    'squash',
    '2024-02-02T14:00:00Z',
    'BENCH: add benchmarks for linalg',
    dropped('benchmarks_only', 'benchmarks'),
  ),
  pr(16, 'squash', '2024-02-07T09:22:00Z', 'BUG: keep all-zero rows unchanged in normalize_rows', ordinary('bug_fix')),
  pr(
    18,
    'squash',
    '2024-02-13T17:35:00Z',
    'Speed up pairwise_distances using broadcasting',
    perf('use_lower_level_system', ['bench_linalg.PairwiseDistances.time_pairwise_distances']),
    { issue: 17 },
  ),
  pr(19, 'merge', '2024-02-20T12:10:00Z', 'CI: run the test-suite on Python 3.12', dropped('ci_only', 'ci')),
  pr(21, 'squash', '2024-02-27T23:48:00Z', 'ENH: add clip_outliers', ordinary('feature')),
  pr(
    22,
    'squash',
    '2024-03-05T10:30:00Z',
    'BENCH: benchmark percentiles and histogram_counts',
    dropped('benchmarks_only', 'benchmarks'),
  ),
  pr(
    23,
    'squash',
    '2024-03-08T13:45:00Z',
    'PERF: sort once in percentiles',
    perf('remove_or_reduce_work', ['bench_stats.Percentiles.time_percentiles']),
  ),
  pr(25, 'merge', '2024-03-14T18:20:00Z', 'ENH: add cosine_similarity to linalg', ordinary('feature')),
  pr(26, 'squash', '2024-03-21T08:05:00Z', 'TST: edge cases for percentiles', dropped('tests_only', 'tests')),
  pr(
    27,
    'squash',
    '2024-03-28T15:55:00Z',
    'Use np.bincount in histogram_counts',
    perf('use_better_algorithm', ['bench_stats.HistogramCounts.time_histogram_counts']),
  ),
  pr(29, 'squash', '2024-04-03T09:12:00Z', 'BENCH: add signal benchmarks', dropped('benchmarks_only', 'benchmarks')),
  pr(
    30,
    'rebase',
    '2024-04-09T14:40:00Z',
    'ENH: add special module with binomial and log_factorial',
    ordinary('feature'),
  ),
  pr(31, 'squash', '2024-04-16T06:30:00Z', 'BUG: clip_outliers on empty input', ordinary('bug_fix')),
  pr(
    33,
    'squash',
    '2024-04-22T11:25:00Z',
    'Rework the inner loop of cumulative_max',
    perf('use_lower_level_system', ['bench_signal.CumulativeMax.time_cumulative_max']),
  ),
  pr(34, 'merge', '2024-04-29T16:00:00Z', 'DOC: document the special module', dropped('docs_only', 'docs')),
  pr(
    35,
    'squash',
    '2024-05-02T13:13:00Z',
    'PERF: avoid per-row copies in normalize_rows',
    perf('remove_or_reduce_work', ['bench_linalg.NormalizeRows.time_normalize_rows']),
  ),
  pr(36, 'squash', '2024-05-09T08:40:00Z', 'ENH: add geometric_mean', ordinary('feature')),
  pr(
    38,
    'merge',
    '2024-05-15T19:30:00Z',
    'Add example script for rolling statistics',
    dropped('examples_only', 'examples'),
  ),
  pr(
    39,
    'squash',
    '2024-05-22T10:00:00Z',
    'Cache binomial coefficients',
    perf('cache_and_reuse', ['bench_special.Binomial.time_binomial']),
    { issue: 37 },
  ),
  pr(40, 'squash', '2024-05-29T14:45:00Z', 'MAINT: move input validation into _as_1d', ordinary('refactor')),
  pr(41, 'squash', '2024-06-04T09:05:00Z', 'ENH: add downsample to signal', ordinary('feature')),
  pr(42, 'merge', '2024-06-11T15:20:00Z', 'CI: add pre-commit hooks', dropped('ci_only', 'ci')),
  pr(
    44,
    'squash',
    '2024-06-18T07:30:00Z',
    'PERF: use np.convolve in convolve1d',
    perf('use_lower_level_system', ['bench_signal.Convolve1d.time_convolve1d']),
  ),
  pr(45, 'squash', '2024-06-25T12:00:00Z', 'Add performance docs', dropped('docs_only', 'docs')),
  // Merged 2024-07-01 08:30 in Tokyo (+09:00): June in UTC. No PR file: the month comes from the commit.
  pr(46, 'squash', '2024-06-30T23:30:00Z', 'ENH: add iqr and describe', ordinary('feature'), { pullFile: false }),
  pr(48, 'squash', '2024-07-03T10:10:00Z', 'BUG: downsample drops the trailing partial block', ordinary('bug_fix')),
  pr(
    49,
    'squash',
    '2024-07-10T14:35:00Z',
    'Vectorize find_peaks',
    perf('use_lower_level_system', ['bench_signal.FindPeaks.time_find_peaks']),
  ),
  pr(50, 'merge', '2024-07-17T17:50:00Z', 'TST: add tests for the special module', dropped('tests_only', 'tests')),
  pr(
    52,
    'squash',
    '2024-07-24T09:00:00Z',
    'PERF: compute gram_matrix with a single matrix product',
    perf('use_lower_level_system', ['bench_linalg.GramMatrix.time_gram_matrix']),
  ),
  pr(54, 'squash', '2024-09-03T13:00:00Z', 'ENH: add moving_median', ordinary('feature')),
  pr(
    55,
    'squash',
    '2024-09-10T08:25:00Z',
    'Avoid recomputing mean and std in zscore',
    perf('remove_or_reduce_work', ['bench_stats.ZScore.time_zscore']),
    { issue: 53 },
  ),
  pr(56, 'merge', '2024-09-17T21:05:00Z', 'DOC: fix typos in README and CHANGELOG', dropped('docs_only', 'docs')),
  pr(57, 'squash', '2024-09-24T11:40:00Z', 'Add py.typed marker', ordinary('typing'), { prepare: 'too_few_tokens' }),
  pr(58, 'rebase', '2024-09-30T16:00:00Z', 'MAINT: use f-strings in error messages', ordinary('refactor')),
  pr(59, 'squash', '2024-10-04T12:30:00Z', 'ENH: add frobenius_norm', ordinary('feature')),
  pr(
    60,
    'merge',
    '2024-10-11T08:15:00Z',
    'Add tests and docs for moving_median',
    dropped('non_code_only', 'non_code_mix'),
  ),
  pr(62, 'squash', '2024-10-17T15:45:00Z', 'BUG: weighted_mean must reject negative weights', ordinary('bug_fix')),
  pr(63, 'squash', '2024-10-24T10:20:00Z', 'MAINT: update pyproject metadata', ordinary('maintenance')),
  // Merged 2024-10-31 21:20 in São Paulo (-03:00): November in UTC.
  pr(64, 'squash', '2024-11-01T00:20:00Z', 'ENH: accept ddof in zscore', ordinary('feature'), { pullFile: true }),
  pr(65, 'squash', '2024-11-06T09:30:00Z', 'TYP: add type hints to fastmath.linalg', ordinary('typing')),
  pr(66, 'merge', '2024-11-13T14:00:00Z', 'CI: cache pip downloads in GitHub Actions', dropped('ci_only', 'ci')),
  pr(68, 'squash', '2024-11-20T18:10:00Z', 'ENH: add exponential_moving_average', ordinary('feature')),
  pr(69, 'squash', '2024-11-27T11:11:00Z', 'DOC: add docstring examples to signal', ordinary('docs')),
  pr(
    70,
    'squash',
    '2024-12-03T10:00:00Z',
    'BUG: raise TypeError for non-integer binomial arguments',
    ordinary('bug_fix'),
  ),
  pr(71, 'merge', '2024-12-10T15:30:00Z', 'MAINT: drop Python 3.8 support', ordinary('maintenance')),
  pr(72, 'squash', '2024-12-17T09:45:00Z', 'Update CHANGELOG for 0.4.0', dropped('docs_only', 'docs')),
]);

const TEXTKIT = inRepo('orbit/textkit', [
  pr(3, 'merge', '2023-10-10T09:00:00Z', 'Add a suffix-stripping stemmer', dropped('no_asv_at_base', 'feature')),
  pr(5, 'merge', '2023-11-21T15:30:00Z', 'Add Vocabulary class', dropped('no_asv_at_base', 'feature')),
  pr(7, 'merge', '2023-12-05T11:00:00Z', 'Add similarity module', dropped('no_asv_at_base', 'feature')),
  pr(9, 'merge', '2024-01-11T10:20:00Z', 'Handle apostrophes in tokenize', dropped('no_asv_at_base', 'bug_fix')),
  pr(10, 'merge', '2024-01-19T16:45:00Z', 'Add char_ngrams', dropped('no_asv_at_base', 'feature')),
  pr(12, 'squash', '2024-01-26T09:00:00Z', 'Add strip_accents', dropped('no_asv_at_base', 'feature')),
  pr(
    14,
    'merge',
    '2024-02-06T13:30:00Z',
    'Fix split_sentences with leading whitespace',
    dropped('no_asv_at_base', 'bug_fix'),
  ),
  pr(15, 'merge', '2024-02-15T11:00:00Z', 'Add jaccard_distance', dropped('no_asv_at_base', 'feature')),
  pr(17, 'squash', '2024-02-27T17:20:00Z', 'Expose __version__', dropped('no_asv_at_base', 'maintenance')),
  // Adds asv.conf.json itself: its base still has none.
  pr(18, 'merge', '2024-03-05T09:40:00Z', 'Add asv benchmarks', dropped('no_asv_at_base', 'benchmarks')),
  pr(
    19,
    'merge',
    '2024-03-12T14:10:00Z',
    'Use a frozenset for stopword lookups',
    perf('use_better_data_structure_and_layout', ['bench_stopwords.RemoveStopwords.time_remove_stopwords']),
  ),
  pr(21, 'merge', '2024-03-19T08:30:00Z', 'Explain how to run the benchmarks', dropped('docs_only', 'docs')),
  pr(
    22,
    'squash',
    '2024-03-26T15:00:00Z',
    'Tokenize with a compiled regular expression',
    perf('use_lower_level_system', ['bench_tokenize.Tokenize.time_tokenize']),
    { issue: 20 },
  ),
  pr(23, 'merge', '2024-03-29T19:45:00Z', 'Add GitHub Actions workflow', dropped('ci_only', 'ci')),
  pr(
    24,
    'merge',
    '2024-04-04T10:00:00Z',
    'Deduplicate with a seen-set instead of a list',
    perf('use_better_data_structure_and_layout', ['bench_dedupe.Dedupe.time_dedupe']),
  ),
  pr(25, 'merge', '2024-04-11T13:20:00Z', 'Add skipgrams', ordinary('feature')),
  pr(26, 'squash', '2024-04-18T07:45:00Z', 'Add an example for the stemmer', dropped('examples_only', 'examples')),
  pr(
    27,
    'squash',
    '2024-04-21T12:00:00Z',
    'Add benchmarks for the stemmer, vocabulary and similarity',
    dropped('benchmarks_only', 'benchmarks'),
  ),
  pr(
    28,
    'merge',
    '2024-04-24T16:30:00Z',
    'Count words with collections.Counter',
    perf('use_better_algorithm', ['bench_counting.WordFrequencies.time_word_frequencies']),
  ),
  pr(29, 'merge', '2024-04-30T22:10:00Z', 'Add East Asian width table for display_width', ordinary('feature'), {
    prepare: 'too_large',
  }),
  pr(31, 'merge', '2024-05-07T11:15:00Z', 'Add per-locale stopword modules', ordinary('feature'), {
    prepare: 'too_many_files',
  }),
  pr(
    32,
    'merge',
    '2024-05-14T14:50:00Z',
    'Look up vocabulary ids in a dict',
    perf('use_better_data_structure_and_layout', ['bench_vocab.VocabularyLookup.time_index_of']),
  ),
  pr(33, 'merge', '2024-05-21T09:20:00Z', 'Fix cache invalidation bug in Vocabulary.remove', ordinary('bug_fix')),
  pr(34, 'squash', '2024-05-28T13:40:00Z', 'Add tests for skipgrams', dropped('tests_only', 'tests')),
  pr(35, 'merge', '2024-05-30T10:00:00Z', 'Document display_width', dropped('docs_only', 'docs')),
  pr(36, 'merge', '2024-06-05T08:55:00Z', 'Memoize stem()', perf('cache_and_reuse', ['bench_stem.Stem.time_stem_all'])),
  pr(37, 'merge', '2024-06-12T15:30:00Z', 'Handle doubled consonants in stem', ordinary('feature')),
  pr(38, 'rebase', '2024-06-19T10:10:00Z', 'Refactor ngram helpers', ordinary('refactor')),
  pr(39, 'merge', '2024-06-26T17:00:00Z', 'Add CHANGELOG entry for 0.5', dropped('docs_only', 'docs')),
  pr(
    40,
    'squash',
    '2024-06-28T12:25:00Z',
    'Use heapq.nsmallest in top_k',
    perf('use_better_algorithm', ['bench_counting.TopK.time_top_k']),
  ),
  pr(
    42,
    'merge',
    '2024-07-03T09:30:00Z',
    'Compute cosine similarity from Counters',
    perf('use_better_algorithm', ['bench_similarity.Cosine.time_cosine_similarity']),
    { issue: 41 },
  ),
  pr(43, 'merge', '2024-07-11T14:45:00Z', 'Add type annotations to tokenize and ngrams', ordinary('typing')),
  pr(
    44,
    'rebase',
    '2024-07-18T07:20:00Z',
    'Build ngrams with zip',
    perf('remove_or_reduce_work', ['bench_ngrams.Ngrams.time_bigrams']),
  ),
  pr(45, 'merge', '2024-07-25T19:00:00Z', 'Clarify README wording around performance', dropped('docs_only', 'docs')),
  pr(46, 'merge', '2024-09-04T10:30:00Z', 'Add a benchmark for jaccard', dropped('benchmarks_only', 'benchmarks')),
  pr(47, 'merge', '2024-09-11T13:00:00Z', 'Fix jaccard for two empty inputs', ordinary('bug_fix')),
  pr(48, 'squash', '2024-09-18T08:00:00Z', 'Require tox 4 in tox.ini', dropped('ci_only', 'ci')),
  pr(49, 'merge', '2024-09-25T16:40:00Z', 'Support custom stopword lists in remove_stopwords', ordinary('feature')),
  pr(50, 'squash', '2024-09-27T09:09:00Z', 'Document custom stopword lists', dropped('docs_only', 'docs')),
  pr(51, 'merge', '2024-10-02T11:30:00Z', 'Move the sentence regex to module level', ordinary('refactor')),
  pr(52, 'merge', '2024-10-09T15:15:00Z', 'Add normalize_whitespace', ordinary('feature')),
  pr(53, 'rebase', '2024-10-16T08:45:00Z', 'Annotate counting and dedupe', ordinary('typing')),
  pr(
    54,
    'merge',
    '2024-10-23T13:50:00Z',
    'Tests and docs for normalize_whitespace',
    dropped('non_code_only', 'non_code_mix'),
  ),
  pr(55, 'merge', '2024-10-30T18:30:00Z', 'Add lexical_diversity', ordinary('feature')),
  pr(56, 'merge', '2024-11-05T10:00:00Z', 'Add most_common helper', ordinary('feature')),
  pr(57, 'squash', '2024-11-12T14:20:00Z', 'CI: test on macOS', dropped('ci_only', 'ci')),
  pr(58, 'merge', '2024-11-19T09:40:00Z', 'Fix display_width for control characters', ordinary('bug_fix')),
  pr(59, 'merge', '2024-11-26T16:10:00Z', 'Document performance characteristics in docstrings', ordinary('docs')),
  pr(60, 'merge', '2024-12-04T10:50:00Z', 'Add stem_tokens and deprecate stem_all', ordinary('refactor')),
  pr(61, 'squash', '2024-12-11T13:30:00Z', 'Update copyright year', ordinary('maintenance')),
  pr(62, 'merge', '2024-12-18T08:20:00Z', 'Release notes for 0.6', dropped('docs_only', 'docs')),
]);

const GEOFRAME = inRepo('gridlab/geoframe', [
  pr(2, 'merge', '2023-09-19T14:00:00Z', 'Add nearest() for point queries', ordinary('feature')),
  pr(4, 'merge', '2023-10-24T09:30:00Z', 'Add GridIndex', ordinary('feature')),
  pr(6, 'merge', '2023-12-07T16:00:00Z', 'Add read_csv_text / to_csv_text', ordinary('feature')),
  pr(
    8,
    'merge',
    '2024-01-08T15:30:00Z',
    'perf: vectorise haversine',
    perf('use_lower_level_system', ['bench_geometry.Haversine.time_haversine']),
  ),
  pr(9, 'merge', '2024-01-15T21:00:00Z', 'docs: add a getting started page', dropped('docs_only', 'docs')),
  pr(10, 'rebase', '2024-01-22T13:15:00Z', 'Add Frame.describe', ordinary('feature')),
  pr(12, 'merge', '2024-01-29T17:45:00Z', 'Fix Frame.head when n exceeds length', ordinary('bug_fix'), { issue: 11 }),
  pr(
    13,
    'merge',
    '2024-02-05T10:20:00Z',
    'Speed up groupby_sum with np.unique and np.bincount',
    perf('use_better_algorithm', ['bench_frame.GroupbySum.time_groupby_sum']),
    { issue: 7 },
  ),
  pr(14, 'merge', '2024-02-12T14:00:00Z', 'ci: upload coverage', dropped('ci_only', 'ci')),
  pr(15, 'merge', '2024-02-19T09:10:00Z', 'Add Frame.rename', ordinary('feature')),
  pr(
    16,
    'merge',
    '2024-02-26T16:30:00Z',
    'bench: add benchmarks for nearest and GridIndex',
    dropped('benchmarks_only', 'benchmarks'),
  ),
  pr(
    17,
    'merge',
    '2024-03-04T08:45:00Z',
    'Shoelace formula without the Python loop',
    perf('use_lower_level_system', ['bench_geometry.PolygonArea.time_polygon_area']),
  ),
  pr(18, 'squash', '2024-03-11T12:30:00Z', 'tests: cover read_csv_text text columns', dropped('tests_only', 'tests')),
  // Merged into maintenance/1.x: never on main's first-parent line.
  pr(
    19,
    'merge',
    '2024-03-18T19:20:00Z',
    '[1.x] Fix Frame.head when n exceeds length',
    dropped('not_on_default_branch', 'bug_fix'),
    {
      baseRef: 'maintenance/1.x',
    },
  ),
  pr(20, 'merge', '2024-03-25T10:05:00Z', 'Add Frame.assign', ordinary('feature')),
  pr(
    21,
    'merge',
    '2024-04-01T13:40:00Z',
    'perf: avoid the list round-trip in Frame.take',
    perf('remove_or_reduce_work', ['bench_frame.Take.time_take']),
  ),
  pr(22, 'rebase', '2024-04-08T07:55:00Z', 'Add to_records and from_records', ordinary('feature')),
  pr(23, 'merge', '2024-04-15T15:25:00Z', 'docs: describe the coordinate conventions', dropped('docs_only', 'docs')),
  // The same fix was pushed directly on 2024-04-17: the merge changes nothing.
  pr(
    24,
    'merge',
    '2024-04-22T11:00:00Z',
    'Fix typo in error message for unknown column',
    dropped('empty_change', 'bug_fix'),
  ),
  pr(
    25,
    'merge',
    '2024-05-06T09:30:00Z',
    'Rework GridIndex.query',
    perf('use_better_data_structure_and_layout', ['bench_index.GridIndexQuery.time_query']),
  ),
  pr(26, 'merge', '2024-05-13T14:15:00Z', 'ci: pin actions to commit SHAs', dropped('ci_only', 'ci')),
  pr(27, 'rebase', '2024-05-20T10:40:00Z', 'Add bbox_of helper', ordinary('feature')),
  pr(
    28,
    'merge',
    '2024-05-27T18:00:00Z',
    'Sort with np.argsort in Frame.sort_by',
    perf('use_lower_level_system', ['bench_frame.SortBy.time_sort_by']),
  ),
  pr(29, 'merge', '2024-06-03T08:20:00Z', 'examples: plot city distances', dropped('examples_only', 'examples')),
  pr(
    30,
    'merge',
    '2024-06-10T15:45:00Z',
    'Vectorised nearest-point search',
    perf('use_lower_level_system', ['bench_index.Nearest.time_nearest']),
    { issue: 5 },
  ),
  pr(32, 'merge', '2024-06-17T12:00:00Z', 'Add Frame.dropna', ordinary('feature')),
  pr(
    33,
    'merge',
    '2024-06-24T19:30:00Z',
    'bench: add a benchmark for Frame.filter',
    dropped('benchmarks_only', 'benchmarks'),
  ),
  pr(
    34,
    'merge',
    '2024-07-01T14:30:00Z',
    'Compute centroids without a Python loop',
    perf('use_lower_level_system', ['bench_geometry.Centroid.time_centroid']),
  ),
  pr(35, 'rebase', '2024-07-08T09:00:00Z', 'Refactor column validation', ordinary('refactor')),
  pr(36, 'merge', '2024-07-15T16:50:00Z', 'docs: changelog for 1.2', dropped('docs_only', 'docs')),
  pr(
    37,
    'merge',
    '2024-07-22T10:10:00Z',
    'Boolean mask for points_in_bbox',
    perf('use_lower_level_system', ['bench_geometry.PointsInBbox.time_points_in_bbox']),
  ),
  pr(38, 'merge', '2024-09-02T13:20:00Z', 'Add haversine_matrix', ordinary('feature')),
  pr(39, 'merge', '2024-09-09T08:30:00Z', 'Ignore whitespace-only lines in read_csv_text', ordinary('bug_fix')),
  pr(
    40,
    'merge',
    '2024-09-16T15:40:00Z',
    'tests: add regression test for GridIndex bounds',
    dropped('tests_only', 'tests'),
  ),
  pr(41, 'rebase', '2024-09-23T11:25:00Z', 'Type hints for geometry', ordinary('typing')),
  pr(42, 'merge', '2024-10-01T05:10:00Z', 'Add Frame.concat', ordinary('feature')),
  pr(43, 'merge', '2024-10-08T17:35:00Z', 'Build the docs in CI', dropped('non_code_only', 'non_code_mix')),
  pr(44, 'merge', '2024-10-15T12:15:00Z', 'Add GridIndex.count', ordinary('feature')),
  pr(45, 'merge', '2024-10-22T09:50:00Z', 'Deprecate Frame.columns() in favour of Frame.names', ordinary('refactor')),
  pr(46, 'merge', '2024-11-05T14:00:00Z', 'Return signed area from polygon_area with signed=True', ordinary('feature')),
  pr(47, 'merge', '2024-11-12T10:30:00Z', 'docs: performance tips', dropped('docs_only', 'docs')),
  pr(48, 'squash', '2024-11-19T16:20:00Z', 'Raise a clear error for a mask of the wrong length', ordinary('bug_fix')),
  pr(49, 'merge', '2024-11-26T08:40:00Z', 'Support ascending=False in sort_by', ordinary('feature')),
  pr(50, 'merge', '2024-12-03T13:10:00Z', 'Add Frame.unique', ordinary('feature')),
  pr(51, 'rebase', '2024-12-10T10:00:00Z', 'Split validation helpers into geoframe._validation', ordinary('refactor')),
  pr(52, 'merge', '2024-12-17T15:30:00Z', 'ci: use Python 3.13', dropped('ci_only', 'ci')),
  pr(53, 'merge', '2024-12-20T09:00:00Z', 'Start 1.4.0 development', ordinary('maintenance')),
]);

const TINYSPLINE = inRepo('quietlabs/tinyspline', [
  pr(2, 'squash', '2024-01-17T10:00:00Z', 'Add cubic Hermite interpolation', ordinary('feature')),
  pr(3, 'squash', '2024-02-21T14:30:00Z', 'docs: usage examples in README', dropped('docs_only', 'docs')),
  pr(
    5,
    'squash',
    '2024-04-10T09:15:00Z',
    'Locate intervals with np.searchsorted',
    perf('use_better_algorithm', ['bench_interp.InterpLinear.time_interp_linear']),
    { issue: 4 },
  ),
  pr(6, 'merge', '2024-05-16T16:00:00Z', 'Validate that knots are increasing', ordinary('bug_fix')),
  pr(7, 'squash', '2024-06-20T11:45:00Z', 'Add tests for extrapolation', dropped('tests_only', 'tests')),
  pr(8, 'merge', '2024-09-12T08:30:00Z', 'Add derivative evaluation', ordinary('feature')),
  pr(9, 'squash', '2024-10-29T13:00:00Z', 'ci: add workflow', dropped('ci_only', 'ci')),
  // The blob of tinyspline/boundary.py as landed here is missing from the mirror.
  pr(10, 'squash', '2024-12-05T10:20:00Z', 'Add clamped boundary conditions', dropped('patch_unavailable', 'feature')),
]);

const QUICKHIST = inRepo('solo-dev/quickhist', [
  pr(1, 'squash', '2024-02-08T12:00:00Z', 'Add cumulative histogram', ordinary('feature')),
  pr(
    2,
    'merge',
    '2024-03-27T15:30:00Z',
    'Compute bin indices with numpy',
    perf('use_lower_level_system', ['bench_core.BinCounts.time_bin_counts']),
  ),
  pr(4, 'squash', '2024-06-06T09:00:00Z', 'README: installation notes', dropped('docs_only', 'docs')),
  pr(5, 'merge', '2024-10-10T18:45:00Z', 'Raise ValueError for nbins < 1', ordinary('bug_fix')),
  pr(6, 'squash', '2024-12-12T11:00:00Z', 'Add text rendering of histograms', ordinary('feature')),
]);

/** Every demo PR, by repository then number. */
export const DEMO_CASES: readonly DemoCase[] = [...FASTMATH, ...TEXTKIT, ...GEOFRAME, ...TINYSPLINE, ...QUICKHIST];

/** The PRs merged within an hour of a UTC month boundary by someone in a non-UTC time zone. */
export const MONTH_BOUNDARY_CASES: ReadonlyArray<{ repo: string; number: number }> = [
  { repo: 'acme/fastmath', number: 46 },
  { repo: 'acme/fastmath', number: 64 },
];

/** The cases of one repository, by number. */
export function casesOf(repo: string): DemoCase[] {
  return DEMO_CASES.filter((c) => c.repo === repo).sort((a, b) => a.number - b.number);
}

/** The case for `repo#number`; throws when there is none. */
export function findCase(repo: string, number: number): DemoCase {
  const found = DEMO_CASES.find((c) => c.repo === repo && c.number === number);
  if (!found) throw new Error(`no demo case ${repo}#${number}`);
  return found;
}
