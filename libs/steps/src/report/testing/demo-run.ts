import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeLocalLayout } from '@datasmith/hub';
import { createLlmClient } from '@datasmith/llm';
import { type FakeReply, type FakeRequest, startFakeOpenAiServer } from '@datasmith/llm/testing';
import { MemoStore } from '@datasmith/memo';
import { dataLayout, parseMonth } from '@datasmith/paths';
import { silentLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import {
  CLASSIFY_TABLE_KEYS,
  ClassifiedRow,
  CommitRow,
  ImageRow,
  MasterRow,
  PUBLISH_TABLE_KEYS,
  PreparedRow,
  type SynthesisResult,
  type SynthesisStage,
  TABLE_KEYS,
  VERIFY_TABLE_KEYS,
  VerifiedRow,
  readTable,
  writeFileAtomic,
  writeTable,
} from '@datasmith/tables';
import { DEMO_CASES, DEMO_MONTHS } from '../../../../../tools/demo/src/cases';
import { generateDemoStore } from '../../../../../tools/demo/src/generate';
import { classify } from '../../classify/classify';
import { storeDiscussionSource } from '../../classify/sources';
import { collect } from '../../collect/collect';
import { buildDataset, datasetConfigs, datasetHubFiles } from '../../dataset/dataset';
import { buildMaster } from '../../merge/merge';
import { findPartitionFiles } from '../../merge/partitions';
import { imageRowFor, writeImagesPartition } from '../../merge/testing/perf-fixtures';
import { prepare } from '../../prepare/prepare';

/** The repository whose months are classified by the llm backend (against a loopback fake). */
export const DEMO_LLM_REPO = 'orbit/textkit';
/** The model name the fake LLM is asked for. */
export const DEMO_LLM_MODEL = 'fake-model';

/** The last month synthesize and publish are stood in for: later months show those steps as not run. */
export const DEMO_SYNTHESIZE_THROUGH = '2024-06';

/** What {@link writeDemoRun} left on disk. */
export interface DemoRun {
  /** The data root (`<dir>/data`) in the layout of spec §9. */
  root: string;
  store: string;
  months: readonly string[];
  repos: readonly string[];
}

/** Deterministic answers: a PR is performance work when its report talks about speed. */
function fakeAnswer(request: FakeRequest): FakeReply {
  const messages = (request.body as { messages: Array<{ content: string }> }).messages;
  const user = messages[1]?.content ?? '';
  const perf = /\b(perf|faster|speed|slow|vectori[sz]e|cache)\b/i.test(user);
  return {
    content: JSON.stringify({
      is_performance_commit: perf,
      explanation: perf ? 'the change speeds up a hot path' : 'not a performance change',
      category: perf ? 'remove_or_reduce_work' : null,
      difficulty: perf ? 'medium' : null,
      confidence: 80,
      problem_statement: perf ? 'An operation is slower than it needs to be on large inputs.' : '',
    }),
    usage: { prompt_tokens: 1000 + (user.length % 500), completion_tokens: 40 + (user.length % 7) },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Synthesize results for one month's perf rows, without Docker: one task per base commit; every
 * third task fails (import or benchmark discovery), the others validate. Durations are derived
 * from the sha, so the file is the same on every run.
 */
function fakeSynthesisResults(perf: readonly ClassifiedRow[]): SynthesisResult[] {
  const byBase = new Map<string, ClassifiedRow[]>();
  for (const row of perf) {
    if (!row.pr_base_sha) continue;
    byBase.set(row.pr_base_sha, [...(byBase.get(row.pr_base_sha) ?? []), row]);
  }
  return [...byBase.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([sha, rows]) => {
      const n = Number.parseInt(sha.slice(0, 6), 16);
      const fail: SynthesisStage | null = n % 3 === 0 ? (n % 2 === 0 ? 'import' : 'discover') : null;
      const [owner, repo] = (rows[0]?.repo_name ?? 'x/y').split('/') as [string, string];
      const build = 30 + (n % 90);
      const attempts: SynthesisResult['attempts'] = [
        {
          attempt: 1,
          strategy: 'rules',
          variant: 'editable',
          script: '',
          ok: fail === null,
          rc: fail === null ? 0 : 1,
          stage: fail ?? 'validated',
          reason:
            fail === 'import' ? ('import_failed' as const) : fail === 'discover' ? ('no_benchmarks' as const) : null,
          duration_s: build + 12,
          build_s: build,
          deps_reused: false,
          stderr_tail: '',
          stdout_tail: '',
        },
      ];
      return {
        owner,
        repo,
        sha,
        image_name: `${owner}-${repo}-${sha}:final`.toLowerCase(),
        ok: fail === null,
        rc: fail === null ? 0 : 1,
        duration_s: build + 12,
        stage: attempts[0]?.stage ?? 'validated',
        strategy: 'rules' as const,
        attempts,
        reason: attempts[0]?.reason ?? null,
        image_id: fail === null ? `sha256:${sha256(`id:${sha}`)}` : null,
        pr_numbers: rows.flatMap((r) => (r.pr_number === null ? [] : [r.pr_number])).sort((a, b) => a - b),
        benchmarks: fail === null ? ['bench.TimeSuite.time_it'] : [],
        python_requested: '3.11',
        python_used: '3.11',
        base_release: 'bookworm',
        install_mode: null,
        asv_version: '0.6.4',
        benchmarks_excluded: [],
        warnings: [],
        stderr_tail: '',
        stdout_tail: '',
      };
    });
}

/**
 * A demo run on disk, for the report's tests: the demo store, then collect → prepare → classify
 * month by month for every repository with cases (rules backend, and the llm backend against a
 * loopback fake for {@link DEMO_LLM_REPO}, memoised under `data/memo`), partitions written with
 * the real layout. Without a Docker engine the later steps are stood in for: synthesize results
 * (every third task fails) for the months up to `synthesizeThrough`, images for the validated tasks
 * (one push fails), then the real merge and dataset functions write `data/dataset/`.
 */
export async function writeDemoRun(dir: string, options: { synthesizeThrough?: string } = {}): Promise<DemoRun> {
  const storeDir = join(dir, 'store');
  const root = join(dir, 'data');
  const layout = dataLayout(root);
  await generateDemoStore(storeDir);
  const store = new OfflineStore(storeDir);
  const memo = new MemoStore({ root: layout.memoDir });
  const repos = [...new Set(DEMO_CASES.map((c) => c.repo))].sort();
  const server = await startFakeOpenAiServer({ respond: fakeAnswer });
  const synthesizeThrough = options.synthesizeThrough ?? DEMO_SYNTHESIZE_THROUGH;
  let pushFailed = false;
  try {
    const llm = createLlmClient({
      settings: { baseURL: server.url, apiKey: 'k', model: DEMO_LLM_MODEL, temperature: 0, maxTokens: 1000 },
      memo,
      retry: { unitMs: 1, timeoutMs: 5000, retries: 2 },
    });
    for (const month of DEMO_MONTHS) {
      const window = parseMonth(month);
      const collected = await collect({ repos, window }, { store, memo, log: silentLogger });
      for (const repo of repos) {
        const commits = collected.rows.filter((r) => r.repo_name === repo);
        await writeTable(layout.tablePath('collect', repo, month, 'commits'), CommitRow, commits, TABLE_KEYS.commits);
        const prepared = (await prepare({ rows: commits }, { log: silentLogger })).rows;
        await writeTable(
          layout.tablePath('prepare', repo, month, 'prepared'),
          PreparedRow,
          prepared,
          CLASSIFY_TABLE_KEYS.prepared,
        );
        const backend = repo === DEMO_LLM_REPO ? 'llm' : 'rules';
        const classified = await classify(
          { rows: prepared, options: { backend } },
          { log: silentLogger, discussions: storeDiscussionSource(store), llm: backend === 'llm' ? llm : undefined },
        );
        await writeTable(
          layout.tablePath('classify', repo, month, 'classified'),
          ClassifiedRow,
          classified.rows,
          CLASSIFY_TABLE_KEYS.classified,
        );
        await writeTable(
          layout.tablePath('classify', repo, month, 'perf'),
          ClassifiedRow,
          classified.perf,
          CLASSIFY_TABLE_KEYS.perf,
        );
        if (month > synthesizeThrough) continue;
        const results = fakeSynthesisResults(classified.perf);
        await writeFileAtomic(
          layout.synthesizeResults(repo, month),
          results.map((r) => `${JSON.stringify(r)}\n`).join(''),
        );
        const images: ImageRow[] = [];
        for (const result of results.filter((r) => r.ok)) {
          const row = { repo_name: repo, pr_base_sha: result.sha };
          if (!pushFailed) {
            pushFailed = true;
            images.push(
              imageRowFor(row, {
                digest: null,
                pushed_at: null,
                kept: false,
                drop_reason: 'push_failed',
                publish_explanation: 'push failed: 500 from the registry',
              }),
            );
          } else images.push(imageRowFor(row));
        }
        await writeImagesPartition(root, repo, month, images);
        // verify: the tasks with a validated image, verified or not by a hash of the merge commit.
        const validated = new Set(results.filter((r) => r.ok).map((r) => r.sha));
        const measured = classified.perf.filter((r) => r.pr_base_sha && validated.has(r.pr_base_sha));
        await writeTable(
          layout.tablePath('verify', repo, month, 'verified'),
          VerifiedRow,
          measured.map((r) => {
            const n = Number.parseInt(r.pr_merge_commit_sha.slice(0, 6), 16);
            const ok = n % 2 === 0;
            return {
              repo_name: repo,
              pr_merge_commit_sha: r.pr_merge_commit_sha,
              pr_base_sha: r.pr_base_sha,
              pr_number: r.pr_number,
              verified: ok,
              speedup: ok ? 1.5 + (n % 7) : 1,
              speedup_gmean: 1,
              verify_reason: ok ? null : n % 4 === 1 ? 'slower' : 'no_significant_speedup',
              benchmarks_measured: 2,
              benchmarks_faster: ok ? 1 : 0,
              benchmarks_slower: 0,
              duration_s: 10,
            };
          }),
          VERIFY_TABLE_KEYS.verified,
        );
      }
    }
  } finally {
    await server.close();
  }
  const master = await buildMaster(
    {
      partitions: findPartitionFiles(root, 'classify', 'perf'),
      verifyPartitions: findPartitionFiles(root, 'verify', 'verified'),
    },
    { log: silentLogger },
  );
  const images: ImageRow[] = [];
  for (const file of findPartitionFiles(root, 'publish', 'images')) {
    images.push(...(await readTable(file.path, ImageRow)));
  }
  await writeTable(layout.masterTable, MasterRow, master.rows, PUBLISH_TABLE_KEYS.master);
  const built = buildDataset({ master: master.rows, images, pipelineVersion: 'datasmith test' });
  await writeLocalLayout(layout.datasetDir, await datasetHubFiles(datasetConfigs(built.rows, null)));
  return { root, store: storeDir, months: DEMO_MONTHS, repos };
}
