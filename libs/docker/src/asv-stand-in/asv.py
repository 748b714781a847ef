#!/usr/bin/env python3
# asv stand-in. NOT asv: for tests and the offline demo only, never in a published production image.
#
# PyPI is unreachable on the CI machine, so real asv cannot be installed there. The Docker tests copy
# this file to /usr/local/bin/asv in a test base image so that the production validation code path
# (its arguments, exit codes and result parsing) runs for real; the offline demo opts in with
# `synthesize --asv-stand-in` (config `synthesize.asvStandIn`), and every result it validates says so. It implements exactly the asv
# subcommands that datasmith's validation calls, with asv 0.6's file layout:
#   asv [--config PATH] machine --yes [--machine NAME]
#       -> ~/.asv-machine.json
#   asv [--config PATH] run --bench just-discover --python=same [--machine NAME]
#       -> <results_dir>/benchmarks.json (asv's benchmarks.json, "version": 2)
#   asv [--config PATH] run --quick --python=same --bench REGEX [--bench REGEX ...]
#       [--set-commit-hash SHA] [--machine NAME] [--show-stderr]
#       -> <results_dir>/<machine>/machine.json and <results_dir>/<machine>/<sha[:8]>-existing-py_<python>.json
#          (asv's result file, "version": 2, result_columns), exit 2 when a benchmark failed.
# Anything else exits 64 with "asv shim: unsupported".
import importlib.util
import inspect
import itertools
import json
import os
import platform
import re
import sys
import time
import traceback

PREFIXES = ("timeraw_", "time_", "peakmem_", "mem_", "track_")


def fail(msg, code=64):
    print(f"asv shim: {msg}", file=sys.stderr)
    sys.exit(code)


def load_conf(path):
    with open(path) as fh:
        text = fh.read()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    conf = json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
    base = os.path.dirname(os.path.abspath(path))
    conf["_dir"] = base
    conf["_benchmark_dir"] = os.path.join(base, conf.get("benchmark_dir", "benchmarks"))
    conf["_results_dir"] = os.path.join(base, conf.get("results_dir", "results"))
    conf["_repo"] = os.path.join(base, conf.get("repo", "."))
    return conf


def bench_type(name):
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return {"timeraw_": "time", "time_": "time", "peakmem_": "memory", "mem_": "memory", "track_": "track"}[prefix]
    return None


def discover(conf):
    root = conf["_benchmark_dir"]
    if not os.path.isdir(root):
        fail(f"benchmark_dir {root} does not exist", 1)
    sys.path.insert(0, os.path.dirname(root))
    package = os.path.basename(root.rstrip(os.sep)) if os.path.isfile(os.path.join(root, "__init__.py")) else None
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            if not filename.endswith(".py") or filename.startswith("."):
                continue
            path = os.path.join(dirpath, filename)
            rel = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
            if rel.endswith("__init__"):
                rel = rel[: -len("__init__")].rstrip(".")
                if not rel:
                    continue
            # Like asv: a benchmark folder with __init__.py is a package named after the folder, so
            # its modules may import each other relatively; names drop the package prefix.
            try:
                if package:
                    module = importlib.import_module(f"{package}.{rel}")
                else:
                    spec = importlib.util.spec_from_file_location(rel, path)
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
            except Exception:
                traceback.print_exc()
                fail(f"error importing benchmark module {rel}", 1)
            own = module.__name__
            for attr, value in sorted(vars(module).items()):
                if inspect.isclass(value) and getattr(value, "__module__", None) == own:
                    for meth in sorted(dir(value)):
                        if bench_type(meth):
                            found[f"{rel}.{attr}.{meth}"] = (value, meth)
                elif inspect.isfunction(value) and bench_type(attr) and value.__module__ == own:
                    found[f"{rel}.{attr}"] = (None, value)
    return found


def params_of(owner, func):
    params = getattr(owner if owner is not None else func, "params", [])
    names = getattr(owner if owner is not None else func, "param_names", [])
    if params and not isinstance(params[0], (list, tuple)):
        params = [params]
    return [list(p) for p in params], list(names)


def benchmarks_json(found):
    out = {}
    for name, (owner, target) in found.items():
        func = getattr(owner, target) if owner is not None else target
        params, names = params_of(owner, func)
        short = name.rsplit(".", 1)[-1]
        out[name] = {
            "code": "".join(inspect.getsourcelines(func)[0]) if inspect.isfunction(func) else "",
            "name": name,
            "param_names": names,
            "params": [[repr(v) for v in p] for p in params],
            "timeout": getattr(func, "timeout", 60.0),
            "type": bench_type(short),
            "unit": "seconds" if bench_type(short) == "time" else ("bytes" if bench_type(short) == "memory" else "unit"),
            "version": "shim",
        }
    out["version"] = 2
    return out


def run_one(owner, target, args):
    instance = owner() if owner is not None else None
    func = getattr(instance, target) if owner is not None else target
    setup = getattr(instance, "setup", None) if owner is not None else None
    teardown = getattr(instance, "teardown", None) if owner is not None else None
    if setup:
        setup(*args)
    try:
        start = time.perf_counter()
        value = func(*args)
        elapsed = time.perf_counter() - start
    finally:
        if teardown:
            teardown(*args)
    short = target if isinstance(target, str) else target.__name__
    return value if short.startswith("track_") else elapsed


def machine_info(name):
    return {
        "arch": platform.machine(),
        "cpu": "shim",
        "machine": name,
        "num_cpu": str(os.cpu_count() or 1),
        "os": platform.system(),
        "ram": "unknown",
        "version": 1,
    }


def main(argv):
    config = "asv.conf.json"
    if argv[:1] == ["--config"]:
        config, argv = argv[1], argv[2:]
    if not argv:
        fail("no subcommand")
    command, rest = argv[0], argv[1:]
    opts = {"bench": [], "flags": set()}
    i = 0
    while i < len(rest):
        arg = rest[i]
        key, eq, value = arg.partition("=")
        if key in ("--bench", "-b", "--machine", "--set-commit-hash", "--python", "--config") and not eq:
            if i + 1 >= len(rest):
                fail(f"{key} needs a value")
            value, i = rest[i + 1], i + 1
        if key in ("--bench", "-b"):
            opts["bench"].append(value)
        elif key in ("--machine", "--set-commit-hash", "--python", "--config"):
            opts[key] = value
        elif key in ("--yes", "--quick", "-q", "--show-stderr", "-e"):
            opts["flags"].add(key)
        else:
            fail(f"unsupported argument {arg}")
        i += 1
    config = opts.get("--config", config)
    machine = opts.get("--machine", platform.node() or "shim")
    if command == "machine":
        if "--yes" not in opts["flags"]:
            fail("machine needs --yes (non-interactive)")
        with open(os.path.expanduser("~/.asv-machine.json"), "w") as fh:
            json.dump({machine: machine_info(machine), "version": 1}, fh, indent=4)
        print(f"asv shim: machine {machine} written")
        return 0
    if command != "run":
        fail(f"unsupported subcommand {command}")
    if opts.get("--python") != "same":
        fail("run needs --python=same")
    conf = load_conf(config)
    found = discover(conf)
    os.makedirs(conf["_results_dir"], exist_ok=True)
    if opts["bench"] == ["just-discover"]:
        with open(os.path.join(conf["_results_dir"], "benchmarks.json"), "w") as fh:
            json.dump(benchmarks_json(found), fh, indent=4, sort_keys=True)
        print(f"· Discovering benchmarks\n· {len(found)} benchmarks discovered")
        return 0
    if "--quick" not in opts["flags"] and "-q" not in opts["flags"]:
        fail("run needs --quick")
    selected = [n for n in found if not opts["bench"] or any(re.search(p, n) for p in opts["bench"])]
    commit = opts.get("--set-commit-hash")
    results = {}
    failed = False
    for k, name in enumerate(selected):
        owner, target = found[name]
        func = getattr(owner, target) if owner is not None else target
        params, _ = params_of(owner, func)
        values = []
        for combo in itertools.product(*params) if params else [()]:
            try:
                values.append(run_one(owner, target, combo))
            except Exception:
                if "--show-stderr" in opts["flags"] or "-e" in opts["flags"]:
                    traceback.print_exc()
                values.append(None)
                failed = True
        shown = "failed" if None in values else f"{values[0]:.3g}"
        print(f"[{100.0 * (k + 1) / max(1, len(selected)):6.2f}%] ··· {name}  {shown}")
        results[name] = [values, [[repr(v) for v in p] for p in params] or None, "shim", int(time.time() * 1000), 0.0]
    if commit:
        mdir = os.path.join(conf["_results_dir"], machine)
        os.makedirs(mdir, exist_ok=True)
        with open(os.path.join(mdir, "machine.json"), "w") as fh:
            json.dump(machine_info(machine), fh, indent=4)
        env_name = "existing-py_" + re.sub(r"[^A-Za-z0-9.]", "_", sys.executable.lstrip("/"))
        doc = {
            "commit_hash": commit,
            "env_name": env_name,
            "date": int(time.time() * 1000),
            "params": dict(machine_info(machine), python=f"{sys.version_info[0]}.{sys.version_info[1]}"),
            "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
            "requirements": {},
            "env_vars": {},
            "result_columns": ["result", "params", "version", "started_at", "duration"],
            "results": results,
            "durations": {},
            "version": 2,
        }
        with open(os.path.join(mdir, f"{commit[:8]}-{env_name}.json"), "w") as fh:
            json.dump(doc, fh, indent=4, sort_keys=True)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
