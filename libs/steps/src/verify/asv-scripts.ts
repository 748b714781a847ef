/**
 * The Python programs verify runs in a task's measuring container (besides asv itself), and where
 * they put their files.
 */

/** The measuring container's work folder: side configs, results, the gold patch. */
export const VERIFY_WORK = '/tmp/datasmith-verify';
/** The machine name asv records results under. */
export const MACHINE = 'datasmith';

/** A fixed pure-Python loop (~0.1 s on an idle core), timed in the measuring container. */
export const CPU_PROBE =
  'import time\nt = time.perf_counter()\ns = 0\nfor i in range(1_000_000):\n    s += i * i\nprint(time.perf_counter() - t)';

/** Dumps the suite's Python files (relative path → text) as one JSON object. */
export const DUMP_SUITE = `import json, os, sys
root = sys.argv[1]
out = {}
for dirpath, dirnames, files in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    for f in sorted(files):
        if f.endswith(".py"):
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = open(p, encoding="utf-8", errors="replace").read()
print(json.dumps(out))
`;

/** Writes one config per side (its own results folder) from the derived asv config. */
export const SIDE_CONFIGS = `import json, sys
base, suite = sys.argv[1], sys.argv[2]
conf = json.load(open(base))
conf["benchmark_dir"] = suite
for side in ("before", "after", "probe"):
    c = dict(conf, results_dir="${VERIFY_WORK}/results-" + side)
    json.dump(c, open("${VERIFY_WORK}/asv-" + side + ".conf.json", "w"), indent=2)
print("ok")
`;

/** The benchmarks with no value in any parameter combination of a results folder (failed, not skipped). */
export const FAILED_AT_BASE = `import json, sys
from asv.results import iter_results_for_machine_and_hash
d, machine, commit = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
for result in iter_results_for_machine_and_hash(d, machine, commit):
    for key in result.get_all_result_keys():
        v = result.get_result_value(key, result.get_result_params(key))
        values = v if isinstance(v, list) else [v]
        # A parameter set --bench did not select is NaN (not run): failing means every set that ran failed.
        ran = [x for x in values if not (isinstance(x, float) and x != x)]
        if ran and all(x is None for x in ran):
            out.append(key)
print(json.dumps(sorted(set(out))))
`;

/**
 * asv's own comparison of the two sides (asv.commands.compare): per benchmark and parameter set, both
 * sides' values, stats and sample counts, asv.statistics.is_different where asv applies it, and the
 * mark \`asv compare\` would print.
 */
export const COMPARE = `import json, sys
from asv.results import iter_results_for_machine_and_hash
from asv.commands.compare import unroll_result, _is_result_better, _isna
try:
    from asv import statistics  # asv 0.6.4
except ImportError:
    from asv import _stats as statistics  # asv 0.6.5+ (Debian 13 bases: 0.6.6)
before_dir, after_dir, machine, commit, factor = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
import os
half_dirs = sys.argv[6:8] if len(sys.argv) >= 8 and all(os.path.isdir(d) for d in sys.argv[6:8]) else None
def load(d):
    out = {}
    for result in iter_results_for_machine_and_hash(d, machine, commit):
        for key in result.get_all_result_keys():
            params = result.get_result_params(key)
            value = result.get_result_value(key, params)
            stats = result.get_result_stats(key, params)
            samples = result.get_result_samples(key, params)
            version = result.benchmark_version.get(key)
            for name, v, st, sa in unroll_result(key, params, value, stats, samples):
                out[name] = (v, st, sa, version)
    return out
def num(x):
    try:
        x = float(x)
    except Exception:
        return None
    return None if x != x or x in (float("inf"), float("-inf")) else x
def side(e):
    if e is None:
        return {"status": "missing", "value": None, "stats": None, "samples": 0}
    v, st, sa, _ = e
    status = "failed" if v is None else ("skipped" if v != v else "ok")
    stats = {k: num(st.get(k)) for k in ("ci_99_a", "ci_99_b", "q_25", "q_75", "repeat", "number")} if st else None
    return {"status": status, "value": num(v), "stats": stats, "samples": len([s for s in (sa or []) if s is not None])}
def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
def halves(name):
    # Samples are appended (asv: old + new), so pass 1 / pass 2 are the first samples of each side.
    if half_dirs is None or name not in b1 or name not in a1 or name not in b or name not in a:
        return None
    sb1, sa1, sb, sa = b1[name][2] or [], a1[name][2] or [], b[name][2] or [], a[name][2] or []
    mb1, ma1 = median(sb1), median(sa1)
    mb2, ma2 = median(sb[len(sb1):]), median(sa[len(sa1):])
    if None in (mb1, ma1, mb2, ma2) or ma1 <= 0 or ma2 <= 0:
        return None
    return [round(mb1 / ma1, 4), round(mb2 / ma2, 4)]
b, a = load(before_dir), load(after_dir)
b1, a1 = (load(half_dirs[0]), load(half_dirs[1])) if half_dirs else ({}, {})
rows = []
for name in sorted(set(b) | set(a)):
    eb, ea = b.get(name), a.get(name)
    sig, mark, same_version = None, " ", True
    if eb is not None and ea is not None:
        t1, ss1, t2, ss2 = eb[0], (eb[1], eb[2]), ea[0], (ea[1], ea[2])
        if ss1[0] and ss2[0] and ss1[0].get("repeat", 0) != 1 and ss2[0].get("repeat", 0) != 1 and not _isna(t1) and not _isna(t2):
            sig = bool(statistics.is_different(ss1[1], ss2[1], ss1[0], ss2[0]))
        if eb[3] is not None and ea[3] is not None and eb[3] != ea[3]:
            mark, same_version = "x", False
        elif t1 is not None and t2 is None:
            mark = "!"
        elif t1 is None or t2 is None or _isna(t1) or _isna(t2):
            mark = " "
        elif _is_result_better(t2, t1, ss2, ss1, factor):
            mark = "-"
        elif _is_result_better(t1, t2, ss1, ss2, factor):
            mark = "+"
    elif eb is not None and eb[0] is not None:
        mark = "!"
    rows.append({"name": name, "before": side(eb), "after": side(ea), "significant": sig, "same_version": same_version, "asv_mark": mark, "halves": halves(name)})
print(json.dumps(rows))
`;
