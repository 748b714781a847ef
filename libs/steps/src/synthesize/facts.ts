import { posix } from 'node:path';
import JSON5 from 'json5';
import { parseToml, type TomlTable, tomlGet } from './toml';

/** What the rules know about a repository at one commit, read from its tree (no checkout). */
export interface RepoFacts {
  /** The primary build description: pyproject.toml, setup.py, setup.cfg or meson.build; null when none. */
  build_system: 'pyproject' | 'setup.py' | 'setup.cfg' | 'meson' | null;
  /** Every build file found in the package root. */
  build_files: string[];
  build_backend: string | null;
  /** The folder (repository-relative, `.` for the root) that is installed. */
  package_root: string;
  project_name: string | null;
  import_name: string | null;
  asv_config_path: string | null;
  /** The folder of the asv config (`.` or e.g. `asv_bench`). */
  asv_dir: string | null;
  /** The benchmark folder, repository-relative. */
  benchmark_dir: string | null;
  asv_pythons: string[];
  requires_python: string | null;
  /** Runtime requirement strings (PEP 508) as declared. */
  dependencies: string[];
  /** Build requirements (`[build-system] requires`). */
  build_requires: string[];
  /** Every declared extra and its requirements. */
  extras: Record<string, string[]>;
  /** Extras the install script asks for (test/bench ones that exist). */
  chosen_extras: string[];
  /** The tests folder given to `pytest --collect-only`; null runs it at the package root. */
  tests_dir: string | null;
  /** What the benchmark suite needs besides the project: asv.conf.json `matrix` and pip installs of its commands. */
  benchmark_requires: string[];
  /** No compiled sources (C, C++, Cython, Fortran, Rust) and no compiling build backend. */
  pure_python: boolean;
  /** The folder (repository-relative) whose entry on sys.path makes the import name importable. */
  import_root: string;
  /** The version file a VCS versioning plugin writes at build time (package-root-relative), if declared. */
  scm_version_file: string | null;
  /** Requirements of the test and benchmark dependency groups (PEP 735 `[dependency-groups]`, includes resolved). */
  group_requires: string[];
}

/** The requirements of the useful (test/bench) groups of PEP 735 `[dependency-groups]`, `include-group` resolved. */
export function dependencyGroupRequirements(groups: unknown): string[] {
  if (!groups || typeof groups !== 'object' || Array.isArray(groups)) return [];
  const table = groups as Record<string, unknown>;
  const expand = (name: string, seen: Set<string>): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const entries = table[name];
    if (!Array.isArray(entries)) return [];
    return entries.flatMap((e) => {
      if (typeof e === 'string') return [e];
      const include = e && typeof e === 'object' ? (e as Record<string, unknown>)['include-group'] : undefined;
      return typeof include === 'string' ? expand(include, seen) : [];
    });
  };
  const out = Object.keys(table)
    .filter((g) => USEFUL_EXTRAS.test(g))
    .flatMap((g) => expand(g, new Set()));
  return [...new Set(out)];
}

/**
 * Requirements of the benchmark suite from an asv config: `matrix` in its `req` form and the older
 * flat form (`{"numpy": [""], "six": []}`: a null version means "not installed"), plus the
 * packages of `pip install` in `build_command` / `install_command`.
 */
export function asvBenchmarkRequirements(asv: Record<string, unknown>): string[] {
  const out: string[] = [];
  const fromMatrix = (matrix: unknown) => {
    if (!matrix || typeof matrix !== 'object' || Array.isArray(matrix)) return;
    for (const [name, versions] of Object.entries(matrix as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) continue;
      const list = Array.isArray(versions) ? versions : [versions];
      if (list.length > 0 && list.every((v) => v === null)) continue;
      const pinned = list.find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined;
      out.push(pinned ? (/^[<>=!~]/.test(pinned) ? `${name}${pinned}` : `${name}==${pinned}`) : name);
    }
  };
  const matrix = asv.matrix;
  if (matrix && typeof matrix === 'object' && !Array.isArray(matrix)) {
    const m = matrix as Record<string, unknown>;
    if ('req' in m || 'env' in m || 'env_nobuild' in m) fromMatrix(m.req);
    else fromMatrix(m);
  }
  // `include` entries name packages (flat, or under `req`) with per-environment versions: take the names.
  const NOT_PACKAGES = new Set(['python', 'environment_type', 'sys_platform', 'env', 'env_nobuild', 'req', 'build']);
  for (const entry of Array.isArray(asv.include) ? asv.include : []) {
    if (!entry || typeof entry !== 'object') continue;
    const e = entry as Record<string, unknown>;
    const names = Object.keys(e.req && typeof e.req === 'object' ? (e.req as object) : e).filter(
      (k) => !NOT_PACKAGES.has(k),
    );
    for (const name of names) {
      const v = (e.req && typeof e.req === 'object' ? (e.req as Record<string, unknown>) : e)[name];
      if (v !== null && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) out.push(name);
    }
  }
  for (const key of ['build_command', 'install_command']) {
    const commands = asv[key];
    for (const command of Array.isArray(commands) ? commands : []) {
      if (typeof command !== 'string') continue;
      const m = /\bpip\s+install\s+(.*)$/.exec(command);
      if (!m?.[1]) continue;
      for (const token of m[1].split(/\s+/)) {
        const t = token.replace(/^['"]|['"]$/g, '');
        if (!t || t.startsWith('-') || t.includes('{') || t.includes('/') || t === '.') continue;
        if (/^[A-Za-z0-9][A-Za-z0-9._-]*(\[.*\])?([<>=!~].*)?$/.test(t)) out.push(t);
      }
    }
  }
  const byName = new Map<string, string>();
  for (const r of out) {
    const name = requirementName(r) ?? r;
    if (!byName.has(name) || byName.get(name) === name) byName.set(name, r);
  }
  return [...byName.values()];
}

const COMPILED = /\.(c|cc|cpp|cxx|pyx|f|f90|f95|rs|cu)$/i;
const COMPILING_BACKENDS = /mesonpy|scikit_build|skbuild|maturin|setuptools_rust|enscons|pymsbuild/;

/** Reads one file of the commit; null when absent. */
export type ReadFileAt = (path: string) => Promise<string | null>;

/** Extras that help validation run: tests and benchmarks. */
const USEFUL_EXTRAS =
  /^(test|tests|testing|bench|benchmark|benchmarks|asv|perf)([-_](min|minimal|base|core|all|full))?$/i;

/** asv config files (`asv.conf.json`, `asv.<name>.json`), shallowest first, the root one before others. */
export function findAsvConfigs(paths: readonly string[]): string[] {
  const depth = (p: string) => p.split('/').length;
  const isConf = (p: string) => /^asv\.[A-Za-z0-9_.-]*json$/.test(posix.basename(p));
  return paths
    .filter((p) => isConf(p) && !/(^|\/)(node_modules|\.git|site-packages)\//.test(p))
    .sort(
      (a, b) =>
        depth(a) - depth(b) ||
        (posix.basename(a) === 'asv.conf.json' ? 0 : 1) - (posix.basename(b) === 'asv.conf.json' ? 0 : 1) ||
        (a < b ? -1 : 1),
    );
}

/** Parses asv's JSON, which (as asv itself, through json5) allows comments and trailing commas. */
export function parseAsvJson(text: string): Record<string, unknown> {
  const value = JSON5.parse(text) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('asv config is not a JSON object');
  return value as Record<string, unknown>;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function normalizeDist(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution name of a requirement string (`numpy>=1.2; python_version<"3.12"` → `numpy`). */
export function requirementName(requirement: string): string | null {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement);
  return m?.[1] ? normalizeDist(m[1]) : null;
}

function pyListLiteral(source: string, key: string): string[] {
  const m = new RegExp(`${key}\\s*=\\s*\\[([^\\]]*)\\]`, 's').exec(source);
  if (!m?.[1]) return [];
  return [...m[1].matchAll(/['"]([^'"]+)['"]/g)].map((x) => x[1] as string);
}

function pyStringLiteral(source: string, key: string): string | null {
  const m = new RegExp(`${key}\\s*=\\s*['"]([^'"]+)['"]`).exec(source);
  return m?.[1] ?? null;
}

function pyDictKeysOfLists(source: string, key: string): Record<string, string[]> {
  const m = new RegExp(`${key}\\s*=\\s*\\{(.*?)\\}`, 's').exec(source);
  const out: Record<string, string[]> = {};
  if (!m?.[1]) return out;
  for (const entry of m[1].matchAll(/['"]([^'"]+)['"]\s*:\s*\[([^\]]*)\]/g)) {
    out[entry[1] as string] = [...(entry[2] as string).matchAll(/['"]([^'"]+)['"]/g)].map((x) => x[1] as string);
  }
  return out;
}

function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  let key = '';
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw)) continue;
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      section = (header[1] as string).trim();
      out[section] ??= {};
      key = '';
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$/.exec(raw);
    const sec = out[section] ?? {};
    out[section] = sec;
    if (kv && !/^\s/.test(raw)) {
      key = kv[1] as string;
      sec[key] = (kv[2] as string).trim();
    } else if (key && /^\s+\S/.test(raw)) {
      sec[key] = `${sec[key] ?? ''}\n${raw.trim()}`.trim();
    }
  }
  return out;
}

function iniList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/\n|;(?=\s*[A-Za-z])/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
}

/** The import name: a package folder (or module) in the package root or `src/` matching the project name, else the only top-level package. */
export function detectImportName(
  paths: readonly string[],
  packageRoot: string,
  projectName: string | null,
): string | null {
  const prefix = packageRoot === '.' ? '' : `${packageRoot}/`;
  const rel = paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
  const topPackages = new Set<string>();
  for (const p of rel) {
    const m = /^(?:src\/)?([A-Za-z_][A-Za-z0-9_]*)\/__init__\.py$/.exec(p);
    if (m?.[1]) topPackages.add(m[1]);
  }
  const modules = new Set(
    rel.map((p) => /^(?:src\/)?([A-Za-z_][A-Za-z0-9_]*)\.py$/.exec(p)?.[1]).filter((x): x is string => Boolean(x)),
  );
  const excluded = /^(tests?|testing|docs?|examples?|benchmarks?|asv_bench|build|setup|conftest|tools|scripts|ci)$/i;
  if (projectName) {
    const candidates = [
      projectName,
      projectName.replace(/[-.]/g, '_'),
      projectName.toLowerCase().replace(/[-.]/g, '_'),
    ];
    for (const c of candidates) if (topPackages.has(c)) return c;
    for (const c of candidates) if (modules.has(c)) return c;
  }
  const pkgs = [...topPackages].filter((p) => !excluded.test(p)).sort();
  if (pkgs.length >= 1) return pkgs[0] as string;
  const mods = [...modules].filter((p) => !excluded.test(p)).sort();
  return mods[0] ?? null;
}

/**
 * Reads the facts of a repository at one commit from its path list and a file reader: build system,
 * project and import names, requirements, extras, the asv config and benchmark folder, the tests folder.
 */
export async function readRepoFacts(paths: readonly string[], read: ReadFileAt): Promise<RepoFacts> {
  const { asv, asvConfigPath, asvDir } = await readAsvConfigAt(paths, read);
  const root = packageRootOf(paths, asv, asvDir);
  const at = (name: string) => (root === '.' ? name : `${root}/${name}`);
  const has = new Set(paths);
  const meta = await readPackageMetadata(has, at, read);
  const importName = detectImportName(paths, root, meta.projectName);
  const benchmarkDir = asvDir
    ? posix.normalize(posix.join(asvDir, typeof asv.benchmark_dir === 'string' ? asv.benchmark_dir : 'benchmarks'))
    : null;
  const prefix = root === '.' ? '' : `${root}/`;
  const skipDir = /(^|\/)(tests?|benchmarks?|asv_bench|docs?|examples?|tools|ci|\.github)\//;
  const compiled = paths.some((p) => p.startsWith(prefix) && COMPILED.test(p) && !skipDir.test(p.slice(prefix.length)));
  const pure = !compiled && !COMPILING_BACKENDS.test(meta.backend ?? '') && !has.has(at('meson.build'));
  const srcLayout =
    importName !== null && (has.has(at(`src/${importName}/__init__.py`)) || has.has(at(`src/${importName}.py`)));
  return {
    build_system: buildSystemOf(has, at, meta.backend),
    build_files: ['pyproject.toml', 'setup.py', 'setup.cfg', 'meson.build'].filter((f) => has.has(at(f))),
    build_backend: meta.backend,
    package_root: root,
    project_name: meta.projectName,
    import_name: importName,
    asv_config_path: asvConfigPath,
    asv_dir: asvDir,
    benchmark_dir: benchmarkDir,
    asv_pythons: Array.isArray(asv.pythons) ? asv.pythons.map((v) => String(v)) : [],
    requires_python: meta.requiresPython,
    dependencies: meta.dependencies,
    build_requires: meta.buildRequires,
    extras: meta.extras,
    chosen_extras: Object.keys(meta.extras)
      .filter((e) => USEFUL_EXTRAS.test(e))
      .sort(),
    tests_dir: testsDirOf(paths, at, meta.testpaths, importName),
    benchmark_requires: asvBenchmarkRequirements(asv),
    pure_python: pure,
    import_root: srcLayout ? at('src') : root,
    scm_version_file: meta.scmVersionFile,
    group_requires: meta.groupRequires,
  };
}

/** The first asv config of the tree, parsed (JSON5 as asv reads it; unreadable: empty), and its folder. */
async function readAsvConfigAt(
  paths: readonly string[],
  read: ReadFileAt,
): Promise<{ asv: Record<string, unknown>; asvConfigPath: string | null; asvDir: string | null }> {
  const asvConfigPath = findAsvConfigs(paths)[0] ?? null;
  if (!asvConfigPath) return { asv: {}, asvConfigPath, asvDir: null };
  const text = await read(asvConfigPath);
  let asv: Record<string, unknown> = {};
  try {
    asv = text ? parseAsvJson(text) : {};
  } catch {
    asv = {};
  }
  return { asv, asvConfigPath, asvDir: posix.dirname(asvConfigPath) };
}

/** The package root: asv's `repo` relative to its config, when a build file is there; else the tree root. */
function packageRootOf(paths: readonly string[], asv: Record<string, unknown>, asvDir: string | null): string {
  // `repo` is a path relative to the config, but some configs name a URL or an absolute path (the
  // project's own repository): then the repository root is meant.
  const repoSetting = typeof asv.repo === 'string' && !/^([a-z+]+:|\/|git@)/i.test(asv.repo) ? asv.repo : '.';
  const packageRoot = asvDir ? posix.normalize(posix.join(asvDir, repoSetting)).replace(/\/+$/, '') || '.' : '.';
  const hasBuildFile = (dir: string) =>
    ['pyproject.toml', 'setup.py', 'setup.cfg'].some((f) => paths.includes(dir === '.' ? f : `${dir}/${f}`));
  const root = packageRoot === '.' || packageRoot.startsWith('..') ? '.' : packageRoot;
  return root !== '.' && !hasBuildFile(root) && hasBuildFile('.') ? '.' : root;
}

interface PackageMetadata {
  projectName: string | null;
  backend: string | null;
  requiresPython: string | null;
  dependencies: string[];
  buildRequires: string[];
  extras: Record<string, string[]>;
  testpaths: string[];
  scmVersionFile: string | null;
  groupRequires: string[];
}

/** The package's metadata from pyproject.toml first, then setup.cfg, setup.py and pytest.ini for what is still unknown. */
async function readPackageMetadata(
  has: ReadonlySet<string>,
  at: (name: string) => string,
  read: ReadFileAt,
): Promise<PackageMetadata> {
  const meta: PackageMetadata = {
    projectName: null,
    backend: null,
    requiresPython: null,
    dependencies: [],
    buildRequires: [],
    extras: {},
    testpaths: [],
    scmVersionFile: null,
    groupRequires: [],
  };
  if (has.has(at('pyproject.toml'))) readPyproject(meta, parseToml((await read(at('pyproject.toml'))) ?? ''));
  if (has.has(at('setup.cfg'))) {
    const ini = parseIni((await read(at('setup.cfg'))) ?? '');
    meta.projectName ??= ini.metadata?.name ?? null;
    meta.requiresPython ??= ini.options?.python_requires ?? null;
    if (meta.dependencies.length === 0) meta.dependencies = iniList(ini.options?.install_requires);
    if (Object.keys(meta.extras).length === 0) {
      for (const [k, v] of Object.entries(ini['options.extras_require'] ?? {})) meta.extras[k] = iniList(v);
    }
    if (meta.testpaths.length === 0)
      meta.testpaths = (ini['tool:pytest']?.testpaths ?? '').split(/\s+/).filter(Boolean);
  }
  if (has.has(at('setup.py'))) {
    const source = (await read(at('setup.py'))) ?? '';
    meta.projectName ??= pyStringLiteral(source, 'name');
    meta.requiresPython ??= pyStringLiteral(source, 'python_requires');
    if (meta.dependencies.length === 0) meta.dependencies = pyListLiteral(source, 'install_requires');
    if (Object.keys(meta.extras).length === 0) meta.extras = pyDictKeysOfLists(source, 'extras_require');
    meta.backend ??= 'setuptools.build_meta:__legacy__';
  }
  if (has.has(at('meson.build')) && !meta.backend) meta.backend = 'mesonpy';
  if (has.has(at('pytest.ini')) && meta.testpaths.length === 0) {
    const ini = parseIni((await read(at('pytest.ini'))) ?? '');
    meta.testpaths = (ini.pytest?.testpaths ?? '').split(/\s+/).filter(Boolean);
  }
  return meta;
}

function readPyproject(meta: PackageMetadata, toml: TomlTable): void {
  const name = tomlGet(toml, 'project.name') ?? tomlGet(toml, 'tool.poetry.name');
  if (typeof name === 'string') meta.projectName = name;
  const be = tomlGet(toml, 'build-system.build-backend');
  if (typeof be === 'string') meta.backend = be;
  const rp = tomlGet(toml, 'project.requires-python');
  if (typeof rp === 'string') meta.requiresPython = rp;
  meta.dependencies = strings(tomlGet(toml, 'project.dependencies'));
  meta.buildRequires = strings(tomlGet(toml, 'build-system.requires'));
  const optional = tomlGet(toml, 'project.optional-dependencies');
  if (optional && typeof optional === 'object' && !Array.isArray(optional)) {
    for (const [k, v] of Object.entries(optional)) meta.extras[k] = strings(v);
  }
  meta.testpaths = strings(tomlGet(toml, 'tool.pytest.ini_options.testpaths'));
  meta.groupRequires = dependencyGroupRequirements(tomlGet(toml, 'dependency-groups'));
  for (const key of [
    'tool.setuptools_scm.version_file',
    'tool.setuptools_scm.write_to',
    'tool.hatch.build.hooks.vcs.version-file',
    'tool.pdm.version.write_to',
  ]) {
    const v = tomlGet(toml, key);
    if (typeof v === 'string' && !meta.scmVersionFile) meta.scmVersionFile = v;
  }
  // setuptools-scm learnt `version_file` in 8.0 (7.x rejects it): a requirement the metadata implies.
  if (typeof tomlGet(toml, 'tool.setuptools_scm.version_file') === 'string') {
    meta.buildRequires = [
      ...meta.buildRequires.filter((r) => requirementName(r) !== 'setuptools-scm'),
      'setuptools_scm>=8',
    ];
  }
}

function buildSystemOf(
  has: ReadonlySet<string>,
  at: (name: string) => string,
  backend: string | null,
): RepoFacts['build_system'] {
  if (has.has(at('pyproject.toml'))) return backend === 'mesonpy' ? 'meson' : 'pyproject';
  if (has.has(at('setup.py'))) return 'setup.py';
  if (has.has(at('setup.cfg'))) return 'setup.cfg';
  return has.has(at('meson.build')) ? 'meson' : null;
}

/** The tests folder: pytest's testpaths, then tests/, test/, then tests inside the package. */
function testsDirOf(
  paths: readonly string[],
  at: (name: string) => string,
  testpaths: readonly string[],
  importName: string | null,
): string | null {
  const dirs = new Set(
    paths
      .map((p) => p.split('/').slice(0, -1).join('/'))
      .flatMap((d) => d.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'))),
  );
  const candidates = [
    ...testpaths.map(at),
    at('tests'),
    at('test'),
    ...(importName ? [at(`${importName}/tests`), at(`src/${importName}/tests`)] : []),
  ];
  return candidates.find((c) => dirs.has(c)) ?? null;
}
