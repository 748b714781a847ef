import { describe, expect, it } from 'vitest';
import { rowFeatures } from '../prepare/features';
import { commitRow, makePatch } from '../prepare/fixtures';
import { detectSignals } from '../prepare/signals';
import { LEARNED_FEATURES, type LearnedModel } from '../prepare/learned';
import { classifyByLearnedRules, classifyByRules, difficultyOf, rulesVersion } from './rules';

const plain = makePatch({ 'pkg/core.py': { add: ['    value = int(text)'], remove: ['    value = text'] } });

const cases: Array<[string, { title: string; body?: string; patch?: string }, boolean, string | null]> = [
  ['PERF prefix, caching', { title: 'PERF: cache the compiled regex' }, true, 'cache_and_reuse'],
  ['hash table', { title: 'Speed up isin by using a hash table' }, true, 'use_better_data_structure_and_layout'],
  ['SIMD', { title: 'ENH: Vectorize np.sort with AVX-512' }, true, 'use_lower_level_system'],
  ['threads', { title: 'Parallelize file loading with a thread pool' }, true, 'use_parallelization'],
  ['avoid copies', { title: 'Avoid unnecessary copies in concat' }, true, 'remove_or_reduce_work'],
  ['quadratic', { title: 'Fix quadratic behaviour in merge' }, true, 'use_better_algorithm'],
  [
    'timings in the body',
    { title: 'MAINT: rework take', body: 'This is much faster.\n\nBefore: 1.2 ms -> 0.3 ms on 1e6 rows' },
    true,
    null,
  ],
  ['tests made faster are not product performance', { title: 'TST: speed up the slow tests' }, false, null],
  ['docs about performance', { title: 'DOC: document performance tips' }, false, null],
  ['a documentation title', { title: 'Document performance characteristics in docstrings' }, false, null],
  [
    'timings and a data structure',
    {
      title: 'Use a frozenset for lookups',
      body: 'Checking membership: 63.1 ms -> 2.2 ms',
      patch: makePatch({ 'pkg/stop.py': { add: ['_SET = frozenset(WORDS)'] } }),
    },
    true,
    'use_better_data_structure_and_layout',
  ],
  ['bug fix', { title: 'BUG: fix crash on empty input' }, false, null],
  ['feature', { title: 'ENH: add axis argument to foo' }, false, null],
  [
    'a cache decorator alone is not enough',
    {
      title: 'Refactor config lookup',
      patch: makePatch({ 'pkg/config.py': { add: ['@functools.lru_cache(maxsize=None)'] } }),
    },
    false,
    null,
  ],
  ['body mentions speed without evidence', { title: 'Add option', body: 'Could be faster later.' }, false, null],
];

describe('classifyByRules', () => {
  it.each(cases)('%s', (_name, c, isPerformance, category) => {
    const row = commitRow({
      pr_title: c.title,
      message: `${c.title} (#1)`,
      pr_body: c.body ?? '',
      patch: c.patch ?? plain,
    });
    const f = rowFeatures(row);
    const verdict = classifyByRules(f, detectSignals(f));
    expect(verdict.isPerformance).toBe(isPerformance);
    if (category) expect(verdict.category).toBe(category);
    if (!isPerformance) {
      expect(verdict.category).toBeNull();
      expect(verdict.difficulty).toBe('unknown');
    }
    expect(verdict.confidence).toBeGreaterThanOrEqual(0);
    expect(verdict.confidence).toBeLessThanOrEqual(100);
    expect(verdict.explanation).toMatch(/^rules: (performance|not performance) \(score -?\d+/);
  });

  it.each([
    ['easy', 10, 1],
    ['medium', 120, 2],
    ['hard', 400, 3],
    ['hard', 20, 8],
  ] as const)('difficulty %s for %i lines in %i files', (difficulty, lines, nFiles) => {
    const files: Record<string, { add: string[] }> = {};
    for (let i = 0; i < nFiles; i++)
      files[`pkg/m${i}.py`] = { add: Array.from({ length: Math.ceil(lines / nFiles) }, (_, j) => `x${j} = ${j}`) };
    expect(difficultyOf(rowFeatures(commitRow({ patch: makePatch(files) })), 'remove_or_reduce_work')).toBe(difficulty);
  });
});

describe('rules with the learned model', () => {
  const model: LearnedModel = {
    version: 'learned-test',
    features: [...LEARNED_FEATURES],
    weights: { headline_perf_strong: 3, headline_negative_prefix: -2, runtime_code: 0.5 },
    bias: -1,
    gate: { threshold: 0 },
    rules: { threshold: 2 },
    trained_on: [],
  };

  it('flags on the log-odds reaching the rules threshold, lists the evidence, and records the model version', () => {
    const f = rowFeatures(commitRow({ pr_title: 'Speed up unique with a hash table', patch: plain }));
    const v = classifyByLearnedRules(f, detectSignals(f), model, 'pkg/core.py');
    expect(v.isPerformance).toBe(true);
    expect(v.category).not.toBeNull();
    expect(v.explanation).toMatch(
      /^rules \(learned-test\): performance \(log-odds 2\.5 >= 2\): headline_perf_strong\(\+3 /,
    );
    const g = rowFeatures(commitRow({ pr_title: 'Rework take', patch: plain }));
    expect(classifyByLearnedRules(g, detectSignals(g), model, 'pkg/core.py').isPerformance).toBe(false);
    expect(rulesVersion('learned', model)).toMatch(/^rules-\d+\+learned-test$/);
    expect(rulesVersion('hand', model)).toMatch(/^rules-\d+$/);
  });
});
