import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockedError } from '@datasmith/errors';
import type { Logger } from '@datasmith/progress';
import { isProcessAlive } from '@datasmith/tables';

interface LockContent {
  pid: number;
  startedAt: string;
  command: string;
}

/**
 * Takes an exclusive lock file holding this process's PID. A second run fails naming the holder's
 * PID; a lock left by a killed run (its PID is gone) is taken over with a warning.
 */
export async function acquireLock(path: string, command: string, log: Logger): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const content: LockContent = { pid: process.pid, startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify(content));
      await handle.close();
      return async () => {
        try {
          const held = JSON.parse(await readFile(path, 'utf8')) as LockContent;
          if (held.pid === process.pid) await rm(path, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let held: LockContent | null = null;
      try {
        held = JSON.parse(await readFile(path, 'utf8')) as LockContent;
      } catch {
        held = null;
      }
      if (held && held.pid !== process.pid && isProcessAlive(held.pid)) {
        throw new LockedError(
          `Another run holds ${path}: PID ${held.pid} (${held.command}, since ${held.startedAt}); wait for it or stop it`,
        );
      }
      log.warn(`taking over ${path}: its holder (PID ${held?.pid ?? 'unknown'}) is gone`);
      await rm(path, { force: true });
    }
  }
  throw new LockedError(`Could not take ${path}`);
}
