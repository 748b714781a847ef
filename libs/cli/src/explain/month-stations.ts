import { existsSync, readFileSync } from 'node:fs';
import type { DataLayout, PartitionedStep } from '@datasmith/paths';
import { synthesisDropReason } from '@datasmith/steps/publish/tasks';
import { SynthesisResult, type VerifyResult, parseVerifyJsonl, sqlLiteral } from '@datasmith/tables';
import { type Row, type Station, absent, firstLine, fromRow, monthOfFile, station, str } from './station';

/** Rows of several Parquet files matching a SQL condition, each with the file it came from. */
export type RowsIn = (files: readonly string[], where: string) => Promise<Array<{ file: string; row: Row }>>;

/** What a trace has read before it walks the months: the PR's rows of the per-month tables, and where to read more. */
export interface TraceTables {
  repo: string;
  number: number;
  layout: DataLayout;
  monthsByStep: Record<PartitionedStep, string[]>;
  commits: Array<{ file: string; row: Row }>;
  prepared: Array<{ file: string; row: Row }>;
  classified: Array<{ file: string; row: Row }>;
  /** The PR's merge sha and base commit, from its first row (null when no per-month table has it). */
  sha: string | null;
  baseSha: string | null;
  rowsIn: RowsIn;
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

function rowOfMonth(rows: Array<{ file: string; row: Row }>, month: string) {
  return rows.find((r) => monthOfFile(r.file) === month);
}

function collectStation(month: string, tables: TraceTables): Station {
  const commitsFile = tables.layout.tablePath('collect', tables.repo, month);
  const c = rowOfMonth(tables.commits, month);
  if (!c) return absent('collect', month, commitsFile, existsSync(commitsFile) ? 'no_row' : 'not_run');
  return fromRow('collect', month, commitsFile, c.row, c.row.kept === true, undefined, {
    detail: `${str(c.row.merge_style)} merge, ${c.row.total_files_changed} files, +${c.row.total_additions}/-${c.row.total_deletions}, has_asv=${c.row.has_asv}`,
  });
}

function prepareStation(month: string, tables: TraceTables, previous: Station | undefined): Station {
  const preparedFile = tables.layout.tablePath('prepare', tables.repo, month);
  const p = rowOfMonth(tables.prepared, month);
  if (!p) return absent('prepare', month, preparedFile, existsSync(preparedFile) ? 'no_row' : 'not_run');
  const kept = p.row.is_perf_candidate === true;
  return fromRow('prepare', month, preparedFile, p.row, kept, previous, {
    detail: `${p.row.n_patch_tokens ?? '?'} patch tokens; ${firstLine(p.row.perf_gate_explanation)}`,
  });
}

function classifyStation(month: string, tables: TraceTables, previous: Station | undefined): Station {
  const classifiedFile = tables.layout.tablePath('classify', tables.repo, month, 'classified');
  const k = rowOfMonth(tables.classified, month);
  if (!k) return absent('classify', month, classifiedFile, existsSync(classifiedFile) ? 'no_row' : 'not_run');
  const kept = k.row.is_performance_commit === true && k.row.kept !== false && !k.row.drop_reason;
  const confidence = k.row.classification_confidence;
  return fromRow('classify', month, classifiedFile, k.row, kept, previous, {
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
  });
}

/** synthesize: one task per base commit; its result may sit in another month when the base is shared. */
function synthesizeStation(month: string, tables: TraceTables): Station {
  const { layout, repo, number } = tables;
  let found: { file: string; result: SynthesisResult } | null = null;
  for (const m of [month, ...tables.monthsByStep.synthesize.filter((x) => x !== month)]) {
    const file = layout.synthesizeResults(repo, m);
    const result = readResults(file).find((r) => r.sha === tables.baseSha || r.pr_numbers.includes(number));
    if (result) {
      found = { file, result };
      break;
    }
  }
  if (!found) {
    const resultsFile = layout.synthesizeResults(repo, month);
    return absent('synthesize', month, resultsFile, existsSync(resultsFile) ? 'no_result' : 'not_run');
  }
  const { result } = found;
  return station('synthesize', monthOfFile(found.file), found.file, {
    status: result.ok ? 'kept' : 'dropped',
    reason: result.ok ? null : synthesisDropReason(result.stage),
    backend: result.strategy,
    attempts: result.attempts.length,
    image: result.image_name,
    digest: result.image_id,
    detail: result.ok
      ? `validated (${result.benchmarks.length} benchmarks) in ${result.duration_s.toFixed(1)} s`
      : `failed at ${result.stage}${result.reason ? ` (${result.reason})` : ''}: ${firstLine(result.stderr_tail, 120)}`,
  });
}

/** verify's row for the PR, from this month or, failing that, another month verify ran for. */
function measuredStation(month: string, tables: TraceTables): Station {
  const { layout, repo, number } = tables;
  let found: { file: string; result: VerifyResult } | null = null;
  for (const m of [month, ...tables.monthsByStep.verify.filter((x) => x !== month)]) {
    const file = layout.verifyResults(repo, m);
    const result = readVerify(file).find(
      (r) => (tables.sha && r.sha === tables.sha) || (r.pr_number !== null && r.pr_number === number),
    );
    if (result) {
      found = { file, result };
      break;
    }
  }
  if (found) return verifyStation(found.file, monthOfFile(found.file), found.result);
  const verifyFile = layout.verifyResults(repo, month);
  return absent('verify', month, verifyFile, existsSync(verifyFile) ? 'no_row' : 'not_run');
}

/** publish: the image row of the PR's base commit, from this month or another. */
async function publishStation(month: string, tables: TraceTables): Promise<Station> {
  const { layout, repo, baseSha } = tables;
  const images = baseSha
    ? await tables.rowsIn(
        tables.monthsByStep.publish.map((m) => layout.tablePath('publish', repo, m, 'images')),
        `repo_name = ${sqlLiteral(repo)} AND pr_base_sha = ${sqlLiteral(baseSha)}`,
      )
    : [];
  const image = images.find((r) => monthOfFile(r.file) === month) ?? images[0];
  if (!image) {
    const imagesFile = layout.tablePath('publish', repo, month, 'images');
    return absent('publish', month, imagesFile, existsSync(imagesFile) ? 'no_image' : 'not_run');
  }
  return fromRow('publish', monthOfFile(image.file), image.file, image.row, image.row.kept === true, undefined, {
    image: str(image.row.image_name),
    digest: str(image.row.digest) ?? str(image.row.image_id),
    registry: str(image.row.registry),
    detail: firstLine(image.row.publish_explanation),
  });
}

/**
 * Appends one month's stations: collect, prepare, classify, synthesize, verify (when verify has run
 * for the repository: it is optional in the graph) and publish. A step after a drop in the month is
 * `upstream_dropped`.
 */
export async function traceMonth(month: string, tables: TraceTables, stations: Station[]): Promise<void> {
  const { layout, repo } = tables;
  const last = () => stations[stations.length - 1];
  // verify's "not verified" leaves the task in the dataset (only its `verified` config is narrower): not a drop.
  const upstreamDropped = () =>
    stations.some((s) => s.month === month && s.status === 'dropped' && s.step !== 'verify');
  stations.push(collectStation(month, tables));
  stations.push(prepareStation(month, tables, last()));
  stations.push(classifyStation(month, tables, last()));
  stations.push(
    upstreamDropped()
      ? absent('synthesize', month, layout.synthesizeResults(repo, month), 'upstream_dropped')
      : synthesizeStation(month, tables),
  );
  if (tables.monthsByStep.verify.length > 0) {
    stations.push(
      upstreamDropped()
        ? absent('verify', month, layout.verifyResults(repo, month), 'upstream_dropped')
        : measuredStation(month, tables),
    );
  }
  stations.push(
    upstreamDropped()
      ? absent('publish', month, layout.tablePath('publish', repo, month, 'images'), 'upstream_dropped')
      : await publishStation(month, tables),
  );
}
