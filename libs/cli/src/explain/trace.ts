import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@datasmith/errors';
import { PARTITIONED_STEPS, type PartitionedStep, dataLayout, parseRepoName, repoSlug } from '@datasmith/paths';
import { synthesisDropReason } from '@datasmith/steps/publish/tasks';
import { SynthesisResult, type VerifyResult, parseVerifyJsonl, queryRows, sqlLiteral } from '@datasmith/tables';

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

type Row = Record<string, unknown>;

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

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function station(step: TraceStep, month: string | null, file: string, fields: Partial<Station>): Station {
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
function fromRow(
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

function absent(step: TraceStep, month: string | null, file: string, reason: AbsenceReason, detail = ''): Station {
  return station(step, month, file, { reason, detail: detail || ABSENCE_REASONS[reason] });
}

function firstLine(text: unknown, max = 160): string {
  const line = (str(text) ?? '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function readResults(file: string): SynthesisResult[] {
  if (!existsSync(file)) return [];
  const out: SynthesisResult[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const parsed = SynthesisResult.safeParse(JSON.parse(line));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

function readVerify(file: string): VerifyResult[] {
  return existsSync(file) ? parseVerifyJsonl(readFileSync(file, 'utf8')) : [];
}

/** The verify station of a measured row: kept when verified; otherwise `dropped` with verify's reason (informational). */
function verifyStation(file: string, month: string, r: VerifyResult): Station {
  const faster = r.benchmarks.filter((b) => b.change === 'faster').length;
  const shares = r.foreign_cpu_share.filter((x): x is number => x !== null);
  const busy =
    shares.length > 0 ? `; other work took up to ${Math.round(Math.max(...shares) * 100)} % of the pinned CPUs` : '';
  return station('verify', month, file, {
    status: r.verified ? 'kept' : 'dropped',
    reason: r.verified ? null : r.reason,
    image: r.image_name,
    digest: r.image_id,
    detail: `${r.verified ? 'verified' : 'not verified'}, speed-up ${r.speedup === null ? '-' : `×${r.speedup}`}; ${r.benchmarks.length} benchmarks measured, ${faster} faster${busy}; ${Math.round(r.duration_s)} s (${r.code_version})`,
    verify: {
      verified: r.verified,
      speedup: r.speedup,
      speedup_gmean: r.speedup_gmean,
      reason: r.reason,
      message: firstLine(r.message, 300),
      selection: r.selection,
      duration_s: r.duration_s,
      code_version: r.code_version,
      foreign_cpu_share: r.foreign_cpu_share,
      benchmarks: r.benchmarks.map((b) => ({
        name: b.name,
        tier: b.tier,
        why: b.why,
        change: b.change,
        speedup: b.speedup,
        noisy: b.noisy,
        before: b.before.value,
        after: b.after.value,
      })),
    },
  });
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

/**
 * Traces one PR through every table under `outRoot`: each month's collect, prepare and classify
 * rows, synthesize's result and publish's image for its base commit, then master and dataset.
 * Throws an InputError naming every place it looked when no table has the PR.
 */
export async function tracePullRequest(repo: string, number: number, outRoot = 'data'): Promise<PrTrace> {
  const layout = dataLayout(outRoot);
  const table = (step: PartitionedStep, month: string, name?: string) => layout.tablePath(step, repo, month, name);
  const monthsByStep = Object.fromEntries(PARTITIONED_STEPS.map((s) => [s, monthsOf(outRoot, s, repo)])) as Record<
    PartitionedStep,
    string[]
  >;
  const byPr = `repo_name = ${sqlLiteral(repo)} AND pr_number = ${number}`;
  const monthOfFile = (file: string) => /(\d{4}-\d{2})[/\\][^/\\]+$/.exec(file)?.[1] ?? '';

  const commits = await rowsIn(
    monthsByStep.collect.map((m) => table('collect', m)),
    byPr,
  );
  const prepared = await rowsIn(
    monthsByStep.prepare.map((m) => table('prepare', m)),
    byPr,
  );
  const classified = await rowsIn(
    monthsByStep.classify.map((m) => table('classify', m, 'classified')),
    byPr,
  );
  const months = [
    ...new Set([...commits, ...prepared, ...classified].map((r) => monthOfFile(r.file)).filter(Boolean)),
  ].sort();

  const master = layout.masterTable;
  const masterRows = await rowsIn([master], byPr);
  const dataset = datasetFiles(outRoot);
  const datasetRows = await rowsIn(dataset, byPr);

  if (months.length === 0 && masterRows.length === 0 && datasetRows.length === 0) {
    const places = PARTITIONED_STEPS.map((s) => {
      const m = monthsByStep[s];
      const dir = join(outRoot, s, repoSlug(repo));
      return m.length === 0
        ? `${dir} (no partition)`
        : `${dir} (${m.length} month${m.length === 1 ? '' : 's'}: ${m[0]}${m.length > 1 ? `…${m[m.length - 1]}` : ''})`;
    });
    places.push(`${master}${existsSync(master) ? '' : ' (missing)'}`);
    places.push(`${layout.datasetDir} (${dataset.length} config${dataset.length === 1 ? '' : 's'})`);
    throw new InputError(
      `Not found: ${repo}#${number} is in no table under ${outRoot}; looked in ${places.join(', ')}`,
    );
  }

  const first = commits[0]?.row ?? prepared[0]?.row ?? classified[0]?.row ?? masterRows[0]?.row ?? null;
  const pull: TracedPull | null = first
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
  const baseSha = pull?.pr_base_sha ?? null;

  const stations: Station[] = [];
  for (const month of months) {
    const last = () => stations[stations.length - 1];
    // verify's "not verified" leaves the task in the dataset (only its `verified` config is narrower): not a drop.
    const upstreamDropped = () =>
      stations.some((s) => s.month === month && s.status === 'dropped' && s.step !== 'verify');
    const rowFor = (rows: Array<{ file: string; row: Row }>) => rows.find((r) => monthOfFile(r.file) === month);

    // collect
    const commitsFile = table('collect', month);
    const c = rowFor(commits);
    if (c) {
      stations.push(
        fromRow('collect', month, commitsFile, c.row, c.row.kept === true, undefined, {
          detail: `${str(c.row.merge_style)} merge, ${c.row.total_files_changed} files, +${c.row.total_additions}/-${c.row.total_deletions}, has_asv=${c.row.has_asv}`,
        }),
      );
    } else {
      stations.push(absent('collect', month, commitsFile, existsSync(commitsFile) ? 'no_row' : 'not_run'));
    }

    // prepare
    const preparedFile = table('prepare', month);
    const p = rowFor(prepared);
    if (p) {
      const kept = p.row.is_perf_candidate === true;
      stations.push(
        fromRow('prepare', month, preparedFile, p.row, kept, last(), {
          detail: `${p.row.n_patch_tokens ?? '?'} patch tokens; ${firstLine(p.row.perf_gate_explanation)}`,
        }),
      );
    } else {
      stations.push(absent('prepare', month, preparedFile, existsSync(preparedFile) ? 'no_row' : 'not_run'));
    }

    // classify
    const classifiedFile = table('classify', month, 'classified');
    const k = rowFor(classified);
    if (k) {
      const kept = k.row.is_performance_commit === true && k.row.kept !== false && !k.row.drop_reason;
      const confidence = k.row.classification_confidence;
      stations.push(
        fromRow('classify', month, classifiedFile, k.row, kept, last(), {
          backend: str(k.row.backend),
          model: str(k.row.model),
          detail: [
            kept ? `${str(k.row.classification)}, ${str(k.row.difficulty)}` : null,
            confidence === null || confidence === undefined ? null : `confidence ${confidence}`,
            k.row.prompt_version ? `prompt ${str(k.row.prompt_version)}` : null,
            firstLine(k.row.classification_explanation, 120) || null,
          ]
            .filter(Boolean)
            .join('; '),
        }),
      );
    } else {
      stations.push(absent('classify', month, classifiedFile, existsSync(classifiedFile) ? 'no_row' : 'not_run'));
    }

    // synthesize: one task per base commit; its result may sit in another month when the base is shared.
    const resultsFile = layout.synthesizeResults(repo, month);
    if (upstreamDropped()) {
      stations.push(absent('synthesize', month, resultsFile, 'upstream_dropped'));
    } else {
      let found: { file: string; result: SynthesisResult } | null = null;
      for (const m of [month, ...monthsByStep.synthesize.filter((x) => x !== month)]) {
        const file = layout.synthesizeResults(repo, m);
        const result = readResults(file).find((r) => r.sha === baseSha || r.pr_numbers.includes(number));
        if (result) {
          found = { file, result };
          break;
        }
      }
      if (found) {
        const { result } = found;
        stations.push(
          station('synthesize', monthOfFile(found.file), found.file, {
            status: result.ok ? 'kept' : 'dropped',
            reason: result.ok ? null : synthesisDropReason(result.stage),
            backend: result.strategy,
            attempts: result.attempts.length,
            image: result.image_name,
            digest: result.image_id,
            detail: result.ok
              ? `validated (${result.benchmarks.length} benchmarks) in ${result.duration_s.toFixed(1)} s`
              : `failed at ${result.stage}${result.reason ? ` (${result.reason})` : ''}: ${firstLine(result.stderr_tail, 120)}`,
          }),
        );
      } else {
        stations.push(absent('synthesize', month, resultsFile, existsSync(resultsFile) ? 'no_result' : 'not_run'));
      }
    }

    // verify: shown when verify has run for the repository (it is optional in the graph).
    if (monthsByStep.verify.length > 0) {
      const verifyFile = layout.verifyResults(repo, month);
      if (upstreamDropped()) {
        stations.push(absent('verify', month, verifyFile, 'upstream_dropped'));
      } else {
        let found: { file: string; result: VerifyResult } | null = null;
        for (const m of [month, ...monthsByStep.verify.filter((x) => x !== month)]) {
          const file = layout.verifyResults(repo, m);
          const result = readVerify(file).find(
            (r) => (pull?.sha && r.sha === pull.sha) || (r.pr_number !== null && r.pr_number === number),
          );
          if (result) {
            found = { file, result };
            break;
          }
        }
        if (found) stations.push(verifyStation(found.file, monthOfFile(found.file), found.result));
        else stations.push(absent('verify', month, verifyFile, existsSync(verifyFile) ? 'no_row' : 'not_run'));
      }
    }

    // publish
    const imagesFile = table('publish', month, 'images');
    if (upstreamDropped()) {
      stations.push(absent('publish', month, imagesFile, 'upstream_dropped'));
    } else {
      const images = baseSha
        ? await rowsIn(
            monthsByStep.publish.map((m) => table('publish', m, 'images')),
            `repo_name = ${sqlLiteral(repo)} AND pr_base_sha = ${sqlLiteral(baseSha)}`,
          )
        : [];
      const image = images.find((r) => monthOfFile(r.file) === month) ?? images[0];
      if (image) {
        stations.push(
          fromRow('publish', monthOfFile(image.file), image.file, image.row, image.row.kept === true, undefined, {
            image: str(image.row.image_name),
            digest: str(image.row.digest) ?? str(image.row.image_id),
            registry: str(image.row.registry),
            detail: firstLine(image.row.publish_explanation),
          }),
        );
      } else {
        stations.push(absent('publish', month, imagesFile, existsSync(imagesFile) ? 'no_image' : 'not_run'));
      }
    }
  }

  const droppedBefore = stations.some((s) => s.status === 'dropped');
  const m = masterRows[0];
  if (m) {
    stations.push(
      station('master', null, master, {
        status: 'kept',
        backend: str(m.row.backend),
        model: str(m.row.model),
        detail: `from ${str(m.row.origin)} ${str(m.row.month)}`,
      }),
    );
  } else {
    stations.push(absent('master', null, master, droppedBefore ? 'upstream_dropped' : 'not_in_master'));
  }
  if (datasetRows.length > 0) {
    const row = (datasetRows[0] as { row: Row }).row;
    const configs = datasetRows.map((r) => /([^/\\]+)[/\\]train-00000-of-00001\.parquet$/.exec(r.file)?.[1]);
    stations.push(
      station('dataset', null, layout.datasetDir, {
        status: 'kept',
        image: str(row.image_name),
        digest: str(row.image_digest),
        backend: str(row.backend),
        model: str(row.model),
        detail: `task ${str(row.task_id)} in config${configs.length === 1 ? '' : 's'} ${configs.join(', ')}`,
      }),
    );
  } else {
    stations.push(absent('dataset', null, layout.datasetDir, droppedBefore ? 'upstream_dropped' : 'not_in_dataset'));
  }

  const decisive = stations.find((s) => s.status === 'dropped' && !s.inherited && s.step !== 'verify');
  const gap = stations.find((s) => s.status === 'absent' && s.step !== 'verify');
  const verdict: PrTrace['verdict'] = decisive
    ? { status: 'dropped', step: decisive.step, reason: decisive.reason }
    : gap
      ? { status: 'incomplete', step: gap.step, reason: gap.reason }
      : { status: 'kept', step: 'dataset', reason: null };
  return { repo, number, outRoot, pull, months, stations, verdict };
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
