import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RegistryEntry } from '../synthesize/context';
import { CPU_ACCOUNT, CpuReading, foreignShare, parseCpuset } from './cpu-account';
import {
  type SideResult,
  busiestPass,
  compareBenchmark,
  untracedTooSmall,
  decideVerdict,
  halvesDisagree,
  isNoisy,
  isResultBetter,
} from './decide';
import {
  benchRegexFor,
  changeTargets,
  compiledModules,
  defName,
  enclosingDefs,
  moduleName,
  paramSetNames,
  parsePatchFiles,
  selectBenchmarks,
  spreadParamSets,
} from './select';
import { planPasses, runShareMs } from './abba-passes';
import { dropFailing, probeCandidates } from './benchmark-plan';
import { VERIFY_CODE_VERSION, defaultCpuset, installModeOf, keepsPrevious, needsRebuild, probeSpread } from './verify';

const ok = (value: number, q = 0.01): SideResult => ({
  status: 'ok',
  value,
  stats: {
    ci_99_a: value * 0.9,
    ci_99_b: value * 1.1,
    q_25: value * (1 - q),
    q_75: value * (1 + q),
    repeat: 10,
    number: 100,
  },
  samples: 20,
});
const failed: SideResult = { status: 'failed', value: null, stats: null, samples: 0 };

describe("asv compare's decision", () => {
  it('counts a change only beyond the factor and when asv finds the sides different', () => {
    // 1.0 → 0.5: twice as fast, significant.
    expect(compareBenchmark(ok(1), ok(0.5), true, 1.05)).toBe('faster');
    // Twice as fast but not significant (overlapping samples): asv says nothing changed.
    expect(compareBenchmark(ok(1), ok(0.5), false, 1.05)).toBe('same');
    // Significant but within the factor: 1.0 → 0.97 is not better by 1.05.
    expect(compareBenchmark(ok(1), ok(0.97), true, 1.05)).toBe('same');
    expect(compareBenchmark(ok(1), ok(0.94), true, 1.05)).toBe('faster');
    expect(compareBenchmark(ok(1), ok(1.2), true, 1.05)).toBe('slower');
    // A single repeat: no statistics apply (null), the factor alone decides, as in asv.
    expect(compareBenchmark(ok(1), ok(0.5), null, 1.05)).toBe('faster');
  });

  it('mirrors _is_result_better exactly at the boundary', () => {
    expect(isResultBetter(1 / 1.05, 1, true, 1.05)).toBe(false);
    expect(isResultBetter(1 / 1.05 - 1e-9, 1, true, 1.05)).toBe(true);
    expect(isResultBetter(0.1, 1, false, 1.05)).toBe(false);
  });

  it('orders failure cases as asv compare does', () => {
    expect(compareBenchmark(ok(1), failed, null, 1.05)).toBe('failed_after');
    expect(compareBenchmark(failed, ok(1), null, 1.05)).toBe('failed_before');
    expect(compareBenchmark(failed, failed, null, 1.05)).toBe('failed_both');
    expect(compareBenchmark(ok(1), { ...ok(1), status: 'skipped', value: null }, null, 1.05)).toBe('skipped');
    expect(compareBenchmark(ok(1), ok(0.5), true, 1.05, false)).toBe('not_comparable');
  });

  it('flags a change whose interquartile ranges overlap', () => {
    // 1.0 ± 5 % against 0.5 ± 5 %: apart.
    expect(isNoisy(ok(1, 0.05), ok(0.5, 0.05))).toBe(false);
    // 1.0 ± 30 % against 0.8 ± 30 %: the quartiles overlap.
    expect(isNoisy(ok(1, 0.3), ok(0.8, 0.3))).toBe(true);
  });
});

describe('a speed-up holds in each half of ABBA', () => {
  it('counts it only when pass 1 vs 2 and pass 4 vs 3 both pass the factor', () => {
    expect(halvesDisagree([2.1, 1.9], 1.05, 'faster')).toBe(false);
    // A burst of other work during one pass: the whole change comes from one half.
    expect(halvesDisagree([1.9, 1.01], 1.05, 'faster')).toBe(true);
    expect(halvesDisagree([0.9, 2.5], 1.05, 'faster')).toBe(true);
    // AB, or a side without samples: nothing to check.
    expect(halvesDisagree(null, 1.05, 'faster')).toBe(false);
    expect(halvesDisagree([1.9], 1.05, 'faster')).toBe(false);
  });
  it('holds a slow-down to the same rule, and leaves other changes alone', () => {
    expect(halvesDisagree([0.5, 0.6], 1.05, 'slower')).toBe(false);
    // lmfit #973 on a quiet machine: ×0.95 overall, one half ×0.99.
    expect(halvesDisagree([0.9506, 0.9921], 1.05, 'slower')).toBe(true);
    expect(halvesDisagree([0.9, 1.2], 1.05, 'same')).toBe(false);
  });
  it('does not call a task slower on a slow-down of one half', () => {
    const slower = (noisy: boolean) => ({ name: 'b', change: 'slower' as const, speedup: 0.95, noisy });
    const same = { name: 'c', change: 'same' as const, speedup: 1, noisy: false };
    expect(decideVerdict([slower(halvesDisagree([0.95, 0.99], 1.05, 'slower')), same])).toMatchObject({
      verified: false,
      reason: 'no_significant_speedup',
      slower: 0,
    });
    expect(decideVerdict([slower(halvesDisagree([0.9, 0.92], 1.05, 'slower')), same])).toMatchObject({
      reason: 'slower',
      slower: 1,
    });
  });
  it('turns a speed-up of one half into flaky, not verified', () => {
    const faster = (noisy: boolean) => ({ name: 'b', change: 'faster' as const, speedup: 1.7, noisy });
    expect(decideVerdict([faster(halvesDisagree([1.9, 1.0], 1.05, 'faster'))])).toMatchObject({
      verified: false,
      reason: 'flaky',
    });
    expect(decideVerdict([faster(halvesDisagree([1.8, 1.6], 1.05, 'faster'))])).toMatchObject({ verified: true });
  });
});

describe('the task verdict', () => {
  const m = (change: Parameters<typeof decideVerdict>[0][number]['change'], speedup: number | null, noisy = false) => ({
    name: `b${Math.random()}`,
    change,
    speedup,
    noisy,
  });
  it('verifies one significant speed-up and reports the best', () => {
    const v = decideVerdict([m('faster', 3), m('same', 1.01), m('faster', 1.5)]);
    expect(v).toMatchObject({ verified: true, reason: null, speedup: 3, faster: 2, compared: 3 });
    expect(v.speedup_gmean).toBeCloseTo((3 * 1.01 * 1.5) ** (1 / 3), 3);
  });
  it('refuses a change that breaks a benchmark, even with a speed-up elsewhere', () => {
    expect(decideVerdict([m('faster', 3), m('failed_after', null)])).toMatchObject({
      verified: false,
      reason: 'benchmark_failed_after',
    });
  });
  it('names the negative outcomes', () => {
    expect(decideVerdict([m('same', 1.02), m('same', 0.99)])).toMatchObject({
      verified: false,
      reason: 'no_significant_speedup',
      speedup: 1.02,
    });
    expect(decideVerdict([m('slower', 0.25), m('same', 1)])).toMatchObject({ verified: false, reason: 'slower' });
    expect(decideVerdict([m('faster', 2, true)])).toMatchObject({ verified: false, reason: 'flaky' });
    expect(decideVerdict([m('failed_both', null)])).toMatchObject({ verified: false, reason: 'no_benchmark_result' });
    // Nothing changed, and no benchmark reaches the changed code: the suite cannot tell.
    const untraced = (change: 'same' | 'faster' | 'slower', speedup: number) => ({
      ...m(change, speedup),
      traced: false,
    });
    expect(decideVerdict([untraced('same', 1.01), untraced('same', 0.99)])).toMatchObject({
      verified: false,
      reason: 'not_covered',
    });
    // One benchmark that reaches it: a measured no.
    expect(decideVerdict([untraced('same', 1.01), { ...m('same', 1), traced: true }])).toMatchObject({
      reason: 'no_significant_speedup',
    });
    // A change on an untraced benchmark still counts, either way.
    expect(decideVerdict([untraced('faster', 1.8)])).toMatchObject({ verified: true });
    expect(decideVerdict([untraced('slower', 0.5)])).toMatchObject({ reason: 'slower' });
    expect(decideVerdict([])).toMatchObject({ verified: false, reason: 'no_benchmarks' });
  });
});

const PATCH = `diff --git a/pkg/core.py b/pkg/core.py
index 1111111..2222222 100644
--- a/pkg/core.py
+++ b/pkg/core.py
@@ -5,7 +5,7 @@ def total(xs):
 
 class Matrix:
     def multiply(self, other):
-        return slow(self, other)
+        return fast(self, other)
 
     def shape(self):
         return self.n
@@ -20,0 +21,3 @@ def helper():
+def fast(a, b):
+    return a
+
diff --git a/tests/test_core.py b/tests/test_core.py
--- a/tests/test_core.py
+++ b/tests/test_core.py
@@ -1,1 +1,1 @@
-def test_total(): pass
+def test_total(): assert True
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1 @@
-x
+y
`;

const BASE_CORE = `import math


def total(xs):
    return sum(xs)

class Matrix:
    def multiply(self, other):
        return slow(self, other)

    def shape(self):
        return self.n


def slow(a, b):
    return a


def helper():
    return 1
`;

describe('benchmark selection by the changed code', () => {
  it('parses the base-side lines and new definitions of a patch', () => {
    const files = parsePatchFiles(PATCH);
    expect(files.map((f) => f.path)).toEqual(['pkg/core.py', 'tests/test_core.py', 'README.md']);
    expect(files[0]?.oldLines).toEqual([8, 20]);
    expect(files[0]?.addedDefs).toEqual(['fast']);
  });

  it('finds the enclosing method and class of a changed line', () => {
    expect(enclosingDefs(BASE_CORE, [9])).toEqual(['multiply', 'Matrix']);
    expect(enclosingDefs(BASE_CORE, [1])).toEqual([]);
  });

  it('maps files to modules under the import root', () => {
    expect(moduleName('pkg/core.py')).toBe('pkg.core');
    expect(moduleName('pkg/__init__.py')).toBe('pkg');
    expect(moduleName('src/pkg/core.py', 'src')).toBe('pkg.core');
    expect(moduleName('README.md')).toBeNull();
  });

  it('takes the changed names of runtime code only, never tests or docs', () => {
    const targets = changeTargets(parsePatchFiles(PATCH), { 'pkg/core.py': BASE_CORE }, { benchmarkDir: 'benchmarks' });
    expect(targets.files).toEqual(['pkg/core.py']);
    expect(targets.modules).toEqual(['pkg.core']);
    expect(targets.names.map((n) => n.name)).toEqual(['Matrix', 'fast', 'helper', 'multiply']);
  });

  it('puts benchmarks that name a changed function first, then importers of a changed module, then the rest', () => {
    const suite = {
      'bench_matrix.py': `from pkg import Matrix\n\nclass TimeMatrix:\n    def setup(self):\n        self.m = Matrix()\n\n    def time_multiply(self):\n        self.m.multiply(self.m)\n\n\nclass TimeOther:\n    def time_nothing(self):\n        pass\n`,
      'bench_io.py': `import pkg.core\n\ndef time_read():\n    pkg.core.total([1])\n`,
      'bench_misc.py': `def time_a():\n    pass\n\ndef time_b():\n    pass\n`,
    };
    const targets = changeTargets(parsePatchFiles(PATCH), { 'pkg/core.py': BASE_CORE }, { benchmarkDir: 'benchmarks' });
    const names = [
      'bench_io.time_read',
      'bench_matrix.TimeMatrix.time_multiply',
      'bench_matrix.TimeOther.time_nothing',
      'bench_misc.time_a',
      'bench_misc.time_b',
    ];
    const picked = selectBenchmarks(names, suite, targets, 4);
    expect(picked.map((p) => [p.name, p.tier])).toEqual([
      ['bench_matrix.TimeMatrix.time_multiply', 'names'],
      ['bench_io.time_read', 'imports'],
      ['bench_matrix.TimeOther.time_nothing', 'rest'],
      ['bench_misc.time_a', 'rest'],
    ]);
    expect(picked[0]?.why).toContain('Matrix (pkg/core.py)');
  });
});

const COMPILED_PATCH = `diff --git a/src/ufuncs.c b/src/ufuncs.c
--- a/src/ufuncs.c
+++ b/src/ufuncs.c
@@ -10,3 +10,3 @@ static void Ydd_b_func(char** args)
-  DEFINE_Ydd_b(contains_xy);
+  DEFINE_Ydd_b_SCALAR(contains_xy);
   PyDict_SetItemString(d, "contains_xy", ufunc);
-  PyDict_SetItemString(d, "shapely", ufunc);
+  PyDict_SetItemString(d, "intersects_xy", ufunc);
diff --git a/geo/force_src/dist.cpp b/geo/force_src/dist.cpp
--- a/geo/force_src/dist.cpp
+++ b/geo/force_src/dist.cpp
@@ -1 +1 @@
-double d = 0;
+double d = 1;
diff --git a/geo/align/speed.pyx b/geo/align/speed.pyx
--- a/geo/align/speed.pyx
+++ b/geo/align/speed.pyx
@@ -3,1 +3,1 @@
-    return x
+    return x * 1
`;

const BASE_SPEED = `cimport cython

cpdef double warp_points(double[:, :] pts, int n=0) nogil:
    return x
`;

describe('benchmark selection for compiled sources', () => {
  it('reads Python and Cython definitions, not Cython variable declarations', () => {
    expect(defName('def f(x):')).toBe('f');
    expect(defName('class Matrix(Base):')).toBe('Matrix');
    expect(defName('cpdef double warp_points(double[:, :] pts) nogil:')).toBe('warp_points');
    expect(defName('cdef inline np.float64_t* buf(int n):')).toBe('buf');
    expect(defName('cdef class Grid:')).toBe('Grid');
    expect(defName('cdef double x = f(1)')).toBeNull();
    expect(defName(`def ${'a'.repeat(60)}`)).toBeNull(); // no paren: not a definition (and no runaway backtracking)
    expect(enclosingDefs(BASE_SPEED, [4])).toEqual(['warp_points']);
  });

  it('maps a compiled source to its extension, its wrapper, its package, or the top package', () => {
    expect(compiledModules('geo/force_src/dist.cpp', '.', 'geo')).toEqual([
      'geo.force_src.dist',
      'geo.force',
      'geo.force_src',
      'geo',
    ]);
    expect(compiledModules('geo/_speedups.c', '.', 'geo')).toEqual(['geo._speedups', 'geo']);
    expect(compiledModules('src/ufuncs.c', '.', 'shapely')).toEqual(['shapely']);
    // Without the import name the folder is taken for a package (harmless: no benchmark imports `src`).
    expect(compiledModules('src/ufuncs.c', '.', null)).toEqual(['src.ufuncs', 'src']);
  });

  it('takes the names C registers with Python and Cython definitions, and records the compiled files', () => {
    const files = parsePatchFiles(COMPILED_PATCH);
    expect(files[0]?.literals).toEqual(['shapely', 'intersects_xy']);
    const targets = changeTargets(
      files,
      { 'geo/align/speed.pyx': BASE_SPEED },
      { benchmarkDir: 'benchmarks', importName: 'shapely' },
    );
    // "shapely" names the package, which every benchmark mentions: not a name.
    expect(targets.names.map((n) => n.name)).toEqual(['intersects_xy', 'warp_points']);
    expect(targets.modules).toEqual(['geo.align.speed']);
    expect(targets.compiled.map((c) => c.path)).toEqual(['geo/force_src/dist.cpp', 'src/ufuncs.c']);
  });

  it('ranks benchmarks that call a registered name, then importers of a wrapper, and says why for the rest', () => {
    const targets = changeTargets(
      parsePatchFiles(COMPILED_PATCH),
      {},
      { benchmarkDir: 'benchmarks', importName: 'geo' },
    );
    const suite = {
      'bench_xy.py':
        'import numpy as np\nimport lib\n\nclass XY:\n    def time_intersects(self):\n        lib.intersects_xy(1, 2)\n',
      'bench_force.py': 'from geo.force import distance\n\ndef time_force():\n    distance(1)\n',
      'bench_other.py': 'import numpy\n\ndef time_sum():\n    numpy.sum([1])\n',
    };
    const picked = selectBenchmarks(
      ['bench_force.time_force', 'bench_other.time_sum', 'bench_xy.XY.time_intersects'],
      suite,
      targets,
      3,
    );
    expect(picked.map((p) => [p.name, p.tier])).toEqual([
      ['bench_xy.XY.time_intersects', 'names'],
      ['bench_force.time_force', 'imports'],
      ['bench_other.time_sum', 'rest'],
    ]);
    expect(picked[0]?.why).toBe('names intersects_xy (src/ufuncs.c)');
    expect(picked[1]?.why).toBe(
      'imports geo.force (wraps compiled geo/force_src/dist.cpp), geo (wraps compiled src/ufuncs.c)',
    );
    expect(picked[2]?.why).toMatch(
      /^not traced to the change, which is in compiled sources \(geo\/force_src\/dist\.cpp, src\/ufuncs\.c\)/,
    );
  });
});

describe('rebuild after the patch', () => {
  const entry = (variant: string, pure: boolean, script = '') =>
    ({
      context: {
        variant,
        files: { 'docker_build_pkg.sh': script },
        facts: { pure_python: pure, build_files: ['pyproject.toml'] },
      },
    }) as unknown as RegistryEntry;
  it('rebuilds compiled projects and non-editable installs, not editable pure Python', () => {
    expect(needsRebuild(entry('editable', true), ['pkg/core.py'])).toBe(false);
    expect(needsRebuild(entry('source', true), ['pkg/core.py'])).toBe(false);
    expect(needsRebuild(entry('regular', true), ['pkg/core.py'])).toBe(true);
    expect(needsRebuild(entry('editable', false), ['pkg/core.pyx'])).toBe(true);
    expect(needsRebuild(entry('editable', true), ['pyproject.toml'])).toBe(true);
  });
  it("reads the install mode from the script's header when the context came from a similar commit", () => {
    const script = '#!/usr/bin/env bash\n# Build system: pyproject; install: editable; offline: true\n';
    expect(installModeOf(entry('similar:3793b50d08df', true, script))).toBe('editable');
    expect(needsRebuild(entry('similar:3793b50d08df', true, script), ['pkg/a.py'])).toBe(false);
    // Unknown: rebuilt, to be safe.
    expect(installModeOf(entry('similar:3793b50d08df', true))).toBeNull();
    expect(needsRebuild(entry('similar:3793b50d08df', true), ['pkg/a.py'])).toBe(true);
  });
});

describe('passes within the budget', () => {
  it('shares what is left of the measuring budget over the runs to come, rebuild time not counted', () => {
    // 12 min budget, 2 min spent measuring, 3 runs to come: 200 s each.
    expect(runShareMs(720_000, 120_000, 0, 3)).toBe(200_000);
    // The same 2 min of measuring after a 7-min rebuild of a compiled project (dipy on one CPU): still 200 s each.
    expect(runShareMs(720_000, 540_000, 420_000, 3)).toBe(200_000);
    // Over budget: at least 30 s, so a run can still finish.
    expect(runShareMs(720_000, 900_000, 0, 2)).toBe(30_000);
  });

  it('keeps ABBA when the remaining passes fit, else falls back to before/after', () => {
    // 20 s a pass, 30 s spent, 20 min budget: three more fit.
    expect(planPasses(4, 20_000, 30_000, 1_200_000)).toBe(4);
    // 4 min a pass (datashader), 5 min spent, 15 min budget: 5 + 3 × 5 > 15, two passes only.
    expect(planPasses(4, 240_000, 300_000, 900_000)).toBe(2);
    expect(planPasses(2, 240_000, 300_000, 900_000)).toBe(2);
  });
});

describe('rows of an earlier run', () => {
  const old = {
    image_id: 'sha256:aa',
    code_version: VERIFY_CODE_VERSION,
    reason: null,
    factor: 1.05,
    cpuset: defaultCpuset(),
  };
  it('keeps a row measured in the same image, code version, factor and CPU set', () => {
    expect(keepsPrevious(old, 'sha256:aa', {})).toBe(true);
    expect(keepsPrevious({ ...old, reason: 'no_significant_speedup' }, 'sha256:aa', { factor: 1.05 })).toBe(true);
  });
  it('measures again for another image, code version, factor or CPU set, or after an engine or measurement failure', () => {
    expect(keepsPrevious(old, 'sha256:bb', {})).toBe(false);
    expect(keepsPrevious(old, null, {})).toBe(false);
    expect(keepsPrevious({ ...old, code_version: 'verify-0' }, 'sha256:aa', {})).toBe(false);
    expect(keepsPrevious(old, 'sha256:aa', { factor: 1.1 })).toBe(false);
    expect(keepsPrevious(old, 'sha256:aa', { cpusetCpus: `${defaultCpuset()},9` })).toBe(false);
    expect(keepsPrevious({ ...old, reason: 'measurement_failed' }, 'sha256:aa', {})).toBe(false);
    expect(keepsPrevious({ ...old, reason: 'engine_unreachable' }, 'sha256:aa', {})).toBe(false);
  });
});

describe('benchmarks failing at the base', () => {
  it('leaves out what a quick run at the base found failing, so it takes no slot', () => {
    const all = ['a.time_x', 'b.T.time_y', 'c.time_z'];
    expect(dropFailing(all, ['b.T.time_y', 'not.discovered'])).toEqual({
      kept: ['a.time_x', 'c.time_z'],
      dropped: ['b.T.time_y'],
    });
    expect(dropFailing(all, [])).toEqual({ kept: all, dropped: [] });
  });

  it('probes twice the limit of the best-ranked, and nothing when every benchmark is measured anyway', () => {
    const ranked = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(probeCandidates(ranked, 26, 2)).toEqual(['a', 'b', 'c', 'd']);
    expect(probeCandidates(ranked.slice(0, 2), 2, 6)).toEqual([]);
    expect(probeCandidates(ranked, 6, 6)).toEqual([]);
  });
});

describe('probeSpread', () => {
  it('is slowest ÷ fastest of the CPU probes, null with fewer than two', () => {
    expect(probeSpread([])).toBeNull();
    expect(probeSpread([0.1])).toBeNull();
    expect(probeSpread([0.1, 0.2, 0.12])).toBe(2);
  });
});

describe('parameter sets of a heavily parameterized benchmark', () => {
  // datashader's ShadeCategorical as benchmarks.json lists it: 2 × 3 × 4 = 24 sets.
  const params = [
    ['300', '1000'],
    ["'linear'", "'log'", "'eq_hist'"],
    ['3', '10', '30', '100'],
  ];
  const name = 'shade.ShadeCategorical.time_shade_categorical';
  it("names the sets as asv does (itertools.product order, reprs joined by ', ')", () => {
    const sets = paramSetNames(name, params);
    expect(sets).toHaveLength(24);
    expect(sets[0]).toBe(`${name}(300, 'linear', 3)`);
    expect(sets[1]).toBe(`${name}(300, 'linear', 10)`);
    expect(sets[23]).toBe(`${name}(1000, 'eq_hist', 100)`);
    expect(paramSetNames('a.time_x', [])).toEqual([]);
  });
  it('keeps at most the cap, spread over the grid, with the first and the last', () => {
    const sets = paramSetNames(name, params);
    const spread = spreadParamSets(sets, 4) ?? [];
    expect(spread).toEqual([sets[0], sets[8], sets[15], sets[23]]);
    expect(spreadParamSets(sets, 1)).toEqual([sets[23]]);
    expect(spreadParamSets(sets, 24)).toBeNull();
    expect(spreadParamSets([], 4)).toBeNull();
  });
  it('builds a --bench regex that matches exactly the chosen sets and every set of the others', () => {
    const sets = paramSetNames(name, params);
    const chosen = spreadParamSets(sets, 4) ?? [];
    const regex = new RegExp(
      benchRegexFor([name, 'shade.Shade.time_shade', 'misc.time_plain'], new Map([[name, chosen]])),
    );
    expect(sets.filter((s) => regex.test(s))).toEqual(chosen);
    expect(regex.test("shade.Shade.time_shade(300, 'log')")).toBe(true);
    expect(regex.test('misc.time_plain')).toBe(true);
    expect(regex.test('misc.time_plain_other')).toBe(false);
    expect(regex.test('shade.ShadeCategorical.time_shade_categorical_x(300)')).toBe(false);
  });
});

describe('other work on the pinned CPUs during a pass', () => {
  const reading = (t: number, cpus: Record<string, number>, usage: number | null): CpuReading => ({
    t,
    hz: 100,
    cpus,
    usage_s: usage,
  });
  it('reads Docker CPU sets', () => {
    expect(parseCpuset('1')).toEqual(['1']);
    expect(parseCpuset('0-2,5')).toEqual(['0', '1', '2', '5']);
    expect(() => parseCpuset('a')).toThrow('invalid CPU set "a"');
  });
  it('is the busy time of the pinned CPUs the container did not use, per second of the pass', () => {
    // 10 s on CPU 1: busy 1000 ticks (10 s), the container used 8 s → 20 % was other work.
    expect(foreignShare(reading(0, { '0': 0, '1': 0 }, 1), reading(10, { '0': 500, '1': 1000 }, 9), ['1'])).toBe(0.2);
    // Alone on the CPU: nothing foreign (never below 0 from tick rounding).
    expect(foreignShare(reading(0, { '1': 0 }, 0), reading(10, { '1': 999 }, 10), ['1'])).toBe(0);
    // Two pinned CPUs, one idle: 5 s foreign over 20 CPU-seconds.
    expect(foreignShare(reading(0, { '0': 0, '1': 0 }, 0), reading(10, { '0': 500, '1': 1000 }, 10), ['0', '1'])).toBe(
      0.25,
    );
    // No cgroup usage, or a CPU the reading lacks: unknown.
    expect(foreignShare(reading(0, { '1': 0 }, null), reading(10, { '1': 10 }, null), ['1'])).toBeNull();
    expect(foreignShare(reading(0, { '1': 0 }, 0), reading(10, { '1': 10 }, 1), ['3'])).toBeNull();
  });
  it('names the busiest pass above the limit', () => {
    expect(busiestPass([0.01, 0.3, null, 0.5], 0.1)).toEqual({ pass: 4, share: 0.5 });
    expect(busiestPass([0.01, 0.1, null], 0.1)).toBeNull();
    expect(busiestPass([], 0.1)).toBeNull();
  });
  it('the script reads /proc/stat and a cgroup usage on this machine', () => {
    const r = spawnSync('python3', ['-c', CPU_ACCOUNT], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const parsed = CpuReading.parse(JSON.parse(r.stdout));
    expect(Object.keys(parsed.cpus).length).toBeGreaterThan(0);
    expect(parsed.hz).toBeGreaterThan(0);
  });
});

describe('a benchmark that does not reach the changed code', () => {
  it('counts as faster or slower only beyond the untraced factor', () => {
    // pvlib #2498 changes bishop88; detect_clearsky(1), which never calls it, came out ×1.053.
    expect(untracedTooSmall('rest', 'faster', 1.053, 1.2)).toBe(true);
    expect(untracedTooSmall('rest', 'faster', 1.5, 1.2)).toBe(false);
    // shapely #2442 changes Polygon.from_bounds; time_box (shapely.box) came out ×0.89.
    expect(untracedTooSmall('rest', 'slower', 0.89, 1.2)).toBe(true);
    expect(untracedTooSmall('rest', 'slower', 0.5, 1.2)).toBe(false);
    // A traced benchmark answers to the factor alone (datashader #1437: colorize, ×1.115 through an import).
    expect(untracedTooSmall('imports', 'faster', 1.115, 1.2)).toBe(false);
    expect(untracedTooSmall('names', 'slower', 0.95, 1.2)).toBe(false);
    expect(untracedTooSmall('rest', 'same', 1.1, 1.2)).toBe(false);
  });
});
