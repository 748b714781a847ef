import { parse } from 'smol-toml';

export type TomlTable = { [key: string]: unknown };

/**
 * Parses a pyproject.toml (full TOML 1.0, smol-toml). A file that is not valid TOML reads as empty:
 * the rules then see "unknown" for every fact, as for a project without the file; pip would refuse
 * such a file anyway, so the task fails at install with pip's own message.
 */
export function parseToml(text: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch {
    return {};
  }
}

/** Reads a dotted path of a parsed table, or undefined. */
export function tomlGet(table: TomlTable, path: string): unknown {
  let v: unknown = table;
  for (const key of path.split('.')) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as TomlTable)[key];
  }
  return v;
}
