import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_GIT_ENV } from './git';

/**
 * Runs a demo package's own tests and ASV benchmarks with the host's python3 at a given commit,
 * without asv and without installing anything: the tree is exported with `git archive`, the
 * package is imported from the export, benchmarks are timed with `timeit`. A sanity check that
 * the demo's perf PRs really are faster, not a replacement for asv.
 */

const PYTHON = process.env.DEMO_PYTHON ?? 'python3';

/** One BLAS thread: threaded BLAS on a busy machine makes small timings erratic. */
const PYTHON_ENV: NodeJS.ProcessEnv = {
  PYTHONDONTWRITEBYTECODE: '1',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => resolve({ code: -1, stdout: '', stderr: e.message }));
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Null when the host's python3 can import numpy, else a one-line reason. */
export async function pythonUnavailableReason(): Promise<string | null> {
  const r = await run(PYTHON, ['-c', 'import numpy, sys; print(sys.version.split()[0], numpy.__version__)']);
  if (r.code === 0) return null;
  const last = r.stderr.trim().split('\n').pop() ?? '';
  return `${PYTHON} cannot import numpy (${last || `exit ${r.code}`})`;
}

/** Extracts the tree of `sha` into a fresh temporary folder; the caller removes it. */
export async function exportCommit(gitDir: string, sha: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'demo-export-'));
  const r = await run('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', gitDir, sha, dir], {
    env: DEMO_GIT_ENV,
  });
  if (r.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot export ${sha} from ${gitDir}: ${r.stderr.trim()}`);
  }
  return dir;
}

const TEST_RUNNER = `
import importlib.util, json, pathlib, sys, traceback
root = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(root))
passed, failed = 0, []
for path in sorted((root / "tests").glob("test_*.py")):
    spec = importlib.util.spec_from_file_location("demo_tests_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in sorted(dir(module)):
        fn = getattr(module, name)
        if name.startswith("test_") and callable(fn):
            try:
                fn()
                passed += 1
            except Exception:
                failed.append(path.name + "::" + name + ": " + traceback.format_exc().strip().splitlines()[-1])
print(json.dumps({"passed": passed, "failed": failed}))
`;

const BENCH_RUNNER = `
import importlib, json, pathlib, sys, timeit
root, bench_dir, names, budget = pathlib.Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])
bench_path = root / bench_dir
sys.path.insert(0, str(root))
sys.path.insert(0, str(bench_path.parent))
out = {}
for name in names:
    parts = name.split(".")
    module = importlib.import_module(bench_path.name + "." + parts[0])
    if len(parts) == 3:
        instance = getattr(module, parts[1])()
        if hasattr(instance, "setup"):
            instance.setup()
        fn = getattr(instance, parts[2])
    else:
        fn = getattr(module, parts[1])
    fn()
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    best = min(timer.repeat(repeat=max(3, int(budget / 0.2)), number=number)) / number
    out[name] = best
print(json.dumps(out))
`;

const BENCH_SMOKE = `
import importlib, inspect, json, pathlib, sys
root, bench_dir = pathlib.Path(sys.argv[1]), sys.argv[2]
bench_path = root / bench_dir
sys.path.insert(0, str(root))
sys.path.insert(0, str(bench_path.parent))
ran = []
for path in sorted(bench_path.glob("*.py")):
    if path.stem == "__init__":
        continue
    module = importlib.import_module(bench_path.name + "." + path.stem)
    for name, obj in sorted(vars(module).items()):
        if inspect.isclass(obj) and obj.__module__ == module.__name__:
            for attr in sorted(dir(obj)):
                if attr.startswith("time_"):
                    instance = obj()
                    if hasattr(instance, "setup"):
                        instance.setup()
                    getattr(instance, attr)()
                    ran.append(path.stem + "." + name + "." + attr)
        elif name.startswith("time_") and inspect.isfunction(obj):
            obj()
            ran.append(path.stem + "." + name)
print(json.dumps(ran))
`;

/** Result of a package's test-suite run. */
export interface PackageTestResult {
  readonly passed: number;
  readonly failed: readonly string[];
}

/** Runs every `test_*` function of `tests/test_*.py` in the tree of `sha`. */
export async function runPackageTests(gitDir: string, sha: string): Promise<PackageTestResult> {
  const dir = await exportCommit(gitDir, sha);
  try {
    const r = await run(PYTHON, ['-c', TEST_RUNNER, dir], { env: PYTHON_ENV });
    if (r.code !== 0)
      throw new Error(`tests at ${sha.slice(0, 10)} crashed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(r.stdout) as PackageTestResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs every ASV benchmark (`time_*` functions and methods, after `setup`) of the tree of `sha`
 * once, and returns their asv names. Fails when one raises.
 */
export async function runAllBenchmarksOnce(gitDir: string, sha: string, benchmarkDir: string): Promise<string[]> {
  const dir = await exportCommit(gitDir, sha);
  try {
    const r = await run(PYTHON, ['-c', BENCH_SMOKE, dir, benchmarkDir], { env: PYTHON_ENV });
    if (r.code !== 0) {
      throw new Error(`benchmarks at ${sha.slice(0, 10)} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return JSON.parse(r.stdout) as string[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Seconds per call of each ASV benchmark (`module.Class.method` or `module.function`, relative to
 * `benchmarkDir`) in the tree of `sha`, best of several timeit repeats.
 */
export async function timeBenchmarks(
  gitDir: string,
  sha: string,
  benchmarkDir: string,
  names: readonly string[],
  budgetSeconds = 0.6,
): Promise<Record<string, number>> {
  const dir = await exportCommit(gitDir, sha);
  try {
    const r = await run(PYTHON, ['-c', BENCH_RUNNER, dir, benchmarkDir, JSON.stringify(names), String(budgetSeconds)], {
      env: PYTHON_ENV,
    });
    if (r.code !== 0) {
      throw new Error(`benchmarks at ${sha.slice(0, 10)} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return JSON.parse(r.stdout) as Record<string, number>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
