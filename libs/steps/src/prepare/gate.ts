import { type RowFeatures, isRuntimeCodePath } from './features';
import { type LearnedModel, scoreLearned } from './learned';
import { type ScoredSignal, type SignalWeights, type Signals, describeHits, scoreSignals } from './signals';
import type { RankPlace } from './rank';

/**
 * Gate weights (recall first). A strong performance word in the title or commit message passes on
 * its own; otherwise the weights below must reach the minimum score (default 2), so one weak hint
 * (a changed loop, a `set(`) is not enough but two are, or one pattern typical of speed work.
 */
export const GATE_WEIGHTS: SignalWeights = {
  headline_perf_prefix: 4,
  headline_perf_strong: 3,
  headline_perf_medium: 1,
  headline_negative_prefix: -3,
  headline_negative: -2,
  headline_bugfix: 0,
  body_perf_strong: 2,
  body_perf_medium: 1,
  body_measurement: 2,
  paths_benchmarks: 2,
  branch_perf: 3,
  paths_compiled: 2,
  paths_simd: 2,
  patch_cache: 2,
  patch_parallel: 2,
  patch_simd: 2,
  patch_low_level: 1,
  patch_vectorized_loop: 2,
  patch_perf_comment: 2,
  patch_data_structure: 1,
  patch_allocation: 1,
  patch_loops_changed: 1,
  commits_perf_strong: 2,
  headline_feature: 0,
  paths_docs: 0,
  paths_tests: 0,
  paths_new_code: 0,
  patch_small: 0,
  patch_large: 0,
  patch_net_removal: 0,
};

/** Default minimum gate score. */
export const DEFAULT_MIN_GATE_SCORE = 2;

/**
 * `evidence` (default): a row passes on performance evidence (the weights above). `recall`: it
 * also passes whenever it changes runtime library code and its title has no non-performance prefix
 * (`DOC:`, `TST:`, `TYP:`, `BLD:`, `CI:`, `REL:`, …), so only clearly non-performance work is
 * removed before the LLM; on numpy this keeps nearly every labelled performance PR while passing
 * about 43% of merged PRs (prepare/README.md).
 */
export type GateMode = 'evidence' | 'recall' | 'learned' | 'rank';
/**
 * `learned`: the logistic model of `learned-weights.json` (fitted across repositories by eval:classify)
 * with its fitted threshold. `rank` (the default): the same model's ranking within each month, the top
 * `--gate-share` of the month's merged PRs plus every PR with performance wording in its headline (rank.ts).
 */
export const GATE_MODES: readonly GateMode[] = ['evidence', 'recall', 'learned', 'rank'];

/** A performance prefix or strong performance word in the title or commit message. */
export function hasStrongHeadline(signals: Signals): boolean {
  return signals.headline_perf_prefix !== undefined || signals.headline_perf_strong !== undefined;
}

/**
 * The rank gate's verdict on one row, from its place in its month (rank.ts) and the learned score;
 * the explanation names the rank, the month's budget and every feature that counted.
 */
export function rankGate(
  model: LearnedModel,
  signals: Signals,
  runtimeCode: string | undefined,
  place: RankPlace,
): GateVerdict {
  const { score, hits, runtime } = scoreLearned(model, signals, runtimeCode);
  const extra =
    runtime !== 0 ? `, runtime_code(${runtime > 0 ? '+' : ''}${runtime} ${JSON.stringify(runtimeCode)})` : '';
  const standing =
    place.rank === null
      ? `not ranked in ${place.month}`
      : `rank ${place.rank} in ${place.month}, top ${place.budget} of ${place.merged} merged pass`;
  const why =
    place.selected && hasStrongHeadline(signals) && (place.rank === null || place.rank > place.budget)
      ? `performance wording in title/message; ${standing}`
      : standing;
  return {
    candidate: place.selected,
    score,
    hits,
    explanation: `gate ${place.selected ? 'pass' : 'fail'} (${why}; ${model.version} log-odds ${score}): ${describeHits(hits)}${extra}`,
  };
}

/**
 * The learned gate: passes when the model's log-odds reach its gate threshold. Every signal that
 * counted is listed with its learned weight, as for the hand-set gate.
 */
export function learnedGate(model: LearnedModel, signals: Signals, runtimeCode: string | undefined): GateVerdict {
  const { score, hits, runtime } = scoreLearned(model, signals, runtimeCode);
  const candidate = score >= model.gate.threshold;
  const extra =
    runtime !== 0 ? `, runtime_code(${runtime > 0 ? '+' : ''}${runtime} ${JSON.stringify(runtimeCode)})` : '';
  return {
    candidate,
    score,
    hits,
    explanation:
      `gate ${candidate ? 'pass' : 'fail'} (${model.version} log-odds ${score} ${candidate ? '>=' : '<'} ${model.gate.threshold}, ` +
      `bias ${model.bias}): ${describeHits(hits)}${extra}`,
  };
}

/** The first changed runtime-code path of a row (recall mode), or undefined. */
export function runtimeCodePath(f: Pick<RowFeatures, 'codeFiles'>): string | undefined {
  return f.codeFiles.find((file) => isRuntimeCodePath(file.path))?.path;
}

/** The gate's verdict on a row's content (size limits are checked separately). */
export interface GateVerdict {
  candidate: boolean;
  score: number;
  hits: ScoredSignal[];
  explanation: string;
}

/**
 * The cheap performance gate, before any LLM call: pure, from the signals of
 * message, title, body, changed paths and patch. Candidate when the title or message has a
 * performance prefix or strong performance word, or when the weighted score reaches `minScore`.
 */
export function perfGate(
  signals: Signals,
  minScore = DEFAULT_MIN_GATE_SCORE,
  recall?: { runtimeCode: string | undefined },
): GateVerdict {
  const { score, hits } = scoreSignals(signals, GATE_WEIGHTS);
  const strongHeadline = hasStrongHeadline(signals);
  const byEvidence = strongHeadline || score >= minScore;
  const byRecall = !byEvidence && recall?.runtimeCode !== undefined && signals.headline_negative_prefix === undefined;
  const candidate = byEvidence || byRecall;
  const why = strongHeadline
    ? 'performance wording in title/message'
    : byRecall
      ? `recall mode: runtime code changed (${recall?.runtimeCode}), no non-performance prefix; score ${score}`
      : `score ${score} ${candidate ? '>=' : '<'} ${minScore}`;
  return { candidate, score, hits, explanation: `gate ${candidate ? 'pass' : 'fail'} (${why}): ${describeHits(hits)}` };
}
