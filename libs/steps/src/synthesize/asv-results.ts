/** Benchmark names of asv's `benchmarks.json` (every key but `version`), sorted. Throws on malformed JSON. */
export function parseBenchmarksJson(text: string): string[] {
  const doc = JSON.parse(text) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('benchmarks.json is not a JSON object');
  return Object.keys(doc)
    .filter((k) => k !== 'version')
    .sort();
}

/**
 * Parses JSON written by Python's `json`, which spells non-finite floats `NaN`, `Infinity` and
 * `-Infinity` (asv's result files do, e.g. in confidence intervals of one-sample quick runs);
 * they become null.
 */
export function parsePythonJson(text: string): unknown {
  return JSON.parse(text.replace(/(?<=[[,:]\s*)-?(?:Infinity|NaN)(?=\s*[\],}])/g, 'null'));
}

/** The outcome of one benchmark in asv result files. */
export type BenchmarkOutcome = 'ok' | 'failed' | 'missing';

function resultValue(entry: unknown, columns: readonly string[] | null): unknown {
  if (Array.isArray(entry)) {
    const i = columns ? columns.indexOf('result') : 0;
    return entry[Math.max(i, 0)];
  }
  if (entry && typeof entry === 'object' && 'result' in entry) return (entry as { result: unknown }).result;
  return entry;
}

function isSuccess(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value))
    return value.length > 0 && value.every((v) => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
  return typeof value === 'number';
}

/**
 * Reads asv result files (asv 0.6 "version": 2 with `result_columns`, and the older per-benchmark
 * `{result: …}` form) and tells, for each wanted benchmark, whether it produced a value for every
 * parameter combination (`ok`), failed (`null` results) or is absent (`missing`).
 */
export function benchmarkOutcomes(
  resultFiles: Readonly<Record<string, string>>,
  wanted: readonly string[],
): Record<string, BenchmarkOutcome> {
  const seen = new Map<string, boolean>();
  for (const [file, text] of Object.entries(resultFiles)) {
    if (file.endsWith('machine.json') || file.endsWith('benchmarks.json')) continue;
    let doc: { results?: Record<string, unknown>; result_columns?: string[] };
    try {
      doc = parsePythonJson(text) as typeof doc;
    } catch {
      continue;
    }
    const columns = Array.isArray(doc.result_columns) ? doc.result_columns : null;
    for (const [name, entry] of Object.entries(doc.results ?? {})) {
      const ok = isSuccess(resultValue(entry, columns));
      seen.set(name, (seen.get(name) ?? true) && ok);
    }
  }
  const out: Record<string, BenchmarkOutcome> = {};
  for (const name of wanted) {
    const v = seen.get(name);
    out[name] = v === undefined ? 'missing' : v ? 'ok' : 'failed';
  }
  return out;
}

/**
 * A regex that selects exactly these benchmark names (for `asv run --bench`). asv matches a
 * parameterized benchmark as `name(p1, p2)`, so a parameter list may follow the name.
 */
export function exactBenchRegex(names: readonly string[]): string {
  return `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(\\(.*\\))?$`;
}
