import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@datasmith/errors';
import { configDataPath } from '@datasmith/hub';
import { type PartitionedStep, dataLayout } from '@datasmith/paths';
import { type QuerySession, SynthesisStage, openQuerySession, sqlLiteral } from '@datasmith/tables';
import { findPartitionFiles } from '../merge/partitions';
import { synthesisDropReason } from '../publish/tasks';
import {
  type ClassifierUsage,
  type DockerStats,
  FUNNEL_STAGES,
  type FunnelStage,
  type LlmUsage,
  type MeasuredSpeedup,
  type MonthReport,
  type PublishedTask,
  type ReasonCount,
  type RepoYield,
  type ReportData,
  type SourceCount,
} from './report-data';

/** Columns the report reads from each table, with the DuckDB type they are read as. */
const COLUMNS = {
  commits: {
    repo_name: 'VARCHAR',
    pr_number: 'BIGINT',
    pr_title: 'VARCHAR',
    sha: 'VARCHAR',
    pr_base_sha: 'VARCHAR',
    pr_merge_commit_sha: 'VARCHAR',
    kept: 'BOOLEAN',
    drop_reason: 'VARCHAR',
  },
  prepared: { sha: 'VARCHAR', pr_number: 'BIGINT', kept: 'BOOLEAN', drop_reason: 'VARCHAR' },
  classified: {
    sha: 'VARCHAR',
    pr_number: 'BIGINT',
    kept: 'BOOLEAN',
    drop_reason: 'VARCHAR',
    is_performance_commit: 'BOOLEAN',
    backend: 'VARCHAR',
    model: 'VARCHAR',
    prompt_version: 'VARCHAR',
    classification_confidence: 'DOUBLE',
  },
  images: { container_name: 'VARCHAR', kept: 'BOOLEAN', drop_reason: 'VARCHAR' },
  // A result's owner and repo name its partition's repository, which `repo` already holds.
  results: {
    sha: 'VARCHAR',
    ok: 'BOOLEAN',
    stage: 'VARCHAR',
    reason: 'VARCHAR',
    strategy: 'VARCHAR',
    duration_s: 'DOUBLE',
    attempts: 'STRUCT(build_s DOUBLE)[]',
  },
  verified: { pr_merge_commit_sha: 'VARCHAR', verified: 'BOOLEAN', speedup: 'DOUBLE', verify_reason: 'VARCHAR' },
  dataset: {
    task_id: 'VARCHAR',
    repo_name: 'VARCHAR',
    pr_number: 'BIGINT',
    pr_merged_at: 'VARCHAR',
    pr_merge_commit_sha: 'VARCHAR',
    pr_base_sha: 'VARCHAR',
    classification: 'VARCHAR',
    difficulty: 'VARCHAR',
    image_name: 'VARCHAR',
  },
} as const;
type LoadedTable = keyof typeof COLUMNS;

/** A table file of one partition. */
interface PartFile {
  repo: string;
  month: string;
  path: string;
}

const q = sqlLiteral;
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

function emptyTable(name: string, columns: Record<string, string>, partitioned: boolean): string {
  const cols = Object.entries(columns).map(([c, t]) => `${ident(c)} ${t}`);
  if (partitioned) cols.unshift('repo VARCHAR', 'month VARCHAR');
  if (partitioned) cols.push('ord BIGINT');
  return `CREATE TEMP TABLE ${name} (${cols.join(', ')})`;
}

/**
 * Loads partition files into a temp table with `repo` and `month` from their paths; a column the
 * files lack (an older table version) reads as NULL.
 */
async function loadPartitions(
  session: QuerySession,
  name: LoadedTable,
  files: readonly PartFile[],
  reader: (list: string) => string,
): Promise<void> {
  const columns = COLUMNS[name];
  if (files.length === 0) {
    await session.run(emptyTable(name, columns, true));
    return;
  }
  const parts = files.map((f) => `(${q(f.path)}, ${q(f.repo)}, ${q(f.month)})`).join(', ');
  const source = reader(`[${files.map((f) => q(f.path)).join(', ')}]`);
  const present = new Set((await session.rows(`DESCRIBE SELECT * FROM ${source}`)).map((r) => String(r.column_name)));
  const select = Object.entries(columns)
    .map(([c, t]) => `CAST(${present.has(c) ? `t.${ident(c)}` : 'NULL'} AS ${t}) AS ${ident(c)}`)
    .join(', ');
  await session.run(
    `CREATE TEMP TABLE ${name} AS SELECT p.repo, p.month, ${select}, t.ord
     FROM (SELECT *, row_number() OVER () AS ord FROM ${source}) t
     JOIN (VALUES ${parts}) p(path, repo, month) ON t.filename = p.path`,
  );
}

const parquetReader = (list: string) => `read_parquet(${list}, filename = true, union_by_name = true)`;
const jsonlReader = (list: string) => {
  const spec = Object.entries(COLUMNS.results)
    .map(([c, t]) => `${q(c)}: ${q(t)}`)
    .join(', ');
  return `read_json(${list}, format = 'newline_delimited', columns = {${spec}}, filename = true)`;
};

/** The funnel's stage conditions: a PR passes stage i when `pass` holds; else it stopped there for `reason`. */
function stageConditions(hasDataset: boolean): Array<{ pass: string; reason: string }> {
  const reasonOr = (table: string, ran: string, row: string) =>
    `CASE WHEN ${ran} IS NULL THEN 'not_run' WHEN NOT ${row} THEN 'no_row' ELSE coalesce(${table}.drop_reason, 'unspecified') END`;
  const stageReason = SynthesisStage.options
    .map((stage) => `WHEN ${q(stage)} THEN ${q(synthesisDropReason(stage))}`)
    .join(' ');
  return [
    { pass: 'c.kept', reason: "coalesce(c.drop_reason, 'unspecified')" },
    { pass: 'p.kept', reason: reasonOr('p', 'p_ran.ok', 'p.sha IS NOT NULL') },
    {
      pass: 'k.kept AND k.is_performance_commit',
      reason: reasonOr('k', 'k_ran.ok', 'k.sha IS NOT NULL'),
    },
    {
      pass: 'r.ok',
      reason: `CASE WHEN s_ran.ok IS NULL THEN 'not_run' WHEN r.sha IS NULL THEN 'no_result' ELSE (CASE r.stage ${stageReason} ELSE 'build_failed' END) END`,
    },
    {
      pass: 'i.kept',
      reason: `CASE WHEN i_ran.ok IS NULL THEN 'not_run' WHEN i.container_name IS NULL THEN 'no_image' ELSE coalesce(i.drop_reason, 'unspecified') END`,
    },
    {
      pass: 'd.pr_merge_commit_sha IS NOT NULL',
      reason: hasDataset ? "'not_in_dataset'" : "'not_run'",
    },
    {
      // Of the dataset's tasks, those whose gold patch verify measured significantly faster.
      pass: 'v.verified',
      reason: `CASE WHEN v_ran.ok IS NULL THEN 'not_run' WHEN v.pr_merge_commit_sha IS NULL THEN 'not_measured' ELSE coalesce(v.verify_reason, 'unspecified') END`,
    },
  ];
}

/** Partitions of a step that exist, as a table of (repo, month). */
function ranJoin(alias: string, step: string): string {
  return `LEFT JOIN (SELECT DISTINCT repo, month, true AS ok FROM parts WHERE step = ${q(step)}) ${alias}_ran
    ON ${alias}_ran.repo = c.repo AND ${alias}_ran.month = c.month`;
}

/** Builds `journey`: one row per merged PR with the number of stages it passed and why it stopped. */
async function buildJourney(session: QuerySession, hasDataset: boolean): Promise<void> {
  const conditions = stageConditions(hasDataset);
  const passed = `CASE ${conditions.map((s, i) => `WHEN NOT coalesce(${s.pass}, false) THEN ${i}`).join(' ')} ELSE ${conditions.length} END`;
  const reason = `CASE ${conditions.map((s) => `WHEN NOT coalesce(${s.pass}, false) THEN ${s.reason}`).join(' ')} ELSE NULL END`;
  await session.run(`
    CREATE TEMP TABLE results_last AS
      SELECT * FROM results
      QUALIFY row_number() OVER (PARTITION BY repo, month, sha ORDER BY ord DESC) = 1`);
  await session.run(`
    CREATE TEMP TABLE images_task AS
      SELECT repo, month, container_name, bool_or(kept) AS kept,
             min(drop_reason) FILTER (WHERE NOT kept) AS drop_reason
      FROM images GROUP BY ALL`);
  await session.run(`
    CREATE TEMP TABLE journey AS
    SELECT c.repo, c.month, c.pr_number, c.sha, ${passed} AS passed, ${reason} AS reason
    FROM commits c
    LEFT JOIN prepared p ON p.repo = c.repo AND p.month = c.month AND p.sha = c.sha AND p.pr_number = c.pr_number
    LEFT JOIN classified k ON k.repo = c.repo AND k.month = c.month AND k.sha = c.sha AND k.pr_number = c.pr_number
    LEFT JOIN results_last r ON r.repo = c.repo AND r.month = c.month AND r.sha = c.pr_base_sha
    LEFT JOIN images_task i ON i.repo = c.repo AND i.month = c.month
      AND i.container_name = lower(replace(c.repo, '/', '-') || '-' || c.pr_base_sha || ':final')
    LEFT JOIN (SELECT * FROM verified QUALIFY row_number() OVER (PARTITION BY repo, month, pr_merge_commit_sha ORDER BY ord DESC) = 1) v
      ON v.repo = c.repo AND v.month = c.month AND v.pr_merge_commit_sha = c.pr_merge_commit_sha
    LEFT JOIN (SELECT DISTINCT lower(repo_name) AS repo_key, pr_merge_commit_sha, pr_base_sha FROM dataset) d
      ON d.repo_key = lower(c.repo) AND d.pr_merge_commit_sha = c.pr_merge_commit_sha AND d.pr_base_sha = c.pr_base_sha
    ${ranJoin('p', 'prepare')}
    ${ranJoin('k', 'classify')}
    ${ranJoin('s', 'synthesize')}
    ${ranJoin('i', 'publish')}
    ${ranJoin('v', 'verify')}`);
}

function byReason(rows: ReadonlyArray<Record<string, unknown>>, key = 'reason', value = 'n'): ReasonCount[] {
  return rows
    .map((r) => ({ reason: String(r[key]), count: Number(r[value]) }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}

/** Funnels grouped by `groupBy` (`month`, `repo` or a constant), from `journey`. */
async function funnels(
  session: QuerySession,
  groupBy: string,
  hasData: (group: string, step: string | null) => boolean,
): Promise<Map<string, FunnelStage[]>> {
  const rows = await session.rows(
    `SELECT ${groupBy} AS grp, passed, reason, count(*) AS n FROM journey GROUP BY ALL ORDER BY ALL`,
  );
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const row of rows) {
    const g = String(row.grp);
    groups.set(g, [...(groups.get(g) ?? []), row]);
  }
  const out = new Map<string, FunnelStage[]>();
  for (const [group, list] of groups)
    out.set(
      group,
      stagesOf(list, (step) => hasData(group, step)),
    );
  return out;
}

function stagesOf(
  rows: ReadonlyArray<Record<string, unknown>>,
  hasData: (step: string | null) => boolean,
): FunnelStage[] {
  return FUNNEL_STAGES.map((stage, i) => ({
    key: stage.key,
    label: stage.label,
    count: rows.filter((r) => Number(r.passed) >= i).reduce((sum, r) => sum + Number(r.n), 0),
    hasData: hasData(stage.step),
    drops: i === 0 ? [] : byReason(rows.filter((r) => Number(r.passed) === i - 1)),
  }));
}

function emptyStages(hasData: (step: string | null) => boolean): FunnelStage[] {
  return stagesOf([], hasData);
}

/** Docker work from `results_last`, grouped by `groupBy`. */
async function dockerStats(session: QuerySession, groupBy: string): Promise<Map<string, DockerStats>> {
  const totals = await session.rows(`
    SELECT ${groupBy} AS grp, count(*) AS tasks, count(*) FILTER (WHERE ok) AS ok,
      coalesce(sum(list_sum(list_transform(attempts, a -> a.build_s))), 0) AS build_s,
      coalesce(sum(duration_s), 0) AS duration_s, coalesce(sum(len(attempts)), 0) AS attempts
    FROM results_last GROUP BY ALL ORDER BY ALL`);
  const failures = await session.rows(`
    SELECT ${groupBy} AS grp, coalesce(reason, 'stage:' || stage) AS reason, count(*) AS n
    FROM results_last WHERE NOT ok GROUP BY ALL ORDER BY ALL`);
  const strategies = await session.rows(`
    SELECT ${groupBy} AS grp, strategy AS reason, count(*) AS n FROM results_last GROUP BY ALL ORDER BY ALL`);
  const out = new Map<string, DockerStats>();
  for (const row of totals) {
    const group = String(row.grp);
    const tasks = Number(row.tasks);
    const ok = Number(row.ok);
    out.set(group, {
      tasks,
      ok,
      failed: tasks - ok,
      buildMinutes: Number(row.build_s) / 60,
      totalMinutes: Number(row.duration_s) / 60,
      attempts: Number(row.attempts),
      failures: byReason(failures.filter((r) => String(r.grp) === group)),
      strategies: byReason(strategies.filter((r) => String(r.grp) === group)),
    });
  }
  return out;
}

/** Decisions per classifier backend and model, grouped by `groupBy`. */
async function classifierUsage(session: QuerySession, groupBy: string): Promise<Map<string, ClassifierUsage[]>> {
  const rows = await session.rows(`
    SELECT ${groupBy} AS grp, backend, model, prompt_version, count(*) AS decided,
      count(*) FILTER (WHERE kept AND is_performance_commit) AS performance,
      count(*) FILTER (WHERE drop_reason = 'not_perf') AS not_performance,
      count(*) FILTER (WHERE drop_reason = 'classifier_error') AS errors,
      avg(classification_confidence) AS mean_confidence
    FROM classified WHERE backend IS NOT NULL GROUP BY ALL ORDER BY ALL`);
  const out = new Map<string, ClassifierUsage[]>();
  for (const row of rows) {
    const group = String(row.grp);
    out.set(group, [
      ...(out.get(group) ?? []),
      {
        backend: String(row.backend),
        model: row.model === null ? null : String(row.model),
        promptVersion: row.prompt_version === null ? null : String(row.prompt_version),
        decided: Number(row.decided),
        performance: Number(row.performance),
        notPerformance: Number(row.not_performance),
        errors: Number(row.errors),
        meanConfidence: row.mean_confidence === null ? null : Number(row.mean_confidence),
      },
    ]);
  }
  return out;
}

/** LLM decisions in the tables against the answers paid for (the memo's entries), per prompt version. */
async function llmUsage(session: QuerySession, memoGlob: string | null): Promise<LlmUsage[]> {
  if (memoGlob) {
    await session.run(`
      CREATE TEMP TABLE memo AS
      SELECT version, value.usage.promptTokens AS prompt_tokens, value.usage.completionTokens AS completion_tokens
      FROM read_json(${q(memoGlob)}, format = 'auto',
        columns = {version: 'VARCHAR', value: 'STRUCT(usage STRUCT(promptTokens BIGINT, completionTokens BIGINT))'})`);
  } else {
    await session.run('CREATE TEMP TABLE memo (version VARCHAR, prompt_tokens BIGINT, completion_tokens BIGINT)');
  }
  const rows = await session.rows(`
    WITH decisions AS (
      SELECT prompt_version AS version, count(*) AS decisions, list(DISTINCT model ORDER BY model) AS models
      FROM classified WHERE backend = 'llm' GROUP BY ALL),
    paid AS (
      SELECT version, count(*) AS calls, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens
      FROM memo GROUP BY ALL)
    SELECT coalesce(d.version, p.version) AS version, coalesce(d.decisions, 0) AS decisions, d.models,
      p.calls, p.prompt_tokens, p.completion_tokens
    FROM decisions d FULL JOIN paid p ON p.version IS NOT DISTINCT FROM d.version
    ORDER BY 1`);
  return rows.map((row) => {
    const calls = row.calls === null ? null : Number(row.calls);
    const decisions = Number(row.decisions);
    return {
      promptVersion: String(row.version ?? 'unknown'),
      models: ((row.models as unknown[] | null) ?? []).filter((m) => m !== null).map(String),
      decisions,
      calls,
      cacheHits: calls === null ? null : Math.max(0, decisions - calls),
      promptTokens: row.prompt_tokens === null ? null : Number(row.prompt_tokens),
      completionTokens: row.completion_tokens === null ? null : Number(row.completion_tokens),
    };
  });
}

async function publishedTasks(session: QuerySession): Promise<Map<string, PublishedTask[]>> {
  const rows = await session.rows(`
    SELECT substr(d.pr_merged_at, 1, 7) AS month, d.task_id, d.repo_name, d.pr_number, d.pr_merged_at,
      d.classification, d.difficulty, d.image_name,
      (SELECT any_value(c.pr_title) FROM commits c
        WHERE lower(c.repo) = lower(d.repo_name) AND c.pr_merge_commit_sha = d.pr_merge_commit_sha) AS title
    FROM dataset d ORDER BY d.pr_merged_at, d.repo_name, d.pr_number, d.task_id`);
  const out = new Map<string, PublishedTask[]>();
  for (const row of rows) {
    const month = String(row.month ?? 'unknown');
    out.set(month, [
      ...(out.get(month) ?? []),
      {
        taskId: String(row.task_id),
        repo: String(row.repo_name),
        prNumber: row.pr_number === null ? null : Number(row.pr_number),
        title: row.title === null ? null : String(row.title),
        mergedAt: row.pr_merged_at === null ? null : String(row.pr_merged_at),
        classification: String(row.classification),
        difficulty: String(row.difficulty),
        imageName: String(row.image_name),
      },
    ]);
  }
  return out;
}

/** `<root>/memo/llm/*\/*.json` when the memo holds LLM answers, else null. */
function memoGlob(memoDir: string): string | null {
  const dir = join(memoDir, 'llm');
  if (!existsSync(dir)) return null;
  const any = readdirSync(dir, { withFileTypes: true }).some(
    (d) => d.isDirectory() && readdirSync(join(dir, d.name)).some((f) => f.endsWith('.json')),
  );
  return any ? join(dir, '*', '*.json') : null;
}

/** The files a report reads: the partitions, the synthesize results beside them, the dataset and the memo. */
interface ReportFiles {
  partitions: Record<Exclude<PartitionedStep, 'synthesize'>, PartFile[]>;
  results: PartFile[];
  datasetFile: string;
  hasDataset: boolean;
  memo: string | null;
}

function findReportFiles(root: string): ReportFiles {
  const layout = dataLayout(root);
  const partitions: ReportFiles['partitions'] = {
    collect: findPartitionFiles(root, 'collect', 'commits'),
    prepare: findPartitionFiles(root, 'prepare', 'prepared'),
    classify: findPartitionFiles(root, 'classify', 'classified'),
    verify: findPartitionFiles(root, 'verify', 'verified'),
    publish: findPartitionFiles(root, 'publish', 'images'),
  };
  const known = new Map<string, { repo: string; month: string }>();
  for (const f of Object.values(partitions).flat()) known.set(`${f.repo}\0${f.month}`, f);
  const results: PartFile[] = [...known.values()]
    .map((p) => ({ ...p, path: layout.synthesizeResults(p.repo, p.month) }))
    .filter((p) => existsSync(p.path))
    .sort((a, b) => (a.month === b.month ? (a.repo < b.repo ? -1 : 1) : a.month < b.month ? -1 : 1));
  const datasetFile = join(layout.datasetDir, configDataPath('default'));
  return { partitions, results, datasetFile, hasDataset: existsSync(datasetFile), memo: memoGlob(layout.memoDir) };
}

/** Loads every table into the session, then the `parts` table (which step ran for which repository and month) and the journey; returns the parts. */
async function loadReportTables(
  session: QuerySession,
  files: ReportFiles,
): Promise<Array<{ step: string; repo: string; month: string }>> {
  const { partitions, results, hasDataset } = files;
  await loadPartitions(session, 'commits', partitions.collect, parquetReader);
  await loadPartitions(session, 'prepared', partitions.prepare, parquetReader);
  await loadPartitions(session, 'classified', partitions.classify, parquetReader);
  await loadPartitions(session, 'images', partitions.publish, parquetReader);
  await loadPartitions(session, 'verified', partitions.verify, parquetReader);
  await loadPartitions(session, 'results', results, jsonlReader);
  if (hasDataset) {
    const select = Object.entries(COLUMNS.dataset)
      .map(([c, t]) => `CAST(${ident(c)} AS ${t}) AS ${ident(c)}`)
      .join(', ');
    await session.run(`CREATE TEMP TABLE dataset AS SELECT ${select} FROM read_parquet(${q(files.datasetFile)})`);
  } else await session.run(emptyTable('dataset', COLUMNS.dataset, false));
  const parts = [
    ...Object.entries(partitions).flatMap(([step, partFiles]) => partFiles.map((f) => ({ step, ...f }))),
    ...results.map((f) => ({ step: 'synthesize', ...f })),
  ];
  await session.run(
    parts.length === 0
      ? 'CREATE TEMP TABLE parts (step VARCHAR, repo VARCHAR, month VARCHAR)'
      : `CREATE TEMP TABLE parts AS SELECT * FROM (VALUES ${parts
          .map((p) => `(${q(p.step)}, ${q(p.repo)}, ${q(p.month)})`)
          .join(', ')}) v(step, repo, month)`,
  );
  await buildJourney(session, hasDataset);
  return parts;
}

/** Every measured speed-up (the latest verify row of each PR), largest first. */
async function measuredSpeedups(session: QuerySession): Promise<MeasuredSpeedup[]> {
  return (
    await session.rows(`
        SELECT v.repo, v.month, any_value(c.pr_number) AS pr_number, v.speedup, v.verified
        FROM (SELECT * FROM verified QUALIFY row_number() OVER (PARTITION BY repo, month, pr_merge_commit_sha ORDER BY ord DESC) = 1) v
        LEFT JOIN commits c ON c.repo = v.repo AND c.month = v.month AND c.pr_merge_commit_sha = v.pr_merge_commit_sha
        WHERE v.speedup IS NOT NULL
        GROUP BY v.repo, v.month, v.pr_merge_commit_sha, v.speedup, v.verified
        ORDER BY v.speedup DESC, v.repo, v.month, v.pr_merge_commit_sha`)
  ).map((r) => ({
    repo: String(r.repo),
    month: String(r.month),
    prNumber: r.pr_number === null ? null : Number(r.pr_number),
    speedup: Number(r.speedup),
    verified: r.verified === true,
  }));
}

/**
 * Reads every table under the data root `root` (spec §9) and computes what the report shows: per
 * month the funnel from merged PRs to dataset tasks with the drop reason of every PR that stopped,
 * per-repository yields, classifier and LLM usage, Docker work and the published tasks. Every
 * number comes from a DuckDB query over the partition files, the synthesize results, the dataset's
 * default config and the LLM memo.
 */
export async function queryReportData(root: string): Promise<ReportData> {
  if (!existsSync(root)) throw new InputError(`Missing input: the data root ${root} does not exist`, { file: root });
  const files = findReportFiles(root);
  const { partitions, results, hasDataset } = files;
  const session = await openQuerySession();
  try {
    const parts = await loadReportTables(session, files);
    const stepRan = (step: string | null, match: (repo: string, month: string) => boolean) => {
      if (step === 'dataset') return hasDataset;
      const s = step ?? 'collect';
      return parts.some((p) => p.step === s && match(p.repo, p.month));
    };
    const months = [...new Set(parts.map((p) => p.month))].sort();
    const repos = [...new Set(parts.map((p) => p.repo))].sort();

    const byMonth = await funnels(session, 'month', (month, step) => stepRan(step, (_r, m) => m === month));
    const byRepo = await funnels(session, 'repo', (repo, step) => stepRan(step, (r) => r === repo));
    const total = await funnels(session, "'all'", (_g, step) => stepRan(step, () => true));
    const dockerByMonth = await dockerStats(session, 'month');
    const dockerTotal = await dockerStats(session, "'all'");
    const classifiersByMonth = await classifierUsage(session, 'month');
    const classifiersTotal = await classifierUsage(session, "'all'");
    const tasks = await publishedTasks(session);
    const speedups = await measuredSpeedups(session);
    const llm = await llmUsage(session, files.memo);
    const memoEntries = Number((await session.rows('SELECT count(*) AS n FROM memo'))[0]?.n ?? 0);
    const repoMonths = await session.rows('SELECT repo, count(DISTINCT month) AS n FROM parts GROUP BY ALL');

    const monthReports: MonthReport[] = months.map((month) => ({
      month,
      stages: byMonth.get(month) ?? emptyStages((step) => stepRan(step, (_r, m) => m === month)),
      classifiers: classifiersByMonth.get(month) ?? [],
      docker: dockerByMonth.get(month) ?? null,
      tasks: tasks.get(month) ?? [],
    }));
    const repoYields: RepoYield[] = repos.map((repo) => ({
      repo,
      months: Number(repoMonths.find((r) => r.repo === repo)?.n ?? 0),
      stages: byRepo.get(repo) ?? emptyStages((step) => stepRan(step, (r) => r === repo)),
    }));
    const sources: SourceCount[] = [
      { table: 'commits', files: partitions.collect.length },
      { table: 'prepared', files: partitions.prepare.length },
      { table: 'classified', files: partitions.classify.length },
      { table: 'results.jsonl', files: results.length },
      { table: 'images', files: partitions.publish.length },
      { table: 'dataset (default config)', files: hasDataset ? 1 : 0 },
      { table: 'LLM memo entries', files: memoEntries },
    ];
    return {
      months: monthReports,
      speedups,
      total: {
        stages: total.get('all') ?? emptyStages((step) => stepRan(step, () => true)),
        docker: dockerTotal.get('all') ?? null,
      },
      repos: repoYields,
      classifiers: classifiersTotal.get('all') ?? [],
      llm,
      sources,
    };
  } finally {
    session.close();
  }
}
