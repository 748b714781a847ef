import { classifyPath } from '../collect/path-rules';
import { type RowFeatures, isCompiledPath } from './features';

/**
 * Everything the gate and the rules classifier can see in a row, each with the text that showed it.
 * `headline` = PR title + commit message (merge boilerplate removed); `body` = PR body without HTML
 * comments; `paths` = files_changed; `patch` = added/removed lines of code files (tests, docs and
 * benchmarks excluded).
 */
export const SIGNAL_IDS = [
  'headline_perf_prefix',
  'headline_perf_strong',
  'headline_perf_medium',
  'headline_negative_prefix',
  'headline_negative',
  'headline_bugfix',
  'body_perf_strong',
  'body_perf_medium',
  'body_measurement',
  'paths_benchmarks',
  'branch_perf',
  'paths_compiled',
  'paths_simd',
  'patch_cache',
  'patch_parallel',
  'patch_simd',
  'patch_low_level',
  'patch_vectorized_loop',
  'patch_perf_comment',
  'patch_data_structure',
  'patch_allocation',
  'patch_loops_changed',
  'commits_perf_strong',
  'headline_feature',
  'paths_docs',
  'paths_tests',
  'paths_new_code',
  'patch_small',
  'patch_large',
  'patch_net_removal',
] as const;
export type SignalId = (typeof SIGNAL_IDS)[number];

/** Signals found in a row: id → the first text that matched. */
export type Signals = Partial<Record<SignalId, string>>;

/** `PERF:`, `perf(core):`, `[PERF]`, `SIMD:`, `OPT:` at the start of a title. */
const PERF_PREFIX =
  /^\s*\[?(perf|performance|speed|speedup|simd|opt|optim|optimization|optimisation)\]?\s*(\([^)]*\))?\s*[:\]!]/i;

/** Title prefixes of non-performance work (numpy/scipy/pandas prefixes and conventional commits). */
const NEGATIVE_PREFIX =
  /^\s*\[?(doc|docs|tst|test|tests|typ|typing|types|sty|style|ci|bld|build|rel|release|rev|revert|dep|deps|chore|bench|benchmarks?|dev)\]?\s*(\([^)]*\))?\s*[:\]!]/i;

/** Titles that open with a documentation verb: "Document …", "Add docs …", "Fix typos …". */
const DOCS_TITLE =
  /^\s*(document|add (docs?|documentation|docstrings?)|update (the )?(docs?|readme|changelog)|fix typos?)\b/i;

/** Words that name performance work on their own. */
const PERF_STRONG: RegExp[] = [
  /\bperf\b/i,
  /\bperforman(ce|t)\b/i,
  /\bspeed(s|ed|ing)?[- ]?ups?\b|\bsped up\b|\bspeed(s|ed)? (it |this |things )?up\b/i,
  /\bfast(er|est)\b/i,
  /\bfast[- _]?path\b/i,
  /\bslow(er|ness|downs?)?\b(?!\s+tests?\b)/i,
  /\boptimi[sz](e|es|ed|ing|ation|ations)\b(?![.:/])/i,
  /\b(latency|throughput|bottlenecks?|overhead)\b/i,
  /\bhot (path|paths|loop|loops|spot|spots)\b|\bhotspots?\b/i,
  /(?<![.\w])vectori[sz](e|es|ed|ing|ation)\b(?!\()/i,
  /\bparalleli[sz](e|es|ed|ing|ation)\b/i,
  /\b(python|pure[- ]python|interpreted) loops?\b/i,
  /\b(simd|avx\d*|avx-?512\w*|sse\d?|neon|vsx|sve|intrinsics?|highway)\b/i,
  /\b\d+(\.\d+)?\s?(x|times)\s+(faster|speed-?up|quicker)\b/i,
  /\b(in)?efficien(t|tly|cy)\b/i,
  /\baccelerat(e|es|ed|ing|ion)\b/i,
  /\bquadratic\b|\bO\([^()\n]{1,15}\)|\b(time|algorithmic) complexity\b/,
  /\b(linear|full) scans?\b|\bscann(ing|ed|s) the (whole|entire)\b|\b(in )?(one|a single) pass\b/i,
  /\b(expensive|costly)\b/i,
  /\bavoid(s|ed|ing)?\s+(\w+\s+){0,2}(cop(y|ies|ying)|allocat\w*|re-?comput\w*|re-?evaluat\w*|overhead|conversions?|lookups?|loops?|work|calls?)\b/i,
  /\b(unnecessary|redundant|needless|repeated)\s+(\w+\s+){0,1}(cop(y|ies)|allocat\w*|comput\w*|work|calls?|conversions?|loops?|passes|lookups?|checks?)\b/i,
  /\blazy (import|imports|load|loading|evaluation)\b|\blazily (import|load)/i,
  /\bmemory (usage|footprint|consumption|use|pressure)\b|\b(reduce|lower|less|decrease)\w* memory\b/i,
  /\bzero-?copy\b|\bprealloc\w*\b/i,
  /\b(improv|increas|boost|better)\w*\s+(the\s+)?(\w+\s+)?(speed|runtime|run time|timings?)\b|\b(much|far|a lot) (better|higher) speed\b/i,
  /\bwall[- ]?(clock[- ])?time\b|\bexecution time\b|\bruntime (cost|overhead|performance)\b/i,
  /\bbranch-?less\b|\bhuge-?pages?\b/i,
];

/** Words that often come with performance work but also with other work. */
const PERF_MEDIUM: RegExp[] = [
  /\bcach(e|es|ed|ing)\b|\bmemoi[sz](e|ed|es|ation)\b/i,
  /\bparallel(i[sz](e|ed|ation))?\b|\bmulti-?thread(ed|ing)?\b|\bconcurren(t|cy)\b|\bopenmp\b/i,
  /\b(jit|numba|cython|pythran)\b/i,
  /\bbatch(ed|es|ing)?\b|\bchunk(ed|ing)\b/i,
  /\bbenchmark(s|ed|ing)?\b|\basv\b/i,
  /\bmemory\b/i,
  /\bregression\b/i,
  /\bfast\b|\bspeed\b|\bquick(er|ly)?\b|\bcheap(er|ly)?\b/i,
  /\ballocat(e|es|ed|ion|ions)\b|\bin-?place\b/i,
  /\b(lazy|lazily)\b/i,
  /\bshort-?circuit\w*\b|\bearly (return|exit)\b/i,
  /\bonce\b/i,
  /\bhash[- ]?(map|table|set)s?\b|\bunordered[-_ ](set|map)\b|\blookup tables?\b/i,
  /\bcop(y|ies|ying)\b|\b(inner )?loops?\b|\bdispatch(ed|ing)?\b|\bufuncs?\b|\bintrinsics?\b/i,
];

/** A head branch named for speed work: `rayleigh-perf`, `speedup-unique`, `simd_sort`. */
const PERF_BRANCH =
  /(^|[-_/.])(perf|performance|speed|speedups?|fast|faster|fastpath|optim\w*|simd|vectori[sz]\w*|avx\w*|neon|sse\d*|vsx|accel\w*|cach(e|ing)|parallel\w*|hugepages?)(?=$|[-_/.\d])/i;

/** Compiled-source paths that are about SIMD or CPU dispatch (`loops_*.dispatch.c.src`, `simd/`, `x86-simd-sort`). */
const SIMD_PATH = /(simd|dispatch|intrinsic|avx|neon|highway|vsx|sse\d)/i;

/** Words of work that is not about runtime performance. */
const NEGATIVE: RegExp[] = [
  /\b(typos?|docstrings?|documentation|document(s|ed|ing)?|docs?|readme|changelog|release notes?|spelling)\b/i,
  /\b(typing|type hints?|type annotations?|annotations?|mypy|pyright|stubs?)\b|\.pyi\b/i,
  /\b(bump(s|ed|ing)?|dependabot|pin(s|ned|ning)?|unpin\w*)\b/i,
  /\b(lint(s|ing|er)?|format(ting)?|ruff|flake8|pylint|isort|pre-commit|clang-format)\b/i,
  /\b(ci|github actions?|workflows?|azure pipelines|travis|circleci|cibuildwheel|wheels?)\b/i,
  /\b(revert(s|ed)?|backport(s|ed)?|release)\b/i,
  /\b(deprecat\w*|deprecation)\b/i,
  /\b(tests?|testing|unittests?|pytest)\b/i,
];

/** A PR that says it fixes a bug (`BUG:`, `bugfix:`, crash / incorrect result wording). */
const BUGFIX =
  /^\s*\[?(bug|bugfix|hotfix)\]?\s*(\([^)]*\))?\s*[:\]!]|\b(crash(es|ed)?|segfaults?|incorrect|wrong results?)\b/i;

/** A title that announces new functionality: "Add …", "ENH: support …", "Allow …", "New …". */
const FEATURE_TITLE =
  /^\s*(\[?(enh|feat|feature|api|new)\]?\s*(\([^)]*\))?\s*[:\]!]\s*)?(add(s|ed|ing)?|allow(s|ed|ing)?|support(s|ed|ing)?|implement(s|ed|ing)?|introduc(e|es|ed|ing)|expose[sd]?|new)\b/i;

/** Release notes and changelogs: where a project says what a PR was (the labels' source), so never read as a signal. */
const RELEASE_NOTES_PATH = /(release|changelog|changes|whatsnew|what_new|news|upcoming_changes|history)/i;

/** Timings or speed-up evidence in a PR body. */
const MEASUREMENT: RegExp[] = [
  /\b\d+(\.\d+)?\s?(ns|µs|μs|us|ms|msec|sec|s)\b[^\n]{0,40}(→|->|=>|\bto\b|\bvs\.?\b)\s*\d/i,
  /\b\d+(\.\d+)?\s?(x|times)\s+(faster|speed-?up|quicker|slower)\b/i,
  /\bspeed-?up(s)? (of|by) (~|about )?\d/i,
  /\b(takes?|took|taking)\s+(about |almost |over |around |nearly |~)?\d+(\.\d+)?\s?(ns|µs|μs|us|ms|s|sec|secs|seconds|minutes)\b/i,
  /\b(asv (compare|continuous|run)|%timeit|timeit\b|before\s*[:|]?[^\n]{0,80}\n?[^\n]{0,80}after\b)/i,
  /\b(ratio|change)\s*\|?\s*[\s\S]{0,40}\b0\.\d+\b[\s\S]{0,40}\bbench_/i,
];

const CACHE_CODE =
  /\b(lru_cache|functools\.cache|cached_property|memoi[sz]e\w*|WeakValueDictionary)\b|@cache\b|\b_cache\b|\bcache\[|\.cache\b/;
const PARALLEL_CODE =
  /\b(ThreadPool(Executor)?|ProcessPool(Executor)?|concurrent\.futures|multiprocessing|joblib|prange|openmp|asyncio\.gather|threading\.Thread|Py_BEGIN_ALLOW_THREADS|NPY_BEGIN_THREADS\w*)\b|#\s*pragma\s+omp|\bwith nogil\b/;
const SIMD_CODE =
  /\b(_mm\d*_\w+|__m(128|256|512)\w*|npyv_\w+|vld1q\w*|vst1q\w*|HWY_\w+|svfloat\d+_t|NPY_SIMD\w*|simd\w*)\b|hwy::|#\s*pragma\s+(GCC\s+)?unroll/i;
const LOW_LEVEL_CODE = /\b(cdef|cpdef|nogil|boundscheck|wraparound|numba|ctypes|cython)\b|@(numba\.)?n?jit\b/;
const NUMPY_CALL =
  /\bnp\.(\w+\.)?(where|einsum|add|multiply|sum|cumsum|take|put|searchsorted|bincount|unique|argsort|concatenate|dot|matmul|fromiter|frombuffer|isin|maximum|minimum|reduce|repeat|tile|broadcast_to|lexsort|diff|nonzero|flatnonzero|count_nonzero|all|any|accumulate|outer|convolve|histogram)\(/;
const PY_LOOP = /^\s*(for\s+.+\s+in\s+.+|while\s+.+):\s*(#.*)?$/;
const C_LOOP = /\b(for|while)\s*\(/;
const COMMENT_LINE = /^\s*(#|\/\/|\/\*|\*)/;
const PERF_COMMENT =
  /\b(fast(er|est)?|slow(er)?|speed|perf(ormance)?|optimi[sz]\w*|avoid\w*|cach\w*|hot|expensive|cheap(er)?|overhead|allocat\w*|copies|copy)\b/i;
const DATA_STRUCTURE_CODE =
  /\b(bisect|heapq|deque|frozenset|defaultdict|OrderedDict|Counter|searchsorted|argpartition|sortedcontainers)\b|\bset\(|dict\.fromkeys/;
const ALLOCATION_CODE =
  /\bnp\.empty(_like)?\(|\bout=|\bcopy=False\b|\.reserve\(|\bprealloc\w*|\bmemoryview\(|\bnp\.asarray\(|\.view\(|\binplace=True\b/;

function firstMatch(text: string, patterns: readonly RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match) return match[0].trim().slice(0, 60);
  }
  return undefined;
}

function firstLine(lines: readonly string[], pattern: RegExp): string | undefined {
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match) return match[0].trim().slice(0, 60);
  }
  return undefined;
}

/** Finds every signal of a row. Pure: the same features always give the same signals. */
export function detectSignals(f: RowFeatures): Signals {
  const out: Signals = {};
  const put = (id: SignalId, evidence: string | undefined) => {
    if (evidence !== undefined && out[id] === undefined) out[id] = evidence;
  };
  // The headline is what names the change (title and commit subject); the message's further lines
  // (a squash commit's list of commits, a PR description) are read as body.
  const headline = [f.title, f.subject].filter(Boolean).join('\n');
  put('headline_perf_prefix', PERF_PREFIX.exec(f.title)?.[0].trim() ?? PERF_PREFIX.exec(f.subject)?.[0].trim());
  put('headline_perf_strong', firstMatch(headline, PERF_STRONG));
  // A medium word counts only where no strong word did ("Speed up" is not also "speed").
  if (!out.headline_perf_strong) put('headline_perf_medium', firstMatch(headline, PERF_MEDIUM));
  const titleLine = f.title || f.subject;
  put('headline_negative_prefix', (NEGATIVE_PREFIX.exec(titleLine) ?? DOCS_TITLE.exec(titleLine))?.[0].trim());
  put('headline_negative', firstMatch(headline, NEGATIVE));
  put('headline_bugfix', BUGFIX.exec(titleLine)?.[0].trim());
  put('body_perf_strong', firstMatch(f.body, PERF_STRONG));
  if (!out.body_perf_strong) put('body_perf_medium', firstMatch(f.body, PERF_MEDIUM));
  put('body_measurement', firstMatch(f.body, MEASUREMENT));
  if (f.touchesBenchmarks)
    put(
      'paths_benchmarks',
      f.paths.find((p) => /bench/i.test(p)),
    );

  put('branch_perf', PERF_BRANCH.exec(f.branch) ? f.branch.slice(0, 60) : undefined);
  const compiled = f.codeFiles.filter((file) => isCompiledPath(file.path));
  put('paths_compiled', compiled[0]?.path);
  put('paths_simd', compiled.find((file) => SIMD_PATH.test(file.path))?.path);

  const added = f.codeFiles.flatMap((file) => file.added);
  const removed = f.codeFiles.flatMap((file) => file.removed);
  put('patch_cache', firstLine(added, CACHE_CODE));
  put('patch_parallel', firstLine(added, PARALLEL_CODE));
  put('patch_simd', firstLine(added, SIMD_CODE));
  put('patch_low_level', firstLine(added, LOW_LEVEL_CODE));
  const removedPyLoop = firstLine(removed, PY_LOOP);
  const addedNumpy = firstLine(added, NUMPY_CALL);
  if (removedPyLoop && addedNumpy) put('patch_vectorized_loop', `${removedPyLoop} → ${addedNumpy}`);
  put(
    'patch_perf_comment',
    firstLine(
      added.filter((line) => COMMENT_LINE.test(line) || /\s#\s/.test(line) || /\/\/\s/.test(line)),
      PERF_COMMENT,
    ),
  );
  put('patch_data_structure', firstLine(added, DATA_STRUCTURE_CODE));
  put('patch_allocation', firstLine(added, ALLOCATION_CODE));
  put('patch_loops_changed', firstLine(removed, PY_LOOP) ?? firstLine(removed, C_LOOP));

  // The PR's own commits (a merge commit's second-parent side), the shape and size of the change.
  put('commits_perf_strong', firstMatch(f.commits.join('\n'), PERF_STRONG));
  put('headline_feature', FEATURE_TITLE.exec(titleLine)?.[0].trim());
  put(
    'paths_docs',
    f.paths.find(
      (p) => classifyPath(p) === 'docs' && !RELEASE_NOTES_PATH.test(p) && !/\.md$/i.test(p.split('/')[0] ?? ''),
    ),
  );
  put(
    'paths_tests',
    f.paths.find((p) => classifyPath(p) === 'tests'),
  );
  put('paths_new_code', f.codeFiles.find((file) => file.created)?.path);
  const changed = f.addedCodeLines + f.removedCodeLines;
  if (f.codeFiles.length > 0 && changed <= 10) put('patch_small', `${changed} code lines changed`);
  if (changed > 400) put('patch_large', `${changed} code lines changed`);
  if (f.removedCodeLines >= 5 && f.removedCodeLines >= f.addedCodeLines)
    put('patch_net_removal', `-${f.removedCodeLines}/+${f.addedCodeLines} code lines`);
  return out;
}

/** Weights of each signal: a table, so tuning is editing data. */
export type SignalWeights = Readonly<Record<SignalId, number>>;

/** A signal that counted, with its weight and evidence. */
export interface ScoredSignal {
  id: SignalId;
  weight: number;
  evidence: string;
}

/** Sums the weights of the signals present; `patchCap` bounds the total of the patch_* signals. */
export function scoreSignals(
  signals: Signals,
  weights: SignalWeights,
  patchCap = Number.POSITIVE_INFINITY,
): { score: number; hits: ScoredSignal[] } {
  const hits: ScoredSignal[] = [];
  let score = 0;
  let patch = 0;
  for (const id of SIGNAL_IDS) {
    const evidence = signals[id];
    const weight = weights[id];
    if (evidence === undefined || weight === 0) continue;
    if (id.startsWith('patch_') && weight > 0) {
      const room = Math.max(0, patchCap - patch);
      const counted = Math.min(weight, room);
      patch += counted;
      score += counted;
    } else {
      score += weight;
    }
    hits.push({ id, weight, evidence });
  }
  return { score, hits };
}

/** `id(+3 "faster")` list for explanations. */
export function describeHits(hits: readonly ScoredSignal[]): string {
  if (hits.length === 0) return 'no signals';
  return hits.map((h) => `${h.id}(${h.weight > 0 ? '+' : ''}${h.weight} ${JSON.stringify(h.evidence)})`).join(', ');
}
