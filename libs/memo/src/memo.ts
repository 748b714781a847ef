import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Canonical JSON: object keys sorted at every depth, no whitespace, `undefined` dropped. Two equal
 * values always give the same string, whatever the insertion order of their keys.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 of the canonical JSON of `{ namespace, version, input }`. */
export function memoKey(namespace: string, version: string, input: unknown): string {
  return createHash('sha256').update(canonicalJson({ namespace, version, input })).digest('hex');
}

export interface MemoStats {
  hits: number;
  misses: number;
  writes: number;
}

export interface MemoStoreOptions {
  /** Root folder; each entry is `<root>/<namespace>/<k0k1>/<key>.json`. */
  root: string;
  /** When false, every lookup misses and nothing is written. Default true. */
  enabled?: boolean;
}

interface MemoEntry<T> {
  namespace: string;
  version: string;
  createdAt: string;
  value: T;
}

/**
 * A content-addressed memo store: one file per key, written temp-then-rename, so parallel processes
 * can share it (the last identical write wins) and a killed writer never leaves a torn entry.
 */
export class MemoStore {
  readonly root: string;
  readonly enabled: boolean;
  readonly stats: MemoStats = { hits: 0, misses: 0, writes: 0 };

  constructor(options: MemoStoreOptions) {
    this.root = options.root;
    this.enabled = options.enabled ?? true;
  }

  private pathOf(namespace: string, key: string): string {
    return join(this.root, namespace, key.slice(0, 2), `${key}.json`);
  }

  /** The stored value, or undefined. A corrupt entry counts as a miss and is removed. */
  async get<T>(namespace: string, key: string): Promise<T | undefined> {
    if (!this.enabled) {
      this.stats.misses++;
      return undefined;
    }
    const path = this.pathOf(namespace, key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      this.stats.misses++;
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as MemoEntry<T>;
      this.stats.hits++;
      return entry.value;
    } catch {
      await rm(path, { force: true });
      this.stats.misses++;
      return undefined;
    }
  }

  /** Stores a JSON-serialisable value atomically. */
  async put<T>(namespace: string, key: string, version: string, value: T): Promise<void> {
    if (!this.enabled) return;
    const path = this.pathOf(namespace, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const entry: MemoEntry<T> = { namespace, version, createdAt: new Date().toISOString(), value };
    try {
      await writeFile(tmp, JSON.stringify(entry));
      await rename(tmp, path);
      this.stats.writes++;
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  /**
   * Returns the memoised result of `compute()` for `(namespace, version, input)`, computing and
   * storing it on a miss. Errors are not memoised.
   */
  async memoize<T>(namespace: string, version: string, input: unknown, compute: () => Promise<T>): Promise<T> {
    const key = memoKey(namespace, version, input);
    const hit = await this.get<T>(namespace, key);
    if (hit !== undefined) return hit;
    const value = await compute();
    await this.put(namespace, key, version, value);
    return value;
  }
}
