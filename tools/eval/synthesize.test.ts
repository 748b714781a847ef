import { describe, expect, it } from 'vitest';
import {
  type ControlCandidate,
  DEFAULT_ASV_SOURCE,
  type EvalResultRow,
  type EvalVerifyRow,
  UsageError,
  aggregate,
  aggregateVerify,
  chooseControls,
  chooseLabelled,
  evalWindow,
  formatCounts,
  formatMinutes,
  formatMarkdown,
  formatSpeedup,
  formatText,
  formatVerifyMarkdown,
  formatVerifyText,
  funnelOf,
  median,
  parseEvalArgs,
  parseResults,
  parseVerifyResults,
  remainingBuildMinutes,
  verifyPlan,
  warningCodes,
} from './synthesize-metrics';

const sha = (n: number) => n.toString(16).padStart(40, '0');
const none = () => false;

describe('eval:synthesize arguments', () => {
  it('has the documented defaults', () => {
    const a = parseEvalArgs(['--store', '/s'], {}, none);
    expect(a).toMatchObject({
      store: '/s',
      work: 'data/eval/synthesize',
      limitPerRepo: 4,
      months: 24,
      repos: null,
      since: null,
      until: null,
      asvSource: null,
      maxBuildMinutes: null,
      reuse: false,
      json: false,
      skipSynthesize: false,
    });
  });

  it('reads every flag', () => {
    const a = parseEvalArgs(
      [
        '--store=/s',
        '--repos',
        'pydata/bottleneck, numpy/numpy,pydata/bottleneck',
        '--limit-per-repo',
        '-1',
        '--since',
        '2024-01-01',
        '--until',
        '2024-07-01',
        '--max-build-minutes',
        '30',
        '--synthesize-repos',
        'numpy/numpy',
        '--reuse',
        '--json',
        '--retry-failed',
        '--work',
        '/tmp/w',
      ],
      {},
      none,
    );
    expect(a).toMatchObject({
      repos: ['pydata/bottleneck', 'numpy/numpy'],
      limitPerRepo: -1,
      since: '2024-01-01',
      until: '2024-07-01',
      maxBuildMinutes: 30,
      synthesizeRepos: ['numpy/numpy'],
      reuse: true,
      json: true,
      retryFailed: true,
      work: '/tmp/w',
    });
  });

  it('takes --asv-source, else DATASMITH_ASV_SOURCE, else the shared vendor folder if it exists, else none', () => {
    const vendorExists = (p: string) => p === DEFAULT_ASV_SOURCE;
    const env = { DATASMITH_ASV_SOURCE: '/env/asv' };
    expect(parseEvalArgs(['--store', 's', '--asv-source', '/flag'], env, vendorExists).asvSource).toBe('/flag');
    expect(parseEvalArgs(['--store', 's'], env, vendorExists).asvSource).toBe('/env/asv');
    expect(parseEvalArgs(['--store', 's'], { DATASMITH_ASV_SOURCE: '' }, vendorExists).asvSource).toBe(
      DEFAULT_ASV_SOURCE,
    );
    expect(parseEvalArgs(['--store', 's'], {}, none).asvSource).toBeNull();
    expect(parseEvalArgs(['--store', 's', '--asv-source', ''], env, vendorExists).asvSource).toBeNull();
  });

  it('rejects bad values with one line', () => {
    const bad = (argv: string[]) => () => parseEvalArgs(argv, {}, none);
    expect(bad([])).toThrow(/^Missing --store/);
    expect(bad(['--store', 's', '--limit-per-repo', '0'])).toThrow(UsageError);
    expect(bad(['--store', 's', '--limit-per-repo', 'two'])).toThrow(/Invalid --limit-per-repo: "two"/);
    expect(bad(['--store', 's', '--limit-per-repo', '-2'])).toThrow(/Invalid --limit-per-repo: "-2"/);
    expect(bad(['--store', 's', '--limit-per-repo'])).toThrow(/--limit-per-repo/);
    expect(bad(['--store', 's', '--repos', 'numpy'])).toThrow('Invalid --repos: numpy is not owner/name');
    expect(bad(['--store', 's', '--since', '2024-13-01'])).toThrow(/Invalid --since/);
    expect(bad(['--store', 's', '--since', '2024-02-01', '--until', '2024-01-01'])).toThrow(/Invalid window/);
    expect(bad(['--store', 's', '--max-build-minutes', '0'])).toThrow(/Invalid --max-build-minutes/);
    expect(bad(['--store', 's', '--repos', 'a/b', '--synthesize-repos', 'c/d'])).toThrow(/c\/d is not in --repos/);
    expect(bad(['--store', 's', '--frobnicate'])).toThrow(UsageError);
    expect(parseEvalArgs(['--help'], {}, none).help).toBe(true);
  });
});

describe('eval:synthesize window', () => {
  it('ends the UTC day after the newest commit and starts N months earlier', () => {
    // 2026-08-21T13:32:39-06:00 is 19:32 UTC on the 21st.
    expect(evalWindow(Date.parse('2026-08-21T13:32:39-06:00'), 24)).toEqual({
      since: '2024-08-22',
      until: '2026-08-22',
    });
    // 23:30 at -02:00 is already the next UTC day.
    expect(evalWindow(Date.parse('2026-08-21T23:30:00-02:00'), 1).until).toBe('2026-08-23');
  });

  it('clamps the day of month and honours a given bound', () => {
    expect(evalWindow(Date.parse('2026-03-30T12:00:00Z'), 1)).toEqual({ since: '2026-02-28', until: '2026-03-31' });
    expect(evalWindow(Date.parse('2026-03-30T12:00:00Z'), 6, { since: null, until: '2025-01-15' })).toEqual({
      since: '2024-07-15',
      until: '2025-01-15',
    });
    expect(evalWindow(0, 6, { since: '2020-01-01', until: null }).since).toBe('2020-01-01');
  });
});

describe('eval:synthesize funnel', () => {
  it('counts merged, kept, gated, perf rows, and tasks as synthesize groups them', () => {
    const commits = [
      { kept: true, drop_reason: null },
      { kept: true, drop_reason: null },
      { kept: true, drop_reason: null },
      { kept: false, drop_reason: 'docs_only' },
      { kept: false, drop_reason: 'ci_only' },
    ];
    const classified = [
      { kept: true, drop_reason: null, is_perf_candidate: true, is_performance_commit: true },
      { kept: true, drop_reason: null, is_perf_candidate: true, is_performance_commit: true },
      { kept: false, drop_reason: 'not_perf_candidate', is_perf_candidate: false, is_performance_commit: false },
      { kept: false, drop_reason: 'docs_only', is_perf_candidate: false, is_performance_commit: false },
      { kept: false, drop_reason: 'docs_only', is_perf_candidate: false, is_performance_commit: false },
    ];
    const perf = [
      { repo_name: 'o/r', sha: sha(1), pr_base_sha: sha(100) },
      { repo_name: 'o/r', sha: sha(2), pr_base_sha: sha(100) }, // same base: one task
      { repo_name: 'o/r', sha: sha(3), pr_base_sha: sha(101) },
      { repo_name: 'o/r', sha: sha(4), pr_base_sha: null }, // no base: a task of its own each
      { repo_name: 'o/r', sha: sha(5), pr_base_sha: null },
    ];
    expect(funnelOf('o/r', commits, classified, perf)).toEqual({
      repo: 'o/r',
      commits: 5,
      collectKept: 3,
      gated: 2,
      perfRows: 5,
      tasks: 4,
      drops: { docs_only: 2, not_perf_candidate: 1 },
    });
  });
});

const result = (repo: string, n: number, ok: boolean, stage: string, reason: string | null, minutes: number) =>
  ({
    owner: repo.split('/')[0] as string,
    repo: repo.split('/')[1] as string,
    sha: sha(n),
    ok,
    stage,
    reason,
    duration_s: minutes * 60,
    warnings: [],
    attempts: [],
  }) satisfies EvalResultRow;

const funnel = (repo: string, commits: number, perfRows: number, tasks: number) => ({
  repo,
  commits,
  collectKept: commits - 1,
  gated: commits - 2,
  perfRows,
  tasks,
  drops: {},
});

describe('eval:synthesize aggregation', () => {
  const results = [
    result('a/x', 1, true, 'validated', null, 3),
    result('a/x', 2, false, 'build', 'install_failed', 10),
    result('a/x', 3, false, 'build', 'install_failed', 5),
    result('a/x', 4, false, 'discover', 'discovery_failed', 1),
    result('b/y', 5, false, 'import', 'import_failed', 2),
    result('b/y', 6, true, 'validated', null, 4),
  ];
  const table = aggregate(
    [
      { repo: 'a/x', funnel: funnel('a/x', 100, 9, 7), synthesized: true },
      { repo: 'b/y', funnel: funnel('b/y', 50, 2, 2), synthesized: true },
      { repo: 'c/z', funnel: funnel('c/z', 10, 1, 1), synthesized: false },
      { repo: 'd/w', funnel: null, synthesized: false, notes: ['collect failed (exit 1)'] },
    ],
    results,
  );

  it('gives each repository its tasks tried, validated, failures by stage:reason and median minutes', () => {
    const [a, b, c, d] = table.rows;
    expect(a).toMatchObject({ repo: 'a/x', commits: 100, perfRows: 9, tasks: 7, tried: 4, validated: 1 });
    expect(a?.failures).toEqual({ 'build:install_failed': 2, 'discover:discovery_failed': 1 });
    expect(formatCounts(a?.failures ?? {})).toBe('build:install_failed 2, discover:discovery_failed 1');
    expect(a?.medianMinutes).toBe(4); // 1, 3, 5, 10
    expect(b).toMatchObject({ tried: 2, validated: 1, failures: { 'import:import_failed': 1 }, medianMinutes: 3 });
    // Not synthesized: counted in the funnel, '-' for tried and validated.
    expect(c).toMatchObject({ commits: 10, tried: null, validated: null, medianMinutes: null, failures: {} });
    expect(d).toMatchObject({ commits: null, tried: null, notes: ['collect failed (exit 1)'] });
  });

  it('totals over repositories, with the median over every task and the validated share', () => {
    expect(table.total).toMatchObject({ commits: 160, perfRows: 12, tasks: 10, tried: 6, validated: 2 });
    expect(table.total.failures).toEqual({
      'build:install_failed': 2,
      'discover:discovery_failed': 1,
      'import:import_failed': 1,
    });
    expect(table.total.medianMinutes).toBe(3.5); // 1 2 3 4 5 10
    expect(table.validatedShare).toBeCloseTo(2 / 6);
  });

  it('synthesized with no task is 0 tried, not "-"; results of an unlisted repository get their own line', () => {
    const t = aggregate(
      [{ repo: 'a/x', funnel: funnel('a/x', 5, 0, 0), synthesized: true }],
      [result('e/v', 9, false, 'build', null, 2)],
    );
    expect(t.rows.map((r) => [r.repo, r.tried, r.validated])).toEqual([
      ['a/x', 0, 0],
      ['e/v', 1, 0],
    ]);
    expect(t.rows[1]?.failures).toEqual({ 'build:unknown': 1 });
    expect(t.validatedShare).toBe(0);
    expect(aggregate([{ repo: 'a/x', funnel: null, synthesized: false }], []).validatedShare).toBeNull();
  });

  it('prints one aligned line per repository, the total and the share', () => {
    const text = formatText(table).split('\n');
    expect(text[0]).toMatch(/^repository\s+commits\s+kept\s+gated\s+perf rows\s+tasks\s+tried\s+validated\s+failures/);
    expect(text[2]).toMatch(
      /^a\/x\s+100\s+99\s+98\s+9\s+7\s+4\s+1\s+build:install_failed 2, discover:discovery_failed 1\s+4\.0$/,
    );
    expect(text[4]).toMatch(/^c\/z\s+10\s+9\s+8\s+1\s+1\s+-\s+-\s+-\s+-$/);
    expect(text[7]).toMatch(
      /^total\s+160\s+157\s+154\s+12\s+10\s+6\s+2\s+build:install_failed 2, .*import:import_failed 1\s+3\.5$/,
    );
    expect(text[text.length - 1]).toBe('validated 2 of 6 tasks tried (33.3%)');
    // Aligned: the last column is right-aligned, so every line of the table has the same length.
    expect(new Set(text.slice(0, 8).map((l) => l.length)).size).toBe(1);
  });

  it('writes GitHub markdown with a caption, right-aligned numbers and a bold total', () => {
    const md = formatMarkdown(table, 'Caption.').split('\n');
    expect(md[0]).toBe('Caption.');
    expect(md[2]).toBe(
      '| repository | commits | kept | gated | perf rows | tasks | tried | validated | failures (stage:reason) | median min |',
    );
    expect(md[3]).toBe('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|');
    expect(md[4]).toBe(
      '| a/x | 100 | 99 | 98 | 9 | 7 | 4 | 1 | build:install_failed 2, discover:discovery_failed 1 | 4.0 |',
    );
    expect(md[6]).toBe('| c/z | 10 | 9 | 8 | 1 | 1 | - | - | - | - |');
    expect(md[8]).toMatch(/^\| \*\*total\*\* \| \*\*160\*\* \|.*\| \*\*6\*\* \| \*\*2\*\* \|.*\| \*\*3\.5\*\* \|$/);
    expect(md).toContain('validated 2 of 6 tasks tried (33.3%).');
  });
});

describe('eval:synthesize results and budget', () => {
  it('parses results.jsonl leniently about new stages, strictly about shape', () => {
    const line = (o: object) => JSON.stringify({ ...result('a/x', 1, false, 'install', 'install_failed', 2), ...o });
    const rows = parseResults(`${line({ extra: 1 })}\n\n${line({ sha: sha(2), warnings: undefined })}\n`);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.stage).toBe('install');
    expect(rows[1]?.warnings).toEqual([]);
    expect(() => parseResults(`${line({})}\n${line({ ok: 'yes' })}`, 'r.jsonl')).toThrow(
      /^Invalid results: r\.jsonl line 2, ok:/,
    );
    expect(() => parseResults('{', 'r.jsonl')).toThrow(/^Invalid results: r\.jsonl line 1:/);
  });

  it('spends an eval-wide build budget over the attempts of earlier results', () => {
    const r = (buildS: number[]) => ({
      ...result('a/x', 1, false, 'build', 'install_failed', 1),
      attempts: buildS.map((build_s) => ({ build_s })),
    });
    expect(remainingBuildMinutes(null, [r([600])])).toBeNull();
    expect(remainingBuildMinutes(30, [])).toBe(30);
    expect(remainingBuildMinutes(30, [r([300, 330]), r([90])])).toBe(18); // 12 min spent
    expect(remainingBuildMinutes(10, [r([3600])])).toBe(0);
  });

  it('prints minutes with one decimal, <0.1 for seconds, and counts warnings by code', () => {
    expect([
      formatMinutes(null),
      formatMinutes(0),
      formatMinutes(0.02),
      formatMinutes(0.64),
      formatMinutes(12.25),
    ]).toEqual(['-', '0.0', '<0.1', '0.6', '12.3']);
    expect(
      warningCodes({
        'unmapped_dependency: no Debian package for a': 2,
        'unmapped_dependency: no Debian package for b': 1,
        'python_version_mismatch: requested 3.10': 1,
        plain: 1,
      }),
    ).toEqual({ unmapped_dependency: 3, python_version_mismatch: 1, plain: 1 });
  });

  it('takes the middle of an odd count and the mean of the two middles of an even one', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([10, 1, 3, 5])).toBe(4);
  });
});

describe('eval:synthesize --verify and --controls arguments', () => {
  it('is off by default and passes verify options through only when given', () => {
    expect(parseEvalArgs(['--store', 's'], {}, none)).toMatchObject({
      verify: false,
      verifyMinutes: null,
      maxBenchmarks: null,
      maxParamSets: null,
      passes: null,
      controls: 0,
      controlRepos: [],
    });
    const a = parseEvalArgs(
      [
        '--store',
        's',
        '--repos',
        'a/x,b/y',
        '--verify',
        '--verify-minutes',
        '12',
        '--max-benchmarks',
        '6',
        '--max-param-sets',
        '3',
        '--passes',
        '1',
        '--controls',
        '2',
        '--control-repos',
        'b/y',
      ],
      {},
      none,
    );
    expect(a).toMatchObject({
      verify: true,
      verifyMinutes: 12,
      maxBenchmarks: 6,
      maxParamSets: 3,
      passes: 1,
      controls: 2,
      controlRepos: ['b/y'],
    });
  });

  it('rejects options that would measure nothing or build images nobody named', () => {
    const bad = (argv: string[]) => () => parseEvalArgs(['--store', 's', ...argv], {}, none);
    expect(bad(['--verify-minutes', '12'])).toThrow(/need --verify$/);
    expect(bad(['--verify', '--passes', '3'])).toThrow('Invalid --passes: 3; expected 1 or 2');
    expect(bad(['--verify', '--max-benchmarks', '0'])).toThrow(/Invalid --max-benchmarks/);
    expect(bad(['--max-param-sets', '2'])).toThrow(/need --verify$/);
    expect(bad(['--verify', '--skip-synthesize'])).toThrow(/contradict/);
    expect(bad(['--verify', '--controls', '2'])).toThrow(/^Missing --control-repos/);
    expect(bad(['--verify', '--control-repos', 'a/x'])).toThrow(/needs --controls N/);
    expect(bad(['--verify', '--repos', 'a/x', '--controls', '1', '--control-repos', 'c/z'])).toThrow(
      'Invalid --control-repos: c/z is not synthesized',
    );
  });
});

describe('eval:synthesize verify stage plan', () => {
  const params = { verifyMinutes: 12, maxBenchmarks: 6, passes: 2 };
  const done = JSON.stringify({ params, done: true });
  const state = { reuse: true, upstreamRan: false, outputExists: true };

  it('reuses a finished stage with the same options and nothing new upstream', () => {
    expect(verifyPlan(done, params, state)).toBe('reuse');
  });

  it('resumes (verify keeps the rows measured so far) a killed run with the same options, or after a new synthesize', () => {
    expect(verifyPlan(JSON.stringify({ params, done: false }), params, state)).toBe('run');
    expect(verifyPlan(done, params, { ...state, upstreamRan: true })).toBe('run');
    expect(verifyPlan(done, params, { ...state, outputExists: false })).toBe('run');
  });

  it('measures again when the options changed, no stamp says them, or without --reuse', () => {
    // verify alone would keep rows measured with other options (same image, same code version).
    expect(verifyPlan(done, { ...params, maxBenchmarks: 8 }, state)).toBe('remeasure');
    expect(verifyPlan(null, params, state)).toBe('remeasure');
    expect(verifyPlan('{', params, state)).toBe('remeasure');
    expect(verifyPlan(done, params, { ...state, reuse: false })).toBe('remeasure');
  });
});

const vrow = (n: number, verified: boolean, reason: string | null, speedup: number | null, minutes: number) =>
  ({
    repo_name: 'a/x',
    sha: sha(n),
    pr_number: n,
    verified,
    speedup,
    reason,
    duration_s: minutes * 60,
    benchmarks: [],
  }) satisfies EvalVerifyRow;

describe('eval:synthesize verify table', () => {
  const table = aggregateVerify([
    {
      repo: 'a/x',
      validated: 4,
      rows: [
        vrow(1, true, null, 1.5, 6),
        vrow(2, true, null, 3.1, 10),
        vrow(3, false, 'no_significant_speedup', 1.01, 4),
        vrow(4, false, 'benchmark_timeout', null, 12),
        // Perf rows whose base has no validated image: answered without measuring, not counted.
        vrow(5, false, 'no_validated_image', null, 0),
        vrow(6, false, 'no_validated_image', null, 0),
      ],
    },
    { repo: 'b/y', validated: 1, rows: [vrow(7, false, 'flaky', 1.09, 2)] },
    { repo: 'c/z', validated: 0, rows: null },
  ]);

  it('counts measured, verified, the median speed-up of verified tasks, minutes and reasons per repository', () => {
    const [a, b] = table.rows;
    expect(table.rows).toHaveLength(2); // verify did not run for c/z
    expect(a).toEqual({
      repo: 'a/x',
      validated: 4,
      measured: 4,
      verified: 2,
      medianSpeedup: 2.3,
      medianMinutes: 8, // 4 6 10 12
      minutesPerVerified: 16, // 32 measuring minutes for 2 verified tasks
      reasons: { no_significant_speedup: 1, benchmark_timeout: 1 },
    });
    expect(b).toMatchObject({ measured: 1, verified: 0, medianSpeedup: null, minutesPerVerified: null });
  });

  it('totals over every task', () => {
    expect(table.total).toMatchObject({
      repo: 'total',
      validated: 5,
      measured: 5,
      verified: 2,
      medianSpeedup: 2.3,
      medianMinutes: 6, // 2 4 6 10 12
      minutesPerVerified: 17,
      reasons: { no_significant_speedup: 1, benchmark_timeout: 1, flaky: 1 },
    });
  });

  it('prints aligned text and markdown with a bold total', () => {
    const text = formatVerifyText(table).split('\n');
    expect(text[0]).toMatch(
      /^repository\s+validated\s+measured\s+verified\s+median speed-up\s+median min\s+min\/verified/,
    );
    expect(text[2]).toMatch(
      /^a\/x\s+4\s+4\s+2\s+×2\.30\s+8\.0\s+16\.0\s+benchmark_timeout 1, no_significant_speedup 1$/,
    );
    expect(text[3]).toMatch(/^b\/y\s+1\s+1\s+0\s+-\s+2\.0\s+-\s+flaky 1$/);
    const md = formatVerifyMarkdown(table, 'Verify.').split('\n');
    expect(md[0]).toBe('Verify.');
    expect(md[3]).toBe('|---|---:|---:|---:|---:|---:|---:|---|');
    expect(md[4]).toBe('| a/x | 4 | 4 | 2 | ×2.30 | 8.0 | 16.0 | benchmark_timeout 1, no_significant_speedup 1 |');
    expect(md[6]).toMatch(/^\| \*\*total\*\* \| \*\*5\*\* \| \*\*5\*\* \| \*\*2\*\* \| \*\*×2\.30\*\* \|/);
    expect(formatSpeedup(null)).toBe('-');
  });

  it('parses verify.jsonl leniently about new reasons, strictly about shape', () => {
    const line = (o: object) => JSON.stringify({ ...vrow(1, false, 'a_new_reason', null, 1), message: 'm', ...o });
    const rows = parseVerifyResults(`${line({})}\n\n${line({ benchmarks: undefined })}\n`);
    expect(rows.map((r) => [r.reason, r.benchmarks])).toEqual([
      ['a_new_reason', []],
      ['a_new_reason', []],
    ]);
    expect(() => parseVerifyResults(line({ verified: 'no' }), 'v.jsonl')).toThrow(
      /^Invalid results: v\.jsonl line 1, verified:/,
    );
  });
});

describe('eval:synthesize controls', () => {
  const c = (n: number, merged: string, base: number | null, gated = true, perf = false): ControlCandidate => ({
    sha: sha(n),
    pr_base_sha: base === null ? null : sha(base),
    pr_merged_at: merged,
    is_perf_candidate: gated,
    is_performance_commit: perf,
  });

  it('takes ordinary gated PRs, newest first, one per base, none on a perf task base', () => {
    const rows = [
      c(1, '2025-01-01', 100),
      c(2, '2025-03-01', 101, true, true), // a perf PR
      c(3, '2025-02-01', 102, false), // not through the gate (docs, tests)
      c(4, '2025-04-01', 103), // its base is a perf task's
      c(5, '2025-02-15', 104),
      c(6, '2025-02-15', 104), // same base as 5
      c(7, '2025-05-01', null),
      c(8, '2025-01-20', 105),
    ];
    expect(chooseControls(rows, new Set([sha(103)]), 2)).toEqual([sha(5), sha(8)]);
    expect(chooseControls(rows, new Set([sha(103)]), 10)).toEqual([sha(5), sha(8), sha(1)]);
    // Deterministic whatever the input order.
    expect(chooseControls([...rows].reverse(), new Set([sha(103)]), 2)).toEqual([sha(5), sha(8)]);
  });
});

describe('eval:synthesize labelled performance PRs', () => {
  const row = (n: number, merged: string, base: number | null) => ({
    sha: sha(n),
    pr_base_sha: base === null ? null : sha(base),
    pr_merged_at: merged,
  });
  const label = (n: number, l = 'perf') => ({ landed_sha: sha(n), label: l });

  it('takes labelled performance PRs that reached classify, newest first, one per base', () => {
    const classified = [
      row(1, '2025-01-01', 100),
      row(2, '2025-03-01', 101),
      row(3, '2025-02-01', 101), // same base as 2
      row(4, '2025-04-01', 102), // labelled not_perf
      row(5, '2025-05-01', null), // no base
      row(6, '2025-02-10', 103),
    ];
    const labels = [label(1), label(2), label(3), label(4, 'not_perf'), label(5), label(6), label(9)];
    expect(chooseLabelled(labels, classified, 2)).toEqual([sha(2), sha(6)]);
    expect(chooseLabelled(labels, classified, 10)).toEqual([sha(2), sha(6), sha(1)]);
    expect(chooseLabelled(labels, [...classified].reverse(), 2)).toEqual([sha(2), sha(6)]);
    expect(chooseLabelled([], classified, 2)).toEqual([]);
  });

  it('needs --verify, and reads the committed labels by default', () => {
    expect(() => parseEvalArgs(['--store', 's', '--labelled', '2'], {}, none)).toThrow('--labelled needs --verify');
    const a = parseEvalArgs(['--store', 's', '--verify', '--labelled', '2'], {}, none);
    expect(a.labelled).toBe(2);
    expect(a.labels).toMatch(/tools\/eval\/labels$/);
    expect(parseEvalArgs(['--store', 's'], {}, none).labelled).toBe(0);
    expect(
      parseEvalArgs(['--store', 's', '--verify', '--labelled', '1', '--labelled-only'], {}, none).labelledOnly,
    ).toBe(true);
    expect(() => parseEvalArgs(['--store', 's', '--verify', '--labelled-only'], {}, none)).toThrow(
      '--labelled-only needs --labelled N',
    );
  });
});
