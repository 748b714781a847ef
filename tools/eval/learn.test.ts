import { LEARNED_FEATURES } from '@datasmith/steps';
import { describe, expect, it } from 'vitest';
import {
  type LearnRow,
  fitLogistic,
  logit,
  pooledRecallThreshold,
  rateThreshold,
  recallThreshold,
  toModel,
} from './learn';

const at = (feature: string) => LEARNED_FEATURES.indexOf(feature as (typeof LEARNED_FEATURES)[number]);
function row(repo: string, y: 0 | 1, on: string[]): LearnRow {
  const x = LEARNED_FEATURES.map(() => 0);
  for (const f of on) x[at(f)] = 1;
  return { repo, y, x, reachesGate: true };
}

describe('learned weights', () => {
  it('learns a positive weight for the signal that marks performance PRs in every repository, negative for the noise', () => {
    const rows: LearnRow[] = [];
    for (const repo of ['a/a', 'b/b']) {
      for (let i = 0; i < 5; i++) rows.push(row(repo, 1, ['headline_perf_strong']));
      for (let i = 0; i < 40; i++) rows.push(row(repo, 0, i % 4 === 0 ? ['headline_negative'] : []));
    }
    const fit = fitLogistic(rows);
    expect(fit.weights[at('headline_perf_strong')]).toBeGreaterThan(1);
    expect(fit.weights[at('headline_negative')]).toBeLessThan(0);
    const perf = logit(fit.weights, fit.bias, row('c/c', 1, ['headline_perf_strong']).x);
    const plain = logit(fit.weights, fit.bias, row('c/c', 0, []).x);
    expect(perf).toBeGreaterThan(plain);
    const model = toModel(fit, 0, 1, ['b/b', 'a/a']);
    expect(model.trained_on).toEqual(['a/a', 'b/b']);
    expect(Object.keys(model.weights)).toEqual([...LEARNED_FEATURES]);
  });

  it('sets the gate threshold so that every repository keeps its recall, and the rules threshold so none flags too much', () => {
    const scored = [
      { repo: 'a', y: 1 as const, z: 5 },
      { repo: 'a', y: 1 as const, z: 4 },
      { repo: 'b', y: 1 as const, z: 3 },
      { repo: 'b', y: 1 as const, z: 1 },
      { repo: 'b', y: 0 as const, z: 0 },
    ];
    // b needs z >= 1 to keep both of its performance PRs, a only z >= 4: the lower one wins.
    expect(recallThreshold(scored, 1)).toBe(1);
    // At most half of each repository flagged: a's second score is 4, b's second is 1 (three rows: one may pass).
    const t = rateThreshold(scored, 0.5);
    expect(t).toBeGreaterThan(4);
    expect(scored.filter((s) => s.repo === 'a' && s.z >= t)).toHaveLength(1);
  });

  it('pooled: the repositories together keep the recall, each weighing the same', () => {
    const scored = [
      ...[9, 8, 7, 6, 5, 4, 3, 2, 1, -5].map((z) => ({ repo: 'big', y: 1 as const, z })),
      { repo: 'small', y: 1 as const, z: 6 },
      { repo: 'small', y: 0 as const, z: -9 },
    ];
    // Per repository, big's outlier at -5 sets the threshold; pooled, 90% of the weight is kept at z >= 1.
    expect(recallThreshold(scored, 0.95)).toBe(-5);
    expect(pooledRecallThreshold(scored, 0.9)).toBe(2);
    expect(pooledRecallThreshold(scored, 0.95)).toBe(1);
  });
});
