import type { Logger } from './log';

export interface ProgressOptions {
  /** What is being counted, e.g. `collect repos`. */
  label: string;
  /** Expected number of items; unknown when omitted. */
  total?: number;
  /** Where lines go when the stream is not a terminal. */
  log: Logger;
  /** A terminal stream: when given and `isTTY`, one line is redrawn in place. */
  tty?: NodeJS.WriteStream;
  /** Milliseconds between plain progress lines. Default 5000. */
  intervalMs?: number;
  /** Injected clock (ms). Default Date.now. */
  now?: () => number;
}

export interface Progress {
  /** Marks `n` items done (default 1), with an optional note about the last item. */
  tick(n?: number, note?: string): void;
  /** Stops redrawing and prints the final count line. */
  done(): void;
  /** Items done so far. */
  readonly count: number;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The progress line: `label 12/40 (30%) 3.1/s ETA 9s`. */
export function formatProgress(label: string, count: number, total: number | undefined, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? count / (elapsedMs / 1000) : 0;
  const rateText = rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
  if (total === undefined) return `${label} ${count} ${rateText}/s`;
  const pct = total > 0 ? Math.floor((count / total) * 100) : 100;
  const eta = rate > 0 ? (total - count) / rate : Number.POSITIVE_INFINITY;
  return `${label} ${count}/${total} (${pct}%) ${rateText}/s ETA ${formatDuration(eta)}`;
}

/**
 * Progress with rate and ETA: redrawn in place on a terminal, plain lines at most every
 * `intervalMs` otherwise (CI logs, Nx output).
 */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  const interval = options.intervalMs ?? 5000;
  const tty = options.tty?.isTTY ? options.tty : undefined;
  let count = 0;
  let lastLine = started;
  let finished = false;
  const line = () => formatProgress(options.label, count, options.total, now() - started);
  return {
    get count() {
      return count;
    },
    tick(n = 1, note) {
      if (finished) return;
      count += n;
      if (tty) {
        tty.write(`\r\x1b[2K${line()}${note ? ` ${note}` : ''}`);
      } else if (now() - lastLine >= interval) {
        lastLine = now();
        options.log.info(line());
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (tty) tty.write('\r\x1b[2K');
      options.log.info(`${line()} done in ${formatDuration((now() - started) / 1000)}`);
    },
  };
}

/** Counts of what a step kept and dropped, by reason. */
export interface StepSummary {
  kept: number;
  dropped: number;
  reasons: Record<string, number>;
  failed?: number;
  failures?: Record<string, number>;
}

/** Tallies rows with `kept` and `drop_reason` fields. */
export function summarizeRows(rows: ReadonlyArray<{ kept: boolean; drop_reason: string | null }>): StepSummary {
  const reasons: Record<string, number> = {};
  let kept = 0;
  for (const row of rows) {
    if (row.kept) kept++;
    else {
      const reason = row.drop_reason ?? 'unspecified';
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
  }
  return { kept, dropped: rows.length - kept, reasons };
}

/** `kept N, dropped M (reason: count, …)`, reasons by count then name. */
export function formatSummary(summary: StepSummary): string {
  const entries = Object.entries(summary.reasons).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const reasons = entries.length ? ` (${entries.map(([r, n]) => `${r}: ${n}`).join(', ')})` : '';
  let text = `kept ${summary.kept}, dropped ${summary.dropped}${reasons}`;
  if (summary.failed) {
    const failures = Object.entries(summary.failures ?? {}).sort((a, b) => b[1] - a[1]);
    text += `, failed ${summary.failed}${failures.length ? ` (${failures.map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}`;
  }
  return text;
}

/** Adds two summaries. */
export function mergeSummaries(a: StepSummary, b: StepSummary): StepSummary {
  const reasons = { ...a.reasons };
  for (const [k, v] of Object.entries(b.reasons)) reasons[k] = (reasons[k] ?? 0) + v;
  const failures = { ...(a.failures ?? {}) };
  for (const [k, v] of Object.entries(b.failures ?? {})) failures[k] = (failures[k] ?? 0) + v;
  return {
    kept: a.kept + b.kept,
    dropped: a.dropped + b.dropped,
    reasons,
    failed: (a.failed ?? 0) + (b.failed ?? 0),
    failures,
  };
}
