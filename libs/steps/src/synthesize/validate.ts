import { type CommandResult, ProbeContainer, tailOf } from '@datasmith/docker';
import type { SynthesisReason, SynthesisStage } from '@datasmith/tables';
import type Docker from 'dockerode';
import { benchmarkOutcomes, exactBenchRegex, parseBenchmarksJson } from './asv-results';
import type { ValidationCheck, ValidationResult } from './context';
import {
  ASV_WORK,
  DERIVE_BENCH,
  DUMP_RESULTS,
  IMPORT_SCAN,
  NETWORK_ERROR,
  REPO_ROOT,
  asvConfigScript,
  fill,
  quote,
  withAsvEnv,
} from './asv-container';
import type { RepoFacts } from './facts';

/**
 * The commands of strict validation, as shell templates. Placeholders: `{config}` (the derived asv
 * config), `{machine}`, `{sha}`, `{bench}` (a quoted regex of the quick-run benchmarks),
 * `{import_name}`, `{tests}` (the quoted tests folder, or nothing). The defaults call real asv.
 */
export interface ValidationCommands {
  asvMachine: string;
  asvDiscover: string;
  asvQuick: string;
  importCheck: string;
  testsCollect: string;
}

// `python -m asv`: the venv's interpreter (PATH), so that `--python=same` benchmarks the installed project.
export const DEFAULT_VALIDATION_COMMANDS: ValidationCommands = {
  asvMachine: 'python -m asv --config {config} machine --yes --machine {machine}',
  asvDiscover: 'python -m asv --config {config} run --bench just-discover --python=same --machine {machine}',
  asvQuick:
    'python -m asv --config {config} run --quick --show-stderr --python=same --machine {machine} --set-commit-hash={sha} --bench {bench}',
  importCheck: 'python -c "import {import_name}"',
  testsCollect: 'python -m pytest --collect-only -q -p no:cacheprovider {tests}',
};

/** Token shapes that must not be in an image (environment or files). */
export const DEFAULT_SECRET_PATTERNS: readonly string[] = [
  'gh[pousr]_[A-Za-z0-9]{36}',
  'github_pat_[A-Za-z0-9_]{22,}',
  'hf_[A-Za-z0-9]{30,}',
  'dckr_pat_[A-Za-z0-9_-]{20,}',
];

/** Folders scanned for secrets. */
export const SECRET_SCAN_DIRS: readonly string[] = [
  '/workspace',
  '/root',
  '/home',
  '/etc',
  '/opt',
  '/tmp',
  '/srv',
  '/datasmith',
  '/usr/local',
];

export interface ValidationOptions {
  commands?: Partial<ValidationCommands>;
  /** Limit of the quick benchmark run in ms (default 300 000: real suites JIT-compile or build data in setup); running out is a failure. */
  benchTimeoutMs?: number;
  /** Limit of every other check in ms (default 300 000). */
  checkTimeoutMs?: number;
  /** How many discovered benchmarks each quick-run batch takes (default 3). */
  quickCount?: number;
  /** Batches tried until one has a benchmark that runs (default 3). */
  quickRounds?: number;
  secretPatterns?: readonly string[];
  /** asv machine name. Default `datasmith`. */
  machine?: string;
  /** Characters of each check's output kept. Default 4000. */
  tailChars?: number;
}

export interface ValidateTarget {
  image: string;
  sha: string;
  facts: RepoFacts;
  /** Requirements no Debian package provided: an import failing on one of them is `dependency_unavailable`. */
  unavailable?: readonly string[];
  /** Offline, benchmark modules that fail to import are left out of the suite (and listed); online the suite runs whole. */
  offline?: boolean;
  /** How the project was installed; a regular install must not be shadowed by the source tree when tests collect. */
  installMode?: string | null;
  containerName: string;
  labels: Record<string, string>;
}

/** The repository lock check: exit code → reason. */
const REPO_CHECK_REASONS: Record<number, SynthesisReason> = {
  10: 'head_mismatch',
  11: 'head_mismatch',
  12: 'tag_present',
  13: 'stash_present',
  14: 'later_commit_present',
  15: 'extra_ref_present',
  16: 'remote_present',
  17: 'alternates_present',
};

function repoCheckScript(sha: string): string {
  return `set -u
cd ${REPO_ROOT} 2>/dev/null || { echo "no repository at ${REPO_ROOT}"; exit 10; }
git() { command git -c safe.directory='*' "$@"; }
head=$(git rev-parse HEAD 2>/dev/null) || { echo "not a git repository"; exit 10; }
[ "$head" = ${quote(sha)} ] || { echo "HEAD is $head, expected ${sha}"; exit 11; }
tags=$(git tag -l)
[ -z "$tags" ] || { echo "tags present: $(echo $tags)"; exit 12; }
if git rev-parse -q --verify refs/stash >/dev/null; then echo "a stash is present"; exit 13; fi
reachable=$(mktemp); all=$(mktemp)
git rev-list HEAD | sort > "$reachable"
git cat-file --batch-all-objects --batch-check='%(objecttype) %(objectname)' | awk '$1=="commit"{print $2}' | sort > "$all"
later=$(comm -13 "$reachable" "$all")
[ -z "$later" ] || { echo "commits not in the history of HEAD: $(echo $later | head -c 400)"; exit 14; }
extra=$(git for-each-ref --format='%(refname) %(objectname)' | awk -v h="$head" '$2!=h{print $1}')
[ -z "$extra" ] || { echo "refs not at HEAD: $(echo $extra)"; exit 15; }
remotes=$(git remote)
[ -z "$remotes" ] || { echo "remotes present: $(echo $remotes)"; exit 16; }
if [ -s .git/objects/info/alternates ]; then echo "object alternates present"; exit 17; fi
echo "repository locked at $head"
`;
}

const SHIM_CHECK = `import os, subprocess, sys
found = set()
for d in sys.path:
    for n in ("sitecustomize.py", "usercustomize.py"):
        p = os.path.join(d or os.getcwd(), n)
        if os.path.isfile(p):
            found.add(p)
for root in ("/workspace/repo", "/opt/venv", "/usr/local/lib", "/root", "/tmp"):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [x for x in dirnames if x != ".git"]
        for n in ("sitecustomize.py", "usercustomize.py"):
            if n in filenames:
                found.add(os.path.join(dirpath, n))
def owned(p):
    for q in {p, os.path.realpath(p)}:
        try:
            if subprocess.run(["dpkg", "-S", q], capture_output=True).returncode == 0:
                return True
        except FileNotFoundError:
            return False
    return False
bad = sorted(p for p in found if not owned(p))
for p in bad:
    print(p)
sys.exit(1 if bad else 0)
`;

/** The distribution of a `No module named 'x.y'` error, when it is one of `unavailable`. */
export function unavailableModule(error: string, unavailable: readonly string[]): string | null {
  const m = /No module named '([A-Za-z0-9_.]+)'/.exec(error);
  if (!m?.[1]) return null;
  const top = (m[1].split('.')[0] as string).toLowerCase().replace(/_/g, '-');
  const names = new Set(unavailable.map((u) => u.toLowerCase().replace(/[_.]+/g, '-')));
  return names.has(top) || names.has(`py${top}`) || names.has(top.replace(/^py/, '')) ? m[1] : null;
}

/** Up to `count` benchmarks for the quick run, taken round-robin over their modules (sorted input); sorted unless `sorted` is false. */
export function spreadAcrossModules(benchmarks: readonly string[], count: number, sorted = true): string[] {
  const byModule = new Map<string, string[]>();
  for (const b of benchmarks) {
    const module = b.split('.')[0] as string;
    byModule.set(module, [...(byModule.get(module) ?? []), b]);
  }
  const queues = [...byModule.values()];
  const out: string[] = [];
  for (let i = 0; out.length < count && queues.some((q) => q.length > i); i++) {
    for (const q of queues) if (q[i] !== undefined && out.length < count) out.push(q[i] as string);
  }
  return sorted ? out.sort() : out;
}

/** One benchmark module left out of offline validation, and why. */
export interface ExcludedModule {
  module: string;
  error: string;
}

interface Failure {
  stage: SynthesisStage;
  reason: SynthesisReason;
  message: string;
  timedOut?: boolean;
}

/**
 * Strict validation (spec §6) of a built image, in one probe container without network: the
 * repository is locked at the base commit (no later commit, ref, tag, stash, remote), no secret is
 * in the environment or files, no sitecustomize/usercustomize shim, the package imports, asv
 * discovers at least one benchmark, a quick run of the first benchmarks finishes within the limit,
 * and `pytest --collect-only` exits 0. Stops at the first failure, which has its own stage and reason.
 */
export async function validateImage(
  docker: Docker,
  target: ValidateTarget,
  options: ValidationOptions = {},
): Promise<ValidationResult> {
  const probe = await ProbeContainer.start(docker, {
    image: target.image,
    name: target.containerName,
    labels: target.labels,
    networkMode: 'none',
    workdir: REPO_ROOT,
  });
  const validation = new ImageValidation(probe, target, options);
  try {
    for (const check of [
      validation.checkRepository,
      validation.checkSecrets,
      validation.checkShim,
      validation.checkImport,
      validation.discoverBenchmarks,
      validation.runQuickBenchmarks,
      validation.collectTests,
    ]) {
      const failure = await check.call(validation);
      if (failure) return validation.finish(failure);
    }
    return validation.finish(null);
  } finally {
    await probe.remove();
  }
}

/** The checks of one validation, in one probe container, and what they found. */
class ImageValidation {
  private readonly commands: ValidationCommands;
  private readonly checkTimeoutMs: number;
  private readonly benchTimeoutMs: number;
  private readonly tailChars: number;
  private readonly patterns: readonly string[];
  private readonly unavailable: readonly string[];
  private readonly facts: RepoFacts;
  private readonly values: Record<string, string>;
  private readonly asvDir: string;
  private readonly checks: ValidationCheck[] = [];
  private benchmarks: string[] = [];
  private quick: string[] = [];
  private excluded: ExcludedModule[] = [];
  private quickFailed: string[] = [];
  private collectErrors = '';

  constructor(
    private readonly probe: ProbeContainer,
    private readonly target: ValidateTarget,
    private readonly options: ValidationOptions,
  ) {
    this.commands = { ...DEFAULT_VALIDATION_COMMANDS, ...options.commands };
    this.checkTimeoutMs = options.checkTimeoutMs ?? 300_000;
    this.benchTimeoutMs = options.benchTimeoutMs ?? 300_000;
    this.tailChars = options.tailChars ?? 4000;
    this.patterns = options.secretPatterns ?? DEFAULT_SECRET_PATTERNS;
    this.unavailable = target.unavailable ?? [];
    this.facts = target.facts;
    this.values = {
      config: `${ASV_WORK}/asv.conf.json`,
      machine: options.machine ?? 'datasmith',
      sha: target.sha,
      import_name: target.facts.import_name ?? '',
    };
    this.asvDir = `${REPO_ROOT}/${target.facts.asv_dir ?? '.'}`;
  }

  private run(command: string, timeoutMs = this.checkTimeoutMs, workdir = REPO_ROOT): Promise<CommandResult> {
    return this.probe.exec(command, { timeoutMs, workdir, outputCap: 2_000_000 });
  }

  private record(name: string, result: CommandResult, ok: boolean, detail?: string): void {
    this.checks.push({
      name,
      ok,
      rc: result.exitCode,
      duration_s: Math.round(result.durationMs) / 1000,
      detail: tailOf(detail ?? `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`.trim(), this.tailChars),
    });
  }

  finish(failure: Failure | null): ValidationResult {
    return {
      ok: failure === null,
      stage: failure?.stage ?? 'validated',
      reason: failure?.reason ?? null,
      message: failure?.message ?? `validated: ${this.benchmarks.length} benchmarks, quick run of ${this.quick.length}`,
      checks: this.checks,
      benchmarks: this.benchmarks,
      quick_benchmarks: this.quick,
      benchmarks_excluded: this.excluded,
      quick_failed: this.quickFailed,
      tests_collect_errors: this.collectErrors,
      timed_out: failure?.timedOut ?? false,
    };
  }

  /** 1. The repository is locked at the base commit. */
  async checkRepository(): Promise<Failure | null> {
    const repo = await this.run(repoCheckScript(this.target.sha));
    this.record('repo', repo, repo.exitCode === 0);
    if (repo.exitCode === 0) return null;
    return (
      timeoutFailure('repo', 'repository check', repo) ?? {
        stage: 'repo',
        reason: REPO_CHECK_REASONS[repo.exitCode] ?? 'head_mismatch',
        message: repo.stdout.trim().split('\n').pop() ?? `repository check failed (exit ${repo.exitCode})`,
      }
    );
  }

  /** 2. No secret in the environment or in files. */
  async checkSecrets(): Promise<Failure | null> {
    const { patterns } = this;
    const env = await this.run('env');
    const envHits = env.stdout
      .split('\n')
      .filter((line) => patterns.some((p) => new RegExp(p).test(line)))
      .map((line) => line.split('=')[0]);
    this.record(
      'secrets-env',
      env,
      envHits.length === 0,
      envHits.length ? `variables: ${envHits.join(', ')}` : 'clean',
    );
    if (envHits.length > 0) {
      return { stage: 'secrets', reason: 'secret_in_env', message: `token-shaped value in ${envHits.join(', ')}` };
    }
    const grep = await this.run(
      `grep -rIlE ${quote(patterns.join('|'))} ${SECRET_SCAN_DIRS.join(' ')} 2>/dev/null | head -20; exit 0`,
    );
    const fileHits = grep.stdout.split('\n').filter(Boolean);
    this.record(
      'secrets-files',
      grep,
      fileHits.length === 0 && !grep.timedOut,
      fileHits.length ? fileHits.join('\n') : 'clean',
    );
    if (grep.timedOut) return timeoutFailure('secrets', 'secret scan', grep);
    if (fileHits.length > 0) {
      return { stage: 'secrets', reason: 'secret_in_file', message: `token-shaped text in ${fileHits.join(', ')}` };
    }
    return null;
  }

  /** 3. No interpreter shim. */
  async checkShim(): Promise<Failure | null> {
    const shim = await this.run(`python - <<'DATASMITH_EOF'\n${SHIM_CHECK}DATASMITH_EOF`);
    this.record('shim', shim, shim.exitCode === 0);
    if (shim.exitCode === 0) return null;
    return (
      timeoutFailure('shim', 'shim check', shim) ?? {
        stage: 'shim',
        reason: 'customize_shim',
        message: `interpreter shim not from a Debian package: ${shim.stdout.trim().split('\n').join(', ')}`,
      }
    );
  }

  /** 4. The package imports. */
  async checkImport(): Promise<Failure | null> {
    const { facts } = this;
    if (!facts.import_name)
      return { stage: 'import', reason: 'import_failed', message: 'no import name could be detected' };
    const imp = await this.run(
      fill(this.commands.importCheck, { import_name: facts.import_name }),
      this.checkTimeoutMs,
      '/',
    );
    this.record('import', imp, imp.exitCode === 0);
    if (imp.exitCode === 0) return null;
    const missing = unavailableModule(imp.stderr, this.unavailable);
    return (
      timeoutFailure('import', 'import', imp) ?? {
        stage: 'import',
        reason: missing ? 'dependency_unavailable' : 'import_failed',
        message: `import ${facts.import_name} failed: ${imp.stderr.trim().split('\n').pop() ?? ''}${missing ? ` (${missing} has no Debian package)` : ''}`,
      }
    );
  }

  /** 5. Benchmark discovery finds at least one benchmark (offline: in the modules that import). */
  async discoverBenchmarks(): Promise<Failure | null> {
    const { facts, values, asvDir } = this;
    if (!facts.asv_config_path) return { stage: 'discover', reason: 'discovery_failed', message: 'no asv config' };
    const derive = await this.run(`python - <<'DATASMITH_EOF'\n${asvConfigScript(facts)}DATASMITH_EOF`);
    this.record('asv-config', derive, derive.exitCode === 0);
    if (derive.exitCode !== 0) {
      return { stage: 'discover', reason: 'discovery_failed', message: 'the asv config could not be read' };
    }
    const mach = await this.run(withAsvEnv(fill(this.commands.asvMachine, values)), this.checkTimeoutMs, asvDir);
    this.record('asv-machine', mach, mach.exitCode === 0);
    if (mach.exitCode !== 0) {
      return (
        timeoutFailure('discover', 'asv machine', mach) ?? {
          stage: 'discover',
          reason: 'asv_machine_failed',
          message: `asv machine failed (exit ${mach.exitCode}): ${mach.stderr.trim().split('\n').pop() ?? ''}`,
        }
      );
    }
    const discover = () => this.run(withAsvEnv(fill(this.commands.asvDiscover, values)), this.checkTimeoutMs, asvDir);
    let disc = await discover();
    if (disc.exitCode !== 0 && !disc.timedOut && this.target.offline && facts.benchmark_dir) {
      // Offline, a suite whose modules fetch data or need a missing package at import fails asv's
      // discovery as a whole: run it on the modules that import, and list the others.
      const narrowed = await this.narrowToImportableModules(`${REPO_ROOT}/${facts.benchmark_dir}`);
      if (narrowed === 'narrowed') disc = await discover();
      else if (narrowed) return narrowed;
    }
    if (disc.exitCode !== 0) {
      this.record('asv-discover', disc, false);
      return (
        timeoutFailure('discover', 'benchmark discovery', disc) ?? {
          stage: 'discover',
          reason: 'discovery_failed',
          message: `benchmark discovery failed (exit ${disc.exitCode}): ${disc.stderr.trim().split('\n').pop() ?? ''}`,
        }
      );
    }
    const listing = await this.run(`cat ${ASV_WORK}/results/benchmarks.json`);
    try {
      this.benchmarks = listing.exitCode === 0 ? parseBenchmarksJson(listing.stdout) : [];
    } catch {
      this.benchmarks = [];
    }
    const found = this.benchmarks.length;
    this.record('asv-discover', disc, found > 0, `${found} benchmarks discovered\n${disc.stdout}`);
    if (found === 0)
      return { stage: 'discover', reason: 'no_benchmarks', message: 'benchmark discovery found no benchmark' };
    return null;
  }

  /**
   * Imports each benchmark module on its own; when some fail, points the derived asv config at a copy
   * of the suite without them (`narrowed`), or fails when nothing importable is left. Null: every
   * module imports (discovery failed for another reason).
   */
  private async narrowToImportableModules(benchDir: string): Promise<Failure | 'narrowed' | null> {
    const scan = await this.run(
      `python - ${quote(benchDir)} <<'DATASMITH_EOF'\n${IMPORT_SCAN}DATASMITH_EOF`,
      this.checkTimeoutMs * 4,
      '/tmp',
    );
    let modules: { module: string; path: string; ok: boolean; error: string }[] = [];
    try {
      modules = JSON.parse(scan.stdout.trim().split('\n').pop() ?? '[]');
    } catch {
      modules = [];
    }
    const failed = modules.filter((m) => !m.ok);
    this.record(
      'asv-import-scan',
      scan,
      failed.length === 0,
      failed.map((m) => `${m.module}: ${m.error}`).join('\n') || 'every module imports',
    );
    if (failed.length === 0) return null;
    this.excluded = failed.map((m) => ({ module: m.module, error: m.error }));
    const packageFailed = failed.some((m) => m.path === '__init__.py');
    const importable = modules.filter((m) => m.ok && !m.path.endsWith('__init__.py'));
    if (packageFailed || importable.length === 0) {
      const network = failed.some((m) => NETWORK_ERROR.test(m.error));
      const missing = failed.map((m) => unavailableModule(m.error, this.unavailable)).find(Boolean);
      return {
        stage: 'discover',
        reason: network ? 'network_required' : missing ? 'dependency_unavailable' : 'discovery_failed',
        message: `no benchmark module imports offline (${failed.length} failed; first: ${failed[0]?.module}: ${failed[0]?.error})`,
      };
    }
    const derivedBench = await this.run(
      `python - ${quote(benchDir)} ${ASV_WORK}/bench ${quote(JSON.stringify(failed.map((m) => m.path)))} <<'DATASMITH_EOF'\n${DERIVE_BENCH}DATASMITH_EOF`,
    );
    const derived = derivedBench.stdout.trim();
    const repoint = await this.run(
      `python -c ${quote(`import json; p=${JSON.stringify(`${ASV_WORK}/asv.conf.json`)}; c=json.load(open(p)); c["benchmark_dir"]=${JSON.stringify(derived)}; json.dump(c, open(p, "w"), indent=2)`)}`,
    );
    this.record(
      'asv-derived-suite',
      repoint,
      derivedBench.exitCode === 0 && repoint.exitCode === 0,
      `${importable.length} modules kept, ${failed.length} left out: ${derived}`,
    );
    return 'narrowed';
  }

  /**
   * 6. A quick run completes within the limit: up to `quickRounds` batches of benchmarks spread over
   * the suite's modules, until one batch has a benchmark that runs (real suites download data in
   * `setup` or use APIs of other versions). The others' failures are listed, not fatal.
   */
  async runQuickBenchmarks(): Promise<Failure | null> {
    const order = spreadAcrossModules(this.benchmarks, this.benchmarks.length, false);
    const batchSize = this.options.quickCount ?? 3;
    const rounds = Math.max(1, this.options.quickRounds ?? 3);
    const failedAll: string[] = [];
    let networkSeen = false;
    let lastExit = 0;
    let dumpProblem = '';
    let good = 0;
    for (let round = 0; round < rounds && good === 0; round++) {
      const batch = order.slice(round * batchSize, (round + 1) * batchSize).sort();
      if (batch.length === 0) break;
      this.quick = [...this.quick, ...batch];
      const quickRun = await this.run(
        withAsvEnv(fill(this.commands.asvQuick, { ...this.values, bench: quote(exactBenchRegex(batch)) })),
        this.benchTimeoutMs,
        this.asvDir,
      );
      if (quickRun.timedOut) {
        this.record('asv-quick', quickRun, false);
        return {
          stage: 'benchmark',
          reason: 'benchmark_timeout',
          message: `the quick run of ${batch.length} benchmarks exceeded ${Math.round(this.benchTimeoutMs / 1000)} s`,
          timedOut: true,
        };
      }
      const read = await this.readQuickOutcomes(batch);
      dumpProblem = read.problem;
      const entries = Object.entries(read.outcomes);
      good = entries.filter(([, v]) => v === 'ok').length;
      failedAll.push(...entries.filter(([, v]) => v !== 'ok').map(([k, v]) => `${k} ${v}`));
      const output = `${quickRun.stdout}\n${quickRun.stderr}`;
      networkSeen ||= NETWORK_ERROR.test(output);
      lastExit = quickRun.exitCode;
      const detail = entries.map(([k, v]) => `${k}: ${v}`).join('\n');
      this.record(
        round === 0 ? 'asv-quick' : `asv-quick-${round + 1}`,
        quickRun,
        good > 0,
        `${dumpProblem ? `${dumpProblem}\n` : ''}${detail}\n${output}`,
      );
    }
    this.quickFailed = failedAll;
    if (good > 0) return null;
    return {
      stage: 'benchmark',
      reason: networkSeen && this.target.offline ? 'network_required' : 'benchmark_failed',
      message: `quick run failed (exit ${lastExit}${networkSeen ? ', benchmarks need the network' : ''}): ${dumpProblem || failedAll.join(', ')}`,
    };
  }

  /** Each benchmark of a quick-run batch: `ok` or why not, from asv's result files. */
  private async readQuickOutcomes(batch: string[]): Promise<{ outcomes: Record<string, string>; problem: string }> {
    const dump = await this.run(`python - ${ASV_WORK}/results <<'DATASMITH_EOF'\n${DUMP_RESULTS}DATASMITH_EOF`);
    try {
      return { outcomes: benchmarkOutcomes(JSON.parse(dump.stdout) as Record<string, string>, batch), problem: '' };
    } catch (error) {
      return {
        outcomes: Object.fromEntries(batch.map((q) => [q, 'missing'])),
        problem: `asv results unreadable (${(error as Error).message}): ${dump.stderr.trim().slice(-300)}`,
      };
    }
  }

  /** 7. The tests collect (against the built package for a regular install). */
  async collectTests(): Promise<Failure | null> {
    const { facts } = this;
    const { command, workdir, testsArg } = testsCollectCommand(facts, this.target.installMode, this.commands);
    let tests = await this.run(command(testsArg), this.checkTimeoutMs, workdir);
    if (tests.exitCode === 4) {
      // A usage error: the project's pytest `addopts` name a plugin option (--cov, --doctest-plus, …)
      // whose plugin the environment lacks. Collect again without them; the first run stays on record.
      this.record('tests-addopts', tests, false);
      tests = await this.run(command(`-o addopts= ${testsArg}`.trim()), this.checkTimeoutMs, workdir);
    }
    const summary = tests.stdout.trim().split('\n').pop() ?? '';
    const rerun = this.checks.some((c) => c.name === 'tests-addopts');
    const collected = Number(/(\d+) tests? collected/.exec(summary)?.[1] ?? (tests.exitCode === 0 ? 1 : 0));
    // Real suites have modules that need an optional package or data offline: the suite counts as
    // collected when tests were collected; the errors are noted. Nothing collected is a failure.
    const testsOk = !tests.timedOut && (tests.exitCode === 0 || (tests.exitCode === 2 && collected > 0));
    if (testsOk && (tests.exitCode !== 0 || rerun))
      this.collectErrors = `${rerun ? 'collected without the project addopts; ' : ''}${summary}`;
    this.record('tests', tests, testsOk);
    if (testsOk) return null;
    return (
      timeoutFailure('tests', 'pytest --collect-only', tests) ?? {
        stage: 'tests',
        reason: 'tests_collect_failed',
        message: `pytest --collect-only exited ${tests.exitCode}: ${tests.stdout.trim().split('\n').pop() ?? ''}`,
      }
    );
  }
}

function timeoutFailure(stage: SynthesisStage, name: string, r: CommandResult): Failure | null {
  return r.timedOut ? { stage, reason: 'check_timeout', message: `${name} timed out`, timedOut: true } : null;
}

/**
 * How the tests are collected. A regular install (compiled extensions, generated version files) lives
 * in site-packages: the source tree stays off sys.path (PYTHONSAFEPATH, importlib mode) so the tests
 * import what was built; tests shipped inside the package are collected from the installed copy
 * (`--pyargs`, from /tmp).
 */
function testsCollectCommand(
  facts: RepoFacts,
  installMode: ValidateTarget['installMode'],
  commands: ValidationCommands,
): { command: (tests: string) => string; workdir: string; testsArg: string } {
  const relTests = facts.tests_dir
    ? facts.package_root === '.'
      ? facts.tests_dir
      : facts.tests_dir.slice(facts.package_root.length + 1)
    : null;
  const testsArg = relTests ? quote(relTests) : '';
  const inPackage =
    installMode === 'regular' &&
    facts.import_name !== null &&
    relTests !== null &&
    (relTests.startsWith(`${facts.import_name}/`) || relTests.startsWith(`src/${facts.import_name}/`));
  const command = (tests: string) => {
    if (inPackage) {
      const extra = tests.startsWith('-o addopts=') ? '-o addopts= ' : '';
      return `PYTHONSAFEPATH=1 ${fill(commands.testsCollect, { tests: `${extra}--pyargs ${facts.import_name}` })}`;
    }
    const plain = fill(commands.testsCollect, { tests });
    return installMode === 'regular' ? `PYTHONSAFEPATH=1 ${plain} --import-mode=importlib` : plain;
  };
  return { command, workdir: inPackage ? '/tmp' : `${REPO_ROOT}/${facts.package_root}`, testsArg };
}
