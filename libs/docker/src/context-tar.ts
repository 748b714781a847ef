import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';

/** A file of a build context: text or bytes, and its mode (default 0o644; scripts 0o755). */
export interface ContextFile {
  content: string | Uint8Array;
  mode?: number;
}

/** A directory on disk copied into the context under `prefix`. */
export interface ContextDirectory {
  prefix: string;
  dir: string;
}

interface Entry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Uint8Array;
  linkname?: string;
}

async function walk(dir: string, prefix: string, out: Entry[]): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const abs = join(dir, name);
    const rel = `${prefix}/${name}`;
    const info = await lstat(abs);
    if (info.isSymbolicLink()) out.push({ name: rel, type: 'symlink', mode: 0o777, linkname: await readlink(abs) });
    else if (info.isDirectory()) {
      out.push({ name: rel, type: 'directory', mode: 0o755 });
      await walk(abs, rel, out);
    } else if (info.isFile()) {
      out.push({ name: rel, type: 'file', mode: info.mode & 0o111 ? 0o755 : 0o644, content: await readFile(abs) });
    }
  }
}

/**
 * A deterministic build-context tar: entries sorted by name, mtime 0, uid/gid 0, no owner names,
 * modes normalised (0o755 for executables and directories, 0o644 otherwise). Equal inputs give equal
 * bytes, so the legacy builder's cache keys and our context hashes are stable.
 */
export async function packContext(
  files: Record<string, ContextFile>,
  directories: readonly ContextDirectory[] = [],
): Promise<Buffer> {
  const entries: Entry[] = Object.entries(files).map(([name, file]) => ({
    name,
    type: 'file',
    mode: file.mode ?? 0o644,
    content: typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content,
  }));
  for (const { prefix, dir } of directories) {
    entries.push({ name: prefix, type: 'directory', mode: 0o755 });
    await walk(dir, prefix, entries);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    tar.on('end', () => resolve(Buffer.concat(chunks)));
    tar.on('error', reject);
  });
  const header = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' };
  for (const entry of entries) {
    if (entry.type === 'file') {
      tar.entry({ ...header, name: entry.name, mode: entry.mode, type: 'file' }, Buffer.from(entry.content ?? []));
    } else if (entry.type === 'directory') {
      tar.entry({ ...header, name: entry.name, mode: entry.mode, type: 'directory' });
    } else {
      tar.entry({ ...header, name: entry.name, mode: entry.mode, type: 'symlink', linkname: entry.linkname });
    }
  }
  tar.finalize();
  return done;
}

/** A readable stream over a packed context. */
export function contextStream(tar: Buffer): NodeJS.ReadableStream {
  return Readable.from([tar]);
}
