import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import type * as TypeScript from 'typescript';

/**
 * A step's code, as Nx must hash it: the workspace files its code transitively imports (plus the
 * files that code reads next to itself, such as prompts) and the npm packages it imports.
 *
 * Computed from the real import graph at plugin time, not from hand-kept globs: a library is shared
 * by several steps and a step is spread over several libraries, so Nx's project-granular inputs
 * (`^production`) would be too coarse (every step would hash every other step's code).
 */
export interface StepCode {
  /** Workspace-relative files with `/`, sorted: modules, the package.json of their packages, assets. */
  files: string[];
  /** npm package names (e.g. `@octokit/rest`), sorted; hashed through `externalDependencies`. */
  packages: string[];
}

/** What one module says about its dependencies; depends only on its text (so it is cached by hash). */
export interface ModuleFacts {
  /** Runtime imports (`import type` left out): the specifier and the names used; `*` = all, none = side effects. */
  imports: { spec: string; names: string[] }[];
  /** Re-exports (`export { a as b } from`): followed only for the names an importer uses. `null` map = `export *`. */
  reexports: { spec: string; map: [exported: string, imported: string][] | null }[];
  /**
   * Files read next to the module: `new URL('./x', import.meta.url)` or `join(import.meta.dirname, 'x')`.
   * `dir` = every file under the path (a template literal hashes the folder of its static prefix).
   */
  assets: { path: string; dir: boolean }[];
}

/**
 * The CLI's command registry: it can import every command module (for the full help), but a step
 * loads and runs only its own command, so from this file the walk follows only the step's command
 * module (a static or an `import()`).
 */
export const COMMAND_REGISTRY = 'libs/cli/src/commands/index.ts';

/** The CLI script the default `cli` option runs. */
export const DEFAULT_CLI_ENTRY = 'libs/cli/bin/datasmith.js';

/** Files and folders that are test code: never followed as assets, and never production. */
export function isTestFile(file: string): boolean {
  return (
    /\.test\.[cm]?[jt]s$/.test(file) ||
    /(^|\/)(testing|__snapshots__|__screenshots__|__fixtures__)\//.test(file) ||
    /(^|\/)[^/]*test-helpers?\.[cm]?[jt]s$/.test(file)
  );
}

/** Bump when {@link parseModuleFacts} changes, so cached facts are recomputed. */
const FACTS_VERSION = 2;
const CODE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'];

let typescript: typeof TypeScript | null = null;
/** TypeScript is loaded only when a file's facts are not cached (about 0.2 s). */
function ts(): typeof TypeScript {
  typescript ??= createRequire(import.meta.url)('typescript') as typeof TypeScript;
  return typescript;
}

/** The text of a string literal (or a template without substitutions), else null. */
type LiteralOf = (node: TypeScript.Node | undefined) => string | null;

/** The names an import clause binds at runtime: `default`, `*` or the imported names, type-only ones left out. */
function importedNames(t: typeof TypeScript, clause: TypeScript.ImportClause): string[] {
  const names: string[] = [];
  if (clause.name) names.push('default');
  const bindings = clause.namedBindings;
  if (bindings && t.isNamespaceImport(bindings)) names.push('*');
  else if (bindings) {
    for (const element of bindings.elements) {
      if (!element.isTypeOnly) names.push((element.propertyName ?? element.name).text);
    }
  }
  return names;
}

/** The runtime re-export of an `export ... from` (exported name → imported name), or null for type-only names. */
function reexportOf(t: typeof TypeScript, spec: string, statement: TypeScript.ExportDeclaration) {
  const clause = statement.exportClause;
  if (!clause) return { spec, map: null };
  if (t.isNamespaceExport(clause)) return { spec, map: [[clause.name.text, '*']] as [string, string][] };
  const map = clause.elements
    .filter((element) => !element.isTypeOnly)
    .map((element): [string, string] => [element.name.text, (element.propertyName ?? element.name).text]);
  return map.length > 0 ? { spec, map } : null;
}

/** The imports and re-exports of the module's top-level statements. */
function collectStatementFacts(
  t: typeof TypeScript,
  source: TypeScript.SourceFile,
  literal: LiteralOf,
  facts: ModuleFacts,
): void {
  for (const statement of source.statements) {
    if (t.isImportDeclaration(statement)) {
      const spec = literal(statement.moduleSpecifier);
      const clause = statement.importClause;
      if (spec === null || clause?.isTypeOnly) continue;
      if (!clause) {
        facts.imports.push({ spec, names: [] });
        continue;
      }
      const names = importedNames(t, clause);
      // `import { type A } from 'x'` is erased like `import type`.
      if (names.length > 0) facts.imports.push({ spec, names });
    } else if (t.isExportDeclaration(statement) && statement.moduleSpecifier) {
      const spec = literal(statement.moduleSpecifier);
      if (spec === null || statement.isTypeOnly) continue;
      const reexport = reexportOf(t, spec, statement);
      if (reexport) facts.reexports.push(reexport);
    } else if (
      t.isImportEqualsDeclaration(statement) &&
      !statement.isTypeOnly &&
      t.isExternalModuleReference(statement.moduleReference)
    ) {
      const spec = literal(statement.moduleReference.expression);
      if (spec !== null) facts.imports.push({ spec, names: ['*'] });
    }
  }
}

/** `join(import.meta.dirname, '..', 'x.json')`: the literal parts after the folder; a folder when one is not literal. */
function dirnameAsset(node: TypeScript.CallExpression, at: number, literal: LiteralOf): { path: string; dir: boolean } {
  const parts: string[] = [];
  let complete = true;
  for (const arg of node.arguments.slice(at + 1)) {
    const part = literal(arg);
    if (part === null) {
      complete = false;
      break;
    }
    parts.push(part);
  }
  return { path: parts.length > 0 ? posix.join(...parts) : '.', dir: !complete };
}

/** Dynamic imports, require() and files read next to the module (`import.meta.dirname`, `new URL(…, import.meta.url)`), anywhere in the tree. */
function collectDynamicFacts(
  t: typeof TypeScript,
  source: TypeScript.SourceFile,
  literal: LiteralOf,
  facts: ModuleFacts,
): void {
  const isMeta = (node: TypeScript.Node, name: string) =>
    t.isPropertyAccessExpression(node) &&
    t.isMetaProperty(node.expression) &&
    node.expression.keywordToken === t.SyntaxKind.ImportKeyword &&
    node.name.text === name;
  const visit = (node: TypeScript.Node): void => {
    if (t.isCallExpression(node)) {
      const [first] = node.arguments;
      const isImport = node.expression.kind === t.SyntaxKind.ImportKeyword;
      const isRequire = t.isIdentifier(node.expression) && node.expression.text === 'require';
      const spec = literal(first);
      if ((isImport || isRequire) && spec !== null) facts.imports.push({ spec, names: ['*'] });
      const at = node.arguments.findIndex((arg) => isMeta(arg, 'dirname'));
      if (at >= 0) facts.assets.push(dirnameAsset(node, at, literal));
    } else if (
      t.isNewExpression(node) &&
      t.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      node.arguments?.length === 2 &&
      isMeta(node.arguments[1]!, 'url')
    ) {
      const target = node.arguments[0]!;
      const path = literal(target);
      if (path !== null) facts.assets.push({ path, dir: path.endsWith('/') });
      else if (t.isTemplateExpression(target)) {
        // new URL(`./${folder}/${name}`, import.meta.url): every file under the static prefix's folder.
        const head = target.head.text;
        facts.assets.push({ path: head.slice(0, head.lastIndexOf('/') + 1) || './', dir: true });
      }
    }
    t.forEachChild(node, visit);
  };
  visit(source);
}

/** Reads the imports, re-exports and assets of one module from its syntax (TypeScript's parser). */
export function parseModuleFacts(fileName: string, text: string): ModuleFacts {
  const t = ts();
  const kind = /\.[cm]?js$/.test(fileName) ? t.ScriptKind.JS : t.ScriptKind.TS;
  const source = t.createSourceFile(fileName, text, t.ScriptTarget.Latest, false, kind);
  const facts: ModuleFacts = { imports: [], reexports: [], assets: [] };
  const literal: LiteralOf = (node) =>
    node && (t.isStringLiteral(node) || t.isNoSubstitutionTemplateLiteral(node)) ? node.text : null;
  collectStatementFacts(t, source, literal, facts);
  // Dynamic imports, require() and files read next to the module can sit anywhere: walk the whole
  // tree, but only for the few files that mention them.
  if (/\bimport\s*\(|\bimport\.meta\b|\brequire\s*\(/.test(text)) collectDynamicFacts(t, source, literal, facts);
  return facts;
}

/** A workspace package (an npm workspace): its folder and package.json. */
interface WorkspacePackage {
  dir: string;
  exports: unknown;
  main?: string;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** The folders named by the root package.json's `workspaces` (`libs/*` style globs or plain folders). */
function readWorkspacePackages(root: string): Map<string, WorkspacePackage> {
  let patterns: string[] = ['libs/*'];
  const rootPackage = join(root, 'package.json');
  if (existsSync(rootPackage)) {
    const workspaces = (JSON.parse(readFileSync(rootPackage, 'utf8')) as { workspaces?: unknown }).workspaces;
    if (Array.isArray(workspaces)) patterns = workspaces.filter((p): p is string => typeof p === 'string');
  }
  const dirs: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(posix.join(parent, entry.name));
      }
    } else dirs.push(pattern);
  }
  const packages = new Map<string, WorkspacePackage>();
  for (const dir of dirs.sort()) {
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; exports?: unknown; main?: string };
    if (pkg.name) packages.set(pkg.name, { dir, exports: pkg.exports, main: pkg.main });
  }
  return packages;
}

/** The file an `exports` entry names (a string, or the `import`/`default` condition). */
function exportTarget(entry: unknown): string | null {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    return exportTarget(conditions.import ?? conditions.default ?? null);
  }
  return null;
}

/**
 * The file a package's `exports` map gives a subpath (`.` or `./x/y`): its own key, else the `*`
 * pattern with the longest prefix that matches, the `*` of the target replaced as Node does.
 */
function exportedFile(exports: Record<string, unknown>, key: string): string | null {
  if (key in exports) return exportTarget(exports[key]);
  let best: { prefix: string; target: string | null; match: string } | null = null;
  for (const [pattern, entry] of Object.entries(exports)) {
    const star = pattern.indexOf('*');
    if (star < 0) continue;
    const prefix = pattern.slice(0, star);
    const suffix = pattern.slice(star + 1);
    const fits = key.length >= pattern.length && key.startsWith(prefix) && key.endsWith(suffix);
    if (fits && (best === null || prefix.length > best.prefix.length)) {
      best = { prefix, target: exportTarget(entry), match: key.slice(prefix.length, key.length - suffix.length) };
    }
  }
  return best?.target?.replaceAll('*', best.match) ?? null;
}

const BUILTINS = new Set(builtinModules);

/** The cache of parsed facts in Nx's workspace data folder, keyed by the hash of a file's text. */
class FactsCache {
  private readonly file: string;
  private readonly entries: Record<string, ModuleFacts>;
  private readonly used: Record<string, ModuleFacts> = {};
  private dirty = false;

  constructor(root: string, env: NodeJS.ProcessEnv) {
    const dataDir = env.NX_WORKSPACE_DATA_DIRECTORY
      ? resolve(root, env.NX_WORKSPACE_DATA_DIRECTORY)
      : join(root, '.nx', 'workspace-data');
    this.file = join(dataDir, 'datasmith-code-inputs.json');
    let entries: Record<string, ModuleFacts> = {};
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as {
        version?: number;
        facts?: Record<string, ModuleFacts>;
      };
      if (data.version === FACTS_VERSION && data.facts) entries = data.facts;
    } catch {
      // no cache yet, or a torn one: start empty
    }
    this.entries = entries;
  }

  facts(path: string, text: string): ModuleFacts {
    // The parser's mode is part of the key: the same text parses differently as JS and as TS.
    const kind = /\.[cm]?js$/.test(path) ? 'js' : 'ts';
    const key = createHash('sha1').update(`${kind}\0`).update(text).digest('hex');
    let facts = this.entries[key];
    if (!facts) {
      facts = parseModuleFacts(path, text);
      this.dirty = true;
    }
    this.used[key] = facts;
    return facts;
  }

  /** Keeps only the entries of this run; temp-then-rename, so parallel Nx processes never tear it. */
  save(): void {
    if (!this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify({ version: FACTS_VERSION, facts: this.used }));
      renameSync(temp, this.file);
    } catch {
      // a read-only workspace only loses the cache
    }
  }
}

/**
 * The import graph of the workspace's production code, walked per step. One instance per plugin
 * run: each file is read and parsed once, whatever the number of steps and repositories.
 */
export class CodeGraph {
  private readonly packages: Map<string, WorkspacePackage>;
  private readonly cache: FactsCache;
  private readonly texts = new Map<string, ModuleFacts>();

  constructor(
    readonly root: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.packages = readWorkspacePackages(root);
    this.cache = new FactsCache(root, env);
  }

  /** Writes the parse cache (call once after the last {@link stepCode}). */
  save(): void {
    this.cache.save();
  }

  private factsOf(file: string): ModuleFacts {
    let facts = this.texts.get(file);
    if (!facts) {
      facts = file.endsWith('.json')
        ? { imports: [], reexports: [], assets: [] }
        : this.cache.facts(file, readFileSync(join(this.root, file), 'utf8'));
      this.texts.set(file, facts);
    }
    return facts;
  }

  private isFile(rel: string): boolean {
    try {
      return statSync(join(this.root, rel)).isFile();
    } catch {
      return false;
    }
  }

  /** A workspace-relative path to an existing module, trying the extensions and index files tsx tries. */
  private resolveFile(rel: string): string | null {
    const candidates = [rel, ...CODE_EXTENSIONS.map((ext) => rel + ext)];
    if (/\.[cm]?js$/.test(rel)) candidates.push(rel.replace(/\.([cm]?)js$/, '.$1ts'));
    candidates.push(...CODE_EXTENSIONS.map((ext) => `${rel}/index${ext}`));
    return candidates.find((candidate) => this.isFile(candidate)) ?? null;
  }

  /** `{ file }` for a workspace module, `{ pkg }` for an npm package, null for a node built-in. */
  resolve(from: string, spec: string): { file: string } | { pkg: string } | null {
    if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) return null;
    let file: string | null;
    if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
      const abs = resolve(this.root, dirname(from), spec);
      const rel = toPosix(relative(this.root, abs));
      file = rel.startsWith('..') || isAbsolute(rel) ? null : this.resolveFile(rel);
    } else {
      const parts = spec.split('/');
      const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      const sub = parts.slice(spec.startsWith('@') ? 2 : 1).join('/');
      const pkg = this.packages.get(name);
      if (!pkg) return { pkg: name };
      const key = sub ? `./${sub}` : '.';
      const exported =
        pkg.exports && typeof pkg.exports === 'object' && !Array.isArray(pkg.exports)
          ? exportedFile(pkg.exports as Record<string, unknown>, key)
          : key === '.'
            ? exportTarget(pkg.exports ?? null)
            : null;
      // A package with an `exports` map exposes nothing else (as in Node).
      const target = exported ?? (pkg.exports === undefined ? (key === '.' ? (pkg.main ?? 'index') : sub) : null);
      file = target === null ? null : this.resolveFile(posix.join(pkg.dir, target));
    }
    if (file === null) {
      throw new Error(
        `datasmith plugin: cannot resolve ${JSON.stringify(spec)} imported by ${from}; the code inputs of the steps come from the import graph`,
      );
    }
    return { file };
  }

  /** The workspace package that holds a file, if any. */
  private packageOf(file: string): string | null {
    for (const pkg of this.packages.values()) {
      if (file.startsWith(`${pkg.dir}/`)) return `${pkg.dir}/package.json`;
    }
    return null;
  }

  /** Every non-test file under a folder (for an asset folder). */
  private filesUnder(rel: string): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(this.root, dir), { withFileTypes: true })) {
        const path = posix.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!isTestFile(`${path}/`) && entry.name !== 'node_modules') walk(path);
        } else if (entry.isFile() && !isTestFile(path)) out.push(path);
      }
    };
    walk(rel);
    return out;
  }

  private assetFiles(from: string, asset: ModuleFacts['assets'][number]): string[] {
    const rel = toPosix(relative(this.root, resolve(this.root, dirname(from), asset.path)));
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !existsSync(join(this.root, rel))) return [];
    return statSync(join(this.root, rel)).isDirectory() ? this.filesUnder(rel) : [rel];
  }

  /**
   * The code of one step: what `entry` transitively imports, where {@link COMMAND_REGISTRY} leads
   * only to `commands/<command>`. Imports are followed whole; re-exports (the package indexes) only
   * for the names the importer uses, so `import { collect } from '@datasmith/steps'` hashes collect's
   * modules, not classify's.
   */
  stepCode(entries: readonly string[], command: string): StepCode {
    const requested = new Map<string, Set<string>>();
    const files = new Set<string>();
    const packages = new Set<string>();
    const queue: [string, string[]][] = entries.map((entry) => [entry, ['*']]);
    while (queue.length > 0) {
      const [file, names] = queue.pop()!;
      let seen = requested.get(file);
      const first = seen === undefined;
      if (!seen) {
        seen = new Set();
        requested.set(file, seen);
      }
      const fresh = seen.has('*') ? [] : names.filter((name) => !seen!.has(name));
      for (const name of fresh) seen.add(name);
      if (!first && fresh.length === 0) continue;
      const facts = this.factsOf(file);
      const follow = (spec: string, wanted: string[]) => {
        const target = this.resolve(file, spec);
        if (target === null) return;
        if ('pkg' in target) packages.add(target.pkg);
        else queue.push([target.file, wanted]);
      };
      if (first) {
        files.add(file);
        const owner = this.packageOf(file);
        if (owner) files.add(owner);
        for (const { spec, names: used } of facts.imports) {
          if (file === COMMAND_REGISTRY && /^\.\/[^/]+$/.test(spec) && spec !== `./${command}`) continue;
          follow(spec, used);
        }
        for (const asset of facts.assets) for (const path of this.assetFiles(file, asset)) files.add(path);
      }
      const all = seen.has('*');
      for (const { spec, map } of facts.reexports) {
        if (map === null) {
          // `export *`: the names are unknown without parsing the target; forward what is asked.
          if (all || fresh.length > 0) follow(spec, all ? ['*'] : fresh);
          continue;
        }
        const wanted = map.filter(([exported]) => all || fresh.includes(exported)).map(([, imported]) => imported);
        if (wanted.length > 0) follow(spec, wanted);
      }
    }
    return { files: [...files].sort(), packages: [...packages].sort() };
  }
}

/** The CLI script a target's command runs (`node libs/cli/bin/datasmith.js` → that file). */
export function cliEntry(cli: string): string {
  const script = cli.split(/\s+/).find((token) => /\.[cm]?[jt]s$/.test(token));
  return script ? posix.normalize(script) : DEFAULT_CLI_ENTRY;
}
