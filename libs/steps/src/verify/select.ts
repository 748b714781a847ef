import { exactBenchRegex } from '../synthesize/asv-results';

/**
 * Which benchmarks a gold patch is measured with: those whose code the change touches first, then the
 * rest, up to a limit. Pure logic over the patch, the base's sources and the benchmark suite's files.
 */

/** One changed file of a patch, with the base-side line numbers its hunks touch. */
export interface ChangedFile {
  path: string;
  /** Base-side line numbers removed or changed; for a pure insertion, the line it follows. */
  oldLines: number[];
  /** Names of functions and classes the added lines define (`def x`, `class Y`; Cython `cpdef`, `cdef class`). */
  addedDefs: string[];
  /**
   * Identifier string literals of the changed lines (added or removed) of a compiled source: the
   * names C code registers with Python (`"contains_xy"` in a method table or a ufunc registration).
   */
  literals: string[];
}

/** Compiled sources: Cython, C, C++, Rust, Fortran. */
export const COMPILED_SOURCE = /\.(pyx|pxd|pxi|c|cc|cpp|cxx|h|hh|hpp|rs|f|f90)$/;

/** A `def`/`class` line of Python or Cython (`cpdef double f(`, `cdef inline int g(`, `cdef class C:`): the name. */
const DEF_LINE =
  /^\s*(?:async\s+)?(?:def|class|cpdef|cdef\s+class|cdef(?=\s+[^=]*\())\s+(?:[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*\*+\s*|\s+))*?([A-Za-z_][A-Za-z0-9_]*)\s*[(:]/;

/** The name a `def`/`class` line (Python or Cython) defines, if it is one. */
export function defName(line: string): string | null {
  return DEF_LINE.exec(line)?.[1] ?? null;
}

/** Parses a unified diff (`git diff`) into its changed files (the new path; a deleted file keeps its old one). */
export function parsePatchFiles(patch: string): ChangedFile[] {
  const files: ChangedFile[] = [];
  let current: ChangedFile | null = null;
  let oldLine = 0;
  let inHunk = false;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const m = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
      current = { path: m?.[2] ?? '', oldLines: [], addedDefs: [], literals: [] };
      files.push(current);
      inHunk = false;
      continue;
    }
    if (!current) continue;
    if (!inHunk && line.startsWith('+++ ')) {
      const p = line.slice(4);
      if (p !== '/dev/null') current.path = p.replace(/^b\//, '');
      continue;
    }
    if (!inHunk && line.startsWith('--- ')) continue;
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      // A hunk of pure insertion at the top of a file has old start 0.
      if (Number(hunk[2] ?? '1') === 0) oldLine += 1;
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    const changedLine = line.startsWith('-') || line.startsWith('+');
    if (changedLine && COMPILED_SOURCE.test(current.path) && !current.path.endsWith('.pyx')) {
      for (const lit of line.slice(1).matchAll(/"([A-Za-z_][A-Za-z0-9_]{2,})"/g))
        if (lit[1] && !current.literals.includes(lit[1])) current.literals.push(lit[1]);
    }
    if (line.startsWith('-')) {
      current.oldLines.push(oldLine);
      oldLine++;
    } else if (line.startsWith('+')) {
      current.oldLines.push(Math.max(1, oldLine - 1));
      const def = defName(line.slice(1));
      if (def) current.addedDefs.push(def);
    } else if (line.startsWith(' ')) {
      oldLine++;
    }
  }
  for (const f of files) f.oldLines = [...new Set(f.oldLines)].sort((a, b) => a - b);
  return files;
}

/** Paths that are not the project's runtime code: tests, docs, benchmarks, CI. */
export function isRuntimePython(path: string, benchmarkDir: string | null): boolean {
  if (!path.endsWith('.py') && !/\.(pyx|pxd|c|cc|cpp|h|hpp|rs|f90|f)$/.test(path)) return false;
  if (benchmarkDir && (path === benchmarkDir || path.startsWith(`${benchmarkDir}/`))) return false;
  return (
    !/(^|\/)(tests?|testing|docs?|examples?|benchmarks?|asv_bench|\.github|ci)\//.test(path) &&
    !/(^|\/)(test_[^/]*|[^/]*_test|conftest|setup)\.py$/.test(path)
  );
}

/**
 * The names of the functions and classes that enclose `lines` of a Python source (every enclosing
 * level, outermost first), found by indentation. Lines at module level enclose nothing.
 */
export function enclosingDefs(source: string, lines: readonly number[]): string[] {
  const text = source.split('\n');
  const names = new Set<string>();
  for (const n of lines) {
    let indent = Number.POSITIVE_INFINITY;
    const start = Math.min(n, text.length);
    const here = text[start - 1] ?? '';
    if (here.trim()) indent = here.length - here.trimStart().length;
    // The changed line itself may be a definition.
    const own = defName(here);
    if (own) names.add(own);
    for (let i = start - 2; i >= 0 && indent > 0; i--) {
      const line = text[i] as string;
      if (!line.trim() || line.trimStart().startsWith('#')) continue;
      const ind = line.length - line.trimStart().length;
      if (ind >= indent) continue;
      indent = ind;
      const m = defName(line);
      if (m) names.add(m);
    }
  }
  return [...names];
}

/** `pkg/sub/mod.py` → `pkg.sub.mod` (relative to the import root); `__init__.py` names its package. */
export function moduleName(path: string, importRoot = '.'): string | null {
  let rel = path;
  if (importRoot !== '.' && importRoot !== '') {
    if (!rel.startsWith(`${importRoot}/`)) return null;
    rel = rel.slice(importRoot.length + 1);
  }
  const m = /^(.*)\.(py|pyx|pxd)$/.exec(rel);
  if (!m?.[1]) return null;
  const parts = m[1].split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  if (parts.length === 0 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) return null;
  return parts.join('.');
}

/** What the change touches, for benchmark selection. */
export interface ChangeTargets {
  /** Functions and classes changed, with the file each comes from. */
  names: { name: string; path: string }[];
  /** Dotted modules changed. */
  modules: string[];
  /** Changed runtime files (code, not tests or docs). */
  files: string[];
  /**
   * Changed compiled sources, each with the Python modules that may expose it (the extension named
   * after it, the wrapper named after its source folder, the package that holds it): a benchmark
   * that imports one of them is in the `imports` tier, and the selection's why says which source.
   */
  compiled: { path: string; modules: string[] }[];
}

/**
 * The Python modules through which a compiled source (not a .pyx, which is a module itself) is
 * likely reached: the extension module named after the file (`pkg/_speedups.c` → `pkg._speedups`),
 * the wrapper named after its source folder (`pkg/force_src/x.cpp` → `pkg.force`), the package
 * that holds it (`pkg`); a source outside the import root (`src/ufuncs.c`) is built into the
 * top-level package (`importName`, e.g. `shapely`).
 */
export function compiledModules(path: string, importRoot = '.', importName: string | null = null): string[] {
  const out: string[] = [];
  const add = (m: string | null) => {
    if (m && !out.includes(m)) out.push(m);
  };
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const stem = path.slice(path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
  const underRoot = importRoot === '.' || importRoot === '' || path.startsWith(`${importRoot}/`);
  const packaged = (d: string) => (d ? moduleName(`${d}/__init__.py`, importRoot) : null);
  const top = importName && /^[A-Za-z_][A-Za-z0-9_]*$/.test(importName) ? importName : null;
  const inPackage = underRoot && dir !== '' && (top === null || packaged(dir)?.split('.')[0] === top);
  if (inPackage) {
    add(moduleName(`${dir}/${stem}.py`, importRoot));
    const folder = dir.slice(dir.lastIndexOf('/') + 1);
    const wrapper = /^_?(.+?)_?(?:src|source|sources|_ext|ext|lib)$/.exec(folder)?.[1];
    const parent = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
    if (wrapper && parent) add(moduleName(`${parent}/${wrapper}.py`, importRoot));
    add(packaged(dir));
    if (wrapper && parent) add(packaged(parent));
  } else add(top);
  return out;
}

/** Names too generic to point at a benchmark. */
const GENERIC = new Set(['setup', 'teardown', 'main', 'run', 'get', 'set', 'call', 'wrapper', 'inner', 'decorator']);

/** The functions, classes and modules a patch changes (`baseSources`: the base's text of each changed file). */
export function changeTargets(
  files: readonly ChangedFile[],
  baseSources: Readonly<Record<string, string>>,
  options: { benchmarkDir: string | null; importRoot?: string; importName?: string | null },
): ChangeTargets {
  const names = new Map<string, string>();
  const modules = new Set<string>();
  const runtime: string[] = [];
  const compiled: ChangeTargets['compiled'] = [];
  for (const f of files) {
    if (!isRuntimePython(f.path, options.benchmarkDir)) continue;
    runtime.push(f.path);
    const mod = moduleName(f.path, options.importRoot ?? '.');
    if (mod) modules.add(mod);
    const isCompiled = COMPILED_SOURCE.test(f.path) && !mod;
    const exposing = isCompiled ? compiledModules(f.path, options.importRoot, options.importName) : [];
    if (isCompiled) compiled.push({ path: f.path, modules: exposing });
    // A literal that names a module ("shapely", "lib") would match every benchmark: not a name.
    const segments = new Set(exposing.flatMap((m) => m.split('.')));
    const source = baseSources[f.path];
    // Definitions are found in Python and Cython; C and its kin give the names they register with Python.
    const found = [
      ...(source ? enclosingDefs(source, f.oldLines) : []),
      ...f.addedDefs,
      ...(f.literals ?? []).filter((l) => !segments.has(l)),
    ];
    for (const n of found) {
      if (n.startsWith('__') || n.length < 3 || GENERIC.has(n) || names.has(n)) continue;
      names.set(n, f.path);
    }
  }
  return {
    names: [...names].map(([name, path]) => ({ name, path })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    modules: [...modules].sort(),
    files: runtime.sort(),
    compiled: compiled.sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}

/** The block of a Python source that starts at the `def`/`class` named `name` under `parent` (by indentation). */
function blockOf(lines: readonly string[], path: readonly string[]): string | null {
  let from = 0;
  let to = lines.length;
  let minIndent = 0;
  for (const name of path) {
    let found = -1;
    for (let i = from; i < to; i++) {
      const line = lines[i] as string;
      const ind = line.length - line.trimStart().length;
      if (ind < minIndent) continue;
      if (new RegExp(`^\\s*(?:async\\s+)?(?:def|class)\\s+${name}\\b`).test(line)) {
        found = i;
        break;
      }
    }
    if (found < 0) return null;
    const indent = (lines[found] as string).length - (lines[found] as string).trimStart().length;
    let end = found + 1;
    while (end < to) {
      const line = lines[end] as string;
      if (line.trim() && line.length - line.trimStart().length <= indent) break;
      end++;
    }
    from = found;
    to = end;
    minIndent = indent + 1;
  }
  return lines.slice(from, to).join('\n');
}

/** Why a benchmark was selected. */
export interface SelectedBenchmark {
  name: string;
  /** `names`: its code names a changed function or class; `imports`: its module imports a changed module; `rest`: neither, within the limit. */
  tier: 'names' | 'imports' | 'rest';
  why: string;
}

/** The source of a benchmark's module and the path of names inside it (class, method), from the suite's files. */
function locate(
  benchmark: string,
  suite: Readonly<Record<string, string>>,
): { source: string; inner: string[]; module: string } | null {
  const parts = benchmark.replace(/\(.*\)$/, '').split('.');
  for (let i = parts.length - 1; i >= 1; i--) {
    const mod = parts.slice(0, i).join('/');
    const source = suite[`${mod}.py`] ?? suite[`${mod}/__init__.py`];
    if (source !== undefined) return { source, inner: parts.slice(i), module: parts.slice(0, i).join('.') };
  }
  return null;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function mentions(text: string, name: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9_])${escapeRegex(name)}(?![A-Za-z0-9_])`).test(text);
}

/** Does a module source import `module` (`import a.b`, `from a.b import`, `from a import b`)? */
function importsModule(source: string, module: string): boolean {
  const esc = (s: string) => s.replace(/\./g, '\\.');
  if (new RegExp(`^\\s*(?:import|from)\\s+${esc(module)}(?![A-Za-z0-9_])`, 'm').test(source)) return true;
  const dot = module.lastIndexOf('.');
  if (dot < 0) return false;
  const parent = module.slice(0, dot);
  const leaf = module.slice(dot + 1);
  return new RegExp(
    `^\\s*from\\s+${esc(parent)}\\s+import\\s+[^\\n]*(?<![A-Za-z0-9_])${leaf}(?![A-Za-z0-9_])`,
    'm',
  ).test(source);
}

/**
 * Orders the benchmarks (time benchmarks only) by how directly the change touches them and keeps at
 * most `limit`: first those whose class or function (with its setup) names a changed function or
 * class, then those whose module imports a changed module (or, for a change at a package's top, the
 * package), then the rest in name order.
 */
export function selectBenchmarks(
  benchmarks: readonly string[],
  suite: Readonly<Record<string, string>>,
  targets: ChangeTargets,
  limit: number,
): SelectedBenchmark[] {
  const out: SelectedBenchmark[] = [];
  for (const name of [...benchmarks].sort()) {
    const where = locate(name, suite);
    let chosen: SelectedBenchmark = { name, tier: 'rest', why: 'not touched by the change; measured within the limit' };
    if (where) {
      const lines = where.source.split('\n');
      // A method's class (its setup runs too); a function itself.
      const block = blockOf(lines, where.inner.length > 1 ? where.inner.slice(0, -1) : where.inner) ?? '';
      const named = targets.names.filter((t) => mentions(block, t.name));
      const imported = targets.modules.filter((m) => importsModule(where.source, m));
      const wraps = (targets.compiled ?? []).flatMap((c) => {
        const m = c.modules.find((x) => importsModule(where.source, x));
        return m ? [`${m} (wraps compiled ${c.path})`] : [];
      });
      if (named.length > 0) {
        chosen = {
          name,
          tier: 'names',
          why: `names ${named.map((t) => `${t.name} (${t.path})`).join(', ')}`,
        };
      } else if (imported.length > 0 || wraps.length > 0) {
        chosen = { name, tier: 'imports', why: `imports ${[...imported, ...wraps].join(', ')}` };
      }
    }
    if (chosen.tier === 'rest' && (targets.compiled ?? []).length > 0) {
      const paths = (targets.compiled ?? []).map((c) => c.path);
      chosen.why = `not traced to the change, which is in compiled sources (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? `, +${paths.length - 3}` : ''}) no import of this benchmark reaches; measured within the limit`;
    }
    out.push(chosen);
  }
  const rank = { names: 0, imports: 1, rest: 2 } as const;
  return out.sort((a, b) => rank[a.tier] - rank[b.tier] || (a.name < b.name ? -1 : 1)).slice(0, limit);
}

/**
 * The parameter sets of a benchmark as asv names them (`name(p1, p2)`: each parameter's repr, joined
 * by ", ", in `itertools.product` order), from its `params` in benchmarks.json.
 */
export function paramSetNames(name: string, params: readonly (readonly string[])[]): string[] {
  if (params.length === 0) return [];
  let combos: string[][] = [[]];
  for (const values of params) combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  return combos.map((c) => `${name}(${c.join(', ')})`);
}

/**
 * At most `cap` of a benchmark's parameter sets, evenly spread over asv's order and always with the
 * first and the last (by convention the smallest and the largest input): a heavily parameterized
 * benchmark (datashader's ShadeCategorical: 24 sets) otherwise takes a whole task's budget for one
 * benchmark. Null: the benchmark has no parameters or no more sets than the cap, so all run.
 */
export function spreadParamSets(sets: readonly string[], cap: number): string[] | null {
  if (sets.length <= cap) return null;
  if (cap <= 1) return [sets[sets.length - 1] as string];
  const picked = new Set<number>();
  for (let i = 0; i < cap; i++) picked.add(Math.round((i * (sets.length - 1)) / (cap - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => sets[i] as string);
}

/**
 * The `asv run --bench` regex for the selected benchmarks: each name with any parameter set, or, for
 * a benchmark whose sets were capped, exactly the chosen `name(p1, p2)` sets (asv matches a
 * parameterized benchmark's regex against that form and runs only the matching sets).
 */
export function benchRegexFor(names: readonly string[], cappedSets: ReadonlyMap<string, readonly string[]>): string {
  const whole = names.filter((n) => !cappedSets.has(n));
  const parts: string[] = whole.length > 0 ? [exactBenchRegex(whole)] : [];
  for (const n of names) {
    const sets = cappedSets.get(n);
    if (sets) parts.push(`^(${sets.map(escapeRegex).join('|')})$`);
  }
  return parts.join('|');
}
