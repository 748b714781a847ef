import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, SchemaError } from '@datasmith/errors';
import { parseRepoName, storeLayout, type StoreLayout } from '@datasmith/paths';
// The CSV reader alone: the store (and the Nx plugin through it) does not load DuckDB.
import { parseCsv } from '@datasmith/tables/csv';
import { z } from 'zod';

/** The fields of a GitHub repository object the pipeline reads (others pass through). */
export const StoreRepoJson = z
  .object({
    full_name: z.string().optional(),
    html_url: z.string().optional(),
    stargazers_count: z.number().int().nullable().optional(),
    fork: z.boolean().nullable().optional(),
    archived: z.boolean().nullable().optional(),
    disabled: z.boolean().nullable().optional(),
    default_branch: z.string().nullable().optional(),
    language: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    topics: z.array(z.string()).nullable().optional(),
  })
  .loose();
export type StoreRepoJson = z.infer<typeof StoreRepoJson>;

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-hex sha');

/** The fields of a GitHub pull request object the pipeline reads. */
export const StorePullJson = z
  .object({
    number: z.number().int().positive(),
    title: z.string().default(''),
    body: z.string().nullable().default(null),
    state: z.string().optional(),
    created_at: z.string().nullable().optional(),
    merged_at: z.string().nullable().optional(),
    merge_commit_sha: sha.nullable().optional(),
    commits: z.number().int().positive().nullable().optional(),
    base: z.object({ ref: z.string(), sha: sha.nullable().optional() }).loose().nullable().optional(),
    head: z.object({ ref: z.string().optional(), sha: sha.nullable().optional() }).loose().nullable().optional(),
    labels: z
      .array(z.object({ name: z.string() }).loose())
      .nullable()
      .optional(),
    user: z.object({ login: z.string() }).loose().nullable().optional(),
  })
  .loose();
export type StorePullJson = z.infer<typeof StorePullJson>;

/** An issue file: a GitHub issue object plus its comments. */
export const StoreIssueJson = z
  .object({
    number: z.number().int().positive(),
    title: z.string().default(''),
    body: z.string().nullable().default(null),
    html_url: z.string().optional(),
    created_at: z.string().nullable().optional(),
    closed_at: z.string().nullable().optional(),
    pull_request: z.unknown().optional(),
    comments: z
      .array(
        z
          .object({
            user: z.object({ login: z.string() }).loose().nullable().optional(),
            created_at: z.string(),
            body: z.string().nullable(),
          })
          .loose(),
      )
      .or(z.number())
      .optional(),
  })
  .loose();
export type StoreIssueJson = z.infer<typeof StoreIssueJson>;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJsonFile<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`Unreadable store entry: ${file}: ${(error as Error).message}`, { file, cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SchemaError(`Corrupt store entry: ${file} is not valid JSON (${(error as Error).message})`, {
      file,
      cause: error,
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SchemaError(`Corrupt store entry: ${file}, ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
      file,
    });
  }
  return parsed.data;
}

/** A row of `<store>/repos.csv`. */
export interface StoreRepoListing {
  repo_name: string;
  stars: number | null;
}

/**
 * The offline store (spec §4): a folder of mirrors and optional GitHub JSON files. Only the mirrors
 * are required; symlinked mirrors are followed.
 */
export class OfflineStore {
  readonly layout: StoreLayout;

  constructor(root: string) {
    this.layout = storeLayout(root);
  }

  get root(): string {
    return this.layout.root;
  }

  /** Fails with a one-line error when the store folder is missing. */
  async assertExists(): Promise<void> {
    if (!(await exists(this.root)))
      throw new InputError(`Missing store: ${this.root} does not exist`, { file: this.root });
  }

  mirrorPath(repoName: string): string {
    return this.layout.mirror(repoName);
  }

  /**
   * Repositories of the store: `repos.csv` when present (repo_name[,stars,...]), else every
   * `<owner>/<name>.git` mirror found.
   */
  async listRepos(): Promise<StoreRepoListing[]> {
    await this.assertExists();
    if (await exists(this.layout.reposCsv))
      return parseRepoListCsv(await readFile(this.layout.reposCsv, 'utf8'), this.layout.reposCsv);
    const out: StoreRepoListing[] = [];
    for (const owner of (await readdir(this.root, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (owner.name.startsWith('.')) continue;
      const ownerDir = join(this.root, owner.name);
      if (!(await stat(ownerDir)).isDirectory()) continue;
      for (const entry of (await readdir(ownerDir)).sort()) {
        if (entry.endsWith('.git')) out.push({ repo_name: `${owner.name}/${entry.slice(0, -4)}`, stars: null });
      }
    }
    return out;
  }

  /** The repository object, or null when the store has none. */
  async readRepoJson(repoName: string): Promise<StoreRepoJson | null> {
    const file = this.layout.repoJson(repoName);
    if (!(await exists(file))) return null;
    return readJsonFile(file, StoreRepoJson);
  }

  /** Every PR file of a repository, by number. A corrupt file throws naming it. */
  async readPulls(repoName: string): Promise<StorePullJson[]> {
    const dir = this.layout.pullsDir(repoName);
    if (!(await exists(dir))) return [];
    const files = (await readdir(dir)).filter((f) => /^\d+\.json$/.test(f));
    const pulls = await Promise.all(files.map((f) => readJsonFile(join(dir, f), StorePullJson)));
    return pulls.sort((a, b) => a.number - b.number);
  }

  /** One issue file, or null. */
  async readIssue(repoName: string, issueNumber: number): Promise<StoreIssueJson | null> {
    const file = this.layout.issueJson(repoName, issueNumber);
    if (!(await exists(file))) return null;
    return readJsonFile(file, StoreIssueJson);
  }

  /**
   * A content hash of a repository's metadata files (repo.json, pulls/, issues/): part of the
   * memo key of collect, so an edited PR file invalidates exactly that repository.
   */
  async metadataHash(repoName: string): Promise<string> {
    const hash = createHash('sha256');
    const dir = this.layout.metaDir(repoName);
    const walk = async (rel: string): Promise<void> => {
      const abs = join(dir, rel);
      let entries: string[];
      try {
        entries = (await readdir(abs)).sort();
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(abs, entry);
        const info = await stat(path);
        if (info.isDirectory()) await walk(join(rel, entry));
        else {
          hash.update(`${join(rel, entry)}\0`);
          hash.update(await readFile(path));
          hash.update('\0');
        }
      }
    };
    await walk('');
    return hash.digest('hex');
  }
}

/**
 * Parses a repository list: a CSV with a `repo_name` header (other columns optional, `stars` read
 * when present) or the original's headerless one-column file. Errors name the file and line.
 */
export function parseRepoListCsv(text: string, file: string): StoreRepoListing[] {
  const records = parseCsv(text, file);
  const hasHeader = (records[0]?.cells ?? []).includes('repo_name');
  const header = hasHeader ? (records[0]?.cells ?? []) : ['repo_name'];
  const nameCol = header.indexOf('repo_name');
  const starsCol = header.indexOf('stars');
  const out: StoreRepoListing[] = [];
  const seen = new Set<string>();
  for (const { line, cells } of hasHeader ? records.slice(1) : records) {
    const name = cells[nameCol] ?? '';
    let repo: string;
    try {
      repo = parseRepoName(
        name.replace(/^https:\/\/github\.com\//, '').replace(/\.git$/, ''),
        `repo_name in ${file}:${line}`,
      ).full;
    } catch (error) {
      throw new InputError((error as Error).message, { file });
    }
    const starsText = starsCol >= 0 ? (cells[starsCol] ?? '') : '';
    const stars = starsText === '' ? null : Number(starsText);
    if (stars !== null && !Number.isFinite(stars)) {
      throw new InputError(`Invalid stars in ${file}:${line}: ${JSON.stringify(starsText)} is not a number`, { file });
    }
    if (seen.has(repo)) continue;
    seen.add(repo);
    out.push({ repo_name: repo, stars });
  }
  return out;
}
