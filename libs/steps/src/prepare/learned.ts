import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SIGNAL_IDS, type ScoredSignal, type SignalId, type Signals } from './signals';

/**
 * Features of the learned model: every gate signal (1 when present), and `runtime_code` (the row
 * changes runtime library code, as recall mode reads it).
 */
export const LEARNED_FEATURES = [...SIGNAL_IDS, 'runtime_code'] as const;
export type LearnedFeature = (typeof LEARNED_FEATURES)[number];

/** `learned-weights.json`: a logistic model fitted by `npm run eval:classify` across repositories. */
export const LearnedModel = z.object({
  version: z.string(),
  features: z.array(z.string()),
  weights: z.record(z.string(), z.number()),
  bias: z.number(),
  gate: z.object({ threshold: z.number() }),
  rules: z.object({ threshold: z.number() }),
  trained_on: z.array(z.string()),
});
export type LearnedModel = z.infer<typeof LearnedModel>;

/** The feature values of a row, in LEARNED_FEATURES order. */
export function learnedFeatureValues(signals: Signals, runtimeCode: string | undefined): number[] {
  return LEARNED_FEATURES.map((f) =>
    f === 'runtime_code' ? (runtimeCode !== undefined ? 1 : 0) : signals[f as SignalId] !== undefined ? 1 : 0,
  );
}

/** The model's log-odds for a row, with every feature that counted and its evidence. */
export function scoreLearned(
  model: LearnedModel,
  signals: Signals,
  runtimeCode: string | undefined,
): { score: number; hits: ScoredSignal[]; runtime: number } {
  let score = model.bias;
  const hits: ScoredSignal[] = [];
  for (const id of SIGNAL_IDS) {
    const evidence = signals[id];
    const weight = model.weights[id] ?? 0;
    if (evidence === undefined || weight === 0) continue;
    score += weight;
    hits.push({ id, weight, evidence });
  }
  const runtime = runtimeCode !== undefined ? (model.weights.runtime_code ?? 0) : 0;
  score += runtime;
  return { score: Math.round(score * 1000) / 1000, hits, runtime };
}

let cached: LearnedModel | null = null;

/** The model shipped with this code (`learned-weights.json` next to this file). */
export function shippedLearnedModel(): LearnedModel {
  cached ??= LearnedModel.parse(
    JSON.parse(readFileSync(new URL('./learned-weights.json', import.meta.url), 'utf8')) as unknown,
  );
  return cached;
}
