/**
 * Running the real asv inside a task's image, shared by validation (synthesize) and measurement
 * (verify): where the repository and asv's work folder are, the derived asv config (the image is
 * the environment), the suite's matrix environment, the import scan of an offline suite, and
 * reading asv's result files.
 */
import type { RepoFacts } from './facts';

export const REPO_ROOT = '/workspace/repo';
export const ASV_WORK = '/tmp/datasmith-asv';

export function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z_]+)\}/g, (m, key: string) => values[key] ?? m);
}

export function asvConfigScript(facts: RepoFacts): string {
  return `import json, os, re, shlex
src = ${JSON.stringify(`${REPO_ROOT}/${facts.asv_config_path}`)}
try:
    import json5
    conf = json5.load(open(src))
except ImportError:
    text = "\\n".join(l for l in open(src).read().splitlines() if not l.lstrip().startswith("//"))
    conf = json.loads(re.sub(r",(\\s*[}\\]])", r"\\1", text))
base = os.path.dirname(src)
conf["repo"] = ${JSON.stringify(REPO_ROOT)}
conf["benchmark_dir"] = os.path.normpath(os.path.join(base, conf.get("benchmark_dir", "benchmarks")))
conf["results_dir"] = ${JSON.stringify(`${ASV_WORK}/results`)}
conf["html_dir"] = ${JSON.stringify(`${ASV_WORK}/html`)}
conf["environment_type"] = "existing"
# The image's repository has no branch (HEAD is detached at the base commit and every ref removed).
conf["branches"] = ["HEAD"]
# The image is the environment: asv's matrix describes environments it would build, not this one.
# Its environment variables (matrix "env" / "env_nobuild", first value) still configure the suite.
matrix = conf.get("matrix") if isinstance(conf.get("matrix"), dict) else {}
exports = []
for group in ("env", "env_nobuild"):
    for name, values in sorted((matrix.get(group) or {}).items()):
        values = values if isinstance(values, list) else [values]
        if values and values[0] is not None and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            exports.append("export %s=%s" % (name, shlex.quote(str(values[0]))))
os.makedirs(${JSON.stringify(ASV_WORK)}, exist_ok=True)
open(${JSON.stringify(`${ASV_WORK}/env.sh`)}, "w").write("\\n".join(exports) + "\\n")
for key in ("matrix", "include", "exclude", "pythons", "conda_channels", "build_command", "install_command", "uninstall_command"):
    conf.pop(key, None)
os.makedirs(${JSON.stringify(ASV_WORK)}, exist_ok=True)
json.dump(conf, open(${JSON.stringify(`${ASV_WORK}/asv.conf.json`)}, "w"), indent=2)
print("derived asv config written")
`;
}

/**
 * Imports every module of the benchmark folder as asv's discovery does (the folder is a package
 * whose parent is on sys.path), each in its own interpreter without network, and prints one JSON
 * list: module, path, ok, error (the last line of the traceback).
 */
export const IMPORT_SCAN = `import json, os, subprocess, sys
bench = os.path.normpath(sys.argv[1])
parent, pkg = os.path.split(bench)
out = []
for dirpath, dirnames, files in os.walk(bench):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
    for f in sorted(files):
        if not f.endswith(".py"):
            continue
        path = os.path.join(dirpath, f)
        mod = os.path.relpath(path, parent)[:-3].replace(os.sep, ".")
        if mod.endswith(".__init__"):
            mod = mod[: -len(".__init__")]
        code = "import sys, importlib; sys.path.insert(0, %r); importlib.import_module(%r)" % (parent, mod)
        try:
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd="/tmp")
            ok, err = p.returncode == 0, [l for l in p.stderr.strip().splitlines() if l.strip()]
            error = "" if ok else (err[-1] if err else "exit %d" % p.returncode)
        except subprocess.TimeoutExpired:
            ok, error = False, "import timed out after 180 s"
        out.append({"module": mod, "path": os.path.relpath(path, bench), "ok": ok, "error": error[-500:]})
print(json.dumps(out))
`;

/** Copies the benchmark folder without the modules that failed to import, keeping its package name. */
export const DERIVE_BENCH = `import json, os, shutil, sys
bench, dest, excluded = os.path.normpath(sys.argv[1]), sys.argv[2], set(json.loads(sys.argv[3]))
target = os.path.join(dest, os.path.basename(bench))
shutil.rmtree(dest, ignore_errors=True)
shutil.copytree(bench, target, ignore=lambda d, names: [n for n in names if os.path.relpath(os.path.join(d, n), bench) in excluded])
print(target)
`;

/** An asv command with the suite's matrix environment variables (written by the derived config). */
export function withAsvEnv(command: string): string {
  return `. ${ASV_WORK}/env.sh 2>/dev/null; ${command}`;
}

/** Error lines that mean "this needed the network". */
export const NETWORK_ERROR =
  /URLError|gaierror|Name or service not known|Temporary failure in name resolution|Network is unreachable|ConnectionError|ConnectTimeout|MaxRetryError|NewConnectionError|HTTPError|urlopen|nodename nor servname|Failed to establish a new connection/i;

export const DUMP_RESULTS = `import json, os, sys
out = {}
root = sys.argv[1]
for dirpath, _, files in os.walk(root):
    for f in files:
        if f.endswith(".json"):
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = open(p).read()
print(json.dumps(out))
`;
