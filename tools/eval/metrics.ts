import { InputError } from '@datasmith/errors';
import { parseCsv } from '@datasmith/tables';
import { z } from 'zod';

/** One row of a labelled set such as `numpy-labels.csv` (see its README). */
export const LabelRow = z.object({
  repo_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/),
  pr_number: z.coerce.number().int().positive(),
  landed_sha: z.string().regex(/^[0-9a-f]{40}$/),
  landed_at: z.string().min(1),
  label: z.enum(['perf', 'not_perf']),
  source: z.string(),
});
export type LabelRow = z.infer<typeof LabelRow>;

const LABEL_COLUMNS = ['repo_name', 'pr_number', 'landed_sha', 'landed_at', 'label', 'source'] as const;

/** Parses the labels CSV (the `source` column is last and may hold unquoted commas and quotes). */
export function parseLabels(csv: string, file = 'labels'): LabelRow[] {
  const [head, ...rows] = parseCsv(csv, file, { relaxQuotes: true, trim: false });
  const header = head?.cells ?? [];
  const missing = LABEL_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new InputError(`Invalid labels: ${file} is missing column(s) ${missing.join(', ')}`);
  return rows.map(({ cells, line }) => {
    const record: Record<string, string> = {};
    header.forEach((name, j) => {
      record[name] = j === header.length - 1 ? cells.slice(j).join(',') : (cells[j] ?? '');
    });
    const parsed = LabelRow.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`Invalid labels: ${file}:${line}, ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return parsed.data;
  });
}

/** What the eval needs of one merged PR after classify (a `classified` row, narrowed). */
export interface EvalRow {
  repo_name: string;
  /** null for a rebase merge found from git alone. */
  pr_number: number | null;
  sha: string;
  pr_merged_at: string;
  /** Passed by prepare's gate (and its size limits): goes on to a classifier. */
  is_perf_candidate: boolean;
  /** Flagged as performance work by the backend, per backend name. */
  flagged: Record<string, boolean>;
}

/** Counts of one split (tune, test or all) and the rates derived from them. */
export interface SplitMetrics {
  split: string;
  merged: number;
  labelledPerf: number;
  labelledNotPerf: number;
  gatePassed: number;
  gateKeptPerf: number;
  gatePassedNotPerf: number;
  gateRecall: number;
  gatePassRate: number;
  backends: Record<
    string,
    {
      flagged: number;
      flaggedPerf: number;
      flaggedNotPerf: number;
      recall: number;
      flaggedShare: number;
      /** Among labelled PRs: perf flagged / (perf + not_perf flagged). */
      precision: number;
    }
  >;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Labels keyed by `repo_name#pr_number`. */
export function labelKey(repo: string, pr: number | null): string {
  return `${repo}#${pr ?? '-'}`;
}

/** Gate and backend metrics of the rows of one split. */
export function splitMetrics(
  split: string,
  rows: readonly EvalRow[],
  labels: ReadonlyMap<string, LabelRow>,
  backends: readonly string[],
): SplitMetrics {
  const labelOf = (r: EvalRow) => labels.get(labelKey(r.repo_name, r.pr_number))?.label;
  const perf = rows.filter((r) => labelOf(r) === 'perf');
  const notPerf = rows.filter((r) => labelOf(r) === 'not_perf');
  const gatePassed = rows.filter((r) => r.is_perf_candidate).length;
  const gateKeptPerf = perf.filter((r) => r.is_perf_candidate).length;
  const out: SplitMetrics = {
    split,
    merged: rows.length,
    labelledPerf: perf.length,
    labelledNotPerf: notPerf.length,
    gatePassed,
    gateKeptPerf,
    gatePassedNotPerf: notPerf.filter((r) => r.is_perf_candidate).length,
    gateRecall: ratio(gateKeptPerf, perf.length),
    gatePassRate: ratio(gatePassed, rows.length),
    backends: {},
  };
  for (const backend of backends) {
    const flagged = rows.filter((r) => r.flagged[backend]).length;
    const flaggedPerf = perf.filter((r) => r.flagged[backend]).length;
    const flaggedNotPerf = notPerf.filter((r) => r.flagged[backend]).length;
    out.backends[backend] = {
      flagged,
      flaggedPerf,
      flaggedNotPerf,
      recall: ratio(flaggedPerf, perf.length),
      flaggedShare: ratio(flagged, rows.length),
      precision: ratio(flaggedPerf, flaggedPerf + flaggedNotPerf),
    };
  }
  return out;
}

/** The floors of the issue: what the gate and the rules backend must reach. */
export const FLOORS = {
  gateRecall: 0.97,
  gatePassRate: 0.35,
  rulesRecall: 0.75,
  rulesFlaggedShare: 0.1,
} as const;

/** Each floor missed by a split, as a readable line; empty when every floor holds. */
export function missedFloors(m: SplitMetrics, floors = FLOORS): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const missed: string[] = [];
  if (m.gateRecall < floors.gateRecall)
    missed.push(`${m.split}: gate recall ${pct(m.gateRecall)} < ${pct(floors.gateRecall)}`);
  if (m.gatePassRate > floors.gatePassRate)
    missed.push(`${m.split}: gate pass rate ${pct(m.gatePassRate)} > ${pct(floors.gatePassRate)}`);
  const rules = m.backends.rules;
  if (rules) {
    if (rules.recall < floors.rulesRecall)
      missed.push(`${m.split}: rules recall ${pct(rules.recall)} < ${pct(floors.rulesRecall)}`);
    if (rules.flaggedShare > floors.rulesFlaggedShare)
      missed.push(`${m.split}: rules flagged share ${pct(rules.flaggedShare)} > ${pct(floors.rulesFlaggedShare)}`);
  }
  return missed;
}

/** A plain-text table: one line per split, gate then each backend. */
export function formatTable(metrics: readonly SplitMetrics[], backends: readonly string[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const header = ['split', 'merged', 'perf', 'not_perf', 'gate recall', 'gate pass'];
  for (const b of backends) header.push(`${b} recall`, `${b} flagged`, `${b} precision`);
  const lines = metrics.map((m) => {
    const cells = [
      m.split,
      String(m.merged),
      String(m.labelledPerf),
      String(m.labelledNotPerf),
      `${pct(m.gateRecall)} (${m.gateKeptPerf}/${m.labelledPerf})`,
      `${pct(m.gatePassRate)} (${m.gatePassed})`,
    ];
    for (const b of backends) {
      const x = m.backends[b];
      if (!x) continue;
      cells.push(
        `${pct(x.recall)} (${x.flaggedPerf}/${m.labelledPerf})`,
        `${pct(x.flaggedShare)} (${x.flagged})`,
        `${pct(x.precision)} (${x.flaggedPerf}/${x.flaggedPerf + x.flaggedNotPerf})`,
      );
    }
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((cells) => (cells[i] ?? '').length)));
  const render = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}
