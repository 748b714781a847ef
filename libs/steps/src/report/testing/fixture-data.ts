import { FUNNEL_STAGES, type FunnelStage, type ReasonCount, type ReportData } from '../report-data';

function stages(counts: readonly number[], drops: ReadonlyArray<readonly ReasonCount[]>, ran = 7): FunnelStage[] {
  return FUNNEL_STAGES.map((stage, i) => ({
    key: stage.key,
    label: stage.label,
    count: counts[i] ?? 0,
    hasData: i < ran,
    drops: i === 0 ? [] : [...(drops[i - 1] ?? [])],
  }));
}

/**
 * TEST-ONLY: fixed report data for the layout (screenshot) test, so the baseline changes only when
 * the page's rendering does, never when the pipeline's numbers do.
 */
export function fixtureReportData(): ReportData {
  const march = stages(
    [14, 9, 5, 3, 2, 2, 2, 1],
    [
      [
        { reason: 'docs_only', count: 2 },
        { reason: 'tests_only', count: 2 },
        { reason: 'no_asv_at_base', count: 1 },
      ],
      [{ reason: 'not_perf_candidate', count: 4 }],
      [{ reason: 'not_perf', count: 2 }],
      [{ reason: 'validation_failed', count: 1 }],
      [],
      [],
      [{ reason: 'no_significant_speedup', count: 1 }],
    ],
    8,
  );
  const april = stages(
    [11, 7, 4, 2, 0, 0, 0],
    [
      [
        { reason: 'ci_only', count: 3 },
        { reason: 'benchmarks_only', count: 1 },
      ],
      [
        { reason: 'not_perf_candidate', count: 2 },
        { reason: 'too_large', count: 1 },
      ],
      [
        { reason: 'not_perf', count: 1 },
        { reason: 'classifier_error', count: 1 },
      ],
      [{ reason: 'not_run', count: 2 }],
      [],
      [],
    ],
    4,
  );
  const total = stages(
    [25, 16, 9, 5, 2, 2, 2],
    [
      [
        { reason: 'ci_only', count: 3 },
        { reason: 'docs_only', count: 2 },
        { reason: 'tests_only', count: 2 },
        { reason: 'benchmarks_only', count: 1 },
        { reason: 'no_asv_at_base', count: 1 },
      ],
      [
        { reason: 'not_perf_candidate', count: 6 },
        { reason: 'too_large', count: 1 },
      ],
      [
        { reason: 'not_perf', count: 3 },
        { reason: 'classifier_error', count: 1 },
      ],
      [
        { reason: 'not_run', count: 2 },
        { reason: 'validation_failed', count: 1 },
      ],
      [],
      [],
    ],
  );
  const docker = {
    tasks: 3,
    ok: 2,
    failed: 1,
    buildMinutes: 4.25,
    totalMinutes: 5.5,
    attempts: 4,
    failures: [{ reason: 'no_benchmarks', count: 1 }],
    strategies: [{ reason: 'rules', count: 3 }],
  };
  const rules = {
    backend: 'rules',
    model: null,
    promptVersion: 'rules-1',
    decided: 4,
    performance: 2,
    notPerformance: 2,
    errors: 0,
    meanConfidence: 84,
  };
  const llm = {
    backend: 'llm',
    model: 'gpt-oss-120b',
    promptVersion: 'classify-v1',
    decided: 5,
    performance: 3,
    notPerformance: 1,
    errors: 1,
    meanConfidence: 77.5,
  };
  return {
    speedups: [
      { repo: 'acme/fastmath', month: '2024-03', prNumber: 12, speedup: 3.4, verified: true },
      { repo: 'acme/fastmath', month: '2024-03', prNumber: 14, speedup: 1.01, verified: false },
    ],
    months: [
      {
        month: '2024-03',
        stages: march,
        classifiers: [rules],
        docker,
        tasks: [
          {
            taskId: 'acme_fastmath_18',
            repo: 'acme/fastmath',
            prNumber: 18,
            title: 'Speed up pairwise_distances using broadcasting',
            mergedAt: '2024-03-05T10:00:00Z',
            classification: 'use_lower_level_system',
            difficulty: 'easy',
            imageName: '127.0.0.1:5000/ns/acme-fastmath:abc',
          },
          {
            taskId: 'gridlab_geoframe_13',
            repo: 'gridlab/geoframe',
            prNumber: 13,
            title: 'Speed up groupby_sum with np.unique & np.bincount <fast>',
            mergedAt: '2024-03-21T08:30:00Z',
            classification: 'use_better_data_structure_and_layout',
            difficulty: 'medium',
            imageName: '127.0.0.1:5000/ns/gridlab-geoframe:def',
          },
        ],
      },
      { month: '2024-04', stages: april, classifiers: [llm], docker: null, tasks: [] },
    ],
    total: { stages: total, docker },
    repos: [
      { repo: 'acme/fastmath', months: 2, stages: stages([15, 10, 6, 3, 1, 1, 1], []) },
      { repo: 'gridlab/geoframe', months: 2, stages: stages([10, 6, 3, 2, 1, 1, 1], []) },
    ],
    classifiers: [llm, rules],
    llm: [
      {
        promptVersion: 'classify-v1',
        models: ['gpt-oss-120b'],
        decisions: 5,
        calls: 4,
        cacheHits: 1,
        promptTokens: 48213,
        completionTokens: 1877,
      },
    ],
    sources: [
      { table: 'commits', files: 4 },
      { table: 'results.jsonl', files: 2 },
    ],
  };
}
