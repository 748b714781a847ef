import { ConfigError, isDatasmithError } from '@datasmith/errors';
import { type LlmClient, LlmBudgetExhaustedError, type LlmStats, LlmUnreachableError } from '@datasmith/llm';
import { type Logger, type StepSummary, createProgress, summarizeRows } from '@datasmith/progress';
import type { ClassifiedRow, ClassifierBackend, DropReason, PreparedRow } from '@datasmith/tables';
import pLimit from 'p-limit';
import { type RowFeatures, rowFeatures } from '../prepare/features';
import { detectSignals } from '../prepare/signals';
import { createLeakGuard, stripSolution } from './leak-guard';
import { llmRequestFor, normalizeCategory, normalizeConfidence, normalizeDifficulty } from './llm-backend';
import { composeProblemStatement, renderFinalMd } from './problem';
import { loadPrompts } from './prompts/prompts';
import { type PrReport, buildReport } from './report';
import { shippedLearnedModel } from '../prepare/learned';
import { runtimeCodePath } from '../prepare/gate';
import { DEFAULT_RULES_MODEL, type RulesModel, classifyByLearnedRules, classifyByRules, rulesVersion } from './rules';
import type { DiscussionSource } from './sources';

/** Options of one classify run. */
export interface ClassifyOptions {
  /** Default `rules` (embedded, offline). */
  backend?: ClassifierBackend;
  /** Classify only the first N gated rows (table order); the others are dropped as `not_sampled`. */
  sampleSize?: number;
  /** Rows worked on at once (reports and LLM calls; the LLM client has its own limit too). Default 4. */
  concurrency?: number;
  /** Overrides the prompt version (tests of re-classification); default PROMPT_VERSION. */
  promptVersion?: string;
  /** Patch tokens sent to the LLM. Default 16000 (the original's DSPY_MAX_TOKENS). */
  maxPatchTokens?: number;
  /** Weights of the rules backend: hand-set or the learned model. Default DEFAULT_RULES_MODEL. */
  rulesModel?: RulesModel;
}

export interface ClassifyInput {
  /** The `prepared` table of one partition. */
  rows: readonly PreparedRow[];
  options?: ClassifyOptions;
}

export interface ClassifyDeps {
  log: Logger;
  /** Repository blurbs, linked issues and PR discussions. */
  discussions: DiscussionSource;
  /** Required for the llm backend. */
  llm?: LlmClient;
  /** A terminal for redrawn progress lines. */
  tty?: NodeJS.WriteStream;
  /** Clock of the progress lines (ms); never part of the output. Default Date.now. */
  now?: () => number;
}

/** A row that could not be classified, with its reason code. */
export interface ClassifyFailure {
  item: string;
  code: DropReason;
  message: string;
}

export interface ClassifyResult {
  /** Every row (the `classified` table). */
  rows: ClassifiedRow[];
  /** Performance rows only (the `perf` table). */
  perf: ClassifiedRow[];
  summary: StepSummary;
  failures: ClassifyFailure[];
  counts: { gated: number; classified: number; perf: number; withLinkedIssue: number };
  /** LLM usage of this run (llm backend). */
  llm?: Readonly<LlmStats>;
}

type Decided = Pick<
  ClassifiedRow,
  | 'kept'
  | 'drop_reason'
  | 'is_performance_commit'
  | 'classification'
  | 'difficulty'
  | 'classification_explanation'
  | 'classification_confidence'
  | 'has_linked_issue'
  | 'problem_statement'
  | 'final_md'
  | 'backend'
  | 'model'
  | 'prompt_version'
>;

function passThrough(row: PreparedRow, explanation: string, drop?: DropReason): ClassifiedRow {
  return {
    ...row,
    kept: false,
    drop_reason: drop ?? row.drop_reason,
    is_performance_commit: false,
    classification: null,
    difficulty: 'unknown',
    classification_explanation: explanation,
    classification_confidence: null,
    has_linked_issue: false,
    problem_statement: '',
    final_md: '',
    backend: null,
    model: null,
    prompt_version: null,
  };
}

/** Features for the rules: the PR body extended with the linked issues' text. */
function featuresWithIssues(f: RowFeatures, report: PrReport): RowFeatures {
  const issueText = report.issues.map((i) => `${i.title}\n${i.body}`).join('\n');
  return issueText ? { ...f, body: `${f.body}\n${issueText}` } : f;
}

/** A backend's decision on one row. */
interface Verdict {
  isPerformance: boolean;
  category: ClassifiedRow['classification'];
  difficulty: ClassifiedRow['difficulty'];
  confidence: number;
  explanation: string;
  /** The backend's problem statement ('' for the rules). */
  problem: string;
}

/** A verdict with the model and the prompt (or rules) version it came from. */
interface BackendVerdict {
  verdict: Verdict;
  model: string | null;
  promptVersion: string;
}

/** What deciding a row needs besides the row. */
interface DecideContext {
  backend: ClassifierBackend;
  llm: LlmClient | undefined;
  prompts: ReturnType<typeof loadPrompts> | undefined;
  maxPatchTokens: number;
  rulesModel: RulesModel;
  discussions: DiscussionSource;
}

async function llmVerdict(
  llm: LlmClient,
  prompts: ReturnType<typeof loadPrompts>,
  row: PreparedRow,
  f: RowFeatures,
  report: PrReport,
  maxPatchTokens: number,
): Promise<BackendVerdict> {
  const answer = await llm.completeJson(llmRequestFor(row, f, report, prompts, maxPatchTokens));
  const v = answer.value;
  return {
    verdict: {
      isPerformance: v.is_performance_commit,
      category: v.is_performance_commit ? normalizeCategory(v.category) : null,
      difficulty: v.is_performance_commit ? normalizeDifficulty(v.difficulty) : 'unknown',
      confidence: normalizeConfidence(v.confidence),
      explanation: `llm: ${v.explanation.trim()}`,
      problem: v.problem_statement,
    },
    model: llm.settings.model,
    promptVersion: prompts.version,
  };
}

function rulesVerdict(f: RowFeatures, report: PrReport, rulesModel: RulesModel): BackendVerdict {
  const withIssues = featuresWithIssues(f, report);
  const r =
    rulesModel === 'learned'
      ? classifyByLearnedRules(withIssues, detectSignals(withIssues), shippedLearnedModel(), runtimeCodePath(f))
      : classifyByRules(withIssues, detectSignals(withIssues));
  return {
    verdict: {
      isPerformance: r.isPerformance,
      category: r.category,
      difficulty: r.difficulty,
      confidence: r.confidence,
      explanation: r.explanation,
      problem: '',
    },
    model: null,
    promptVersion: rulesVersion(rulesModel, shippedLearnedModel()),
  };
}

/**
 * Decides one gated row: its report, the backend's verdict, and for a performance row a problem
 * statement (the model's, else composed) and an agent brief, both without the solution.
 */
async function decide(row: PreparedRow, ctx: DecideContext): Promise<Decided> {
  const { backend, llm, prompts } = ctx;
  const f = rowFeatures(row);
  const report = await buildReport(row, ctx.discussions);
  const guard = createLeakGuard(row.patch);
  const common = { has_linked_issue: report.hasLinkedIssue, backend };
  const { verdict, model, promptVersion } =
    backend === 'llm' && llm && prompts
      ? await llmVerdict(llm, prompts, row, f, report, ctx.maxPatchTokens)
      : rulesVerdict(f, report, ctx.rulesModel);
  if (!verdict.isPerformance) {
    return {
      ...common,
      kept: false,
      drop_reason: 'not_perf',
      is_performance_commit: false,
      classification: null,
      difficulty: 'unknown',
      classification_explanation: verdict.explanation,
      classification_confidence: verdict.confidence,
      problem_statement: '',
      final_md: '',
      model,
      prompt_version: promptVersion,
    };
  }
  const fromModel = verdict.problem ? stripSolution(verdict.problem, guard) : '';
  const problem = fromModel || composeProblemStatement(row, f, report, guard);
  return {
    ...common,
    kept: true,
    drop_reason: null,
    is_performance_commit: true,
    classification: verdict.category,
    difficulty: verdict.difficulty,
    classification_explanation: verdict.explanation,
    classification_confidence: verdict.confidence,
    problem_statement: problem,
    final_md: renderFinalMd(report, problem, guard),
    model,
    prompt_version: promptVersion,
  };
}

/**
 * The row of a failed decision (not an unreachable endpoint, which stops the run):
 * `llm_budget_exhausted` when the call budget is spent, else a `classifier_error` row and a failure record.
 */
function failedRow(
  row: PreparedRow,
  item: string,
  error: unknown,
  ctx: DecideContext,
  run: { progress: ReturnType<typeof createProgress>; failures: ClassifyFailure[]; log: Logger },
): ClassifiedRow {
  run.progress.tick(1, item);
  if (error instanceof LlmBudgetExhaustedError) {
    return passThrough(row, `not classified: ${error.message}`, 'llm_budget_exhausted');
  }
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  run.failures.push({ item, code: 'classifier_error', message });
  const classified = passThrough(row, `error: ${message}`, 'classifier_error');
  const failed = {
    ...classified,
    backend: ctx.backend,
    model: ctx.backend === 'llm' ? (ctx.llm?.settings.model ?? null) : null,
  };
  if (!isDatasmithError(error)) run.log.debug(`classify ${item}: ${(error as Error).stack ?? message}`);
  return failed;
}

/**
 * Step 3: a report per gated row, then the rules or LLM backend; performance rows get a problem
 * statement and an agent brief that never contain the solution. Rows dropped earlier pass through
 * with their reason. An unreachable LLM endpoint throws before any row is decided; other per-row
 * LLM failures become `classifier_error` rows (never a silent "not performance").
 */
export async function classify(input: ClassifyInput, deps: ClassifyDeps): Promise<ClassifyResult> {
  const options = input.options ?? {};
  const backend = options.backend ?? 'rules';
  const llm = deps.llm;
  if (backend === 'llm' && !llm) throw new ConfigError('Invalid classify setup: the llm backend needs an LLM client');
  const ctx: DecideContext = {
    backend,
    llm,
    prompts: backend === 'llm' ? loadPrompts(options.promptVersion) : undefined,
    maxPatchTokens: options.maxPatchTokens ?? 16_000,
    rulesModel: options.rulesModel ?? DEFAULT_RULES_MODEL,
    discussions: deps.discussions,
  };
  const sampleSize = options.sampleSize ?? Number.POSITIVE_INFINITY;
  const gatedIndexes = input.rows.flatMap((row, i) => (row.kept ? [i] : []));
  const sampled = new Set(gatedIndexes.slice(0, sampleSize));
  const out: ClassifiedRow[] = new Array(input.rows.length);
  const failures: ClassifyFailure[] = [];
  const progress = createProgress({
    label: `classify (${backend})`,
    total: sampled.size,
    log: deps.log,
    tty: deps.tty,
    now: deps.now,
  });
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  let fatal: unknown;
  await Promise.all(
    input.rows.map((row, i) =>
      limit(async () => {
        if (!row.kept) {
          out[i] = passThrough(row, `not classified: dropped before classify (${row.drop_reason ?? 'unspecified'})`);
          return;
        }
        if (!sampled.has(i)) {
          out[i] = passThrough(row, `not classified: outside --sample-size ${options.sampleSize}`, 'not_sampled');
          return;
        }
        if (fatal) return;
        const item = `${row.repo_name}#${row.pr_number ?? row.sha.slice(0, 12)}`;
        try {
          out[i] = { ...row, ...(await decide(row, ctx)) };
        } catch (error) {
          if (error instanceof LlmUnreachableError) {
            fatal ??= error;
            return;
          }
          out[i] = failedRow(row, item, error, ctx, { progress, failures, log: deps.log });
          return;
        }
        progress.tick(1, item);
      }),
    ),
  );
  if (fatal) throw fatal;
  progress.done();
  return classifyResult(out, failures, gatedIndexes.length, sampled.size, llm && backend === 'llm' ? llm : undefined);
}

function classifyResult(
  rows: ClassifiedRow[],
  failures: ClassifyFailure[],
  gated: number,
  classified: number,
  llm: LlmClient | undefined,
): ClassifyResult {
  const perf = rows.filter((r) => r.kept && r.is_performance_commit);
  const summary = summarizeRows(rows);
  return {
    rows,
    perf,
    summary,
    failures: failures.sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : 0)),
    counts: {
      gated,
      classified,
      perf: perf.length,
      withLinkedIssue: rows.filter((r) => r.has_linked_issue).length,
    },
    llm: llm ? { ...llm.stats } : undefined,
  };
}
