/**
 * `npm run eval:classify -- --store DIR`: the gate and each classifier backend measured on real
 * history against a labelled set (default /work/shared/eval/numpy-labels.csv, see its README).
 *
 * Runs the real CLI — collect → prepare → classify (rules; llm too with `--backends rules,llm`) —
 * over the labelled window into a work folder outside git, then prints, for PRs merged before the
 * split date (tune), from it on (test) and all: gate recall on `perf` and pass rate over all merged
 * PRs, and per backend recall, share of merged PRs flagged and precision among labelled PRs.
 * Exits 1 when a floor of FLOORS is missed on the test split or on all PRs (the tune split is what
 * the weights were fitted on, so it is printed, not enforced); 2 on bad arguments.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClassifiedRow, readTable } from '@datasmith/tables';
import {
  type EvalRow,
  FLOORS,
  type LabelRow,
  formatTable,
  labelKey,
  missedFloors,
  parseLabels,
  splitMetrics,
} from './metrics';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'libs', 'cli', 'bin', 'datasmith.js');
const USAGE = `usage: npm run eval:classify -- --store DIR [--labels CSV] [--work DIR] [--since D] [--until D]
       [--split 2023-01-01] [--backends rules[,llm]] [--gate-mode evidence|recall] [--reuse] [--misses] [--json]`;

function fail(message: string, code = 2): never {
  process.stderr.write(`eval:classify: ${message}\n`);
  process.exit(code);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        store: { type: 'string' },
        labels: { type: 'string', default: '/work/shared/eval/numpy-labels.csv' },
        work: { type: 'string', default: join('data', 'eval', 'classify') },
        since: { type: 'string' },
        until: { type: 'string' },
        split: { type: 'string', default: '2023-01-01' },
        backends: { type: 'string', default: 'rules' },
        'gate-mode': { type: 'string', default: 'recall' },
        reuse: { type: 'boolean', default: false },
        misses: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!values.store) fail(`Missing --store: an offline store holding the labelled repositories' mirrors\n${USAGE}`);
const backends = values.backends.split(',').map((b) => b.trim());
for (const b of backends) if (b !== 'rules' && b !== 'llm') fail(`Invalid --backends: ${b}; expected rules or llm`);
const gateMode = values['gate-mode'];
if (gateMode !== 'evidence' && gateMode !== 'recall')
  fail(`Invalid --gate-mode: ${gateMode}; expected evidence or recall`);
const splitAt = Date.parse(`${values.split}T00:00:00Z`);
if (Number.isNaN(splitAt)) fail(`Invalid --split: ${values.split}; expected YYYY-MM-DD`);
if (!existsSync(values.labels)) fail(`Missing labels: ${values.labels} does not exist`);

const labels = parseLabels(readFileSync(values.labels, 'utf8'), values.labels);
const labelMap = new Map<string, LabelRow>(labels.map((l) => [labelKey(l.repo_name, l.pr_number), l]));

/** First day (UTC) of the month of the earliest label, and of the month after the latest. */
function labelledWindow(rows: readonly LabelRow[]): { since: string; until: string } {
  const times = rows.map((l) => new Date(l.landed_at).getTime()).sort((a, b) => a - b);
  const first = new Date(times[0] ?? 0);
  const last = new Date(times[times.length - 1] ?? 0);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    since: day(new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1))),
    until: day(new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1))),
  };
}
const window = labelledWindow(labels);
const since = values.since ?? window.since;
const until = values.until ?? window.until;
const work = resolve(values.work);
const store = resolve(values.store);

function datasmith(args: string[]): string {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', values.json ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (run.status !== 0) {
    if (values.json) process.stderr.write(run.stderr ?? '');
    fail(`datasmith ${args[0]} failed (exit ${run.status ?? run.signal})`, 1);
  }
  return run.stdout.trim();
}

await mkdir(work, { recursive: true });
const reposCsv = join(work, 'repos.csv');
await writeFile(reposCsv, `repo_name\n${[...new Set(labels.map((l) => l.repo_name))].sort().join('\n')}\n`);
const commits = join(work, 'commits.parquet');
const prepared = join(work, `prepared.${gateMode}.parquet`);
const log = (line: string) => {
  if (!values.json) process.stdout.write(`${line}\n`);
};

log(
  `eval:classify: ${labels.length} labels, window ${since} .. ${until}, gate mode ${gateMode}, store ${store}, work ${work}`,
);
if (!(values.reuse && existsSync(commits))) {
  const out = datasmith([
    'collect',
    '--store',
    store,
    '--repos',
    reposCsv,
    '--since',
    since,
    '--until',
    until,
    '--out',
    commits,
  ]);
  log(out);
}
log(datasmith(['prepare', '--in', commits, '--out', prepared, '--gate-mode', gateMode]));
const classifiedBy = new Map<string, Map<string, ClassifiedRow>>();
let classifiedRows: ClassifiedRow[] = [];
for (const backend of backends) {
  const raw = join(work, `classified.${gateMode}.${backend}.parquet`);
  const perf = join(work, `perf.${gateMode}.${backend}.parquet`);
  log(datasmith(['classify', '--backend', backend, '--in', prepared, '--out', perf, '--out-raw', raw]));
  const rows = await readTable(raw, ClassifiedRow);
  classifiedBy.set(backend, new Map(rows.map((r) => [labelKey(r.repo_name, r.pr_number), r])));
  classifiedRows = rows;
}

const rows: EvalRow[] = classifiedRows.map((r) => {
  const key = labelKey(r.repo_name, r.pr_number);
  return {
    repo_name: r.repo_name,
    pr_number: r.pr_number,
    sha: r.sha,
    pr_merged_at: r.pr_merged_at,
    is_perf_candidate: r.is_perf_candidate,
    flagged: Object.fromEntries(
      backends.map((b) => [b, classifiedBy.get(b)?.get(key)?.is_performance_commit ?? false]),
    ),
  };
});
const byKey = new Map(rows.map((r) => [labelKey(r.repo_name, r.pr_number), r]));
const unmatched = labels.filter((l) => !byKey.has(labelKey(l.repo_name, l.pr_number)));
const otherSha = labels.filter((l) => {
  const row = byKey.get(labelKey(l.repo_name, l.pr_number));
  return row !== undefined && row.sha !== l.landed_sha;
});
const isTune = (r: EvalRow) => Date.parse(r.pr_merged_at) < splitAt;
const metrics = [
  splitMetrics(`tune (< ${values.split})`, rows.filter(isTune), labelMap, backends),
  splitMetrics(
    `test (>= ${values.split})`,
    rows.filter((r) => !isTune(r)),
    labelMap,
    backends,
  ),
  splitMetrics('all', rows, labelMap, backends),
];
const missed = metrics.slice(1).flatMap((m) => missedFloors(m));

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ since, until, split: values.split, gate_mode: gateMode, floors: FLOORS, metrics, unmatched: unmatched.length, other_sha: otherSha.length, missed }, null, 2)}\n`,
  );
} else {
  log('');
  log(formatTable(metrics, backends));
  log('');
  log(
    `labels matched ${labels.length - unmatched.length}/${labels.length}` +
      (otherSha.length > 0 ? `, ${otherSha.length} landed as another commit than labelled` : '') +
      (unmatched.length > 0 ? `; unmatched: ${unmatched.map((l) => `#${l.pr_number}`).join(' ')}` : ''),
  );
  log(
    `floors (test and all): gate recall >= ${100 * FLOORS.gateRecall}% passing <= ${100 * FLOORS.gatePassRate}% of merged PRs; ` +
      `rules recall >= ${100 * FLOORS.rulesRecall}% flagging <= ${100 * FLOORS.rulesFlaggedShare}%`,
  );
  log(missed.length === 0 ? 'floors: all met' : `floors missed:\n  ${missed.join('\n  ')}`);
}

if (values.misses && !values.json) {
  const explain = new Map(classifiedRows.map((r) => [labelKey(r.repo_name, r.pr_number), r]));
  const perfLabels = labels.filter((l) => l.label === 'perf');
  const subject = (r: ClassifiedRow) => r.pr_title || (r.message.split('\n')[0] ?? '');
  log('\nperf PRs the gate drops:');
  for (const l of perfLabels) {
    const r = explain.get(labelKey(l.repo_name, l.pr_number));
    if (r && !r.is_perf_candidate)
      log(`  #${l.pr_number} ${subject(r)}\n    ${r.drop_reason}: ${r.perf_gate_explanation}`);
  }
  for (const backend of backends) {
    log(`\nperf PRs the gate passes and ${backend} does not flag:`);
    for (const l of perfLabels) {
      const key = labelKey(l.repo_name, l.pr_number);
      const r = classifiedBy.get(backend)?.get(key);
      if (r?.is_perf_candidate && !r.is_performance_commit)
        log(`  #${l.pr_number} ${subject(r)}\n    ${r.classification_explanation}`);
    }
  }
}
process.exit(missed.length === 0 ? 0 : 1);
