/**
 * A small reader for the TOML subset of pyproject.toml files that the rules need: `[table]` and
 * `[a.b]` headers, `key = "string"`, `key = 'string'`, booleans, numbers, and arrays of strings
 * (possibly spanning lines, with comments and trailing commas), plus inline tables of strings.
 * Anything else is skipped, never an error: rules degrade to "unknown", they never crash.
 */
export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };
export type TomlTable = { [key: string]: TomlValue };

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') return line.slice(0, i);
  }
  return line;
}

function parseKey(raw: string): string[] {
  return raw
    .split('.')
    .map((p) =>
      p
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .replace(/^'(.*)'$/, '$1'),
    )
    .filter((p) => p.length > 0);
}

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /[\s,]/.test(this.s[this.i] as string)) this.i++;
  }
}

function parseValue(c: Cursor): TomlValue | undefined {
  c.ws();
  const ch = c.s[c.i];
  if (ch === '"' || ch === "'") {
    const triple = c.s.startsWith(ch.repeat(3), c.i);
    const end = triple ? c.s.indexOf(ch.repeat(3), c.i + 3) : -1;
    if (triple && end >= 0) {
      const text = c.s.slice(c.i + 3, end);
      c.i = end + 3;
      return text.replace(/^\n/, '');
    }
    let out = '';
    c.i++;
    while (c.i < c.s.length && c.s[c.i] !== ch) {
      if (ch === '"' && c.s[c.i] === '\\') {
        const next = c.s[c.i + 1] ?? '';
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        c.i += 2;
      } else out += c.s[c.i++];
    }
    c.i++;
    return out;
  }
  if (ch === '[') {
    c.i++;
    const out: TomlValue[] = [];
    for (;;) {
      c.ws();
      if (c.i >= c.s.length) return out;
      if (c.s[c.i] === ']') {
        c.i++;
        return out;
      }
      const before = c.i;
      const v = parseValue(c);
      if (v !== undefined) out.push(v);
      if (c.i === before) c.i++;
    }
  }
  if (ch === '{') {
    c.i++;
    const out: TomlTable = {};
    for (;;) {
      c.ws();
      if (c.i >= c.s.length) return out;
      if (c.s[c.i] === '}') {
        c.i++;
        return out;
      }
      const eq = c.s.indexOf('=', c.i);
      if (eq < 0) return out;
      const key = parseKey(c.s.slice(c.i, eq)).join('.');
      c.i = eq + 1;
      const v = parseValue(c);
      if (v !== undefined) out[key] = v;
    }
  }
  const m = /^(true|false|[+-]?\d[\d_]*(\.\d+)?)/.exec(c.s.slice(c.i));
  if (m) {
    c.i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : Number(m[0].replaceAll('_', ''));
  }
  // Unknown value kind (dates, …): skip to the end of the line.
  const nl = c.s.indexOf('\n', c.i);
  c.i = nl < 0 ? c.s.length : nl;
  return undefined;
}

function setPath(root: TomlTable, path: string[], value: TomlValue): void {
  let t = root;
  for (const key of path.slice(0, -1)) {
    const next = t[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) t[key] = {};
    t = t[key] as TomlTable;
  }
  const last = path[path.length - 1];
  if (last !== undefined) t[last] = value;
}

/** Parses the supported subset of TOML; unknown constructs are skipped. */
export function parseMiniToml(text: string): TomlTable {
  const root: TomlTable = {};
  const cleaned = text
    .split(/\r?\n/)
    .map((l) => stripComment(l))
    .join('\n');
  let table: string[] = [];
  const c = new Cursor(cleaned);
  while (c.i < cleaned.length) {
    while (c.i < cleaned.length && /\s/.test(cleaned[c.i] as string)) c.i++;
    if (c.i >= cleaned.length) break;
    const lineEnd = cleaned.indexOf('\n', c.i) < 0 ? cleaned.length : cleaned.indexOf('\n', c.i);
    const line = cleaned.slice(c.i, lineEnd).trim();
    const header = /^\[\[?([^\]]+)\]\]?$/.exec(line);
    if (header) {
      table = parseKey(header[1] as string);
      c.i = lineEnd;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      c.i = lineEnd;
      continue;
    }
    const key = parseKey(line.slice(0, eq));
    c.i += cleaned.slice(c.i).indexOf('=') + 1;
    const value = parseValue(c);
    if (value !== undefined) setPath(root, [...table, ...key], value);
  }
  return root;
}

/** Reads a dotted path of a parsed table, or undefined. */
export function tomlGet(table: TomlTable, path: string): TomlValue | undefined {
  let v: TomlValue | undefined = table;
  for (const key of path.split('.')) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as TomlTable)[key];
  }
  return v;
}
