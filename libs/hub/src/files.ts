import { createHash } from 'node:crypto';
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic } from '@datasmith/tables';

/** A file of a Hub repository: its path (forward slashes) and bytes. */
export interface HubFile {
  path: string;
  content: Uint8Array;
}

/** Files a publish replaces: every Parquet file (the original deleted them all in its commit). */
export function isStaleCandidate(path: string): boolean {
  return path.endsWith('.parquet');
}

/** sha256 hex of bytes (the LFS oid). */
export function sha256Hex(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Git's blob id of bytes (`sha1("blob <size>\0" + bytes)`), the oid of a regular file in a tree. */
export function gitBlobSha1(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}

async function listFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string) => {
    let entries: Array<import('node:fs').Dirent>;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

async function removeEmptyDirs(dir: string, root: string): Promise<void> {
  let entries: Array<import('node:fs').Dirent>;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) await removeEmptyDirs(join(dir, entry.name), root);
  if (dir !== root && (await readdir(dir)).length === 0) await rmdir(dir);
}

/** What a local layout write did. */
export interface LocalLayoutResult {
  written: string[];
  unchanged: string[];
  deleted: string[];
}

/**
 * Writes the Hub layout into a folder exactly as an upload would leave the repository: each file
 * written atomically when its bytes changed, stale Parquet files (not in `files`) deleted, empty
 * folders removed. Other files in the folder are left alone. Re-running after a kill converges.
 */
export async function writeLocalLayout(
  dir: string,
  files: readonly HubFile[],
  stale: (path: string) => boolean = isStaleCandidate,
): Promise<LocalLayoutResult> {
  const wanted = new Set(files.map((f) => f.path));
  const result: LocalLayoutResult = { written: [], unchanged: [], deleted: [] };
  for (const file of files) {
    const target = join(dir, ...file.path.split('/'));
    let current: Buffer | null = null;
    try {
      current = await readFile(target);
    } catch {
      current = null;
    }
    if (current && Buffer.compare(current, Buffer.from(file.content)) === 0) {
      result.unchanged.push(file.path);
      continue;
    }
    await writeFileAtomic(target, file.content);
    result.written.push(file.path);
  }
  for (const path of await listFilesUnder(dir)) {
    if (!wanted.has(path) && stale(path)) {
      await rm(join(dir, ...path.split('/')), { force: true });
      result.deleted.push(path);
    }
  }
  await removeEmptyDirs(dir, dir);
  return result;
}
