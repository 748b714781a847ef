/**
 * An in-memory file tree (path → text) with the edit helpers the demo histories use. Every helper
 * fails loudly when the text it edits is not there, so a history that drifts from the code it
 * changes stops the generator instead of producing a silently different repository.
 */

/** Removes the common indentation and the first/last blank line of a template literal. */
export function dedent(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n[ \t]*$/, '')
    .split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

/**
 * A tagged template for source code: raw (backslashes stay as written, so Python regexes read
 * naturally) and dedented. Write a backtick as \` and a literal dollar-brace as \${.
 */
export function code(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = String.raw({ raw: strings.raw }, ...values);
  // In a raw template, \` and \${ keep their backslash; the code we write never means that.
  return dedent(raw.replace(/\\`/g, '`').replace(/\\\$\{/g, '${'));
}

const BLOCK_START = /^(?:@|def |async def |class )/;

function blockNameRe(name: string): RegExp {
  return new RegExp(`^(?:async\\s+)?(?:def|class)\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
}

/** [start, end) line range of the top-level `def`/`class` called `name`, decorators included. */
function findTopLevelBlock(lines: readonly string[], name: string): [number, number] | null {
  const re = blockNameRe(name);
  const at = lines.findIndex((l) => re.test(l));
  if (at < 0) return null;
  let start = at;
  while (start > 0 && (lines[start - 1] ?? '').startsWith('@')) start--;
  let end = at + 1;
  while (end < lines.length) {
    const line = lines[end] ?? '';
    if (line.trim() !== '' && !/^\s/.test(line)) break;
    end++;
  }
  while (end > at + 1 && (lines[end - 1] ?? '').trim() === '') end--;
  return [start, end];
}

/** A mutable snapshot of a repository's files. */
export class DemoTree {
  private readonly files: Map<string, string>;

  constructor(files?: Iterable<[string, string]>) {
    this.files = new Map(files);
  }

  /** An independent copy (contents are immutable strings, so this is cheap). */
  clone(): DemoTree {
    return new DemoTree(this.files);
  }

  /** Sorted paths. */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  entries(): IterableIterator<[string, string]> {
    return this.files.entries();
  }

  get size(): number {
    return this.files.size;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** The text of `path`; throws when it does not exist. */
  read(path: string): string {
    const text = this.files.get(path);
    if (text === undefined) throw new Error(`demo tree: ${path} does not exist`);
    return text;
  }

  /** Sets the text of `path` (a trailing newline is added when missing). */
  write(path: string, text: string): void {
    if (path.startsWith('/') || path.includes('..') || path.endsWith('/'))
      throw new Error(`demo tree: bad path ${path}`);
    this.files.set(path, text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  /** Writes several files at once. */
  writeAll(files: Record<string, string>): void {
    for (const [path, text] of Object.entries(files)) this.write(path, text);
  }

  /** Deletes `path`; throws when it does not exist. */
  delete(path: string): void {
    if (!this.files.delete(path)) throw new Error(`demo tree: cannot delete missing ${path}`);
  }

  /** Replaces exactly one occurrence of `search` in `path`. */
  replace(path: string, search: string, replacement: string): void {
    const text = this.read(path);
    const first = text.indexOf(search);
    if (first < 0) throw new Error(`demo tree: ${path} does not contain ${JSON.stringify(search.slice(0, 80))}`);
    if (text.indexOf(search, first + 1) >= 0) {
      throw new Error(`demo tree: ${path} contains ${JSON.stringify(search.slice(0, 80))} more than once`);
    }
    this.files.set(path, text.slice(0, first) + replacement + text.slice(first + search.length));
  }

  /** Appends `text` as new lines at the end of `path` (created when missing). */
  append(path: string, text: string): void {
    const before = this.files.get(path) ?? '';
    const sep = before === '' || before.endsWith('\n') ? '' : '\n';
    this.write(path, `${before}${sep}${text}`);
  }

  /**
   * Sets the top-level Python `def`/`class` called `name` in `path`: replaced in place when it
   * exists, else appended after two blank lines (PEP 8).
   */
  setDef(path: string, name: string, source: string): void {
    const text = this.read(path);
    const lines = text.replace(/\n$/, '').split('\n');
    const block = findTopLevelBlock(lines, name);
    const body = source.trim().split('\n');
    if (!blockNameRe(name).test(body.find((l) => !l.startsWith('@')) ?? '')) {
      throw new Error(`demo tree: source for ${path}:${name} does not define ${name}`);
    }
    if (block) {
      lines.splice(block[0], block[1] - block[0], ...body);
      this.files.set(path, `${lines.join('\n')}\n`);
    } else {
      this.files.set(path, `${text.trimEnd()}\n\n\n${body.join('\n')}\n`);
    }
  }

  /**
   * Sets the method `name` of the top-level class `className` in `path` (source written at column
   * 0, decorators included): replaced in place when it exists, else appended to the class body.
   */
  setMethod(path: string, className: string, name: string, source: string): void {
    const lines = this.read(path).replace(/\n$/, '').split('\n');
    const cls = findTopLevelBlock(lines, className);
    if (!cls) throw new Error(`demo tree: ${path} has no class ${className}`);
    const body = source
      .trim()
      .split('\n')
      .map((l) => (l.trim() === '' ? '' : `    ${l}`));
    const re = new RegExp(`^    (?:async\\s+)?def\\s+${name}\\b`);
    if (!re.test(body.find((l) => !l.trimStart().startsWith('@')) ?? '')) {
      throw new Error(`demo tree: source for ${className}.${name} does not define it`);
    }
    let at = -1;
    for (let i = cls[0]; i < cls[1]; i++) if (re.test(lines[i] ?? '')) at = i;
    if (at < 0) {
      lines.splice(cls[1], 0, '', ...body);
    } else {
      let start = at;
      while (start > cls[0] && (lines[start - 1] ?? '').startsWith('    @')) start--;
      let end = at + 1;
      while (end < cls[1] && !/^ {0,4}\S/.test(lines[end] ?? '')) end++;
      while (end > at + 1 && (lines[end - 1] ?? '').trim() === '') end--;
      lines.splice(start, end - start, ...body);
    }
    this.files.set(path, `${lines.join('\n')}\n`);
  }

  /** Removes the top-level `def`/`class` called `name` and the blank lines before it. */
  removeDef(path: string, name: string): void {
    const lines = this.read(path).replace(/\n$/, '').split('\n');
    const block = findTopLevelBlock(lines, name);
    if (!block) throw new Error(`demo tree: ${path} has no def ${name}`);
    let start = block[0];
    while (start > 0 && (lines[start - 1] ?? '').trim() === '') start--;
    lines.splice(start, block[1] - start);
    this.files.set(path, `${lines.join('\n')}\n`);
  }

  /** True when `path` defines a top-level `def`/`class` called `name`. */
  hasDef(path: string, name: string): boolean {
    return findTopLevelBlock(this.read(path).split('\n'), name) !== null;
  }

  /**
   * Adds an import line to a Python module after its last top-of-file import (before the first
   * def/class), or after a one-line module docstring; a no-op when the exact line is already there.
   */
  ensureImport(path: string, importLine: string): void {
    const lines = this.read(path).replace(/\n$/, '').split('\n');
    if (lines.includes(importLine)) return;
    const firstBlock = lines.findIndex((l) => BLOCK_START.test(l));
    const head = firstBlock < 0 ? lines.length : firstBlock;
    let last = -1;
    for (let i = 0; i < head; i++) if (/^(?:import|from) /.test(lines[i] ?? '')) last = i;
    if (last >= 0) lines.splice(last + 1, 0, importLine);
    else if (/^""".*"""$/.test(lines[0] ?? '')) lines.splice(1, 0, '', importLine);
    else throw new Error(`demo tree: ${path} has neither imports nor a one-line docstring to follow`);
    this.files.set(path, `${lines.join('\n')}\n`);
  }
}

/** One file operation of a commit: a new content or a deletion. */
export type FileChange = { path: string; content: string } | { path: string; deleted: true };

/** The changes that turn `before` into `after`, sorted by path. */
export function diffTrees(before: DemoTree, after: DemoTree): FileChange[] {
  const out: FileChange[] = [];
  for (const [path, text] of after.entries()) {
    if (!before.has(path) || before.read(path) !== text) out.push({ path, content: text });
  }
  for (const path of before.paths()) if (!after.has(path)) out.push({ path, deleted: true });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
