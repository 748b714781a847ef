import type { PartitionedStep } from '@datasmith/paths';

/** One table's verdict on a PR and how to build one: the shared vocabulary of a PR trace. */

/** The steps a PR is traced through: the per-month partitions, then the global tables. */
export type TraceStep = PartitionedStep | 'master' | 'dataset';

/**
 * Why a station has no row, for PRs the tables cannot give a `drop_reason` for (the same codes as
 * the report's funnel where they overlap).
 */
export const ABSENCE_REASONS = {
  not_run: 'the step has not run for this repository and month (no partition)',
  no_row: "the step's table has no row for the PR",
  no_result: 'synthesize ran for the month but has no result for the base commit',
  no_image: 'publish ran for the month but has no image row for the base commit',
  not_in_master: 'merge has not taken the PR into the master table (run merge)',
  not_in_dataset: 'the dataset has no task for the PR (run dataset, or its image is missing)',
  upstream_dropped: 'an earlier step dropped the PR',
} as const;
export type AbsenceReason = keyof typeof ABSENCE_REASONS;

/** One table's verdict on the PR. */
export interface Station {
  step: TraceStep;
  /** `YYYY-MM` for partitions, null for the global tables. */
  month: string | null;
  /** The file read (or that would be read). */
  file: string;
  /** kept: the row goes on; dropped: the table says why not; absent: the table has no row. */
  status: 'kept' | 'dropped' | 'absent';
  /** `drop_reason` (dropped), an {@link AbsenceReason} (absent), null (kept). */
  reason: string | null;
  /** The drop was decided by an earlier step and only carried along in this table. */
  inherited: boolean;
  /** The classifier backend (classify), the context strategy (synthesize). */
  backend: string | null;
  model: string | null;
  /** Build attempts (synthesize). */
  attempts: number | null;
  /** The registry host an image was pushed to (publish); null for local images. */
  registry: string | null;
  /** Image reference (synthesize, publish, dataset). */
  image: string | null;
  /** Image id or registry digest. */
  digest: string | null;
  /** One line of the step's own explanation. */
  detail: string;
  /** verify's measurement of the gold patch (verify only; null elsewhere). */
  verify: TracedVerify | null;
}

/** What verify measured for the PR: the verdict, the speed-up and each benchmark. */
export interface TracedVerify {
  verified: boolean;
  speedup: number | null;
  speedup_gmean: number | null;
  reason: string | null;
  message: string;
  selection: string;
  duration_s: number;
  code_version: string;
  /** Per pass: the share of the pinned CPUs other work took. */
  foreign_cpu_share: (number | null)[];
  benchmarks: Array<{
    name: string;
    tier: string;
    why: string;
    change: string;
    speedup: number | null;
    noisy: boolean;
    before: number | null;
    after: number | null;
  }>;
}

/** A table row as DuckDB returns it. */
export type Row = Record<string, unknown>;

/** A table value as text; null stays null. */
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A station with every field defaulted (absent, no reason) but `fields`. */
export function station(step: TraceStep, month: string | null, file: string, fields: Partial<Station>): Station {
  return {
    step,
    month,
    file,
    status: 'absent',
    reason: null,
    inherited: false,
    backend: null,
    model: null,
    registry: null,
    attempts: null,
    image: null,
    digest: null,
    detail: '',
    verify: null,
    ...fields,
  };
}

/** A station from a row that carries `kept`/`drop_reason` (commits, prepared, classified, images). */
export function fromRow(
  step: TraceStep,
  month: string | null,
  file: string,
  row: Row,
  kept: boolean,
  previous: Station | undefined,
  extra: Partial<Station> = {},
): Station {
  const reason = kept ? null : str(row.drop_reason);
  const inherited = !kept && previous?.status === 'dropped' && previous.reason === reason;
  return station(step, month, file, { status: kept ? 'kept' : 'dropped', reason, inherited, ...extra });
}

/** A station for a table with no row for the PR, with the absence reason's text as detail unless given one. */
export function absent(
  step: TraceStep,
  month: string | null,
  file: string,
  reason: AbsenceReason,
  detail = '',
): Station {
  return station(step, month, file, { reason, detail: detail || ABSENCE_REASONS[reason] });
}

/** The first non-blank line of a text, cut to `max` characters. */
export function firstLine(text: unknown, max = 160): string {
  const line = (str(text) ?? '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The `YYYY-MM` partition a table file sits in ('' when none). */
export function monthOfFile(file: string): string {
  return /(\d{4}-\d{2})[/\\][^/\\]+$/.exec(file)?.[1] ?? '';
}
