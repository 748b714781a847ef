import { requirementName } from './facts';
import type { RepoFacts } from './facts';

/** Bump when the templates would now give different files for the same facts. */
export const TEMPLATES_VERSION = 'templates-1';

/**
 * Python distributions that Debian packages (bookworm), by normalised distribution name. Offline,
 * dependencies can only come from here; online they come from PyPI.
 */
export const DEBIAN_PYTHON_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  numpy: ['python3-numpy'],
  scipy: ['python3-scipy'],
  pandas: ['python3-pandas'],
  matplotlib: ['python3-matplotlib'],
  'scikit-learn': ['python3-sklearn'],
  numba: ['python3-numba'],
  numexpr: ['python3-numexpr'],
  bottleneck: ['python3-bottleneck'],
  tables: ['python3-tables'],
  statsmodels: ['python3-statsmodels'],
  sympy: ['python3-sympy'],
  networkx: ['python3-networkx'],
  xarray: ['python3-xarray'],
  dask: ['python3-dask'],
  joblib: ['python3-joblib'],
  threadpoolctl: ['python3-threadpoolctl'],
  psutil: ['python3-psutil'],
  pytest: ['python3-pytest'],
  'pytest-xdist': ['python3-pytest-xdist'],
  'pytest-timeout': ['python3-pytest-timeout'],
  hypothesis: ['python3-hypothesis'],
  coverage: ['python3-coverage'],
  setuptools: ['python3-setuptools'],
  'setuptools-scm': ['python3-setuptools-scm'],
  wheel: ['python3-wheel'],
  cython: ['cython3'],
  'meson-python': ['python3-mesonpy', 'meson', 'ninja-build'],
  meson: ['meson', 'ninja-build'],
  ninja: ['ninja-build'],
  pythran: ['python3-pythran'],
  pybind11: ['pybind11-dev', 'python3-pybind11'],
  packaging: ['python3-packaging'],
  six: ['python3-six'],
  attrs: ['python3-attr'],
  pyyaml: ['python3-yaml'],
  requests: ['python3-requests'],
  toolz: ['python3-toolz'],
  cloudpickle: ['python3-cloudpickle'],
  'typing-extensions': ['python3-typing-extensions'],
  tomli: ['python3-tomli'],
  pillow: ['python3-pil'],
  h5py: ['python3-h5py'],
  lxml: ['python3-lxml'],
  jinja2: ['python3-jinja2'],
  msgpack: ['python3-msgpack'],
  pyparsing: ['python3-pyparsing'],
  'python-dateutil': ['python3-dateutil'],
  pytz: ['python3-tz'],
  'flit-core': ['flit'],
  hatchling: ['python3-hatchling'],
  'pdm-backend': ['python3-pdm-backend'],
  'poetry-core': ['python3-poetry-core'],
};

/** Debian packages for a list of requirements, and the requirements no package covers. */
export function debianPackagesFor(requirements: readonly string[]): { packages: string[]; unmapped: string[] } {
  const packages = new Set<string>();
  const unmapped: string[] = [];
  for (const req of requirements) {
    const name = requirementName(req);
    if (!name) continue;
    const mapped = DEBIAN_PYTHON_PACKAGES[name];
    if (mapped) for (const p of mapped) packages.add(p);
    else unmapped.push(name);
  }
  return { packages: [...packages].sort(), unmapped: [...new Set(unmapped)].sort() };
}

/** The dependency layer: Debian packages, a `--system-site-packages` venv, and online the pip requirements. */
export function dependencyDockerfile(options: {
  baseRef: string;
  debianPackages: readonly string[];
  /** Online only: requirements installed from PyPI. */
  pipRequirements: readonly string[];
  online: boolean;
  /** `owner/repo`, recorded as a label. */
  task: string;
}): string {
  const lines = [
    `FROM ${options.baseRef}`,
    `LABEL datasmith.task=${JSON.stringify(options.task)} datasmith.layer="deps"`,
    'ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8',
  ];
  if (options.debianPackages.length > 0) {
    lines.push(
      `RUN apt-get update && apt-get install -y --no-install-recommends ${options.debianPackages.join(' ')} && rm -rf /var/lib/apt/lists/*`,
    );
  }
  lines.push('RUN python3 -m venv --system-site-packages /opt/venv');
  lines.push(
    'ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1',
  );
  if (options.online && options.pipRequirements.length > 0) {
    lines.push(
      `RUN pip install --no-cache-dir ${options.pipRequirements.map((r) => `'${r.replaceAll("'", '')}'`).join(' ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The commit layer: the repository at the base commit, then the install script. */
export function commitDockerfile(options: {
  depsRef: string;
  env: Record<string, string>;
  task: string;
  sha: string;
}): string {
  const env = Object.entries(options.env)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `ENV ${k}=${JSON.stringify(v)}`);
  return [
    `FROM ${options.depsRef}`,
    `LABEL datasmith.task=${JSON.stringify(options.task)} datasmith.sha=${JSON.stringify(options.sha)} datasmith.layer="commit"`,
    ...env,
    'COPY repo/ /workspace/repo/',
    'COPY docker_build_pkg.sh /datasmith/docker_build_pkg.sh',
    'WORKDIR /workspace/repo',
    'RUN bash /datasmith/docker_build_pkg.sh',
    '',
  ].join('\n');
}

/** How the package is installed: editable (default) or a regular install (meson-python 0.12 has no editable mode). */
export type InstallMode = 'editable' | 'regular';

/**
 * The install script (`docker_build_pkg.sh`): installs the package at the base commit into the
 * venv, with the test/bench extras when they resolve and without them otherwise, then imports it.
 */
export function installScript(options: {
  owner: string;
  repo: string;
  sha: string;
  facts: RepoFacts;
  online: boolean;
  mode: InstallMode;
}): string {
  const { facts } = options;
  const target = options.mode === 'editable' ? '-e .' : '.';
  const pipArgs = ['--no-build-isolation', ...(options.online ? [] : ['--no-index'])].join(' ');
  const extras = facts.chosen_extras.join(',');
  const importName = facts.import_name ?? '';
  return `#!/usr/bin/env bash
# datasmith install script (${TEMPLATES_VERSION}, rules) for ${options.owner}/${options.repo} at ${options.sha}
# Build system: ${facts.build_system ?? 'unknown'}; install: ${options.mode}; offline: ${!options.online}
set -euo pipefail
cd "/workspace/repo/${facts.package_root}"
log() { echo "[install] $*"; }
EXTRAS="${extras}"
TARGET="${target}"
if [ -n "$EXTRAS" ] && pip install ${pipArgs} $TARGET"[$EXTRAS]"; then
  log "installed with extras [$EXTRAS]"
else
  [ -n "$EXTRAS" ] && log "extras [$EXTRAS] did not resolve; installing without them"
  pip install ${pipArgs} $TARGET
fi
${importName ? `echo "::import_name=${importName}::python=$(python -c 'import sys; print(sys.version.split()[0])')"` : 'log "no import name detected"'}
`;
}

/** Reasons an install script is rejected before any build (reference §16.8: empty scripts were built). */
export function installScriptProblem(script: string): string | null {
  if (!script.trim()) return 'the install script is empty';
  if (/^```/m.test(script)) return 'the install script contains a markdown code fence';
  if (!/\b(pip|python|setup\.py|meson|make)\b/.test(script))
    return 'the install script installs nothing (no pip/python/meson/make)';
  return null;
}
