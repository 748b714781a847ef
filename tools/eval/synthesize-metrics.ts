import { resolve } from 'node:path';
/**
 * The pure parts of `npm run eval:synthesize`: its arguments, the default window, the funnel of one
 * repository (collect → prepare → classify → tasks), the aggregation of synthesize's `results.jsonl`
 * rows into one line per repository plus a total, the verify table (validated, measured, verified,
 * median speed-up, minutes) of verify's `verify.jsonl`, the choice of control PRs, and the text and
 * markdown tables.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const USAGE = `usage: npm run eval:synthesize -- --store DIR [--work DIR] [--repos a/b,c/d] [--limit-per-repo N]
       [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--months N] [--asv-source DIR] [--max-build-minutes N]
       [--synthesize-repos a/b,c/d] [--skip-synthesize] [--retry-failed] [--reuse] [--json]
       [--verify [--verify-minutes N] [--max-benchmarks N] [--max-param-sets N] [--passes 1|2]
                 [--controls N --control-repos a/b,c/d] [--labelled N [--labelled-only] [--labels DIR]]]`;

/** A bad command line: the script prints it with the usage and exits 2. */
export class UsageError extends Error {}

export interface SynthEvalArgs {
  help: boolean;
  store: string;
  /** Work folder (outside git: data/ is ignored). */
  work: string;
  since: string | null;
  until: string | null;
  /** Window length when --since is not given. */
  months: number;
  /** Repositories to evaluate; null: every mirror of the store. */
  repos: string[] | null;
  /** Tasks per repository (synthesize's seeded choice); -1: all. */
  limitPerRepo: number;
  /** Exported to synthesize as DATASMITH_ASV_SOURCE; null: not set. */
  asvSource: string | null;
  maxBuildMinutes: number | null;
  /** Repositories synthesize runs for (a subset of repos); null: all of them. */
  synthesizeRepos: string[] | null;
  skipSynthesize: boolean;
  retryFailed: boolean;
  reuse: boolean;
  json: boolean;
  /** Run `datasmith verify` on each synthesized repository's perf table. */
  verify: boolean;
  /** Passed to verify when given (null: verify's own default). */
  verifyMinutes: number | null;
  maxBenchmarks: number | null;
  maxParamSets: number | null;
  passes: 1 | 2 | null;
  /** Ordinary (not perf) merged PRs per control repository, synthesized and verified as negative controls. */
  controls: number;
  /** The repositories controls run for (they build images: named, never implied). */
  controlRepos: string[];
  /** Labelled performance PRs per repository (from --labels), synthesized and verified: known positives. */
  labelled: number;
  /** Only the labelled PRs (and controls) are synthesized and verified, not classify's perf rows. */
  labelledOnly: boolean;
  /** The folder of labelled sets, one `<owner>__<name>.csv` per repository. */
  labels: string;
}

/** The labelled sets committed with the evals (tools/eval/labels). */
export const DEFAULT_LABELS = resolve(import.meta.dirname, 'labels');

/** The steering repository's vendored asv archives next to the checkout (`../shared/vendor`), as the demo and CI use. */
export const DEFAULT_ASV_SOURCE = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'vendor');
const REPO_NAME = /^[^/\s]+\/[^/\s]+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function repoList(flag: string, value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`Invalid ${flag}: empty list`);
  for (const n of names) if (!REPO_NAME.test(n)) throw new UsageError(`Invalid ${flag}: ${n} is not owner/name`);
  return [...new Set(names)];
}

function integer(flag: string, value: string | undefined, min: number): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new UsageError(`Invalid ${flag}: ${JSON.stringify(value)} is not an integer >= ${min}`);
  return n;
}

function day(flag: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new UsageError(`Invalid ${flag}: ${value}; expected YYYY-MM-DD`);
  return value;
}

/** The flags of the eval, for node's parseArgs. */
const EVAL_FLAGS = {
  store: { type: 'string' },
  work: { type: 'string', default: 'data/eval/synthesize' },
  since: { type: 'string' },
  until: { type: 'string' },
  months: { type: 'string', default: '24' },
  repos: { type: 'string' },
  'limit-per-repo': { type: 'string', default: '4' },
  'asv-source': { type: 'string' },
  'max-build-minutes': { type: 'string' },
  'synthesize-repos': { type: 'string' },
  'skip-synthesize': { type: 'boolean', default: false },
  'retry-failed': { type: 'boolean', default: false },
  verify: { type: 'boolean', default: false },
  'verify-minutes': { type: 'string' },
  'max-benchmarks': { type: 'string' },
  'max-param-sets': { type: 'string' },
  passes: { type: 'string' },
  controls: { type: 'string' },
  'control-repos': { type: 'string' },
  labelled: { type: 'string' },
  'labelled-only': { type: 'boolean', default: false },
  labels: { type: 'string' },
  reuse: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** The parsed flags, read by name. */
interface EvalFlags {
  str: (k: string) => string | undefined;
  bool: (k: string) => boolean;
}

function readEvalFlags(argv: readonly string[]): EvalFlags {
  // node's parseArgs takes `-1` for an option: join a negative number to its flag (`--limit-per-repo=-1`).
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(arg) && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: joined, options: EVAL_FLAGS }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { str: (k) => values[k] as string | undefined, bool: (k) => values[k] === true };
}

/** The verify flags, checked against each other and against the synthesized repositories (`scope`). */
function parseVerifyFlags(flags: EvalFlags, scope: readonly string[] | null) {
  const { str, bool } = flags;
  const verify = bool('verify');
  const verifyMinutes = integer('--verify-minutes', str('verify-minutes'), 1);
  const maxBenchmarks = integer('--max-benchmarks', str('max-benchmarks'), 1);
  const maxParamSets = integer('--max-param-sets', str('max-param-sets'), 1);
  const passes = integer('--passes', str('passes'), 1);
  if (passes !== null && passes > 2) throw new UsageError(`Invalid --passes: ${passes}; expected 1 or 2`);
  const controls = integer('--controls', str('controls'), 0) ?? 0;
  const controlRepos = repoList('--control-repos', str('control-repos'));
  const labelled = integer('--labelled', str('labelled'), 1) ?? 0;
  if (!verify && labelled > 0) throw new UsageError('--labelled needs --verify');
  if (bool('labelled-only') && labelled === 0) throw new UsageError('--labelled-only needs --labelled N');
  const verifyOnly = [verifyMinutes, maxBenchmarks, maxParamSets, passes].some((x) => x !== null);
  if (!verify && (verifyOnly || controls > 0 || controlRepos))
    throw new UsageError('--verify-minutes, --max-benchmarks, --max-param-sets, --passes and --controls need --verify');
  if (verify && bool('skip-synthesize'))
    throw new UsageError(
      '--verify and --skip-synthesize contradict each other: verify measures in the validated images',
    );
  if (controls > 0 && !controlRepos)
    throw new UsageError(
      'Missing --control-repos: name the repositories controls run for (each control builds an image)',
    );
  if (controlRepos && controls === 0) throw new UsageError('--control-repos needs --controls N (N >= 1)');
  if (scope)
    for (const r of controlRepos ?? [])
      if (!scope.includes(r)) throw new UsageError(`Invalid --control-repos: ${r} is not synthesized`);
  return {
    verify,
    verifyMinutes,
    maxBenchmarks,
    maxParamSets,
    passes: passes as 1 | 2 | null,
    controls,
    labelled,
    controlRepos: controlRepos ?? [],
  };
}

/**
 * Parses the command line. `--asv-source` defaults to `$DATASMITH_ASV_SOURCE`, else
 * ../shared/vendor next to the checkout when it exists, else none (an empty value also means none).
 */
export function parseEvalArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
): SynthEvalArgs {
  const flags = readEvalFlags(argv);
  const { str, bool } = flags;
  const help = bool('help');
  const store = str('store');
  if (!help && !store) throw new UsageError('Missing --store: an offline store of <owner>/<name>.git mirrors');
  const limit = integer('--limit-per-repo', str('limit-per-repo'), -1);
  if (limit === 0) throw new UsageError('Invalid --limit-per-repo: 0 would try nothing; give N >= 1 or -1 for all');
  const since = day('--since', str('since'));
  const until = day('--until', str('until'));
  if (since && until && since >= until)
    throw new UsageError(`Invalid window: --since ${since} is not before --until ${until}`);
  const repos = repoList('--repos', str('repos'));
  const synthesizeRepos = repoList('--synthesize-repos', str('synthesize-repos'));
  if (repos && synthesizeRepos)
    for (const r of synthesizeRepos)
      if (!repos.includes(r)) throw new UsageError(`Invalid --synthesize-repos: ${r} is not in --repos`);
  if (synthesizeRepos && bool('skip-synthesize'))
    throw new UsageError('--synthesize-repos and --skip-synthesize contradict each other');
  const verifyFlags = parseVerifyFlags(flags, synthesizeRepos ?? repos);
  const given = str('asv-source');
  const fromEnv = env.DATASMITH_ASV_SOURCE;
  const asvSource =
    given !== undefined ? given || null : fromEnv ? fromEnv : exists(DEFAULT_ASV_SOURCE) ? DEFAULT_ASV_SOURCE : null;
  return {
    help,
    store: store ?? '',
    work: str('work') ?? 'data/eval/synthesize',
    since,
    until,
    months: integer('--months', str('months'), 1) ?? 24,
    repos,
    limitPerRepo: limit ?? 4,
    asvSource,
    maxBuildMinutes: integer('--max-build-minutes', str('max-build-minutes'), 1),
    synthesizeRepos,
    skipSynthesize: bool('skip-synthesize'),
    retryFailed: bool('retry-failed'),
    reuse: bool('reuse'),
    json: bool('json'),
    verify: verifyFlags.verify,
    verifyMinutes: verifyFlags.verifyMinutes,
    maxBenchmarks: verifyFlags.maxBenchmarks,
    maxParamSets: verifyFlags.maxParamSets,
    passes: verifyFlags.passes,
    controls: verifyFlags.controls,
    labelled: verifyFlags.labelled,
    labelledOnly: bool('labelled-only'),
    labels: str('labels') ?? DEFAULT_LABELS,
    controlRepos: verifyFlags.controlRepos,
  };
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The window of the eval: `until` is the UTC day after the newest commit (the window is half-open,
 * so that commit is in it), `since` the same day `months` months earlier; either may be given.
 */
export function evalWindow(
  newestCommitMs: number,
  months: number,
  given: { since: string | null; until: string | null } = { since: null, until: null },
): { since: string; until: string } {
  const newest = new Date(newestCommitMs);
  const until = given.until ?? isoDay(Date.UTC(newest.getUTCFullYear(), newest.getUTCMonth(), newest.getUTCDate() + 1));
  if (given.since) return { since: given.since, until };
  const end = new Date(`${until}T00:00:00Z`);
  // Clamp the day (e.g. 2026-03-31 minus one month is 2026-02-28, not 2026-03-03).
  const y = end.getUTCFullYear();
  const m = end.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return { since: isoDay(Date.UTC(y, m, Math.min(end.getUTCDate(), lastDay))), until };
}

/** What the funnel reads of a `commits` / `classified` row (the columns the eval queries). */
export interface FunnelRow {
  kept: boolean;
  drop_reason: string | null;
}
export interface ClassifiedFunnelRow extends FunnelRow {
  is_perf_candidate: boolean;
  is_performance_commit: boolean;
}
export interface PerfFunnelRow {
  repo_name: string;
  sha: string;
  pr_base_sha: string | null;
}

/** One repository before synthesize: what collect, prepare and classify kept. */
export interface RepoFunnel {
  repo: string;
  /** Merged PRs collect found in the window (kept or not). */
  commits: number;
  /** Kept by collect (code changes with asv at the base). */
  collectKept: number;
  /** Passed prepare's gate (goes on to a classifier). */
  gated: number;
  /** Rows of the perf table (classified as performance work). */
  perfRows: number;
  /** Distinct (repository, pr_base_sha) of the perf rows: synthesize's tasks before the limit. */
  tasks: number;
  /** Every drop reason of the classified table (each dropped row keeps the first step's reason). */
  drops: Record<string, number>;
}

function countBy<T>(items: readonly T[], key: (item: T) => string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Sorted by count (descending), then name. */
export function sortCounts(counts: Readonly<Record<string, number>>): Array<[string, number]> {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** `a 2, b 1`; `-` when empty. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = sortCounts(counts);
  return entries.length === 0 ? '-' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

/**
 * The funnel of one repository. Tasks are grouped as synthesize groups them: one per (repository,
 * base sha), and a row without a base sha is a task of its own.
 */
export function funnelOf(
  repo: string,
  commits: readonly FunnelRow[],
  classified: readonly ClassifiedFunnelRow[],
  perf: readonly PerfFunnelRow[],
): RepoFunnel {
  const tasks = new Set(perf.map((r) => `${r.repo_name}@${r.pr_base_sha ?? `missing:${r.sha}`}`));
  return {
    repo,
    commits: commits.length,
    collectKept: commits.filter((r) => r.kept).length,
    gated: classified.filter((r) => r.is_perf_candidate).length,
    perfRows: perf.length,
    tasks: tasks.size,
    drops: countBy(classified, (r) => r.drop_reason),
  };
}

/**
 * What the eval reads of a `results.jsonl` line. Deliberately looser than `SynthesisResult` (stage
 * and reason are any string): the synthesize step gains stages and reasons, and the eval must
 * count them rather than reject the file.
 */
export const EvalResultRow = z.object({
  owner: z.string(),
  repo: z.string(),
  sha: z.string(),
  ok: z.boolean(),
  stage: z.string(),
  reason: z.string().nullable(),
  duration_s: z.number(),
  strategy: z.string().optional(),
  warnings: z.array(z.string()).default([]),
  attempts: z.array(z.object({ build_s: z.number().default(0) })).default([]),
});
export type EvalResultRow = z.infer<typeof EvalResultRow>;

/** Parses JSON lines with `schema`; a bad line is an error naming the file and line. */
function parseJsonLines<T extends z.ZodTypeAny>(text: string, file: string, schema: T): z.infer<T>[] {
  const rows: z.infer<T>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new Error(`Invalid results: ${file} line ${i + 1}: ${(error as Error).message}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`Invalid results: ${file} line ${i + 1}, ${issue?.path.join('.')}: ${issue?.message}`);
    }
    rows.push(parsed.data);
  });
  return rows;
}

/** Parses `results.jsonl` text; a bad line is an error naming the file and line. */
export function parseResults(text: string, file = 'results.jsonl'): EvalResultRow[] {
  return parseJsonLines(text, file, EvalResultRow);
}

/**
 * What is left of an eval-wide `--max-build-minutes` after the Docker build time (`build_s` of every
 * attempt) of the results so far, in whole minutes for the next synthesize run; null: no limit.
 */
export function remainingBuildMinutes(max: number | null, results: readonly EvalResultRow[]): number | null {
  if (max === null) return null;
  const spentS = results.reduce((s, r) => s + r.attempts.reduce((a, t) => a + t.build_s, 0), 0);
  return Math.max(0, Math.floor(max - spentS / 60));
}

/** One line of the eval table. Counts are null where the step did not run for the repository. */
export interface RepoEvalRow {
  repo: string;
  commits: number | null;
  collectKept: number | null;
  gated: number | null;
  perfRows: number | null;
  tasks: number | null;
  /** Tasks synthesize tried (results rows); null when synthesize did not run. */
  tried: number | null;
  validated: number | null;
  /** `stage:reason` → tasks. */
  failures: Record<string, number>;
  medianMinutes: number | null;
  warnings: Record<string, number>;
  /** Why a step did not run or failed, e.g. `collect failed: exit 1`. */
  notes: string[];
}

export interface EvalTable {
  rows: RepoEvalRow[];
  total: RepoEvalRow;
  /** validated / tried over every repository; null when nothing was tried. */
  validatedShare: number | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `stage:reason` of a failed result (`stage:unknown` without a reason). */
export function failureKey(r: Pick<EvalResultRow, 'stage' | 'reason'>): string {
  return `${r.stage}:${r.reason ?? 'unknown'}`;
}

export interface RepoInput {
  repo: string;
  funnel: RepoFunnel | null;
  /** Synthesize ran (its results were read), even with no task. */
  synthesized: boolean;
  notes?: string[];
}

function sumOrNull(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0);
}

function mergeCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/**
 * One line per repository (in the order given; a result of a repository not listed gets its own
 * line) and a total: tasks tried, validated, failures by `stage:reason`, median minutes per task.
 */
export function aggregate(repos: readonly RepoInput[], results: readonly EvalResultRow[]): EvalTable {
  const byRepo = new Map<string, EvalResultRow[]>();
  for (const r of results) {
    const name = `${r.owner}/${r.repo}`;
    byRepo.set(name, [...(byRepo.get(name) ?? []), r]);
  }
  const inputs = [...repos];
  for (const name of byRepo.keys())
    if (!inputs.some((i) => i.repo === name)) inputs.push({ repo: name, funnel: null, synthesized: true });
  const rows = inputs.map((input): RepoEvalRow => {
    const own = byRepo.get(input.repo) ?? [];
    const ran = input.synthesized || own.length > 0;
    const f = input.funnel;
    return {
      repo: input.repo,
      commits: f?.commits ?? null,
      collectKept: f?.collectKept ?? null,
      gated: f?.gated ?? null,
      perfRows: f?.perfRows ?? null,
      tasks: f?.tasks ?? null,
      tried: ran ? own.length : null,
      validated: ran ? own.filter((r) => r.ok).length : null,
      failures: countBy(own, (r) => (r.ok ? null : failureKey(r))),
      medianMinutes: median(own.map((r) => r.duration_s / 60)),
      warnings: countBy(
        own.flatMap((r) => r.warnings),
        (w) => w,
      ),
      notes: [...(input.notes ?? [])],
    };
  });
  const failures: Record<string, number> = {};
  const warnings: Record<string, number> = {};
  for (const row of rows) {
    mergeCounts(failures, row.failures);
    mergeCounts(warnings, row.warnings);
  }
  const total: RepoEvalRow = {
    repo: 'total',
    commits: sumOrNull(rows.map((r) => r.commits)),
    collectKept: sumOrNull(rows.map((r) => r.collectKept)),
    gated: sumOrNull(rows.map((r) => r.gated)),
    perfRows: sumOrNull(rows.map((r) => r.perfRows)),
    tasks: sumOrNull(rows.map((r) => r.tasks)),
    tried: sumOrNull(rows.map((r) => r.tried)),
    validated: sumOrNull(rows.map((r) => r.validated)),
    failures,
    // Over every task, not a median of the repositories' medians.
    medianMinutes: median(inputs.flatMap((i) => (byRepo.get(i.repo) ?? []).map((r) => r.duration_s / 60))),
    warnings,
    notes: [],
  };
  const validatedShare = total.tried ? (total.validated ?? 0) / total.tried : null;
  return { rows, total, validatedShare };
}

const HEADER = [
  'repository',
  'commits',
  'kept',
  'gated',
  'perf rows',
  'tasks',
  'tried',
  'validated',
  'failures (stage:reason)',
  'median min',
];

function cells(r: RepoEvalRow): string[] {
  const n = (v: number | null) => (v === null ? '-' : String(v));
  return [
    r.repo,
    n(r.commits),
    n(r.collectKept),
    n(r.gated),
    n(r.perfRows),
    n(r.tasks),
    n(r.tried),
    n(r.validated),
    formatCounts(r.failures),
    formatMinutes(r.medianMinutes),
  ];
}

/** Minutes with one decimal; `<0.1` for a task answered in seconds (a context failure, a cached image). */
export function formatMinutes(minutes: number | null): string {
  if (minutes === null) return '-';
  return minutes > 0 && minutes < 0.05 ? '<0.1' : minutes.toFixed(1);
}

/** Warnings counted by their code (the text before the first `:`), e.g. `unmapped_dependency 3`. */
export function warningCodes(warnings: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [w, n] of Object.entries(warnings)) {
    const code = w.split(':')[0]?.trim() || w;
    out[code] = (out[code] ?? 0) + n;
  }
  return out;
}

export function formatShare(table: EvalTable): string {
  const { total, validatedShare } = table;
  if (validatedShare === null) return 'validated: no task was tried';
  return `validated ${total.validated} of ${total.tried} tasks tried (${(100 * validatedShare).toFixed(1)}%)`;
}

/** A plain-text table: a header, one line per repository, a rule, the total, the validated share. */
export function formatText(table: EvalTable): string {
  const lines = [...table.rows.map(cells), cells(table.total)];
  const widths = HEADER.map((h, i) => Math.max(h.length, ...lines.map((c) => (c[i] ?? '').length)));
  const render = (c: readonly string[]) =>
    c
      .map((x, i) => (i === 0 || i === 8 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = render(widths.map((w) => '-'.repeat(w)));
  const body = lines.slice(0, -1).map(render);
  return [render(HEADER), rule, ...body, rule, render(lines[lines.length - 1] ?? []), '', formatShare(table)].join(
    '\n',
  );
}

const mdEscape = (s: string) => s.replaceAll('|', '\\|');

/** The same table in GitHub markdown (numbers right-aligned, total in bold), for the README. */
export function formatMarkdown(table: EvalTable, caption?: string): string {
  const align = HEADER.map((_, i) => (i === 0 || i === 8 ? '---' : '---:'));
  const row = (c: readonly string[]) => `| ${c.map(mdEscape).join(' | ')} |`;
  const total = cells(table.total).map((c) => (c === '-' ? c : `**${c}**`));
  return [
    ...(caption ? [caption, ''] : []),
    row(HEADER),
    `|${align.join('|')}|`,
    ...table.rows.map((r) => row(cells(r))),
    row(total),
    '',
    `${formatShare(table)}.`,
    '',
  ].join('\n');
}

/**
 * What the eval reads of a `verify.jsonl` line (looser than `VerifyResult`: the reason is any string,
 * so that a new reason is counted, not rejected).
 */
export const EvalVerifyRow = z.object({
  repo_name: z.string(),
  sha: z.string(),
  pr_number: z.number().nullable().optional(),
  verified: z.boolean(),
  speedup: z.number().nullable(),
  reason: z.string().nullable(),
  duration_s: z.number(),
  benchmarks: z.array(z.unknown()).default([]),
});
export type EvalVerifyRow = z.infer<typeof EvalVerifyRow>;

/** Parses `verify.jsonl` text; a bad line is an error naming the file and line. */
export function parseVerifyResults(text: string, file = 'verify.jsonl'): EvalVerifyRow[] {
  return parseJsonLines(text, file, EvalVerifyRow);
}

/**
 * What the verify stage does. verify itself keeps a task's earlier row when the image and its code
 * version are the same, whatever the measuring options were; so the eval resumes (`run`, verify keeps
 * the rows measured so far) only when its stamp `{ params, done }` has the same options, and makes
 * verify measure again (`remeasure`) otherwise — and without --reuse. `reuse`: skip the stage (same
 * options, finished, nothing upstream ran, output present).
 */
export function verifyPlan(
  stamp: string | null,
  params: unknown,
  state: { reuse: boolean; upstreamRan: boolean; outputExists: boolean },
): 'reuse' | 'run' | 'remeasure' {
  let previous: { params?: unknown; done?: unknown } | null = null;
  try {
    previous = stamp === null ? null : (JSON.parse(stamp) as { params?: unknown; done?: unknown });
  } catch {
    previous = null;
  }
  const same = previous !== null && JSON.stringify(previous.params) === JSON.stringify(params);
  if (!state.reuse || !same) return 'remeasure';
  if (previous?.done === true && !state.upstreamRan && state.outputExists) return 'reuse';
  return 'run';
}

/** The reason of a perf row whose base has no validated image: verify answers it without measuring. */
export const NOT_MEASURED = 'no_validated_image';

/** One line of the verify table. */
export interface VerifyEvalRow {
  repo: string;
  /** Tasks synthesize validated (results rows with ok); null when synthesize did not run. */
  validated: number | null;
  /** Rows verify took up: every reason but `no_validated_image` (those never reach an image). */
  measured: number;
  verified: number;
  /** Median of the verified tasks' speed-up (their best significantly faster benchmark). */
  medianSpeedup: number | null;
  /** Median minutes per measured task. */
  medianMinutes: number | null;
  /** Measuring minutes over every measured task divided by the verified ones: the cost of one verified task. */
  minutesPerVerified: number | null;
  /** Not-verified reasons of the measured tasks. */
  reasons: Record<string, number>;
}

export interface VerifyEvalInput {
  repo: string;
  validated: number | null;
  /** verify.jsonl rows; null when verify did not run for the repository. */
  rows: readonly EvalVerifyRow[] | null;
}

function verifyLine(repo: string, validated: number | null, rows: readonly EvalVerifyRow[]): VerifyEvalRow {
  const measured = rows.filter((r) => r.reason !== NOT_MEASURED);
  const verified = measured.filter((r) => r.verified);
  const minutes = measured.reduce((s, r) => s + r.duration_s / 60, 0);
  return {
    repo,
    validated,
    measured: measured.length,
    verified: verified.length,
    medianSpeedup: median(verified.flatMap((r) => (r.speedup === null ? [] : [r.speedup]))),
    medianMinutes: median(measured.map((r) => r.duration_s / 60)),
    minutesPerVerified: verified.length > 0 ? minutes / verified.length : null,
    reasons: countBy(measured, (r) => (r.verified ? null : (r.reason ?? 'unknown'))),
  };
}

/**
 * One line per repository where verify ran, and a total whose medians are over every task (not the
 * repositories' medians).
 */
export function aggregateVerify(inputs: readonly VerifyEvalInput[]): { rows: VerifyEvalRow[]; total: VerifyEvalRow } {
  const ran = inputs.filter((i): i is VerifyEvalInput & { rows: readonly EvalVerifyRow[] } => i.rows !== null);
  const rows = ran.map((i) => verifyLine(i.repo, i.validated, i.rows));
  const total = verifyLine(
    'total',
    sumOrNull(ran.map((i) => i.validated)),
    ran.flatMap((i) => i.rows),
  );
  return { rows, total };
}

/** What the control choice reads of a classified row. */
export interface ControlCandidate {
  sha: string;
  pr_base_sha: string | null;
  pr_merged_at: string;
  is_perf_candidate: boolean;
  is_performance_commit: boolean;
}

/**
 * Negative controls: `n` ordinary merged PRs of the classified table — through prepare's gate (they
 * change code) but not classified as performance work — each on a base of its own that no perf task
 * uses (so its image is built for it), newest first (their environments are the closest to the
 * validated ones), ties by sha. Deterministic: the same table gives the same shas.
 */
export function chooseControls(
  classified: readonly ControlCandidate[],
  perfBases: ReadonlySet<string>,
  n: number,
): string[] {
  const bases = new Set(perfBases);
  const out: string[] = [];
  const ordered = [...classified].sort((a, b) =>
    a.pr_merged_at !== b.pr_merged_at ? (a.pr_merged_at < b.pr_merged_at ? 1 : -1) : a.sha < b.sha ? -1 : 1,
  );
  for (const row of ordered) {
    if (out.length >= n) break;
    if (!row.is_perf_candidate || row.is_performance_commit || !row.pr_base_sha || bases.has(row.pr_base_sha)) continue;
    bases.add(row.pr_base_sha);
    out.push(row.sha);
  }
  return out;
}

/** A row of the classify output a labelled PR is looked up in. */
export interface LabelledCandidate {
  sha: string;
  pr_base_sha: string | null;
  pr_merged_at: string;
}

/**
 * Up to `n` labelled performance PRs that reached classify in the eval's window (collect and prepare
 * kept them: they are tasks the pipeline could build), newest first, one per base commit.
 */
export function chooseLabelled(
  labels: readonly { landed_sha: string; label: string }[],
  classified: readonly LabelledCandidate[],
  n: number,
): string[] {
  const perf = new Set(labels.filter((l) => l.label === 'perf').map((l) => l.landed_sha));
  const bases = new Set<string>();
  const out: string[] = [];
  const ordered = [...classified].sort((a, b) =>
    a.pr_merged_at !== b.pr_merged_at ? (a.pr_merged_at < b.pr_merged_at ? 1 : -1) : a.sha < b.sha ? -1 : 1,
  );
  for (const row of ordered) {
    if (out.length >= n) break;
    if (!perf.has(row.sha) || !row.pr_base_sha || bases.has(row.pr_base_sha)) continue;
    bases.add(row.pr_base_sha);
    out.push(row.sha);
  }
  return out;
}

const VERIFY_HEADER = [
  'repository',
  'validated',
  'measured',
  'verified',
  'median speed-up',
  'median min',
  'min/verified',
  'not verified (reason)',
];

/** `×1.42`; `-` when none. */
export function formatSpeedup(x: number | null): string {
  return x === null ? '-' : `×${x.toFixed(2)}`;
}

function verifyCells(r: VerifyEvalRow): string[] {
  return [
    r.repo,
    r.validated === null ? '-' : String(r.validated),
    String(r.measured),
    String(r.verified),
    formatSpeedup(r.medianSpeedup),
    formatMinutes(r.medianMinutes),
    formatMinutes(r.minutesPerVerified),
    formatCounts(r.reasons),
  ];
}

/** The verify table as plain text (aligned, total under a rule). */
export function formatVerifyText(table: { rows: VerifyEvalRow[]; total: VerifyEvalRow }): string {
  const lines = [...table.rows.map(verifyCells), verifyCells(table.total)];
  const widths = VERIFY_HEADER.map((h, i) => Math.max(h.length, ...lines.map((c) => (c[i] ?? '').length)));
  const last = VERIFY_HEADER.length - 1;
  const render = (c: readonly string[]) =>
    c
      .map((x, i) => (i === 0 || i === last ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = render(widths.map((w) => '-'.repeat(w)));
  return [
    render(VERIFY_HEADER),
    rule,
    ...lines.slice(0, -1).map(render),
    rule,
    render(lines[lines.length - 1] ?? []),
  ].join('\n');
}

/** The verify table in GitHub markdown (total in bold). */
export function formatVerifyMarkdown(table: { rows: VerifyEvalRow[]; total: VerifyEvalRow }, caption?: string): string {
  const last = VERIFY_HEADER.length - 1;
  const align = VERIFY_HEADER.map((_, i) => (i === 0 || i === last ? '---' : '---:'));
  const row = (c: readonly string[]) => `| ${c.map(mdEscape).join(' | ')} |`;
  const total = verifyCells(table.total).map((c) => (c === '-' ? c : `**${c}**`));
  return [
    ...(caption ? [caption, ''] : []),
    row(VERIFY_HEADER),
    `|${align.join('|')}|`,
    ...table.rows.map((r) => row(verifyCells(r))),
    row(total),
    '',
  ].join('\n');
}
