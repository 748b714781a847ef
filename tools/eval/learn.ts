/**
 * Learned weights for the gate and the rules: a logistic model over the existing signals, fitted
 * across repositories (leave-one-repository-out in `eval:classify`), written as a small JSON that
 * prepare (`--gate-mode learned`) and the rules backend load.
 */
import { LEARNED_FEATURES, type LearnedFeature, type LearnedModel, learnedFeatureValues } from '@datasmith/steps';

/** One merged PR as the learner sees it. */
export interface LearnRow {
  repo: string;
  /** 1 when the project's own notes call it performance work, else 0 (unlabelled PRs count as 0). */
  y: 0 | 1;
  /** Feature values in LEARNED_FEATURES order. */
  x: number[];
  /** Collect kept the row (only those reach the gate). */
  reachesGate: boolean;
}

export interface FitOptions {
  /** L2 penalty on the weights (not the bias). */
  l2?: number;
  epochs?: number;
  learningRate?: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Logistic regression by full-batch gradient descent. Positives are reweighted so that they weigh as
 * much as the negatives in total, and every repository weighs the same (a big repository does not
 * decide alone what generalises).
 */
export function fitLogistic(rows: readonly LearnRow[], options: FitOptions = {}): { weights: number[]; bias: number } {
  const n = LEARNED_FEATURES.length;
  const l2 = options.l2 ?? 0.01;
  const epochs = options.epochs ?? 600;
  const lr = options.learningRate ?? 0.5;
  const repos = [...new Set(rows.map((r) => r.repo))];
  const sampleWeight = new Map<LearnRow, number>();
  for (const repo of repos) {
    const mine = rows.filter((r) => r.repo === repo);
    const pos = mine.filter((r) => r.y === 1).length;
    const neg = mine.length - pos;
    for (const r of mine) sampleWeight.set(r, r.y === 1 ? (pos ? 0.5 / pos : 0) : neg ? 0.5 / neg : 0);
  }
  const total = [...sampleWeight.values()].reduce((a, b) => a + b, 0) || 1;
  const w = new Array<number>(n).fill(0);
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = new Array<number>(n).fill(0);
    let gb = 0;
    for (const r of rows) {
      const sw = (sampleWeight.get(r) ?? 0) / total;
      if (sw === 0) continue;
      let z = b;
      for (let j = 0; j < n; j++) z += (w[j] as number) * (r.x[j] as number);
      const err = (sigmoid(z) - r.y) * sw;
      gb += err;
      for (let j = 0; j < n; j++) gw[j] = (gw[j] as number) + err * (r.x[j] as number);
    }
    for (let j = 0; j < n; j++) w[j] = (w[j] as number) - lr * ((gw[j] as number) + l2 * (w[j] as number));
    b -= lr * gb;
  }
  return { weights: w, bias: b };
}

export function logit(weights: readonly number[], bias: number, x: readonly number[]): number {
  let z = bias;
  for (let j = 0; j < weights.length; j++) z += (weights[j] as number) * (x[j] as number);
  return z;
}

/**
 * The highest threshold at which every training repository keeps at least `minRecall` of its
 * performance PRs (recall is what the gate is for): the minimum over repositories of each one's own
 * quantile, so no repository is sacrificed for the pooled number.
 */
export function recallThreshold(scored: readonly { repo: string; y: 0 | 1; z: number }[], minRecall: number): number {
  let threshold = Number.POSITIVE_INFINITY;
  for (const repo of new Set(scored.map((s) => s.repo))) {
    const pos = scored
      .filter((s) => s.repo === repo && s.y === 1)
      .map((s) => s.z)
      .sort((a, b) => b - a);
    if (pos.length === 0) continue;
    const keep = Math.ceil(minRecall * pos.length);
    threshold = Math.min(threshold, pos[keep - 1] as number);
  }
  return Number.isFinite(threshold) ? threshold : 0;
}

/**
 * The highest threshold at which the training repositories together keep at least `minRecall` of
 * their performance PRs, each repository's PRs weighted so every repository counts the same (one
 * unreachable PR of a small repository does not set the threshold for all).
 */
export function pooledRecallThreshold(
  scored: readonly { repo: string; y: 0 | 1; z: number }[],
  minRecall: number,
): number {
  const pos = scored.filter((s) => s.y === 1);
  const repos = [...new Set(pos.map((s) => s.repo))];
  if (repos.length === 0) return 0;
  const weightOf = new Map(repos.map((r) => [r, 1 / pos.filter((s) => s.repo === r).length / repos.length]));
  const sorted = [...pos].sort((a, b) => b.z - a.z);
  let kept = 0;
  for (const s of sorted) {
    kept += weightOf.get(s.repo) ?? 0;
    if (kept >= minRecall - 1e-9) return s.z;
  }
  return sorted[sorted.length - 1]?.z ?? 0;
}

/**
 * The lowest threshold at which every training repository flags at most `maxRate` of its merged PRs
 * (precision first): the maximum over repositories of each one's own quantile.
 */
export function rateThreshold(scored: readonly { repo: string; z: number }[], maxRate: number): number {
  let threshold = Number.NEGATIVE_INFINITY;
  for (const repo of new Set(scored.map((s) => s.repo))) {
    const zs = scored
      .filter((s) => s.repo === repo)
      .map((s) => s.z)
      .sort((a, b) => b - a);
    const allowed = Math.floor(maxRate * zs.length);
    // Flag strictly above the (allowed+1)-th score: at most `allowed` rows pass.
    const cut = zs[allowed];
    if (cut !== undefined) threshold = Math.max(threshold, cut + 1e-9);
  }
  return Number.isFinite(threshold) ? threshold : 0;
}

/** A model file from fitted numbers. */
export function toModel(
  fit: { weights: number[]; bias: number },
  gateThreshold: number,
  rulesThreshold: number,
  trainedOn: readonly string[],
): LearnedModel {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const weights = Object.fromEntries(LEARNED_FEATURES.map((f, j) => [f, round(fit.weights[j] as number)])) as Record<
    LearnedFeature,
    number
  >;
  return {
    version: 'learned-3',
    features: [...LEARNED_FEATURES],
    weights,
    bias: round(fit.bias),
    gate: { threshold: round(gateThreshold) },
    rules: { threshold: round(rulesThreshold) },
    trained_on: [...trainedOn].sort(),
  };
}

export { learnedFeatureValues };
