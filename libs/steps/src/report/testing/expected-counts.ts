import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { configDataPath } from '@datasmith/hub';
import { dataLayout } from '@datasmith/paths';
import {
  ClassifiedRow,
  CommitRow,
  DatasetRow,
  ImageRow,
  PreparedRow,
  type SynthesisResult,
  VerifiedRow,
  readTable,
} from '@datasmith/tables';
import { findPartitionFiles } from '../../merge/partitions';
import { readSynthesisResults } from '../../publish/tasks';

/** What the page must show for one month, counted in plain JS from the tables (tests). */
export interface ExpectedMonth {
  month: string;
  /** Count per stage label, in funnel order. */
  stages: Array<{ label: string; count: number; drops: Record<string, number> }>;
  buildMinutes: number | null;
  /** Failed synthesize tasks by reason. */
  failures: Record<string, number>;
  /** Rows of the dataset's month config. */
  tasks: DatasetRow[];
}

export interface ExpectedReport {
  months: ExpectedMonth[];
  /** Merged PRs and dataset tasks per repository, every month. */
  repos: Record<string, { merged: number; tasks: number }>;
  /** Classified rows decided per `backend|model|version`. */
  classifiers: Record<string, number>;
  llm: { decisions: number; calls: number; promptTokens: number; completionTokens: number };
}

const LABELS = [
  'merged PRs',
  'collected',
  'perf candidates',
  'performance PRs',
  'validated images',
  'published images',
  'dataset tasks',
  'speed-up verified',
];
const VALIDATION_STAGES = new Set(['repo', 'secrets', 'shim', 'import', 'discover', 'benchmark', 'tests']);

/**
 * TEST-ONLY: the report's numbers computed without SQL, row by row, from the partition files of a
 * data root: each merged PR walks the stages until one does not pass it, and its reason is counted.
 */
export async function expectedReport(root: string): Promise<ExpectedReport> {
  const layout = dataLayout(root);
  const datasetFile = join(layout.datasetDir, configDataPath('default'));
  const dataset = existsSync(datasetFile) ? await readTable(datasetFile, DatasetRow) : null;
  const inDataset = new Set((dataset ?? []).map((d) => `${d.repo_name}|${d.pr_merge_commit_sha}|${d.pr_base_sha}`));
  const months: ExpectedMonth[] = [];
  const commitFiles = findPartitionFiles(root, 'collect', 'commits');
  let decisions = 0;
  const repos: ExpectedReport['repos'] = {};
  const classifiers: Record<string, number> = {};
  for (const month of [...new Set(commitFiles.map((f) => f.month))].sort()) {
    const counts = LABELS.map(() => 0);
    const drops = LABELS.map(() => ({}) as Record<string, number>);
    const failures: Record<string, number> = {};
    let buildSeconds: number | null = null;
    for (const file of commitFiles.filter((f) => f.month === month)) {
      const commits = await readTable(file.path, CommitRow);
      const preparedPath = layout.tablePath('prepare', file.repo, month, 'prepared');
      const classifiedPath = layout.tablePath('classify', file.repo, month, 'classified');
      const imagesPath = layout.tablePath('publish', file.repo, month, 'images');
      const resultsPath = layout.synthesizeResults(file.repo, month);
      const prepared = existsSync(preparedPath) ? await readTable(preparedPath, PreparedRow) : null;
      const classified = existsSync(classifiedPath) ? await readTable(classifiedPath, ClassifiedRow) : null;
      const images = existsSync(imagesPath) ? await readTable(imagesPath, ImageRow) : null;
      const results = existsSync(resultsPath) ? await readSynthesisResults(resultsPath) : null;
      const verifiedPath = layout.tablePath('verify', file.repo, month, 'verified');
      const verified = existsSync(verifiedPath) ? await readTable(verifiedPath, VerifiedRow) : null;
      const lastResult = new Map<string, SynthesisResult>();
      for (const r of results ?? []) lastResult.set(r.sha, r);
      for (const r of lastResult.values()) {
        buildSeconds = (buildSeconds ?? 0) + r.attempts.reduce((sum, a) => sum + a.build_s, 0);
        if (!r.ok) failures[r.reason ?? `stage:${r.stage}`] = (failures[r.reason ?? `stage:${r.stage}`] ?? 0) + 1;
      }
      decisions += (classified ?? []).filter((r) => r.backend === 'llm').length;
      for (const r of classified ?? []) {
        if (r.backend === null) continue;
        const key = `${r.backend}|${r.model ?? '—'}|${r.prompt_version ?? '—'}`;
        classifiers[key] = (classifiers[key] ?? 0) + 1;
      }
      const repoCounts = repos[file.repo] ?? { merged: 0, tasks: 0 };
      repos[file.repo] = repoCounts;
      for (const pr of commits) {
        const same = (r: { sha: string; pr_number: number | null }) => r.sha === pr.sha && r.pr_number === pr.pr_number;
        const p = prepared?.find(same);
        const k = classified?.find(same);
        const result = pr.pr_base_sha ? lastResult.get(pr.pr_base_sha) : undefined;
        const container = `${pr.repo_name.replace('/', '-')}-${pr.pr_base_sha}:final`.toLowerCase();
        const imageRows = images?.filter((i) => i.container_name === container) ?? [];
        const image = imageRows.find((i) => i.kept) ?? imageRows[0];
        const checks: Array<() => string | null> = [
          () => (pr.kept ? null : (pr.drop_reason ?? 'unspecified')),
          () => (!prepared ? 'not_run' : !p ? 'no_row' : p.kept ? null : (p.drop_reason ?? 'unspecified')),
          () =>
            !classified
              ? 'not_run'
              : !k
                ? 'no_row'
                : k.kept && k.is_performance_commit
                  ? null
                  : (k.drop_reason ?? 'unspecified'),
          () =>
            !results
              ? 'not_run'
              : !result
                ? 'no_result'
                : result.ok
                  ? null
                  : VALIDATION_STAGES.has(result.stage)
                    ? 'validation_failed'
                    : 'build_failed',
          () => (!images ? 'not_run' : !image ? 'no_image' : image.kept ? null : (image.drop_reason ?? 'unspecified')),
          () =>
            !dataset
              ? 'not_run'
              : inDataset.has(`${pr.repo_name}|${pr.pr_merge_commit_sha}|${pr.pr_base_sha}`)
                ? null
                : 'not_in_dataset',
          () => {
            const v = verified?.find((r) => r.pr_merge_commit_sha === pr.pr_merge_commit_sha);
            return !verified ? 'not_run' : !v ? 'not_measured' : v.verified ? null : (v.verify_reason ?? 'unspecified');
          },
        ];
        counts[0] = (counts[0] ?? 0) + 1;
        repoCounts.merged++;
        for (let i = 0; i < checks.length; i++) {
          const reason = checks[i]?.() ?? null;
          if (reason !== null) {
            const bucket = drops[i + 1] as Record<string, number>;
            bucket[reason] = (bucket[reason] ?? 0) + 1;
            break;
          }
          counts[i + 1] = (counts[i + 1] ?? 0) + 1;
          // The repository's yield counts dataset tasks (the stage before speed-up verified).
          if (LABELS[i + 1] === 'dataset tasks') repoCounts.tasks++;
        }
      }
    }
    const monthFile = join(layout.datasetDir, configDataPath(month));
    months.push({
      month,
      stages: LABELS.map((label, i) => ({ label, count: counts[i] ?? 0, drops: drops[i] ?? {} })),
      buildMinutes: buildSeconds === null ? null : buildSeconds / 60,
      failures,
      tasks: existsSync(monthFile) ? await readTable(monthFile, DatasetRow) : [],
    });
  }
  const llm = { decisions, calls: 0, promptTokens: 0, completionTokens: 0 };
  const memoDir = join(layout.memoDir, 'llm');
  if (existsSync(memoDir)) {
    for (const shard of readdirSync(memoDir)) {
      for (const file of readdirSync(join(memoDir, shard)).filter((f) => f.endsWith('.json'))) {
        const entry = JSON.parse(readFileSync(join(memoDir, shard, file), 'utf8')) as {
          value: { usage: { promptTokens: number; completionTokens: number } };
        };
        llm.calls++;
        llm.promptTokens += entry.value.usage.promptTokens;
        llm.completionTokens += entry.value.usage.completionTokens;
      }
    }
  }
  return { months, repos, classifiers, llm };
}
