import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@datasmith/errors';
import { PARTITIONED_STEPS, type PartitionedStep, dataLayout, parseRepoName, repoSlug } from '@datasmith/paths';
import { queryRows, sqlLiteral } from '@datasmith/tables';
import { type TraceTables, traceMonth } from './month-stations';
import {
  ABSENCE_REASONS,
  type AbsenceReason,
  type Row,
  type Station,
  type TraceStep,
  absent,
  monthOfFile,
  station,
  str,
} from './station';

/** What the commits table says about the PR. */
export interface TracedPull {
  title: string;
  /** Where collect took the title from (`pull`, `message`, `commit`, `branch`, `none`); null in older tables. */
  title_source: string | null;
  merged_at: string;
  merge_style: string;
  sha: string;
  pr_base_sha: string | null;
  pr_merge_commit_sha: string;
}

export interface PrTrace {
  repo: string;
  number: number;
  outRoot: string;
  pull: TracedPull | null;
  /** The months the PR has rows in (one, unless the data is inconsistent). */
  months: string[];
  stations: Station[];
  /** The first step that dropped the PR (not carried), or where the trail stops, or `dataset`. */
  verdict: { status: 'kept' | 'dropped' | 'incomplete'; step: TraceStep; reason: string | null };
}

/** Parses `owner/name#N` (also `owner/name/pull/N`, a GitHub URL, or `owner/name N`). */
export function parsePrRef(value: string): { repo: string; number: number } {
  const trimmed = value
    .trim()
    .replace(/^https?:\/\/github\.com\//, '')
    .replace(/\/pulls?\//, '#');
  const match = /^([^#\s]+)(?:#|\s+)(\d+)$/.exec(trimmed);
  if (!match) {
    throw new InputError(
      `Invalid PR reference: ${JSON.stringify(value)}; expected owner/name#N, e.g. numpy/numpy#24567`,
    );
  }
  return { repo: parseRepoName(match[1] as string, 'PR reference').full, number: Number(match[2]) };
}

const MONTH_DIR = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The month folders of one step and repository, sorted. */
function monthsOf(root: string, step: PartitionedStep, repo: string): string[] {
  const dir = join(root, step, repoSlug(repo));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((m) => MONTH_DIR.test(m))
    .sort();
}

/** Rows of several Parquet files matching `where`, each with the file it came from. */
async function rowsIn(files: readonly string[], where: string): Promise<Array<{ file: string; row: Row }>> {
  const present = files.filter((f) => existsSync(f));
  if (present.length === 0) return [];
  const list = `[${present.map((f) => sqlLiteral(f)).join(', ')}]`;
  let rows: Row[];
  try {
    rows = await queryRows(
      `SELECT * FROM read_parquet(${list}, filename=true, union_by_name=true) WHERE ${where} ORDER BY filename`,
    );
  } catch (error) {
    throw new InputError(`Unreadable table among ${present.join(', ')}: ${(error as Error).message.split('\n')[0]}`);
  }
  return rows.map((row) => ({ file: String(row.filename), row }));
}

/** Every dataset config's train file under `<root>/dataset`. */
function datasetFiles(root: string): string[] {
  const dir = dataLayout(root).datasetDir;
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(dir, e.name, 'train-00000-of-00001.parquet'))
    .filter((f) => existsSync(f))
    .sort();
}

/** The error for a PR that no table has, naming every place it looked in. */
function notFoundError(
  repo: string,
  number: number,
  outRoot: string,
  monthsByStep: Record<PartitionedStep, string[]>,
  dataset: readonly string[],
): InputError {
  const layout = dataLayout(outRoot);
  const master = layout.masterTable;
  const places = PARTITIONED_STEPS.map((s) => {
    const m = monthsByStep[s];
    const dir = join(outRoot, s, repoSlug(repo));
    return m.length === 0
      ? `${dir} (no partition)`
      : `${dir} (${m.length} month${m.length === 1 ? '' : 's'}: ${m[0]}${m.length > 1 ? `…${m[m.length - 1]}` : ''})`;
  });
  places.push(`${master}${existsSync(master) ? '' : ' (missing)'}`);
  places.push(`${layout.datasetDir} (${dataset.length} config${dataset.length === 1 ? '' : 's'})`);
  return new InputError(`Not found: ${repo}#${number} is in no table under ${outRoot}; looked in ${places.join(', ')}`);
}

/** What the PR's first row (collect, prepare, classify or master) says about it. */
function tracedPullOf(first: Row | null): TracedPull | null {
  return first
    ? {
        title: str(first.pr_title) ?? '',
        title_source: str(first.pr_title_source),
        merged_at: str(first.pr_merged_at) ?? '',
        merge_style: str(first.merge_style) ?? 'unknown',
        sha: str(first.sha) ?? '',
        pr_base_sha: str(first.pr_base_sha),
        pr_merge_commit_sha: str(first.pr_merge_commit_sha) ?? '',
      }
    : null;
}

/** The master table's station: kept with its row, else why it has none. */
function masterStation(master: string, row: Row | undefined, droppedBefore: boolean): Station {
  if (!row) return absent('master', null, master, droppedBefore ? 'upstream_dropped' : 'not_in_master');
  return station('master', null, master, {
    status: 'kept',
    backend: str(row.backend),
    model: str(row.model),
    detail: `from ${str(row.origin)} ${str(row.month)}`,
  });
}

/** The dataset's station: kept with the configs that have the task, else why none has. */
function datasetStation(
  datasetDir: string,
  datasetRows: ReadonlyArray<{ file: string; row: Row }>,
  droppedBefore: boolean,
): Station {
  if (datasetRows.length === 0) {
    return absent('dataset', null, datasetDir, droppedBefore ? 'upstream_dropped' : 'not_in_dataset');
  }
  const row = (datasetRows[0] as { row: Row }).row;
  const configs = datasetRows.map((r) => /([^/\\]+)[/\\]train-00000-of-00001\.parquet$/.exec(r.file)?.[1]);
  return station('dataset', null, datasetDir, {
    status: 'kept',
    image: str(row.image_name),
    digest: str(row.image_digest),
    backend: str(row.backend),
    model: str(row.model),
    detail: `task ${str(row.task_id)} in config${configs.length === 1 ? '' : 's'} ${configs.join(', ')}`,
  });
}

/** The first step that dropped the PR (not carried, not verify), else the first gap, else the dataset. */
function verdictOf(stations: readonly Station[]): PrTrace['verdict'] {
  const decisive = stations.find((s) => s.status === 'dropped' && !s.inherited && s.step !== 'verify');
  const gap = stations.find((s) => s.status === 'absent' && s.step !== 'verify');
  return decisive
    ? { status: 'dropped', step: decisive.step, reason: decisive.reason }
    : gap
      ? { status: 'incomplete', step: gap.step, reason: gap.reason }
      : { status: 'kept', step: 'dataset', reason: null };
}

/**
 * Traces one PR through every table under `outRoot`: each month's collect, prepare and classify
 * rows, synthesize's result and publish's image for its base commit, then master and dataset.
 * Throws an InputError naming every place it looked when no table has the PR.
 */
export async function tracePullRequest(repo: string, number: number, outRoot = 'data'): Promise<PrTrace> {
  const layout = dataLayout(outRoot);
  const monthsByStep = Object.fromEntries(PARTITIONED_STEPS.map((s) => [s, monthsOf(outRoot, s, repo)])) as Record<
    PartitionedStep,
    string[]
  >;
  const byPr = `repo_name = ${sqlLiteral(repo)} AND pr_number = ${number}`;
  const rowsOfStep = (step: PartitionedStep, name?: string) =>
    rowsIn(
      monthsByStep[step].map((m) => layout.tablePath(step, repo, m, name)),
      byPr,
    );

  const commits = await rowsOfStep('collect');
  const prepared = await rowsOfStep('prepare');
  const classified = await rowsOfStep('classify', 'classified');
  const months = [
    ...new Set([...commits, ...prepared, ...classified].map((r) => monthOfFile(r.file)).filter(Boolean)),
  ].sort();

  const master = layout.masterTable;
  const masterRows = await rowsIn([master], byPr);
  const dataset = datasetFiles(outRoot);
  const datasetRows = await rowsIn(dataset, byPr);

  if (months.length === 0 && masterRows.length === 0 && datasetRows.length === 0) {
    throw notFoundError(repo, number, outRoot, monthsByStep, dataset);
  }

  const first = commits[0]?.row ?? prepared[0]?.row ?? classified[0]?.row ?? masterRows[0]?.row ?? null;
  const pull = tracedPullOf(first);
  const tables: TraceTables = {
    repo,
    number,
    layout,
    monthsByStep,
    commits,
    prepared,
    classified,
    sha: pull?.sha ?? null,
    baseSha: pull?.pr_base_sha ?? null,
    rowsIn,
  };
  const stations: Station[] = [];
  for (const month of months) await traceMonth(month, tables, stations);

  const droppedBefore = stations.some((s) => s.status === 'dropped');
  stations.push(masterStation(master, masterRows[0]?.row, droppedBefore));
  stations.push(datasetStation(layout.datasetDir, datasetRows, droppedBefore));
  return { repo, number, outRoot, pull, months, stations, verdict: verdictOf(stations) };
}

/** Title sources that are collect's reconstruction, not the PR's or its merge commit's own title. */
const DERIVED_TITLE = new Set(['commit', 'branch', 'none']);

/** The trace as text: a header, one line per station, the verdict. */
export function formatTrace(trace: PrTrace): string[] {
  const lines: string[] = [];
  const p = trace.pull;
  lines.push(
    p
      ? `${trace.repo}#${trace.number} ${JSON.stringify(p.title)}${p.title_source && DERIVED_TITLE.has(p.title_source) ? ` (title from the ${p.title_source === 'commit' ? "PR's commits" : p.title_source})` : ''}, merged ${p.merged_at} (${p.merge_style}), sha ${p.sha.slice(0, 12)}, base ${p.pr_base_sha?.slice(0, 12) ?? 'none'}`
      : `${trace.repo}#${trace.number}`,
  );
  for (const s of trace.stations) {
    const status = s.status === 'absent' ? '-' : s.status;
    const reason = s.reason ? `${s.reason}${s.inherited ? ' (carried)' : ''}` : '';
    const facts = [
      s.backend ? `backend=${s.backend}` : null,
      s.model ? `model=${s.model}` : null,
      s.attempts !== null ? `attempts=${s.attempts}` : null,
      s.registry ? `registry=${s.registry}` : null,
      s.image ? `image=${s.image}` : null,
      s.digest ? `digest=${s.digest.slice(0, 19)}` : null,
    ].filter(Boolean);
    const detail = [reason, ...facts, s.detail].filter(Boolean).join('  ');
    lines.push(`  ${s.step.padEnd(10)} ${(s.month ?? 'global').padEnd(7)} ${status.padEnd(7)} ${detail}`.trimEnd());
    for (const b of s.verify?.benchmarks ?? []) {
      const ratio = b.speedup === null ? '-' : `×${b.speedup}`;
      lines.push(
        `      ${b.change.padEnd(14)} ${ratio.padEnd(8)} ${b.name}${b.noisy ? ' (noisy)' : ''}  [${b.tier}: ${b.why}]`,
      );
    }
  }
  const v = trace.verdict;
  lines.push(
    v.status === 'kept'
      ? 'verdict: in the dataset'
      : v.status === 'dropped'
        ? `verdict: dropped at ${v.step} (${v.reason})`
        : `verdict: stops before ${v.step} (${v.reason}: ${ABSENCE_REASONS[v.reason as AbsenceReason] ?? ''})`,
  );
  return lines;
}

export type { AbsenceReason, Station, TraceStep, TracedVerify } from './station';
export { ABSENCE_REASONS } from './station';
