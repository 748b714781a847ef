import { InputError } from '@datasmith/errors';

/** A calendar month in UTC, half-open: `start <= t < end`. */
export interface MonthWindow {
  /** `YYYY-MM` */
  readonly key: string;
  readonly start: Date;
  readonly end: Date;
}

const MONTH_RE = /^(\d{4})-(\d{2})$/;

/** Parses `YYYY-MM` into a UTC month window. Throws an InputError naming `field` on bad input. */
export function parseMonth(value: string, field = '--month'): MonthWindow {
  const match = MONTH_RE.exec(value.trim());
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (!match || month < 1 || month > 12 || year < 1970) {
    throw new InputError(`Invalid ${field}: ${JSON.stringify(value)} is not a month; expected YYYY-MM, e.g. 2024-05`);
  }
  const start = new Date(Date.UTC(year, month - 1, 1));
  const end = new Date(Date.UTC(year, month, 1));
  return { key: match[0], start, end };
}

/** The month window that contains the instant `t` (UTC). */
export function monthOf(t: Date): MonthWindow {
  return parseMonth(`${t.getUTCFullYear()}-${String(t.getUTCMonth() + 1).padStart(2, '0')}`);
}

/** Every month window from `from` to `to`, both inclusive, in order. */
export function monthRange(from: string, to: string): MonthWindow[] {
  const first = parseMonth(from, 'start month');
  const last = parseMonth(to, 'end month');
  if (first.start > last.start) throw new InputError(`Invalid month range: ${from} is after ${to}`);
  const out: MonthWindow[] = [];
  for (let w = first; w.start <= last.start; w = monthOf(w.end)) out.push(w);
  return out;
}

/** True when `t` lies in the half-open window. */
export function inWindow(t: Date, window: { start: Date; end: Date }): boolean {
  return t.getTime() >= window.start.getTime() && t.getTime() < window.end.getTime();
}

/**
 * Parses a date for `--since` / `--until`: `YYYY-MM-DD` or a full ISO-8601 instant. A date without
 * a zone is UTC midnight, so windows never depend on the machine's time zone.
 */
export function parseDateArg(value: string, field: string): Date {
  const trimmed = value.trim();
  const isoDate = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(isoDate);
  const t = new Date(hasZone ? isoDate : `${isoDate}Z`);
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed) || Number.isNaN(t.getTime())) {
    throw new InputError(
      `Invalid ${field}: ${JSON.stringify(value)} is not a date; expected YYYY-MM-DD or an ISO-8601 instant`,
    );
  }
  return t;
}

/** A window from two date arguments, checked to be non-empty. */
export function parseWindow(since: string, until: string): { start: Date; end: Date } {
  const start = parseDateArg(since, '--since');
  const end = parseDateArg(until, '--until');
  if (start.getTime() >= end.getTime()) {
    throw new InputError(`Invalid window: --since ${since} is not before --until ${until}`);
  }
  return { start, end };
}
