import { describe, expect, it } from 'vitest';
import { rowFeatures } from './features';
import { commitRow, makePatch } from './fixtures';
import { learnedGate, perfGate, runtimeCodePath } from './gate';
import { LEARNED_FEATURES, type LearnedModel, shippedLearnedModel } from './learned';
import { detectSignals } from './signals';

const emptyRow = { pr_title: '', pr_body: '', message: '', files_changed: '', patch: null };

const plainPatch = makePatch({ 'pkg/core.py': { add: ['    value = int(text)'], remove: ['    value = text'] } });

interface Case {
  title: string;
  body?: string;
  patch?: string;
}

const cases: Array<[string, Case, boolean, string]> = [
  // passes
  ['PERF: prefix', { title: 'PERF: groupby on categoricals' }, true, 'headline_perf_prefix'],
  ['speed up in the title', { title: 'Speed up np.unique for integer arrays' }, true, 'headline_perf_strong'],
  ['conventional perf scope', { title: 'perf(core): fewer passes over the input' }, true, 'headline_perf_prefix'],
  ['SIMD wording', { title: 'ENH: Vectorize np.sort with AVX-512' }, true, 'headline_perf_strong'],
  ['lazy import', { title: 'Lazy import of scipy.sparse in io' }, true, 'headline_perf_strong'],
  ['parallelize', { title: 'Parallelize file loading' }, true, 'headline_perf_strong'],
  ['memory usage', { title: 'Reduce memory usage of read_csv' }, true, 'headline_perf_strong'],
  ['recall first: TST with speed words', { title: 'TST: speed up the slow tests' }, true, 'headline_perf_strong'],
  [
    'timings in the body',
    { title: 'MAINT: rework take', body: 'Before: 1.2 ms -> 0.3 ms on 1e6 rows' },
    true,
    'body_measurement',
  ],
  [
    'lru_cache added',
    {
      title: 'Refactor config lookup',
      patch: makePatch({ 'pkg/config.py': { add: ['@functools.lru_cache(maxsize=None)', 'def lookup(key):'] } }),
    },
    true,
    'patch_cache',
  ],
  [
    'python loop replaced by numpy',
    {
      title: 'Rework distance computation',
      patch: makePatch({
        'pkg/dist.py': {
          remove: ['    for i in range(n):', '        out[i] = a[i] + b[i]'],
          add: ['    out = np.add(a, b)'],
        },
      }),
    },
    true,
    'patch_vectorized_loop',
  ],
  [
    'benchmarks touched with code',
    {
      title: 'Rework core',
      patch: makePatch({
        'pkg/core.py': { add: ['x = 1'] },
        'benchmarks/bench_core.py': { add: ['def time_core(): pass'] },
      }),
    },
    true,
    'paths_benchmarks',
  ],
  [
    'SIMD intrinsics in C',
    {
      title: 'MAINT: loops',
      patch: makePatch({ 'numpy/core/src/loops.c': { add: ['    __m256d v = _mm256_loadu_pd(src);'] } }),
    },
    true,
    'patch_simd',
  ],
  [
    'perf comment in added code',
    {
      title: 'Tidy reader',
      patch: makePatch({ 'pkg/io.py': { add: ['    # avoid a copy here: this is the hot loop', '    buf = data'] } }),
    },
    true,
    'patch_perf_comment',
  ],
  [
    'big-O in the body',
    { title: 'Rework top_k', body: 'It was O(n*k): one full scan per item.' },
    true,
    'body_perf_strong',
  ],
  // fails
  ['docs', { title: 'DOC: fix typo in docstring' }, false, 'headline_negative_prefix'],
  ['typing', { title: 'TYP: add annotations to foo' }, false, 'headline_negative_prefix'],
  ['bug fix without hints', { title: 'BUG: fix crash on empty input' }, false, ''],
  ['new feature', { title: 'ENH: add axis argument to foo' }, false, ''],
  ['release', { title: 'REL: prepare 2.1.0 release' }, false, 'headline_negative_prefix'],
  [
    'template in an HTML comment',
    { title: 'Add new option', body: '<!-- Show benchmarks proving the speedup -->\nAdds `--flag`.' },
    false,
    '',
  ],
  [
    'one weak hint',
    {
      title: 'Refactor parser',
      patch: makePatch({ 'pkg/parse.py': { remove: ['    for tok in tokens:'], add: ['    tokens = list(tokens)'] } }),
    },
    false,
    'patch_loops_changed',
  ],
  ['scipy.optimize is a module', { title: 'ENH: optimize.minimize: add callback' }, false, ''],
  ['np.vectorize is a function', { title: 'BUG: np.vectorize fails with kwargs' }, false, ''],
  ['slow tests are not slow code', { title: 'mark test_big as slow tests' }, false, ''],
];

describe('perfGate', () => {
  it.each(cases)('%s', (_name, c, candidate, signal) => {
    const row = commitRow({
      pr_title: c.title,
      message: `${c.title} (#1)`,
      pr_body: c.body ?? '',
      patch: c.patch ?? plainPatch,
    });
    const signals = detectSignals(rowFeatures(row));
    const verdict = perfGate(signals);
    expect(verdict.candidate).toBe(candidate);
    if (signal) expect(Object.keys(signals)).toContain(signal);
    expect(verdict.explanation).toMatch(candidate ? /^gate pass/ : /^gate fail/);
  });

  it('is pure and explains itself', () => {
    const row = commitRow({ pr_title: 'Speed up parsing', message: 'Speed up parsing (#3)' });
    const a = perfGate(detectSignals(rowFeatures(row)));
    const b = perfGate(detectSignals(rowFeatures(row)));
    expect(a).toEqual(b);
    expect(a.explanation).toBe('gate pass (performance wording in title/message): headline_perf_strong(+3 "Speed up")');
  });
});

describe('perfGate in recall mode', () => {
  const verdictOf = (title: string, patch: string) => {
    const f = rowFeatures(commitRow({ pr_title: title, message: `${title} (#1)`, patch }));
    return perfGate(detectSignals(f), undefined, { runtimeCode: runtimeCodePath(f) });
  };
  it.each([
    ['a bug fix in library code passes', 'BUG: fix crash on empty input', plainPatch, true],
    ['a feature in library code passes', 'ENH: add axis argument to foo', plainPatch, true],
    ['MAINT is not a non-performance prefix', 'MAINT: tidy', plainPatch, true],
    ['DOC prefix fails', 'DOC: fix typo in docstring', plainPatch, false],
    ['BLD prefix fails', 'BLD: bump meson', plainPatch, false],
    [
      'typing stubs only fail',
      'ENH: add overloads',
      makePatch({ 'pkg/core.pyi': { add: ['def f() -> int: ...'] } }),
      false,
    ],
    ['dev tools only fail', 'Add a release script', makePatch({ 'tools/changelog.py': { add: ['x = 1'] } }), false],
    [
      'build files only fail',
      'Add a build flag',
      makePatch({ 'meson.build': { add: ["add_project_arguments('-O3')"] } }),
      false,
    ],
  ] as const)('%s', (_name, title, patch, candidate) => {
    const verdict = verdictOf(title, patch);
    expect(verdict.candidate).toBe(candidate);
    if (candidate && verdict.score < 2)
      expect(verdict.explanation).toMatch(/^gate pass \(recall mode: runtime code changed \(pkg\/core\.py\)/);
  });

  it('is the evidence gate without the runtime-code rule', () => {
    const f = rowFeatures(commitRow({ pr_title: 'BUG: fix crash on empty input', patch: plainPatch }));
    expect(perfGate(detectSignals(f)).candidate).toBe(false);
    expect(runtimeCodePath(f)).toBe('pkg/core.py');
  });
});

describe('learned gate (learned-weights.json)', () => {
  const model: LearnedModel = {
    version: 'learned-test',
    features: [...LEARNED_FEATURES],
    weights: { headline_perf_strong: 3, headline_negative_prefix: -2, runtime_code: 0.5 },
    bias: -1,
    gate: { threshold: 0 },
    rules: { threshold: 1 },
    trained_on: [],
  };

  it('passes on the log-odds of the signals found and lists each with its learned weight', () => {
    const pass = learnedGate(model, { headline_perf_strong: 'faster' }, undefined);
    expect(pass).toMatchObject({ candidate: true, score: 2 });
    expect(pass.explanation).toBe(
      'gate pass (learned-test log-odds 2 >= 0, bias -1): headline_perf_strong(+3 "faster")',
    );
    const runtimeOnly = learnedGate(model, {}, 'pkg/core.py');
    expect(runtimeOnly).toMatchObject({ candidate: false, score: -0.5 });
    expect(runtimeOnly.explanation).toContain('runtime_code(+0.5 "pkg/core.py")');
  });

  it('ships a model that parses and passes a speed-up while failing a documentation fix', () => {
    const shipped = shippedLearnedModel();
    expect(shipped.features).toEqual([...LEARNED_FEATURES]);
    const speed = detectSignals(rowFeatures({ ...emptyRow, pr_title: 'Speed up unique with a hash table' }));
    const docs = detectSignals(rowFeatures({ ...emptyRow, pr_title: 'DOC: fix typo in the docstring' }));
    expect(learnedGate(shipped, speed, undefined).candidate).toBe(true);
    expect(learnedGate(shipped, docs, undefined).candidate).toBe(false);
  });
});

describe('signals of the PR commits and of the shape of the change', () => {
  it("reads performance words in a merge commit's own PR commits", () => {
    const s = detectSignals(
      rowFeatures({ ...emptyRow, pr_title: 'Rework nanmedian', pr_commits: 'Use partition\nMake it faster' }),
    );
    expect(s.commits_perf_strong).toBe('faster');
    expect(perfGate(s).candidate).toBe(true);
  });

  it('finds feature titles, docs and tests changed, new code files, and the size of the change', () => {
    const created = `diff --git a/pkg/new.py b/pkg/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,1 @@\n+X = 1\n`;
    const s = detectSignals(
      rowFeatures({
        ...emptyRow,
        pr_title: 'ENH: add a keyword to unique',
        files_changed:
          'pkg/new.py\ndoc/source/reference/unique.rst\ndoc/release/upcoming_changes/1.new_feature.rst\npkg/tests/test_new.py',
        patch: created,
      }),
    );
    expect(s).toMatchObject({
      headline_feature: 'ENH: add',
      paths_docs: 'doc/source/reference/unique.rst',
      paths_tests: 'pkg/tests/test_new.py',
      paths_new_code: 'pkg/new.py',
      patch_small: '1 code lines changed',
    });
    // Release notes say what a PR was (the labels' source): never a signal.
    const notes = detectSignals(
      rowFeatures({ ...emptyRow, pr_title: 'x', files_changed: 'doc/release/upcoming_changes/1.performance.rst' }),
    );
    expect(notes.paths_docs).toBeUndefined();
    const removal = makePatch({
      'pkg/core.py': { add: ['a = 1'], remove: ['b = 1', 'c = 1', 'd = 1', 'e = 1', 'f = 1'] },
    });
    expect(detectSignals(rowFeatures({ ...emptyRow, patch: removal })).patch_net_removal).toBe('-5/+1 code lines');
  });
});
