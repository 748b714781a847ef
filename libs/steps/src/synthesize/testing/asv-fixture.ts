/** Options of the test fixture package. */
export interface AsvFixtureOptions {
  /** Distribution and import name. Default `fastmath`. */
  name?: string;
  /** Runtime requirements. Default `["numpy"]`. */
  dependencies?: string[];
  /** Where asv.conf.json lives: `.` (default) or a subfolder such as `asv_bench`. */
  asvDir?: string;
  /** Python versions listed in the asv config. Default `["3.9"]`. */
  pythons?: string[];
  /** Replaces the benchmark module. */
  benchmarks?: string;
  /** Replaces the package's `__init__.py`. */
  init?: string;
}

const DEFAULT_BENCHMARKS = `from fastmath import total, scale


class TimeTotal:
    def setup(self):
        self.xs = list(range(2000))

    def time_total(self):
        total(self.xs)

    def time_scale(self):
        scale(self.xs, 3)


def time_small_total():
    total(range(100))


def track_total():
    return total(range(10))
`;

/**
 * TEST-ONLY: the files of a small Python package with an asv config, a benchmarks folder and tests,
 * as a `{ path: contents }` map for FixtureRepo (setuptools via pyproject.toml, depends on numpy).
 */
export function asvFixtureFiles(options: AsvFixtureOptions = {}): Record<string, string> {
  const name = options.name ?? 'fastmath';
  const asvDir = options.asvDir ?? '.';
  const at = (p: string) => (asvDir === '.' ? p : `${asvDir}/${p}`);
  const deps = options.dependencies ?? ['numpy'];
  const benchmarks = (options.benchmarks ?? DEFAULT_BENCHMARKS).replaceAll('fastmath', name);
  return {
    'pyproject.toml': `[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "${name}"
version = "0.1.0"
description = "A tiny package for datasmith tests"
requires-python = ">=3.8"
dependencies = [${deps.map((d) => `"${d}"`).join(', ')}]

[project.optional-dependencies]
test = ["pytest"]

[tool.setuptools]
packages = ["${name}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
`,
    [`${name}/__init__.py`]: options.init ?? `from .core import scale, total\n\n__version__ = "0.1.0"\n`,
    [`${name}/core.py`]: `import numpy as np


def total(xs):
    out = 0
    for x in xs:
        out += x
    return out


def scale(xs, k):
    return np.asarray(list(xs)) * k
`,
    [at('asv.conf.json')]: `{
    // asv allows comments in its config
    "version": 1,
    "project": "${name}",
    "repo": "${asvDir === '.' ? '.' : '..'}",
    "branches": ["main"],
    "environment_type": "virtualenv",
    "pythons": [${(options.pythons ?? ['3.9']).map((p) => `"${p}"`).join(', ')}],
    "benchmark_dir": "benchmarks"
}
`,
    [at('benchmarks/__init__.py')]: '',
    [at('benchmarks/bench_core.py')]: benchmarks,
    'tests/__init__.py': '',
    'tests/test_core.py': `from ${name} import total


def test_total():
    assert total([1, 2, 3]) == 6
`,
    'README.md': `# ${name}\n`,
  };
}

/** TEST-ONLY: the folder of the original registry v2 fixtures (full keys, old short keys, three-field contexts). */
export const REGISTRY_V2_FIXTURES_DIR = new URL('./fixtures/', import.meta.url).pathname;
