import type { Logger } from '@datasmith/progress';
import { type StepSummary, summarizeRows } from '@datasmith/progress';
import type { CommitRow, DropReason, PreparedRow } from '@datasmith/tables';
import { o200k } from '../common/o200k';
import { parsePatch, rowFeatures } from './features';
import { DEFAULT_MIN_GATE_SCORE, type GateMode, learnedGate, perfGate, runtimeCodePath } from './gate';
import { shippedLearnedModel } from './learned';
import { detectSignals } from './signals';

/** Bump when the same commits would now give different prepared rows (gate, limits, columns). */
export const PREPARE_CODE_VERSION = 'prepare-2';

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
  /** `evidence` (default) or `recall`: also pass every runtime-code change without a non-performance prefix. */
  gateMode?: GateMode;
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
  gateMode: 'recall',
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
  const changed = changedLineTokens(row.patch ?? '');
  if (changed < o.minPatchTokens)
    return { reason: 'too_few_tokens', why: `changed lines have ${changed} tokens < ${o.minPatchTokens}` };
  return null;
}

/** Prepares one row: measures, gate, container name. Pure. */
export function prepareRow(row: CommitRow, options: NormalizedPrepareOptions): PreparedRow {
  const n_patch_tokens = row.patch === null ? null : countPatchTokens(row.patch);
  const total_changes = row.total_additions + row.total_deletions;
  // An empty files_changed means no paths; the original counted it as one file.
  const n_files_changed = nFilesChanged(row.files_changed);
  const features = rowFeatures(row);
  const verdict =
    options.gateMode === 'learned'
      ? learnedGate(shippedLearnedModel(), detectSignals(features), runtimeCodePath(features))
      : perfGate(
          detectSignals(features),
          options.minGateScore,
          options.gateMode === 'recall' ? { runtimeCode: runtimeCodePath(features) } : undefined,
        );
  const base = {
    ...row,
    n_patch_tokens,
    total_changes,
    n_files_changed,
    container_name: containerName(row.repo_name, row.pr_base_sha),
    patch_source: row.patch === null ? null : ('git' as const),
  };
  if (!row.kept) {
    return {
      ...base,
      is_perf_candidate: false,
      perf_gate_explanation: `dropped upstream (${row.drop_reason ?? 'unspecified'}); ${verdict.explanation}`,
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
 * Step 2: token counts, sizes, the cheap performance gate and the container name for every commit.
 * Rows dropped by collect pass through with their reason; every new drop has a reason.
 */
export async function prepare(input: PrepareInput, deps: PrepareDeps): Promise<PrepareResult> {
  const options = normalizePrepareOptions(input.options);
  if (options.fetchPatches) {
    deps.log.debug('prepare: --fetch-patches has nothing to fetch from the offline store; patches come from git');
  }
  const rows = input.rows.map((row) => prepareRow(row, options));
  const keptUpstream = input.rows.filter((r) => r.kept).length;
  const passed = rows.filter((r) => r.is_perf_candidate).length;
  return {
    rows,
    summary: summarizeRows(rows),
    gatePassRate: keptUpstream === 0 ? 0 : passed / keptUpstream,
  };
}
