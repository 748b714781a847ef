import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeImageQuietly } from '@datasmith/docker';
import { dockerTestEngine, testOnlyAsvSource } from '@datasmith/docker/testing';
import { FixtureRepo } from '@datasmith/git/testing';
import { createMemoryLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import type { SynthesizeInputRow, VerifyResult } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../synthesize/synthesize';
import { asvFixtureFiles } from '../synthesize/testing/asv-fixture';
import { defaultCpuset, keepsPrevious, verify } from './verify';

const engine = await dockerTestEngine();
const docker = engine.docker;

const CORE = `def total(xs):
    """Sum of xs."""
    out = 0
    for x in xs:
        out += x
    return out


def count_dupes(xs):
    """How many items equal an earlier one."""
    n = 0
    for i in range(len(xs)):
        for j in range(i):
            if xs[i] == xs[j]:
                n += 1
                break
    return n


def scale(xs, k):
    return [x * k for x in xs]
`;

const BENCHMARKS = `from verifyfix import count_dupes, scale, total


class TimeDupes:
    def setup(self):
        self.xs = [i % 97 for i in range(300)]

    def time_count_dupes(self):
        count_dupes(self.xs)


class TimeTotal:
    def setup(self):
        self.xs = list(range(3000))

    def time_total(self):
        total(self.xs)


def time_scale():
    scale(range(1000), 3)


class TimeScaleSizes:
    params = ([1, 2, 3], [10, 100])
    param_names = ["k", "n"]

    def time_scale_sizes(self, k, n):
        scale(range(n), k)


def track_dupes():
    return count_dupes([1, 1, 2])
`;

/** The O(n^2) loop replaced by a set: clearly faster. */
const FASTER = CORE.replace(
  /def count_dupes[\s\S]*?return n\n/,
  `def count_dupes(xs):
    """How many items equal an earlier one."""
    seen = set()
    n = 0
    for x in xs:
        if x in seen:
            n += 1
        else:
            seen.add(x)
    return n
`,
);

/** A docstring and the README: nothing that runs differently. */
const NEUTRAL = CORE.replace(
  '"""How many items equal an earlier one."""',
  '"""Count the items that equal an earlier item."""',
);

/** total walks its input four times: clearly slower. */
const SLOWER = CORE.replace(
  '    out = 0\n    for x in xs:\n        out += x\n    return out\n',
  '    out = 0\n    for _ in range(4):\n        out = 0\n        for x in xs:\n            out += x\n    return out\n',
);

/** A C extension whose work is O(n^2); the gold patch computes the same count in closed form. */
const C_SLOW = `#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *work(PyObject *self, PyObject *args) {
    long n;
    if (!PyArg_ParseTuple(args, "l", &n)) return NULL;
    volatile long s = 0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++)
            s += (i ^ j) & 1;
    return PyLong_FromLong(s);
}

static PyMethodDef methods[] = {{"work", work, METH_VARARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_work", NULL, -1, methods};
PyMODINIT_FUNC PyInit__work(void) { return PyModule_Create(&module); }
`;
const C_FAST = C_SLOW.replace(
  '    volatile long s = 0;\n    for (long i = 0; i < n; i++)\n        for (long j = 0; j < n; j++)\n            s += (i ^ j) & 1;\n',
  '    long s = 2 * ((n + 1) / 2) * (n / 2);\n',
);

describe.skipIf(!engine.ok)(`verify: the gold patch against its base, with real asv ${engine.skipReason}`, () => {
  let root: string;
  const made: string[] = [];
  const timings: Record<string, number> = {};

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ds-verify-'));
  });
  afterAll(async () => {
    for (const ref of made) await removeImageQuietly(docker, ref, { force: true });
    console.log(`verify docker timings (s): ${JSON.stringify(timings)}`);
  });

  it('verifies a change that removes an O(n^2) loop; a docstring change and a slower change do not verify', async () => {
    const repo = new FixtureRepo(join(root, 'work'));
    const files = asvFixtureFiles({
      name: 'verifyfix',
      dependencies: [],
      benchmarks: BENCHMARKS,
      init: 'from .core import count_dupes, scale, total\n',
    });
    const base = repo.commit({ ...files, 'verifyfix/core.py': CORE }, 'base', '2025-01-01T00:00:00Z');
    const pr = (branch: string, change: Record<string, string>, date: string) => {
      repo.git(['checkout', '-q', '-b', branch, base]);
      return repo.commit(change, branch, date);
    };
    const faster = pr('faster', { 'verifyfix/core.py': FASTER }, '2025-01-02T00:00:00Z');
    const neutral = pr(
      'neutral',
      { 'verifyfix/core.py': NEUTRAL, 'README.md': '# verifyfix\n\nCounts duplicates.\n' },
      '2025-01-03T00:00:00Z',
    );
    const slower = pr('slower', { 'verifyfix/core.py': SLOWER }, '2025-01-04T00:00:00Z');
    repo.mirrorTo(join(root, 'store', 'demo-org', 'verifyfix.git'));
    const store = new OfflineStore(join(root, 'store'));
    const registryPath = join(root, 'registry.json');
    const row = (sha: string, n: number): SynthesizeInputRow => ({
      repo_name: 'demo-org/verifyfix',
      pr_number: n,
      sha,
      pr_base_sha: base,
      pr_merged_at: '2025-01-05T00:00:00Z',
    });
    const rows = [row(faster, 1), row(neutral, 2), row(slower, 3)];

    let t = Date.now();
    const built = await synthesize(
      { rows },
      { docker, store, registryPath, log: createMemoryLogger() },
      { asvSource: testOnlyAsvSource(), releases: ['bookworm'], maxSimilarCandidates: 0, maxAttempts: 1 },
    );
    timings.synthesize = (Date.now() - t) / 1000;
    for (const r of built.results) if (r.ok) made.push(r.image_name);
    expect(built.results, built.results[0]?.stderr_tail).toHaveLength(1);
    const b0 = built.results[0];
    expect(b0, `${b0?.stage} ${b0?.reason} ${b0?.stderr_tail ?? ''}`).toMatchObject({
      ok: true,
      install_mode: 'editable',
    });

    t = Date.now();
    const log = createMemoryLogger();
    const out = await verify(
      { rows },
      { docker, store, registryPath, log },
      { maxBenchmarks: 4, maxParamSets: 2, verifyMinutes: 10, maxForeignShare: 0.5 },
    );
    timings.verify = (Date.now() - t) / 1000;
    const bySha = new Map(out.results.map((r) => [r.sha, r]));
    const [f, n, s] = [faster, neutral, slower].map((sha) => bySha.get(sha) as VerifyResult);
    const show = (r: VerifyResult | undefined) =>
      JSON.stringify(
        {
          verified: r?.verified,
          reason: r?.reason,
          speedup: r?.speedup,
          message: r?.message,
          benchmarks: r?.benchmarks.map((b) => [b.name, b.change, b.asv_mark, b.speedup, b.significant, b.noisy]),
        },
        null,
        1,
      );
    for (const r of [f, n, s]) {
      timings[`task_${r?.sha.slice(0, 7)}`] = r?.duration_s ?? -1;
      console.log(show(r));
    }

    // The O(n^2) → O(n) change: count_dupes is much faster, by asv's statistics.
    expect(f, show(f)).toMatchObject({ verified: true, reason: null, rebuilt: false, cpuset: expect.any(String) });
    // One CPU probe before each pass and one after the last (ABBA: 5; AB when the budget is short: 3).
    expect([3, 5], show(f)).toContain(f?.cpu_probe_s.length);
    expect(f?.cpu_probe_spread).toBeGreaterThanOrEqual(1);
    // What other work took of the pinned CPU, per pass, read from /proc/stat and the container's cgroup.
    expect(f?.foreign_cpu_share).toHaveLength((f?.cpu_probe_s.length ?? 1) - 1);
    for (const share of f?.foreign_cpu_share ?? []) expect(share).toBeTypeOf('number');
    expect(f?.speedup).toBeGreaterThan(3);
    const dupes = f?.benchmarks.find((b) => b.name === 'bench_core.TimeDupes.time_count_dupes');
    expect(dupes).toMatchObject({ tier: 'names', change: 'faster', asv_mark: '-', significant: true });
    expect(dupes?.before.samples).toBeGreaterThan(4);
    expect(f?.changed_names).toEqual(['count_dupes']);
    // A benchmark with 6 parameter sets runs only 2 of them, the first and the last (asv's own --bench selection).
    expect(f?.benchmarks.filter((b) => b.name.startsWith('bench_core.TimeScaleSizes.')).map((b) => b.name)).toEqual([
      'bench_core.TimeScaleSizes.time_scale_sizes(1, 10)',
      'bench_core.TimeScaleSizes.time_scale_sizes(3, 100)',
    ]);
    expect(f?.selection).toContain(
      'parameter sets capped at 2 for bench_core.TimeScaleSizes.time_scale_sizes (2 of 6)',
    );
    // Only time benchmarks are measured, the touched one first.
    expect(f?.benchmarks.map((b) => b.name)).not.toContain('bench_core.track_dupes');

    // A docstring: nothing runs differently, so nothing may count as faster.
    expect(n, show(n)).toMatchObject({ verified: false });
    expect(['no_significant_speedup', 'slower', 'flaky']).toContain(n?.reason);
    expect(n?.benchmarks.filter((b) => b.change === 'faster' && !b.noisy)).toEqual([]);

    // total walks its input four times: slower, never verified.
    expect(s, show(s)).toMatchObject({ verified: false, reason: 'slower' });
    const tot = s?.benchmarks.find((b) => b.name === 'bench_core.TimeTotal.time_total');
    expect(tot).toMatchObject({ tier: 'names', change: 'slower', asv_mark: '+' });
    expect(tot?.speedup).toBeLessThan(0.5);

    // Our reading of each benchmark agrees with asv compare's own mark.
    for (const r of [f, n, s]) {
      for (const b of r?.benchmarks ?? []) {
        const mark = b.change === 'faster' ? '-' : b.change === 'slower' ? '+' : ' ';
        expect(b.asv_mark, `${r?.sha} ${b.name}`).toBe(mark);
      }
    }

    // A second run measures nothing again (same image, same code version).
    t = Date.now();
    const again = await verify({ rows }, { docker, store, registryPath, log }, { previous: out.results });
    expect(again.results).toEqual(out.results);
    expect(Date.now() - t).toBeLessThan(10_000);

    // Another process spinning on the pinned CPU during the measurement: machine_busy, whatever the numbers.
    const spinner = spawn('taskset', ['-c', defaultCpuset(), 'python3', '-c', 'while True: pass'], { stdio: 'ignore' });
    try {
      const busy = await verify(
        { rows: [row(faster, 1)] },
        { docker, store, registryPath, log },
        { maxBenchmarks: 1, passes: 1, verifyMinutes: 5 },
      );
      const b = busy.results[0];
      expect(b, show(b)).toMatchObject({ verified: false, reason: 'machine_busy' });
      expect(Math.max(...(b?.foreign_cpu_share.map((x) => x ?? 0) ?? [0]))).toBeGreaterThan(0.3);
      expect(b?.message).toMatch(/^other work took \d+ % of the pinned CPUs/);
      // Not kept: the next run measures it again.
      expect(keepsPrevious(b as VerifyResult, b?.image_id ?? null, {})).toBe(false);
    } finally {
      spinner.kill('SIGKILL');
    }
  });
  it('rebuilds a compiled project after the patch and verifies the faster C code', async () => {
    expect(C_FAST).not.toBe(C_SLOW);
    const repo = new FixtureRepo(join(root, 'work-c'));
    const files = asvFixtureFiles({
      name: 'cfix',
      dependencies: [],
      benchmarks: 'from cfix import work\n\n\ndef time_work():\n    work(1000)\n',
      init: 'from ._work import work\n',
    });
    const base = repo.commit(
      {
        ...files,
        'cfix/core.py': null,
        'cfix/_work.c': C_SLOW,
        'setup.py':
          'from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("cfix._work", ["cfix/_work.c"])])\n',
        'tests/test_core.py': 'from cfix import work\n\n\ndef test_work():\n    assert work(3) == 4\n',
      },
      'base',
      '2025-01-01T00:00:00Z',
    );
    const faster = repo.commit({ 'cfix/_work.c': C_FAST }, 'closed form', '2025-01-02T00:00:00Z');
    repo.mirrorTo(join(root, 'store', 'demo-org', 'cfix.git'));
    const store = new OfflineStore(join(root, 'store'));
    const registryPath = join(root, 'registry-c.json');
    const rows: SynthesizeInputRow[] = [
      {
        repo_name: 'demo-org/cfix',
        pr_number: 1,
        sha: faster,
        pr_base_sha: base,
        pr_merged_at: '2025-01-03T00:00:00Z',
      },
    ];
    let t = Date.now();
    const built = await synthesize(
      { rows },
      { docker, store, registryPath, log: createMemoryLogger() },
      { asvSource: testOnlyAsvSource(), releases: ['bookworm'], maxSimilarCandidates: 0, maxAttempts: 1 },
    );
    timings.synthesize_c = (Date.now() - t) / 1000;
    for (const r of built.results) if (r.ok) made.push(r.image_name);
    const b0 = built.results[0];
    expect(b0, `${b0?.stage} ${b0?.reason} ${b0?.stderr_tail ?? ''}`).toMatchObject({ ok: true });
    t = Date.now();
    const out = await verify(
      { rows },
      { docker, store, registryPath, log: createMemoryLogger() },
      { verifyMinutes: 10 },
    );
    timings.verify_c = (Date.now() - t) / 1000;
    const r = out.results[0] as VerifyResult;
    console.log(
      JSON.stringify({
        verified: r.verified,
        reason: r.reason,
        speedup: r.speedup,
        message: r.message,
        rebuilt: r.rebuilt,
      }),
    );
    expect(r, r.message).toMatchObject({ verified: true, rebuilt: true, changed_files: ['cfix/_work.c'] });
    expect(r.speedup).toBeGreaterThan(3);
    expect(r.benchmarks.find((b) => b.name === 'bench_core.time_work')).toMatchObject({
      change: 'faster',
      asv_mark: '-',
    });
  });
});
