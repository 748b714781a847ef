/**
 * Which benchmarks a gold patch is measured with: those whose code the change touches first, then the
 * rest, up to a limit. Pure logic over the patch, the base's sources and the benchmark suite's files.
 */

/** One changed file of a patch, with the base-side line numbers its hunks touch. */
export interface ChangedFile {
  path: string;
  /** Base-side line numbers removed or changed; for a pure insertion, the line it follows. */
  oldLines: number[];
  /** Names of functions and classes the added lines define (`def x`, `class Y`). */
  addedDefs: string[];
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
      current = { path: m?.[2] ?? '', oldLines: [], addedDefs: [] };
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
    if (line.startsWith('-')) {
      current.oldLines.push(oldLine);
      oldLine++;
    } else if (line.startsWith('+')) {
      current.oldLines.push(Math.max(1, oldLine - 1));
      const def = /^\+\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(line);
      if (def?.[1]) current.addedDefs.push(def[1]);
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
    const own = /^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(here);
    if (own?.[1]) names.add(own[1]);
    for (let i = start - 2; i >= 0 && indent > 0; i--) {
      const line = text[i] as string;
      if (!line.trim() || line.trimStart().startsWith('#')) continue;
      const ind = line.length - line.trimStart().length;
      if (ind >= indent) continue;
      indent = ind;
      const m = /^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(line);
      if (m?.[1]) names.add(m[1]);
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
  const m = /^(.*)\.(py|pyx)$/.exec(rel);
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
}

/** Names too generic to point at a benchmark. */
const GENERIC = new Set(['setup', 'teardown', 'main', 'run', 'get', 'set', 'call', 'wrapper', 'inner', 'decorator']);

/** The functions, classes and modules a patch changes (`baseSources`: the base's text of each changed file). */
export function changeTargets(
  files: readonly ChangedFile[],
  baseSources: Readonly<Record<string, string>>,
  options: { benchmarkDir: string | null; importRoot?: string },
): ChangeTargets {
  const names = new Map<string, string>();
  const modules = new Set<string>();
  const runtime: string[] = [];
  for (const f of files) {
    if (!isRuntimePython(f.path, options.benchmarkDir)) continue;
    runtime.push(f.path);
    const mod = moduleName(f.path, options.importRoot ?? '.');
    if (mod) modules.add(mod);
    const source = baseSources[f.path];
    const found = [...(source ? enclosingDefs(source, f.oldLines) : []), ...f.addedDefs];
    for (const n of found) {
      if (n.startsWith('__') || n.length < 3 || GENERIC.has(n) || names.has(n)) continue;
      names.set(n, f.path);
    }
  }
  return {
    names: [...names].map(([name, path]) => ({ name, path })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    modules: [...modules].sort(),
    files: runtime.sort(),
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

function mentions(text: string, name: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`).test(text);
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
      if (named.length > 0) {
        chosen = {
          name,
          tier: 'names',
          why: `names ${named.map((t) => `${t.name} (${t.path})`).join(', ')}`,
        };
      } else if (imported.length > 0) {
        chosen = { name, tier: 'imports', why: `imports ${imported.join(', ')}` };
      }
    }
    out.push(chosen);
  }
  const rank = { names: 0, imports: 1, rest: 2 } as const;
  return out.sort((a, b) => rank[a.tier] - rank[b.tier] || (a.name < b.name ? -1 : 1)).slice(0, limit);
}
