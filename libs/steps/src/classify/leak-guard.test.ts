import { describe, expect, it } from 'vitest';
import { makePatch } from '../prepare/fixtures';
import { createLeakGuard, describesSolution, neutralGoal, stripSolution } from './leak-guard';

const patch = makePatch({
  'pkg/unique.py': {
    remove: ['    return sorted(set(values))'],
    add: ['def _hash_unique(values):', '    table = _HashTable(values)', '    return table.unique_values()', '    }'],
  },
});

describe('leak guard', () => {
  it('guards added lines of at least 8 characters', () => {
    expect(createLeakGuard(patch).guarded).toEqual([
      'return table.unique_values()',
      'table = _HashTable(values)',
      'def _hash_unique(values):',
    ]);
  });

  it.each([
    ['this PR', 'This PR replaces the sort with a hash table.', true],
    ['we now', 'We now cache the hash of each key.', true],
    ['instead of', 'It uses a dict instead of sorting.', true],
    ['by using', 'Speeds it up by using a hash table.', true],
    ['imperative', 'Use a dict for the lookups.', true],
    ['closing ref', 'Closes #12', true],
    ['problem', 'np.unique is slow for large integer arrays.', false],
    ['timing', 'It takes 1.2 s for 10M elements.', false],
  ])('%s', (_name, sentence, solution) => {
    expect(describesSolution(sentence)).toBe(solution);
  });

  it('keeps the problem and drops the solution', () => {
    const body = [
      'np.unique is slow for large integer arrays: 1.2 s for 10M elements.',
      '',
      'This PR replaces the sort-based approach with a hash table. We now cache the hash of each key.',
      '',
      '```python',
      '    table = _HashTable(values)',
      '    return table.unique_values()',
      '```',
      '',
      '```diff',
      '-    return sorted(set(values))',
      '```',
      '',
      'Reproducer:',
      '```python',
      'x = np.arange(10_000_000) % 1000',
      '%timeit np.unique(x)',
      '```',
      'Closes #12',
    ].join('\n');
    const out = stripSolution(body, createLeakGuard(patch));
    expect(out).toContain('np.unique is slow for large integer arrays');
    expect(out).toContain('%timeit np.unique(x)');
    expect(out).not.toMatch(/replaces|We now|_HashTable|unique_values|sorted\(set|Closes/);
  });

  it.each([
    ['PERF: Speed up np.unique by using a hash table', 'Speed up np.unique'],
    ['ENH: improve performance of groupby (#123)', 'improve performance of groupby'],
    ['Use a dict for lookups', null],
    ['Cache the compiled regex', null],
  ])('neutral goal of %s', (title, goal) => {
    expect(neutralGoal(title)).toBe(goal);
  });
});
