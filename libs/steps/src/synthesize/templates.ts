import type { RepoFacts } from './facts';

/** Bump when the templates would now give different files for the same facts. */
export const TEMPLATES_VERSION = 'templates-2';

/**
 * The dependency layer: Debian packages (offline: the mapped requirements; with `buildDepsOf`, the
 * build dependencies of the project's own Debian source package, i.e. the C libraries and tools it
 * compiles against), the `--system-site-packages` venv when the base has none, and online the pip
 * requirements.
 */
export function dependencyDockerfile(options: {
  baseRef: string;
  debianPackages: readonly string[];
  /** A Debian binary package whose source package's (arch) build dependencies are installed. */
  buildDepsOf?: string | null;
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
  if (options.buildDepsOf) {
    const src = '/etc/apt/sources.list.d/datasmith-src.list';
    lines.push(
      `RUN (sed -n 's/^deb /deb-src /p' /etc/apt/sources.list 2>/dev/null; sed -n 's/^Types: deb$/Types: deb-src/p' /dev/null) > ${src} && apt-get update && (apt-get build-dep -y --arch-only ${options.buildDepsOf} || echo "datasmith: build-dep ${options.buildDepsOf} failed, continuing") && rm -rf /var/lib/apt/lists/* ${src}`,
    );
  }
  lines.push('RUN [ -x /opt/venv/bin/python ] || python3 -m venv --system-site-packages /opt/venv');
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

/**
 * How the package is installed: editable (default), regular (meson-python 0.12 has no editable
 * mode), or source (a `.pth` entry for the source folder and a minimal dist-info: for a pure-Python
 * project whose metadata the release's build tools cannot read, e.g. a PEP 639 license string on
 * setuptools < 77).
 */
export type InstallMode = 'editable' | 'regular' | 'source';

function sourceInstall(facts: RepoFacts): string {
  const dist = (facts.project_name ?? facts.import_name ?? 'project').replace(/[-.]+/g, '_');
  const versionFile = facts.scm_version_file
    ? `[ -e ${JSON.stringify(facts.scm_version_file)} ] || printf '__version__ = version = "0+datasmith"\\n__version_tuple__ = version_tuple = (0, "datasmith")\\n' > ${JSON.stringify(facts.scm_version_file)}`
    : '';
  return `SITE=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo ${JSON.stringify(`/workspace/repo/${facts.import_root}`.replace(/\/\.$/, ''))} > "$SITE/datasmith-source.pth"
INFO="$SITE/${dist}-0+datasmith.dist-info"
mkdir -p "$INFO"
printf 'Metadata-Version: 2.1\\nName: %s\\nVersion: 0+datasmith\\n' ${JSON.stringify(facts.project_name ?? dist)} > "$INFO/METADATA"
echo datasmith > "$INFO/INSTALLER"
: > "$INFO/RECORD"
${versionFile}
log "installed from the source folder (.pth)"`;
}

/**
 * The install script (`docker_build_pkg.sh`): installs the package at the base commit into the
 * venv, then imports it. Offline, dependencies come from Debian's packages in the dependency layer
 * (pip runs `--no-index --no-deps`); online with the test/bench extras when they resolve.
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
  const importName = facts.import_name ?? '';
  const header = `#!/usr/bin/env bash
# datasmith install script (${TEMPLATES_VERSION}, rules) for ${options.owner}/${options.repo} at ${options.sha}
# Build system: ${facts.build_system ?? 'unknown'}; install: ${options.mode}; offline: ${!options.online}
set -euo pipefail
cd "/workspace/repo/${facts.package_root}"
log() { echo "[install] $*"; }
`;
  const footer = importName
    ? `echo "::import_name=${importName}::python=$(python -c 'import sys; print(sys.version.split()[0])')"\n`
    : 'log "no import name detected"\n';
  if (options.mode === 'source') return `${header}${sourceInstall(facts)}\n${footer}`;
  const target = options.mode === 'editable' ? '-e .' : '.';
  if (!options.online) {
    return `${header}pip install --no-build-isolation --no-index --no-deps --ignore-requires-python ${target}
${footer}`;
  }
  const extras = facts.chosen_extras.join(',');
  return `${header}EXTRAS="${extras}"
TARGET="${target}"
if [ -n "$EXTRAS" ] && pip install --no-build-isolation $TARGET"[$EXTRAS]"; then
  log "installed with extras [$EXTRAS]"
else
  [ -n "$EXTRAS" ] && log "extras [$EXTRAS] did not resolve; installing without them"
  pip install --no-build-isolation $TARGET
fi
${footer}`;
}

/** Reasons an install script is rejected before any build (reference §16.8: empty scripts were built). */
export function installScriptProblem(script: string): string | null {
  if (!script.trim()) return 'the install script is empty';
  if (/^```/m.test(script)) return 'the install script contains a markdown code fence';
  if (!/\b(pip|python|setup\.py|meson|make)\b/.test(script))
    return 'the install script installs nothing (no pip/python/meson/make)';
  return null;
}
