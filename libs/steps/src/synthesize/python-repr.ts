import { InputError } from '@datasmith/errors';

/** A Python literal as it appears in a dataclass repr: str, None, bool, int or float. */
export type PyValue = string | number | boolean | null | { int: number };

/** The fields of a `Task(...)` repr, in the order written. */
export type PyCall = { name: string; fields: Array<[string, PyValue]> };

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/** A cursor over a Python repr: reads names, string literals and other literals, failing with the position. */
class PyReprReader {
  i = 0;

  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new InputError(
      `Invalid Python repr at character ${this.i}: ${what} in ${JSON.stringify(this.text.slice(0, 200))}`,
    );
  }

  skipSpace(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i] as string)) this.i++;
  }

  ident(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i));
    if (!m) return this.fail('expected a name');
    this.i += m[0].length;
    return m[0];
  }

  /** A quoted string, its escapes decoded (`\x`, `\u`, `\U` and the single-character ones; others kept). */
  str(): string {
    const { text } = this;
    const quote = text[this.i];
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= text.length) this.fail('unterminated string');
      const c = text[this.i] as string;
      if (c === quote) {
        this.i++;
        return out;
      }
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const e = text[this.i + 1] as string;
      if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = text.slice(this.i + 2, this.i + 2 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail(`bad \\${e} escape`);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.i += 2 + len;
      } else if (e in ESCAPES) {
        out += ESCAPES[e];
        this.i += 2;
      } else {
        out += `\\${e}`;
        this.i += 2;
      }
    }
  }

  /** A literal: a string, None, True, False, inf, nan, an int or a float. */
  value(): PyValue {
    this.skipSpace();
    const c = this.text[this.i];
    if (c === "'" || c === '"') return this.str();
    const m = /^(None|True|False|[-+]?(?:inf|nan)|[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)/.exec(
      this.text.slice(this.i),
    );
    if (!m) return this.fail('expected a literal');
    this.i += m[0].length;
    const t = m[0];
    if (t === 'None') return null;
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (/inf/.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (/nan/.test(t)) return Number.NaN;
    if (/^[-+]?\d+$/.test(t)) return { int: Number(t) };
    return Number(t);
  }
}

/**
 * Parses a Python call repr such as
 * `Task(owner='NCAR', repo='geocat-comp', sha=None, commit_date=0.0)` (keyword arguments only,
 * literal values). The original rebuilt keys with `eval()`; this accepts only literals.
 */
export function parsePyCall(text: string): PyCall {
  const r = new PyReprReader(text);
  r.skipSpace();
  const name = r.ident();
  r.skipSpace();
  if (text[r.i] !== '(') r.fail('expected "("');
  r.i++;
  const fields: Array<[string, PyValue]> = [];
  for (;;) {
    r.skipSpace();
    if (text[r.i] === ')') {
      r.i++;
      break;
    }
    const key = r.ident();
    r.skipSpace();
    if (text[r.i] !== '=') r.fail('expected "="');
    r.i++;
    fields.push([key, r.value()]);
    r.skipSpace();
    if (text[r.i] === ',') r.i++;
    else if (text[r.i] !== ')') r.fail('expected "," or ")"');
  }
  r.skipSpace();
  if (r.i !== text.length) r.fail('trailing text');
  return { name, fields };
}

/** Python's `repr()` of a str: single quotes unless the text has a single and no double quote. */
export function pyStrRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      // Python escapes what str.isprintable() rejects: control, format, separator, unassigned.
      const hex = code.toString(16);
      out +=
        code <= 0xff
          ? `\\x${hex.padStart(2, '0')}`
          : code <= 0xffff
            ? `\\u${hex.padStart(4, '0')}`
            : `\\U${hex.padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of a float (`0.0`, `1755559409.0`, `1e+16`, `1.5e-07`). */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  const text = String(value);
  return Number.isInteger(value) ? `${text}.0` : text;
}

/** Python's `repr()` of a literal. */
export function pyValueRepr(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pyStrRepr(value);
  if (typeof value === 'number') return pyFloatRepr(value);
  return String(value.int);
}

/** Writes a call repr back: `Name(k=v, …)`. */
export function formatPyCall(call: PyCall): string {
  return `${call.name}(${call.fields.map(([k, v]) => `${k}=${pyValueRepr(v)}`).join(', ')})`;
}
