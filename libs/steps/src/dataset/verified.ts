import { readFile } from 'node:fs/promises';
import { InputError } from '@datasmith/errors';
import { parseCsv } from '@datasmith/tables';

/** A set of `(repo_name, pr_merge_commit_sha)` pairs, compared case-insensitively. */
export type TaskKeySet = ReadonlySet<string>;

/** The key of a `(repo_name, pr_merge_commit_sha)` pair in a {@link TaskKeySet}. */
export function taskKey(repoName: string, mergeSha: string): string {
  return `${repoName.trim().toLowerCase()}\n${mergeSha.trim().toLowerCase()}`;
}

/** Parses a Python tuple literal of two strings: `('owner/repo', 'sha')` (either quote style). */
export function parsePythonPair(text: string): [string, string] | null {
  const m = /^\s*\(\s*(['"])((?:\\.|(?!\1).)*)\1\s*,\s*(['"])((?:\\.|(?!\3).)*)\3\s*,?\s*\)\s*$/.exec(text);
  if (!m) return null;
  const unquote = (s: string) => s.replace(/\\(.)/g, '$1');
  return [unquote(m[2] ?? ''), unquote(m[4] ?? '')];
}

/**
 * Reads a list of tasks (the verified list, or a filter): the original's JSON whose keys are Python tuple
 * literals `"('owner/repo', '<merge sha>')"` (values ignored; a JSON array of such strings or of
 * `[repo, sha]` pairs works too), or a CSV with a `repo_name,pr_merge_commit_sha` header.
 */
export async function readTaskKeyList(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`Missing input: ${path} does not exist`, { file: path });
  }
  const out = new Set<string>();
  if (path.endsWith('.csv')) {
    const [head, ...records] = parseCsv(text, path);
    const header = head?.cells ?? [];
    const repoCol = header.indexOf('repo_name');
    const shaCol = header.indexOf('pr_merge_commit_sha');
    if (repoCol < 0 || shaCol < 0) {
      throw new InputError(`Invalid ${path}: expected a CSV header with repo_name,pr_merge_commit_sha`, {
        file: path,
      });
    }
    for (const { cells } of records) {
      const repo = cells[repoCol];
      const sha = cells[shaCol];
      if (repo && sha) out.add(taskKey(repo, sha));
    }
    return out;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError(`Invalid ${path}: neither JSON nor a .csv file`, { file: path });
  }
  const entries: unknown[] = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === 'object'
      ? Object.keys(parsed)
      : [];
  for (const [i, entry] of entries.entries()) {
    const pair =
      typeof entry === 'string'
        ? parsePythonPair(entry)
        : Array.isArray(entry) && entry.length === 2 && entry.every((e) => typeof e === 'string')
          ? (entry as [string, string])
          : null;
    if (!pair) {
      throw new InputError(
        `Invalid ${path}: entry ${i} (${JSON.stringify(entry).slice(0, 80)}) is not ('owner/repo', '<merge sha>')`,
        { file: path },
      );
    }
    out.add(taskKey(pair[0], pair[1]));
  }
  return out;
}
