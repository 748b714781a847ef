/**
 * `npm run eval:synthesize -- --store DIR`: how many real repositories' mined performance PRs get a
 * validated Docker environment, offline.
 *
 * For each repository of the store (or `--repos`), runs the real CLI — collect over the window
 * (default: the 24 months before the newest commit of the store), prepare, classify with the rules
 * backend — then `datasmith synthesize` (rules backend, offline) on its perf table with at most
 * `--limit-per-repo` tasks, one context registry for the whole eval, `DATASMITH_ASV_SOURCE` set from
 * `--asv-source`. Everything goes into a work folder (default data/eval/synthesize, git-ignored), one
 * sub-folder per repository; `--reuse` skips a stage whose outputs exist for the same parameters, so a
 * killed eval resumes. Prints per repository commits, perf rows, tasks, tasks tried, validated,
 * failures by `stage:reason` and median minutes per task, a total and the validated share, and writes
 * the table to <work>/synthesize-eval.md (and .json). Progress (repository, stage, elapsed) goes to
 * stderr. Exit 0 when every stage ran (failed tasks are the measurement), 1 when a CLI step failed
 * for some repository, 2 on bad arguments.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OfflineStore } from '@datasmith/store';
import { queryRows, sqlLiteral } from '@datasmith/tables';
import { type LabelRow, parseLabels } from './metrics';
import {
  type ClassifiedFunnelRow,
  type ControlCandidate,
  type LabelledCandidate,
  chooseLabelled,
  type EvalResultRow,
  type EvalVerifyRow,
  type FunnelRow,
  type PerfFunnelRow,
  type RepoFunnel,
  type RepoInput,
  NOT_MEASURED,
  USAGE,
  UsageError,
  type VerifyEvalInput,
  aggregateVerify,
  verifyPlan,
  chooseControls,
  formatVerifyMarkdown,
  formatVerifyText,
  parseVerifyResults,
  aggregate,
  evalWindow,
  formatCounts,
  formatMarkdown,
  formatText,
  funnelOf,
  parseEvalArgs,
  parseResults,
  remainingBuildMinutes,
  warningCodes,
} from './synthesize-metrics';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'libs', 'cli', 'bin', 'datasmith.js');

function fail(message: string, code = 2): never {
  process.stderr.write(`eval:synthesize: ${message}\n`);
  process.exit(code);
}

const args = (() => {
  try {
    return parseEvalArgs(process.argv.slice(2), process.env, existsSync);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n${USAGE}`);
    throw error;
  }
})();
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const started = Date.now();
const clock = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};
/** Progress goes to stderr, so that `--json` keeps stdout machine-readable. */
const progress = (line: string) => process.stderr.write(`[${clock(Date.now() - started)}] ${line}\n`);

const store = resolve(args.store);
if (!existsSync(store)) fail(`Missing store: ${store} does not exist`);
const offline = new OfflineStore(store);
const storeRepos = (await offline.listRepos()).map((r) => r.repo_name);
if (storeRepos.length === 0) fail(`Empty store: no <owner>/<name>.git mirror under ${store}`);
for (const r of args.repos ?? [])
  if (!storeRepos.includes(r)) fail(`Unknown repository: ${r} is not in ${store} (has ${storeRepos.join(', ')})`);
const repos = args.repos ?? storeRepos;

/** Committer time (ms) of the newest HEAD commit over every mirror of the store (git reads only). */
function newestCommitMs(): number {
  let newest = 0;
  for (const repo of storeRepos) {
    const run = spawnSync('git', ['--git-dir', offline.mirrorPath(repo), 'log', '-1', '--format=%ct', 'HEAD'], {
      encoding: 'utf8',
    });
    const seconds = Number(run.stdout.trim());
    if (run.status === 0 && Number.isFinite(seconds)) newest = Math.max(newest, seconds * 1000);
  }
  if (newest === 0) fail(`No commit found in the mirrors of ${store}`);
  return newest;
}
const window =
  args.since && args.until
    ? { since: args.since, until: args.until }
    : evalWindow(newestCommitMs(), args.months, { since: args.since, until: args.until });
const work = resolve(args.work);
const registry = join(work, 'context-registry.json');
const synthesizeFor = new Set(args.skipSynthesize ? [] : (args.synthesizeRepos ?? repos));

const childEnv: NodeJS.ProcessEnv = { ...process.env };
if (args.asvSource) childEnv.DATASMITH_ASV_SOURCE = resolve(args.asvSource);
else delete childEnv.DATASMITH_ASV_SOURCE;

let current: ChildProcess | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    current?.kill(signal);
    progress(`${signal}: stopped; run again with --reuse to resume`);
    process.exit(130);
  });

interface CliRun {
  code: number;
  /** `exit N`, or `killed by SIGTERM` when a signal ended the step. */
  status: string;
  stdout: string;
  stderrTail: string[];
}

/** Runs `datasmith <args>` and streams its log lines as progress, with a heartbeat every minute. */
function datasmith(label: string, cliArgs: string[]): Promise<CliRun> {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [bin, ...cliArgs], { cwd: root, env: childEnv, stdio: 'pipe' });
    current = child;
    let stdout = '';
    const tail: string[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        progress(`${label}: ${line}`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    });
    const heartbeat = setInterval(() => progress(`${label}: running for ${clock(Date.now() - t0)}`), 60_000);
    child.on('close', (code, signal) => {
      clearInterval(heartbeat);
      current = null;
      if (partial.trim() !== '') tail.push(partial);
      const summary = stdout.trim().split('\n').pop() ?? '';
      const status = code === null ? `killed by ${signal}` : `exit ${code}`;
      progress(
        `${label}: ${code === 0 ? 'done' : `failed (${status})`} in ${clock(Date.now() - t0)}${summary ? ` — ${summary}` : ''}`,
      );
      done({ code: code ?? 1, status, stdout, stderrTail: tail });
    });
  });
}

/** A stage's outputs are reused when --reuse is given, nothing upstream ran, and they exist for the same parameters. */
async function reusable(outputs: string[], stamp: string, params: unknown, upstreamRan: boolean): Promise<boolean> {
  if (!args.reuse || upstreamRan || !outputs.every((o) => existsSync(o)) || !existsSync(stamp)) return false;
  return (await readFile(stamp, 'utf8')) === JSON.stringify(params);
}

const parquet = (path: string) => `read_parquet(${sqlLiteral(path)})`;

async function readFunnel(repo: string, dir: string): Promise<RepoFunnel> {
  const commits = (await queryRows(
    `SELECT kept, drop_reason FROM ${parquet(join(dir, 'commits.parquet'))}`,
  )) as unknown as FunnelRow[];
  const classified = (await queryRows(
    `SELECT kept, drop_reason, is_perf_candidate, is_performance_commit FROM ${parquet(join(dir, 'classified.parquet'))}`,
  )) as unknown as ClassifiedFunnelRow[];
  const perf = (await queryRows(
    `SELECT repo_name, sha, pr_base_sha FROM ${parquet(join(dir, 'perf.parquet'))}`,
  )) as unknown as PerfFunnelRow[];
  return funnelOf(repo, commits, classified, perf);
}

/** The failure codes collect recorded for a repository, if any. */
async function collectFailures(commits: string): Promise<string> {
  const file = `${commits.replace(/\.parquet$/, '')}.failures.jsonl`;
  if (!existsSync(file)) return '';
  const codes = (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        const f = JSON.parse(line) as { code?: string; message?: string };
        return `${f.code}: ${f.message}`;
      } catch {
        return line;
      }
    });
  return codes.join('; ');
}

type StageError = (stage: string, run: CliRun, extra?: string) => void;

/**
 * `datasmith synthesize` (rules backend) on a perf table into <dir>/synthesize, reused when its
 * results exist for the same parameters; returns the results rows (null: none written) and whether it ran.
 */
async function synthesizeStage(
  label: string,
  perfPath: string,
  dir: string,
  limit: number,
  upstreamRan: boolean,
  stageError: StageError,
): Promise<{ rows: EvalResultRow[] | null; ran: boolean }> {
  const outDir = join(dir, 'synthesize');
  const resultsPath = join(outDir, 'results.jsonl');
  const params = { limitPerRepo: limit, asvSource: args.asvSource, retryFailed: args.retryFailed };
  const stamp = join(dir, 'synthesize.eval.json');
  let ran = false;
  if (await reusable([resultsPath], stamp, params, upstreamRan)) progress(`${label}: reused`);
  else {
    // No stale results: a run that dies before writing leaves none.
    await rm(stamp, { force: true });
    await rm(resultsPath, { force: true });
    const budget = remainingBuildMinutes(args.maxBuildMinutes, results);
    const run = await datasmith(label, [
      'synthesize',
      '--backend',
      'rules',
      '--in',
      perfPath,
      '--contexts',
      registry,
      '--out-dir',
      outDir,
      '--store',
      store,
      '--limit-per-repo',
      String(limit),
      ...(budget === null ? [] : ['--max-build-minutes', String(budget)]),
      ...(args.retryFailed ? ['--retry-failed'] : []),
    ]);
    ran = true;
    if (run.code !== 0) stageError('synthesize', run);
    else await writeFile(stamp, JSON.stringify(params));
  }
  if (!existsSync(resultsPath)) return { rows: null, ran };
  return { rows: parseResults(await readFile(resultsPath, 'utf8'), resultsPath), ran };
}

/**
 * `datasmith verify` on a perf table with the eval's context registry into <dir>/verify, reused when
 * verify.jsonl exists for the same parameters and synthesize did not run again; returns its rows
 * (null: none written).
 */
async function verifyStage(
  label: string,
  perfPath: string,
  dir: string,
  upstreamRan: boolean,
  stageError: StageError,
): Promise<EvalVerifyRow[] | null> {
  const outDir = join(dir, 'verify');
  const resultsPath = join(outDir, 'verify.jsonl');
  const params = {
    verifyMinutes: args.verifyMinutes,
    maxBenchmarks: args.maxBenchmarks,
    ...(args.maxParamSets === null ? {} : { maxParamSets: args.maxParamSets }),
    passes: args.passes,
  };
  const stamp = join(dir, 'verify.eval.json');
  const before = existsSync(stamp) ? await readFile(stamp, 'utf8') : null;
  const plan = verifyPlan(before, params, {
    reuse: args.reuse,
    upstreamRan,
    outputExists: existsSync(resultsPath),
  });
  if (plan === 'reuse') progress(`${label}: reused`);
  else if (!existsSync(registry)) {
    progress(`${label}: no context registry (${registry}), nothing to measure`);
    return null;
  } else {
    await writeFile(stamp, JSON.stringify({ params, done: false }));
    const run = await datasmith(label, [
      'verify',
      '--in',
      perfPath,
      '--contexts',
      registry,
      '--store',
      store,
      '--out-dir',
      outDir,
      ...(args.verifyMinutes === null ? [] : ['--verify-minutes', String(args.verifyMinutes)]),
      ...(args.maxBenchmarks === null ? [] : ['--max-benchmarks', String(args.maxBenchmarks)]),
      ...(args.maxParamSets === null ? [] : ['--max-param-sets', String(args.maxParamSets)]),
      ...(args.passes === null ? [] : ['--passes', String(args.passes)]),
      ...(plan === 'remeasure' ? ['--remeasure'] : []),
    ]);
    if (run.code !== 0) stageError('verify', run);
    else await writeFile(stamp, JSON.stringify({ params, done: true }));
  }
  if (!existsSync(resultsPath)) return null;
  const rows = parseVerifyResults(await readFile(resultsPath, 'utf8'), resultsPath);
  const measured = rows.filter((r) => r.reason !== NOT_MEASURED);
  progress(
    `${label}: ${measured.filter((r) => r.verified).length} of ${measured.length} measured tasks verified (${rows.length - measured.length} rows without a validated image)`,
  );
  return rows;
}

progress(
  `eval:synthesize: ${repos.length} repositories, window ${window.since} .. ${window.until}, ` +
    `limit ${args.limitPerRepo} per repository, synthesize for ${synthesizeFor.size}, ` +
    `asv source ${args.asvSource ?? '(none)'}, store ${store}, work ${work}`,
);
await mkdir(work, { recursive: true });
const inputs: RepoInput[] = [];
const results: EvalResultRow[] = [];
const verifyInputs: VerifyEvalInput[] = [];
const controlInputs: VerifyEvalInput[] = [];
const labelledInputs: VerifyEvalInput[] = [];
/**
 * Synthesizes and verifies a chosen group of one repository's PRs (`controls`, `labelled`) in its own
 * folder <dir>/<group>, the same way as the perf rows; the choice is reused while its parameters and
 * the classify output stay the same.
 */
async function measureGroup(
  repo: string,
  group: string,
  dir: string,
  label: (stage: string) => string,
  upstreamRan: boolean,
  params: Record<string, unknown>,
  stageError: StageError,
  choose: () => Promise<string[]>,
): Promise<VerifyEvalInput> {
  const groupDir = join(dir, group);
  await mkdir(groupDir, { recursive: true });
  const groupPerf = join(groupDir, 'perf.parquet');
  const stamp = join(groupDir, 'choose.eval.json');
  let chosen = false;
  if (await reusable([groupPerf], stamp, params, upstreamRan)) progress(`${label(group)}: reused`);
  else {
    await rm(stamp, { force: true });
    const shas = await choose();
    const list = shas.length > 0 ? shas.map(sqlLiteral).join(', ') : 'NULL';
    await rm(groupPerf, { force: true });
    await queryRows(
      `COPY (SELECT * FROM ${parquet(join(dir, 'classified.parquet'))} WHERE sha IN (${list}) ORDER BY sha) TO ${sqlLiteral(groupPerf)} (FORMAT parquet)`,
    );
    await writeFile(stamp, JSON.stringify(params));
    chosen = true;
  }
  const synth = await synthesizeStage(label(`${group} synthesize`), groupPerf, groupDir, -1, chosen, stageError);
  const validated = synth.rows ? synth.rows.filter((r) => r.ok).length : null;
  const rows = await verifyStage(label(`${group} verify`), groupPerf, groupDir, synth.ran, stageError);
  return { repo, validated, rows };
}

/** The labelled performance PRs of a repository (tools/eval/labels/<owner>__<name>.csv), or null without a file. */
async function labelledPerfPrs(repo: string): Promise<LabelRow[] | null> {
  const file = join(args.labels, `${repo.replace('/', '__')}.csv`);
  if (!existsSync(file)) return null;
  return parseLabels(await readFile(file, 'utf8'), file).filter((l) => l.label === 'perf');
}

let stageFailed = false;

for (const [i, repo] of repos.entries()) {
  const dir = join(work, repo.replace('/', '__'));
  await mkdir(dir, { recursive: true });
  const label = (stage: string) => `[${i + 1}/${repos.length}] ${repo} ${stage}`;
  const notes: string[] = [];
  const input: RepoInput = { repo, funnel: null, synthesized: false, notes };
  inputs.push(input);
  const stageError = (stage: string, run: CliRun, extra = '') => {
    stageFailed = true;
    const last = run.stderrTail[run.stderrTail.length - 1] ?? '';
    notes.push(`${stage} failed (${run.status})${extra ? `: ${extra}` : last ? `: ${last}` : ''}`);
  };

  const commits = join(dir, 'commits.parquet');
  const prepared = join(dir, 'prepared.parquet');
  const classified = join(dir, 'classified.parquet');
  const perf = join(dir, 'perf.parquet');
  let ran = false;

  const collectParams = { store, repo, ...window };
  const collectStamp = join(dir, 'collect.eval.json');
  if (await reusable([commits], collectStamp, collectParams, ran)) progress(`${label('collect')}: reused`);
  else {
    await rm(collectStamp, { force: true });
    const reposCsv = join(dir, 'repos.csv');
    await writeFile(reposCsv, `repo_name\n${repo}\n`);
    const run = await datasmith(label('collect'), [
      'collect',
      '--store',
      store,
      '--repos',
      reposCsv,
      '--since',
      window.since,
      '--until',
      window.until,
      '--out',
      commits,
    ]);
    ran = true;
    if (run.code !== 0 || !existsSync(commits)) {
      stageError('collect', run, await collectFailures(commits));
      continue;
    }
    await writeFile(collectStamp, JSON.stringify(collectParams));
  }

  const prepareStamp = join(dir, 'prepare.eval.json');
  if (await reusable([prepared], prepareStamp, {}, ran)) progress(`${label('prepare')}: reused`);
  else {
    await rm(prepareStamp, { force: true });
    const run = await datasmith(label('prepare'), ['prepare', '--in', commits, '--out', prepared]);
    ran = true;
    if (run.code !== 0) {
      stageError('prepare', run);
      continue;
    }
    await writeFile(prepareStamp, '{}');
  }

  const classifyStamp = join(dir, 'classify.eval.json');
  if (await reusable([perf, classified], classifyStamp, { backend: 'rules' }, ran))
    progress(`${label('classify')}: reused`);
  else {
    await rm(classifyStamp, { force: true });
    const run = await datasmith(label('classify'), [
      'classify',
      '--backend',
      'rules',
      '--in',
      prepared,
      '--out',
      perf,
      '--out-raw',
      classified,
    ]);
    ran = true;
    if (run.code !== 0) {
      stageError('classify', run);
      continue;
    }
    await writeFile(classifyStamp, JSON.stringify({ backend: 'rules' }));
  }
  input.funnel = await readFunnel(repo, dir);
  const f = input.funnel;
  progress(
    `${label('funnel')}: ${f.commits} merged PRs, ${f.collectKept} kept by collect, ${f.gated} gated, ` +
      `${f.perfRows} perf rows, ${f.tasks} tasks`,
  );

  if (!synthesizeFor.has(repo)) continue;
  if (args.labelledOnly) progress(`${label('synthesize')}: perf rows left out (--labelled-only)`);
  else if (f.perfRows === 0) {
    input.synthesized = true;
    progress(`${label('synthesize')}: no perf row, nothing to build`);
  } else {
    input.synthesized = true;
    const synth = await synthesizeStage(label('synthesize'), perf, dir, args.limitPerRepo, ran, stageError);
    if (synth.rows) {
      results.push(...synth.rows);
      const ok = synth.rows.filter((r) => r.ok).length;
      progress(`${label('synthesize')}: ${ok} of ${synth.rows.length} tasks validated`);
    } else input.synthesized = false;
    if (args.verify) {
      const validated = synth.rows ? synth.rows.filter((r) => r.ok).length : null;
      const measured = await verifyStage(label('verify'), perf, dir, synth.ran, stageError);
      verifyInputs.push({ repo, validated, rows: measured });
    }
  }

  if (!args.verify) continue;

  if (args.labelled > 0) {
    // Known performance PRs: the project's own release notes call them performance work.
    const labels = await labelledPerfPrs(repo);
    if (labels === null) progress(`${label('labelled')}: no label file for ${repo} in ${args.labels}`);
    else
      labelledInputs.push(
        await measureGroup(repo, 'labelled', dir, label, ran, { labelled: args.labelled }, stageError, async () => {
          const candidates = (await queryRows(
            `SELECT sha, pr_base_sha, CAST(pr_merged_at AS VARCHAR) AS pr_merged_at FROM ${parquet(classified)}`,
          )) as unknown as LabelledCandidate[];
          const shas = chooseLabelled(labels, candidates, args.labelled);
          progress(
            `${label('labelled')}: ${labels.length} labelled performance PRs, ${shas.length} chosen in the window: ${shas.map((x) => x.slice(0, 10)).join(', ') || '-'}`,
          );
          return shas;
        }),
      );
  }

  if (!args.controlRepos.includes(repo)) continue;
  // Negative controls: ordinary PRs of the same repository, synthesized and verified the same way.
  controlInputs.push(
    await measureGroup(repo, 'controls', dir, label, ran, { controls: args.controls }, stageError, async () => {
      const candidates = (await queryRows(
        `SELECT sha, pr_base_sha, CAST(pr_merged_at AS VARCHAR) AS pr_merged_at, is_perf_candidate, is_performance_commit FROM ${parquet(classified)}`,
      )) as unknown as ControlCandidate[];
      const bases = (
        await queryRows(`SELECT DISTINCT pr_base_sha FROM ${parquet(perf)} WHERE pr_base_sha IS NOT NULL`)
      ).map((r) => String(r.pr_base_sha));
      const shas = chooseControls(candidates, new Set(bases), args.controls);
      progress(
        `${label('controls')}: ${shas.length} ordinary PRs chosen: ${shas.map((x) => x.slice(0, 10)).join(', ') || '-'}`,
      );
      return shas;
    }),
  );
}

const table = aggregate(inputs, results);
const caption =
  `Synthesize eval (offline, rules backends): store \`${store}\`, merged PRs ${window.since} .. ${window.until} (UTC, end exclusive), ` +
  `at most ${args.limitPerRepo < 0 ? 'all' : args.limitPerRepo} task(s) per repository, ` +
  `asv source ${args.asvSource ? `\`${args.asvSource}\`` : 'none'}, run ${new Date().toISOString().slice(0, 10)}. ` +
  'Columns: merged PRs collected, kept by collect, gated by prepare, perf rows of classify, tasks (distinct base commits), ' +
  'tasks tried by synthesize (`-`: not run), validated, failures by `stage:reason`, median minutes per task.';
const verifyTable = args.verify ? aggregateVerify(verifyInputs) : null;
const controlTable = args.controls > 0 ? aggregateVerify(controlInputs) : null;
const labelledTable = args.labelled > 0 ? aggregateVerify(labelledInputs) : null;
const labelledCaption =
  `Labelled: up to ${args.labelled} PR(s) per repository that the project's own release notes call performance work ` +
  `(${args.labels}), synthesized and verified the same way: known positives, whatever classify said.`;
const verifyOptions =
  `--verify-minutes ${args.verifyMinutes ?? 'default'}, --max-benchmarks ${args.maxBenchmarks ?? 'default'}, ` +
  `--max-param-sets ${args.maxParamSets ?? 'default'}, ` +
  `--passes ${args.passes ?? 'default'}`;
const verifyCaption =
  `Verify (real asv in the validated images, ${verifyOptions}). Columns: tasks synthesize validated, ` +
  'tasks verify measured, verified (significantly faster), median speed-up of the verified tasks, median minutes ' +
  'per measured task, measuring minutes per verified task, not-verified reasons.';
const controlCaption =
  `Controls: ${args.controls} ordinary merged PR(s) per repository (gated by prepare, not classified as performance), ` +
  'synthesized and verified the same way; verified controls are false positives.';
await writeFile(
  join(work, 'synthesize-eval.md'),
  [
    formatMarkdown(table, caption),
    ...(verifyTable ? [formatVerifyMarkdown(verifyTable, verifyCaption)] : []),
    ...(labelledTable ? [formatVerifyMarkdown(labelledTable, labelledCaption)] : []),
    ...(controlTable ? [formatVerifyMarkdown(controlTable, controlCaption)] : []),
  ].join('\n'),
);
const report = {
  store,
  work,
  window,
  limit_per_repo: args.limitPerRepo,
  asv_source: args.asvSource,
  max_build_minutes: args.maxBuildMinutes,
  repos: table.rows,
  drops: Object.fromEntries(inputs.map((i) => [i.repo, i.funnel?.drops ?? null])),
  total: table.total,
  validated_share: table.validatedShare,
  verify: verifyTable
    ? {
        verify_minutes: args.verifyMinutes,
        max_benchmarks: args.maxBenchmarks,
        max_param_sets: args.maxParamSets,
        passes: args.passes,
        ...verifyTable,
      }
    : null,
  controls: controlTable ? { per_repo: args.controls, repos: args.controlRepos, ...controlTable } : null,
  labelled: labelledTable ? { per_repo: args.labelled, labels: args.labels, ...labelledTable } : null,
  elapsed_s: Math.round((Date.now() - started) / 1000),
};
await writeFile(join(work, 'synthesize-eval.json'), `${JSON.stringify(report, null, 2)}\n`);

if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('');
  out(formatText(table));
  out('');
  out('drop reasons (collect → prepare → classify):');
  for (const i of inputs) if (i.funnel) out(`  ${i.repo}: ${formatCounts(i.funnel.drops)}`);
  const warnings = formatCounts(warningCodes(table.total.warnings));
  if (warnings !== '-') out(`warnings of synthesize results: ${warnings}`);
  if (verifyTable) {
    out(`\nverify (${verifyOptions}):`);
    out(formatVerifyText(verifyTable));
  }
  if (labelledTable) {
    out(`\nlabelled (up to ${args.labelled} PR(s) per repository the project's release notes call performance work):`);
    out(formatVerifyText(labelledTable));
  }
  if (controlTable) {
    out(`\ncontrols (${args.controls} ordinary PR(s) per repository; verified controls are false positives):`);
    out(formatVerifyText(controlTable));
  }
  const notes = table.rows.flatMap((r) => r.notes.map((n) => `  ${r.repo}: ${n}`));
  if (notes.length > 0) out(`\nsteps that failed:\n${notes.join('\n')}`);
  out(`\nwrote ${join(work, 'synthesize-eval.md')} and synthesize-eval.json (${clock(Date.now() - started)})`);
}
process.exit(stageFailed ? 1 : 0);
