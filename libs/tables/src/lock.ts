import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockedError } from '@datasmith/errors';

/** What a lock file says about its holder: its PID, and whatever else the holder recorded. */
export interface LockHolder {
  pid: number;
  [field: string]: unknown;
}

export interface FileLockOptions {
  /** Give up after this many ms with a LockedError; 0: at once when a live process holds it. Default: wait. */
  timeoutMs?: number;
  /** Between two tries, ms. Default 100. */
  pollMs?: number;
  /** A lock older than this (ms) is taken over even when its holder's PID is alive (a PID reused). */
  staleMs?: number;
  /** Recorded in the lock file next to the PID. */
  info?: Record<string, string>;
  /** Called once, when a live holder makes this process wait. */
  onWait?: (holder: LockHolder | null) => void;
  /** Called when the lock of a holder that is gone is taken over. */
  onTakeover?: (holder: LockHolder | null) => void;
  /** The LockedError's message. Default: the path and the holder's PID. */
  lockedMessage?: (holder: LockHolder | null) => string;
}

/** A lock file being created has no content yet for a moment; after this long, an unreadable lock is stale. */
const UNREADABLE_GRACE_MS = 5_000;

/** Whether a process with this PID exists (lock files name their holder; a dead holder's lock is stale). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    // A bare number is the PID (lock files written before the JSON form).
    if (typeof parsed === 'number') return { pid: parsed };
    if (parsed && typeof parsed === 'object' && typeof (parsed as LockHolder).pid === 'number')
      return parsed as LockHolder;
  } catch {
    // being written, or not ours
  }
  return null;
}

/**
 * Takes an exclusive lock file (`open wx`) holding this process's PID, across processes and after a
 * SIGKILL: the lock of a holder whose process is gone (or older than `staleMs`) is taken over. Resolves
 * to the release function, which removes the file only while this process holds it.
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const content = JSON.stringify({ pid: process.pid, ...options.info });
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  let waited = false;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return async () => {
        if ((await readHolder(path))?.pid === process.pid) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    const stale = holder
      ? !isProcessAlive(holder.pid) || (options.staleMs !== undefined && age > options.staleMs)
      : age > UNREADABLE_GRACE_MS;
    if (stale) {
      options.onTakeover?.(holder);
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockedError(options.lockedMessage?.(holder) ?? `${path} is locked by process ${holder?.pid ?? '?'}`);
    }
    if (!waited) options.onWait?.(holder);
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}
