import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dataLayout } from '@datasmith/paths';
import { imageRowFor, writeImagesPartition } from '@datasmith/steps/testing';
import {
  type CommitRow,
  CommitRow as CommitRowSchema,
  type SynthesisResult,
  TABLE_KEYS,
  type VerifyResult,
  writeTable,
} from '@datasmith/tables';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PrTrace } from '../explain/trace';
import { formatTrace, parsePrRef } from '../explain/trace';
import { runCli, testCommit } from './cli-test-helpers';

/**
 * A month of one repository run for real through the CLI (prepare, classify, merge, dataset), with
 * synthesize's results.jsonl and publish's images table written as those steps write them.
 */
const REPO = 'acme/widgets';
const MONTH = '2024-05';
let cwd: string;
let commits: CommitRow[];

function result(row: CommitRow, ok: boolean): SynthesisResult {
  return {
    owner: 'acme',
    repo: 'widgets',
    sha: row.pr_base_sha as string,
    image_name: `acme-widgets-${row.pr_base_sha}:final`,
    ok,
    rc: ok ? 0 : 1,
    duration_s: 12.5,
    stage: ok ? 'validated' : 'build',
    strategy: 'rules',
    attempts: [1, 2].map((attempt) => ({
      attempt,
      strategy: 'rules' as const,
      variant: attempt === 1 ? 'editable' : 'regular',
      script: '#!/usr/bin/env bash\npip install -e .\n',
      ok: ok && attempt === 2,
      rc: ok && attempt === 2 ? 0 : 1,
      stage: ok && attempt === 2 ? 'validated' : 'build',
      reason: ok && attempt === 2 ? null : 'install_failed',
      duration_s: 6,
      build_s: 5,
      deps_reused: false,
      stderr_tail: 'error: metadata-generation-failed',
      stdout_tail: '',
    })),
    reason: ok ? null : 'install_failed',
    image_id: ok ? `sha256:${'a'.repeat(64)}` : null,
    pr_numbers: [row.pr_number ?? 0],
    benchmarks: ok ? ['bench.TimeSuite.time_total'] : [],
    python_requested: null,
    python_used: '3.11',
    base_release: 'bookworm',
    install_mode: null,
    asv_version: '0.6.4',
    benchmarks_excluded: [],
    warnings: [],
    stderr_tail: ok ? '' : 'error: metadata-generation-failed',
    stdout_tail: '',
  };
}

/** verify's row for a task: measured, not significantly faster (one benchmark faster but noisy). */
function verifyRow(row: CommitRow): VerifyResult {
  const side = (value: number) => ({ status: 'ok' as const, value, stats: null, samples: 10 });
  return {
    repo_name: REPO,
    sha: row.sha,
    pr_merge_commit_sha: row.sha,
    pr_base_sha: row.pr_base_sha,
    pr_number: row.pr_number,
    image_name: `acme-widgets-${row.pr_base_sha}:final`,
    image_id: `sha256:${'a'.repeat(64)}`,
    verified: false,
    speedup: 1.31,
    speedup_gmean: 1.12,
    reason: 'flaky',
    message: 'flaky: 2 benchmarks compared, 0 faster, 0 slower',
    factor: 1.05,
    install_mode: 'editable',
    rebuilt: false,
    changed_files: ['widgets/core.py'],
    changed_names: ['total'],
    selection:
      '2 of 5 time benchmarks (limit 2): 1 name a changed function or class, 0 import a changed module, 1 others',
    benchmarks: [
      {
        name: 'bench.TimeSuite.time_total',
        tier: 'names',
        why: 'names total (widgets/core.py)',
        before: side(0.0131),
        after: side(0.01),
        speedup: 1.31,
        significant: true,
        change: 'faster',
        asv_mark: '-',
        halves: [1.52, 1.02],
        noisy: true,
      },
      {
        name: 'bench.TimeSuite.time_other',
        tier: 'rest',
        why: 'not touched by the change; measured within the limit',
        before: side(0.002),
        after: side(0.002),
        speedup: 1,
        significant: false,
        change: 'same',
        asv_mark: ' ',
        halves: null,
        noisy: false,
      },
    ],
    cpuset: '1',
    cpu_probe_s: [0.1, 0.11, 0.1],
    cpu_probe_spread: 1.1,
    foreign_cpu_share: [0.01, 0, 0.02],
    untraced_factor: 1.2,
    asv_version: '0.6.4',
    duration_s: 312.4,
    code_version: 'verify-4',
  };
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'ds-cli-explain-'));
  const layout = dataLayout('data');
  commits = [
    testCommit('PERF: faster totals', 'Totals are slow on long lists.', { pr_number: 1, repo_name: REPO }),
    testCommit('PERF: faster totals again', 'Totals are slow on long lists.', { pr_number: 2, repo_name: REPO }),
    testCommit('DOC: typo', '', { pr_number: 50, repo_name: REPO, kept: false, drop_reason: 'docs_only' }),
  ];
  await writeTable(join(cwd, layout.tablePath('collect', REPO, MONTH)), CommitRowSchema, commits, TABLE_KEYS.commits);
  for (const step of ['prepare', 'classify']) {
    const run = await runCli([step, '--repo', REPO, '--month', MONTH, '--out-root', 'data'], { cwd });
    expect(run.code, run.stderr).toBe(0);
  }
  const [perf, failing] = commits as [CommitRow, CommitRow];
  const results = join(cwd, layout.synthesizeResults(REPO, MONTH));
  await mkdir(dirname(results), { recursive: true });
  await writeFile(
    results,
    `${[result(perf, true), result(failing, false)].map((r) => JSON.stringify(r)).join('\n')}\n`,
  );
  const verified = join(cwd, layout.verifyResults(REPO, MONTH));
  await mkdir(dirname(verified), { recursive: true });
  await writeFile(verified, `${JSON.stringify(verifyRow(perf))}\n`);
  await writeImagesPartition(join(cwd, 'data'), REPO, MONTH, [imageRowFor(perf)]);
  for (const step of ['merge', 'dataset']) {
    const run = await runCli([step, '--out-root', 'data'], { cwd });
    expect(run.code, run.stderr).toBe(0);
  }
});

async function explainJson(ref: string): Promise<PrTrace> {
  const run = await runCli(['explain', ref, '--json'], { cwd });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as PrTrace;
}

const summary = (trace: PrTrace) => trace.stations.map((s) => `${s.step} ${s.status} ${s.reason ?? ''}`.trim());

describe('datasmith explain', () => {
  it('says where the title came from when collect did not have the PR title', async () => {
    const trace = await explainJson(`${REPO}#1`);
    expect(trace.pull?.title_source).toBe('message');
    const header = (title_source: string | null) =>
      formatTrace({
        ...trace,
        pull: { ...(trace.pull as NonNullable<PrTrace['pull']>), title: 'speed up nanmedian', title_source },
      })[0];
    expect(header('branch')).toMatch(/^acme\/widgets#1 "speed up nanmedian" \(title from the branch\), merged /);
    expect(header('commit')).toMatch(/^acme\/widgets#1 "speed up nanmedian" \(title from the PR's commits\), merged /);
    expect(header('message')).toMatch(/^acme\/widgets#1 "speed up nanmedian", merged /);
  });

  it('follows a task from collect into the dataset, with backend, attempts and image', async () => {
    const trace = await explainJson(`${REPO}#1`);
    expect(trace.months).toEqual([MONTH]);
    expect(summary(trace)).toEqual([
      'collect kept',
      'prepare kept',
      'classify kept',
      'synthesize kept',
      'verify dropped flaky',
      'publish kept',
      'master kept',
      'dataset kept',
    ]);
    const byStep = Object.fromEntries(trace.stations.map((s) => [s.step, s]));
    expect(byStep.classify?.backend).toBe('rules');
    expect(byStep.synthesize).toMatchObject({ backend: 'rules', attempts: 2 });
    expect(byStep.publish?.image).toMatch(/^127\.0\.0\.1:5000\/datasmith\/all:acme-widgets-/);
    expect(byStep.dataset?.detail).toMatch(/^task acme_widgets_1 in configs .*default/);
    // Not verified is not a drop: the task is in the dataset (outside its `verified` config).
    expect(trace.verdict).toEqual({ status: 'kept', step: 'dataset', reason: null });
  });

  it("shows verify's outcome: verified or not, the speed-up, the reason and each benchmark", async () => {
    const trace = await explainJson(`${REPO}#1`);
    const v = trace.stations.find((s) => s.step === 'verify');
    expect(v).toMatchObject({ status: 'dropped', reason: 'flaky', month: MONTH });
    expect(v?.detail).toBe(
      'not verified, speed-up ×1.31; 2 benchmarks measured, 1 faster; other work took up to 2 % of the pinned CPUs; 312 s (verify-4)',
    );
    expect(v?.verify).toMatchObject({ verified: false, speedup: 1.31, reason: 'flaky' });
    expect(v?.verify?.benchmarks.map((b) => [b.name, b.change, b.speedup, b.noisy])).toEqual([
      ['bench.TimeSuite.time_total', 'faster', 1.31, true],
      ['bench.TimeSuite.time_other', 'same', 1, false],
    ]);
    const run = await runCli(['explain', `${REPO}#1`], { cwd });
    const lines = run.stdout.trim().split('\n');
    const at = lines.findIndex((l) => /^ {2}verify +2024-05 dropped flaky/.test(l));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {6}faster +×1\.31 +bench\.TimeSuite\.time_total \(noisy\) +\[names: names total/);
    expect(lines[at + 2]).toMatch(/^ {6}same +×1 +bench\.TimeSuite\.time_other +\[rest:/);
    expect(lines.at(-1)).toBe('verdict: in the dataset');
  });

  it('names the step and reason code of a drop, and carries it through later tables', async () => {
    const docs = await explainJson(`${REPO}#50`);
    expect(summary(docs)).toEqual([
      'collect dropped docs_only',
      'prepare dropped docs_only',
      'classify dropped docs_only',
      'synthesize absent upstream_dropped',
      'verify absent upstream_dropped',
      'publish absent upstream_dropped',
      'master absent upstream_dropped',
      'dataset absent upstream_dropped',
    ]);
    expect(docs.stations.map((s) => s.inherited).slice(0, 3)).toEqual([false, true, true]);
    expect(docs.verdict).toEqual({ status: 'dropped', step: 'collect', reason: 'docs_only' });

    const failed = await explainJson(`${REPO}#2`);
    const synth = failed.stations.find((s) => s.step === 'synthesize');
    expect(synth).toMatchObject({ status: 'dropped', reason: 'build_failed', attempts: 2 });
    expect(synth?.detail).toMatch(/failed at build \(install_failed\)/);
    expect(failed.verdict).toEqual({ status: 'dropped', step: 'synthesize', reason: 'build_failed' });
  });

  it('prints one line per table and the verdict', async () => {
    const run = await runCli(['explain', `${REPO}#50`], { cwd });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^acme\/widgets#50 "DOC: typo", merged 2024-05-/);
    expect(lines[1]).toMatch(/^ {2}collect +2024-05 dropped docs_only/);
    expect(lines.at(-1)).toBe('verdict: dropped at collect (docs_only)');
  });

  it('fails with exit 2 naming where it looked when no table has the PR', async () => {
    const missing = await runCli(['explain', `${REPO}#999`], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('datasmith explain: Not found: acme/widgets#999 is in no table under data;');
    expect(missing.stderr).toContain('data/collect/acme__widgets (1 month: 2024-05)');
    expect(missing.stderr).toContain('data/synthesize/acme__widgets (1 month: 2024-05)');
    expect(missing.stderr).toContain('data/master/master.parquet,');

    const other = await runCli(['explain', 'nobody/nothing#1', '--out-root', 'elsewhere'], { cwd });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('elsewhere/collect/nobody__nothing (no partition)');
    expect(other.stderr).toContain('elsewhere/master/master.parquet (missing)');
  });
});

describe('parsePrRef', () => {
  it.each([
    ['numpy/numpy#24567', 'numpy/numpy', 24567],
    ['https://github.com/numpy/numpy/pull/24567', 'numpy/numpy', 24567],
    ['acme/fast.math 3', 'acme/fast.math', 3],
  ])('%s', (ref, repo, number) => {
    expect(parsePrRef(ref)).toEqual({ repo, number });
  });

  it('refuses a reference without a number', () => {
    expect(() => parsePrRef('numpy/numpy')).toThrow(/expected owner\/name#N/);
  });
});
