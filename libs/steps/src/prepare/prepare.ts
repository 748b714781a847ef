import type { Logger } from '@datasmith/progress';
import { type StepSummary, summarizeRows } from '@datasmith/progress';
import type { CommitRow, DropReason, PreparedRow } from '@datasmith/tables';
import { o200k } from '../common/o200k';
import { parsePatch, rowFeatures } from './features';
import {
  DEFAULT_MIN_GATE_SCORE,
  type GateMode,
  type GateVerdict,
  hasStrongHeadline,
  learnedGate,
  perfGate,
  rankGate,
  runtimeCodePath,
} from './gate';
import { scoreLearned, shippedLearnedModel } from './learned';
import { DEFAULT_GATE_SHARE, type RankItem, rankByMonth } from './rank';
import { detectSignals } from './signals';

/** Bump when the same commits would now give different prepared rows (gate, limits, columns). */
export const PREPARE_CODE_VERSION = 'prepare-3';

/** Limits of the original's crude filter (reference §5.1), as options. */
export interface PrepareOptions {
  /** Drop when total_additions + total_deletions >= this. Default 40000. */
  maxTotalChanges?: number;
  /** Drop when the number of changed files >= this. Default 500. */
  maxFilesChanged?: number;
  /**
   * Drop when the changed lines (added and removed, without diff headers) have fewer o200k_base
   * tokens: a header-only diff (empty file, mode change, binary) has 0. Default 5.
   */
  minPatchTokens?: number;
  /**
   * Drop when the patch has this many tokens or more (the original's DSPY_MAX_TOKENS) and the gate
   * fails the row; a gated row is kept and the llm backend reads its first this-many tokens. Default 16000.
   */
  maxPatchTokens?: number;
  /** Minimum gate score when the title/message has no strong performance wording. Default 2. */
  minGateScore?: number;
  /**
   * `rank` (default): the learned model's top share of each month plus performance headlines;
   * `evidence`: performance evidence only; `recall`: also every runtime-code change without a
   * non-performance prefix; `learned`: the learned model's fitted threshold.
   */
  gateMode?: GateMode;
  /** The share of each month's merged PRs the rank gate passes by rank. Default 0.35. */
  gateShare?: number;
  /**
   * Fetch `patch` from GitHub where the mirror lacks objects. Placeholder until the GitHub source
   * lands: with the offline store every patch comes from git, so this changes nothing.
   */
  fetchPatches?: boolean;
}

/** Options after defaults. */
export type NormalizedPrepareOptions = Required<PrepareOptions>;

/** Defaults of {@link PrepareOptions}. */
export const DEFAULT_PREPARE_OPTIONS: NormalizedPrepareOptions = {
  maxTotalChanges: 40_000,
  maxFilesChanged: 500,
  minPatchTokens: 5,
  maxPatchTokens: 16_000,
  minGateScore: DEFAULT_MIN_GATE_SCORE,
  gateMode: 'rank',
  gateShare: DEFAULT_GATE_SHARE,
  fetchPatches: false,
};

/** Fills defaults. */
export function normalizePrepareOptions(options: PrepareOptions = {}): NormalizedPrepareOptions {
  const out = { ...DEFAULT_PREPARE_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

export interface PrepareInput {
  /** The `commits` table of one partition (or any set of commits). */
  rows: readonly CommitRow[];
  options?: PrepareOptions;
}

export interface PrepareDeps {
  log: Logger;
}

export interface PrepareResult {
  rows: PreparedRow[];
  summary: StepSummary;
  /** Rows that reach classify over rows kept by collect. */
  gatePassRate: number;
}

/** `container_name` of the dataset (reference §1.2): lower-cased `<owner>-<repo>-<pr_base_sha>:final`. */
export function containerName(repoName: string, prBaseSha: string | null): string | null {
  if (!prBaseSha) return null;
  return `${repoName.replace('/', '-')}-${prBaseSha}:final`.toLowerCase();
}

/** o200k_base token count; special-token text such as `<|endoftext|>` counts as plain text. */
export function countPatchTokens(patch: string): number {
  return o200k().countTokens(patch, { disallowedSpecial: new Set() });
}

/** Tokens of the added and removed lines only (diff headers and context excluded). */
export function changedLineTokens(patch: string): number {
  const lines = parsePatch(patch).flatMap((f) => [...f.added, ...f.removed]);
  return lines.length === 0 ? 0 : countPatchTokens(lines.join('\n'));
}

const changedTokens = new WeakMap<object, number>();

/** changedLineTokens of a row's patch, counted once per row (the rank gate checks the limits twice). */
function changedTokensOf(row: { patch: string | null }): number {
  let n = changedTokens.get(row);
  if (n === undefined) {
    n = changedLineTokens(row.patch ?? '');
    changedTokens.set(row, n);
  }
  return n;
}

function nFilesChanged(filesChanged: string): number {
  const paths = filesChanged.split('\n').filter((p) => p.trim() !== '');
  return paths.length;
}

/**
 * The size-limit drop of a row, or null when it is within every limit. The token limit drops only
 * rows the gate fails: a likely performance PR is never lost to its patch's length (the llm
 * backend reads the first `maxPatchTokens` of it instead).
 */
function sizeDrop(
  row: { total_changes: number; n_files_changed: number; n_patch_tokens: number | null; patch: string | null },
  o: NormalizedPrepareOptions,
  gatePassed: boolean,
): { reason: DropReason; why: string } | null {
  if (row.total_changes >= o.maxTotalChanges)
    return { reason: 'too_large', why: `total_changes ${row.total_changes} >= ${o.maxTotalChanges}` };
  if (row.n_files_changed >= o.maxFilesChanged)
    return { reason: 'too_many_files', why: `n_files_changed ${row.n_files_changed} >= ${o.maxFilesChanged}` };
  if (row.n_patch_tokens === null) return { reason: 'patch_unavailable', why: 'no patch' };
  if (row.n_patch_tokens >= o.maxPatchTokens && !gatePassed)
    return { reason: 'too_many_tokens', why: `n_patch_tokens ${row.n_patch_tokens} >= ${o.maxPatchTokens}` };
  const changed = changedTokensOf(row);
  if (changed < o.minPatchTokens)
    return { reason: 'too_few_tokens', why: `changed lines have ${changed} tokens < ${o.minPatchTokens}` };
  return null;
}

/** The measured columns of a row, before the gate. */
function measureRow(row: CommitRow) {
  return {
    ...row,
    n_patch_tokens: row.patch === null ? null : countPatchTokens(row.patch),
    total_changes: row.total_additions + row.total_deletions,
    // An empty files_changed means no paths; the original counted it as one file.
    n_files_changed: nFilesChanged(row.files_changed),
    container_name: containerName(row.repo_name, row.pr_base_sha),
    patch_source: row.patch === null ? null : ('git' as const),
  };
}

/** The gate verdict of one row in a mode that judges rows one by one (every mode but `rank`). */
function rowGate(row: CommitRow, options: Pick<NormalizedPrepareOptions, 'gateMode' | 'minGateScore'>): GateVerdict {
  const features = rowFeatures(row);
  if (options.gateMode === 'learned')
    return learnedGate(shippedLearnedModel(), detectSignals(features), runtimeCodePath(features));
  return perfGate(
    detectSignals(features),
    options.minGateScore,
    options.gateMode === 'recall' ? { runtimeCode: runtimeCodePath(features) } : undefined,
  );
}

/**
 * Prepares one row: measures, gate, container name. Pure. In `rank` mode the row is ranked alone, as
 * `prepare` would rank a month of one PR (it passes only with performance wording in its headline).
 */
export function prepareRow(row: CommitRow, options: NormalizedPrepareOptions): PreparedRow {
  if (options.gateMode === 'rank') return rankMonths([row], options)[0] as PreparedRow;
  return finishRow(measureRow(row), options, rowGate(row, options));
}

type MeasuredRow = ReturnType<typeof measureRow>;

/** The row's drop by a size limit or by the gate, with the gate's explanation. */
function finishRow(base: MeasuredRow, options: NormalizedPrepareOptions, verdict: GateVerdict): PreparedRow {
  if (!base.kept) {
    return {
      ...base,
      is_perf_candidate: false,
      perf_gate_explanation: `dropped upstream (${base.drop_reason ?? 'unspecified'}); ${verdict.explanation}`,
    };
  }
  const drop = sizeDrop(base, options, verdict.candidate);
  if (drop) {
    return {
      ...base,
      kept: false,
      drop_reason: drop.reason,
      is_perf_candidate: false,
      perf_gate_explanation: `${drop.reason}: ${drop.why}; ${verdict.explanation}`,
    };
  }
  const long =
    base.n_patch_tokens !== null && base.n_patch_tokens >= options.maxPatchTokens
      ? `; n_patch_tokens ${base.n_patch_tokens} >= ${options.maxPatchTokens}: kept, the llm backend reads the first ${options.maxPatchTokens}`
      : '';
  return {
    ...base,
    kept: verdict.candidate,
    drop_reason: verdict.candidate ? null : 'not_perf_candidate',
    is_perf_candidate: verdict.candidate,
    perf_gate_explanation: `${verdict.explanation}${long}`,
  };
}

/**
 * The rank gate over a set of rows: each month's rows that are kept upstream and within the size limits
 * (the token limit aside: a passed row is kept whatever its length) are ranked by the learned score.
 */
function rankMonths(rows: readonly CommitRow[], options: NormalizedPrepareOptions): PreparedRow[] {
  const model = shippedLearnedModel();
  const measured = rows.map(measureRow);
  const judged = rows.map((row) => {
    const features = rowFeatures(row);
    return { signals: detectSignals(features), runtimeCode: runtimeCodePath(features) };
  });
  const items: RankItem[] = rows.map((row, i) => {
    const { signals, runtimeCode } = judged[i] as (typeof judged)[number];
    return {
      month: row.pr_merged_at.slice(0, 7),
      score: scoreLearned(model, signals, runtimeCode).score,
      eligible: row.kept && sizeDrop(measured[i] as MeasuredRow, options, true) === null,
      strong: hasStrongHeadline(signals),
      key: row.sha,
    };
  });
  const places = rankByMonth(items, options.gateShare);
  return measured.map((base, i) => {
    const { signals, runtimeCode } = judged[i] as (typeof judged)[number];
    return finishRow(base, options, rankGate(model, signals, runtimeCode, places[i] as (typeof places)[number]));
  });
}

/**
 * Step 2: token counts, sizes, the cheap performance gate and the container name for every commit.
 * Rows dropped by collect pass through with their reason; every new drop has a reason.
 */
export async function prepare(input: PrepareInput, deps: PrepareDeps): Promise<PrepareResult> {
  const options = normalizePrepareOptions(input.options);
  if (options.fetchPatches) {
    deps.log.debug('prepare: --fetch-patches has nothing to fetch from the offline store; patches come from git');
  }
  const rows =
    options.gateMode === 'rank' ? rankMonths(input.rows, options) : input.rows.map((row) => prepareRow(row, options));
  const keptUpstream = input.rows.filter((r) => r.kept).length;
  const passed = rows.filter((r) => r.is_perf_candidate).length;
  return {
    rows,
    summary: summarizeRows(rows),
    gatePassRate: keptUpstream === 0 ? 0 : passed / keptUpstream,
  };
}
