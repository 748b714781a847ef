import { type EngineStatus, tailOf, taskImageName } from '@datasmith/docker';
import type { LlmClient } from '@datasmith/llm';
import { parseRepoName } from '@datasmith/paths';
import type { Logger } from '@datasmith/progress';
import type { OfflineStore } from '@datasmith/store';
import type {
  SynthesisAttempt,
  SynthesisReason,
  SynthesisResult,
  SynthesisStage,
  SynthesisStrategy,
  SynthesizeInputRow,
} from '@datasmith/tables';
import type Docker from 'dockerode';
import type { BaseSelector } from './bases';
import type { BuildContext, LegacyContext, RegistryEntry } from './context';
import type { SynthesizeOptions } from './synthesize';
import type { ValidationResult } from './context';

/** One task: a (repository, base sha) and the PRs that share it. */
export interface Task {
  owner: string;
  repo: string;
  repoName: string;
  sha: string | null;
  landedSha: string;
  prNumbers: number[];
}

/** What a task ends with: its result row, and the context and validation behind it. */
export interface Outcome {
  result: SynthesisResult;
  context: BuildContext | null;
  validation: ValidationResult | null;
  hash: string | null;
}

/** Why one attempt failed. */
export interface Failure {
  stage: SynthesisStage;
  reason: SynthesisReason;
  message: string;
  rc: number;
  logTail: string;
}

/** What every task of one run shares: the engine, the store, the registry, the bases, the budget. */
export interface TaskEnv {
  docker: Docker;
  store: OfflineStore;
  log: Logger;
  engine: EngineStatus;
  base: BaseSelector;
  registry: Record<string, RegistryEntry>;
  legacy: Record<string, LegacyContext> | undefined;
  budget: { spentMs: number; spend(ms: number): void; remainingMs(): number | null };
  agent: { llm: LlmClient; maxAttempts: number; maxSteps: number } | null;
  register: (key: string, entry: RegistryEntry) => Promise<void>;
  runId: string;
  options: SynthesizeOptions;
  tailChars: number;
  adjustContext?: (context: BuildContext) => BuildContext;
}

/** Groups input rows into tasks, one per (repository, base sha), in input order. */
export function tasksFromRows(rows: readonly SynthesizeInputRow[]): Task[] {
  const byKey = new Map<string, Task>();
  for (const row of rows) {
    const { owner, name } = parseRepoName(row.repo_name);
    const key = `${row.repo_name}@${row.pr_base_sha ?? `missing:${row.sha}`}`;
    const task = byKey.get(key);
    const numbers = row.pr_number === null ? [] : [row.pr_number];
    if (task) task.prNumbers.push(...numbers);
    else
      byKey.set(key, {
        owner,
        repo: name,
        repoName: row.repo_name,
        sha: row.pr_base_sha,
        landedSha: row.sha,
        prNumbers: numbers,
      });
  }
  return [...byKey.values()];
}

/** The install mode of a rules context (`editable`, `regular`, `source`); null for agent and similar ones. */
export function installModeOf(context: BuildContext): 'editable' | 'regular' | 'source' | null {
  const mode = /(?:^|[^a-z])(editable|regular|source)$/.exec(context.variant)?.[1];
  if (mode) return mode as 'editable' | 'regular' | 'source';
  return (
    (/^# Build system: .*; install: (editable|regular|source);/m.exec(
      context.files['docker_build_pkg.sh'] ?? '',
    )?.[1] as 'editable' | 'regular' | 'source' | null) ?? null
  );
}

/** Failures another install script cannot fix end the cascade (the original's "not worth iterating"). */
const FINAL_REASONS: ReadonlySet<SynthesisReason> = new Set([
  'build_timeout',
  'build_budget_exhausted',
  'no_benchmarks',
  'benchmark_timeout',
  'check_timeout',
  'engine_unreachable',
]);

export function worthIterating(failure: Failure): boolean {
  return !FINAL_REASONS.has(failure.reason);
}

type AttemptFields = Omit<SynthesisAttempt, 'attempt' | 'strategy' | 'variant' | 'script'>;

/**
 * The record of one task's run: its attempts, warnings, and the last context and validation tried,
 * from which its outcome is made. The cascade's modules (cached, similar and rules, agent) write here.
 */
export class TaskRun {
  readonly started = Date.now();
  readonly sha: string;
  readonly imageName: string;
  /** The unvalidated image of an attempt, tagged :final only once it validates. */
  readonly pkgTag: string;
  readonly attempts: SynthesisAttempt[] = [];
  readonly warnings: string[] = [];
  strategy: SynthesisStrategy = 'rules';
  context: BuildContext | null = null;
  validation: ValidationResult | null = null;
  planHash: string | null = null;
  /** Rebuilding a validated context whose image is gone: its attempts count as `cached`. */
  rebuildingCached = false;

  constructor(
    readonly task: Task,
    private readonly log: Logger,
    readonly tailChars: number,
  ) {
    this.sha = task.sha ?? task.landedSha;
    this.imageName = taskImageName(task.owner, task.repo, this.sha, 'final');
    this.pkgTag = taskImageName(task.owner, task.repo, this.sha, 'pkg');
  }

  /** `owner/name@sha12`, for log lines. */
  get label(): string {
    return `${this.task.repoName}@${this.sha.slice(0, 12)}`;
  }

  outcome(
    ok: boolean,
    stage: SynthesisStage,
    reason: SynthesisReason | null,
    extra: Partial<SynthesisResult> = {},
  ): Outcome {
    const { task, context, validation } = this;
    return {
      result: {
        owner: task.owner,
        repo: task.repo,
        sha: this.sha,
        image_name: this.imageName,
        ok,
        rc: ok ? 0 : (extra.rc ?? 1),
        duration_s: Math.round((Date.now() - this.started) / 100) / 10,
        stage,
        strategy: this.strategy,
        attempts: this.attempts,
        reason,
        image_id: null,
        pr_numbers: task.prNumbers,
        benchmarks: [],
        python_requested: context?.python_requested ?? null,
        python_used: context?.python_used ?? null,
        base_release: context?.base_release ?? null,
        install_mode: ok && context ? installModeOf(context) : null,
        asv_version: context?.asv_version ?? null,
        benchmarks_excluded: validation?.benchmarks_excluded ?? [],
        warnings: [
          ...this.warnings,
          ...(context?.warnings ?? []),
          ...(ok && validation?.quick_failed?.length
            ? [`quick_benchmark_failed: ${validation.quick_failed.join(', ')}`]
            : []),
          ...(ok && validation?.tests_collect_errors
            ? [`tests_collect_errors: ${validation.tests_collect_errors}`]
            : []),
        ],
        stderr_tail: '',
        stdout_tail: '',
        ...extra,
      },
      context,
      validation,
      hash: this.planHash,
    };
  }

  fail(stage: SynthesisStage, reason: SynthesisReason, message: string, extra: Partial<SynthesisResult> = {}): Outcome {
    this.log.info(`synthesize: ${this.label} failed at ${stage}: ${reason} (${message})`);
    return this.outcome(false, stage, reason, { stderr_tail: tailOf(message, this.tailChars), ...extra });
  }

  /** Records one attempt of `context`. */
  record(context: BuildContext, attempt: AttemptFields): void {
    this.attempts.push({
      attempt: this.attempts.length + 1,
      strategy: this.rebuildingCached ? 'cached' : context.strategy,
      variant: context.variant,
      script: context.files['docker_build_pkg.sh'] ?? '',
      ...attempt,
    });
  }

  /** Records an attempt of `context` that failed before or during its build. */
  recordFailure(context: BuildContext, f: Failure, seconds: number, buildSeconds = 0): void {
    this.record(context, {
      ok: false,
      rc: f.rc,
      stage: f.stage,
      reason: f.reason,
      stderr_tail: tailOf(f.message, this.tailChars),
      stdout_tail: tailOf(f.logTail, this.tailChars),
      duration_s: seconds,
      build_s: buildSeconds,
      deps_reused: null,
    });
  }
}
