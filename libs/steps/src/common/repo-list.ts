import { readFile } from 'node:fs/promises';
import { InputError } from '@datasmith/errors';
import { parseRepoListCsv } from '@datasmith/store';
import { RepoRow, readTable } from '@datasmith/tables';

/** A repository to process, with its stars when known (for `--max-repos`). */
export interface RepoListEntry {
  repo_name: string;
  stars: number | null;
}

/**
 * Reads a repository list: a CSV with a `repo_name` header, the original's headerless one-column
 * file, or the `repos` Parquet (kept rows only).
 */
export async function readRepoList(file: string): Promise<RepoListEntry[]> {
  if (file.endsWith('.parquet')) {
    const rows = await readTable(file, RepoRow);
    return rows.filter((r) => r.kept).map((r) => ({ repo_name: r.repo_name, stars: r.stars }));
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError(`Missing input: ${file} does not exist`, { file });
  }
  return parseRepoListCsv(text, file);
}

/** The top `max` repositories by stars (unknown stars last, then by name), as the original's `--max-repos`. */
export function topByStars<T extends RepoListEntry>(repos: readonly T[], max: number): T[] {
  return [...repos]
    .sort((a, b) => (b.stars ?? -1) - (a.stars ?? -1) || (a.repo_name < b.repo_name ? -1 : 1))
    .slice(0, max);
}
