import type { Logger } from '@datasmith/progress';
import { acquireFileLock } from '@datasmith/tables';

/**
 * Takes the update lock (a file holding this process's PID, start time and command). A second run
 * fails at once naming the holder; a lock left by a killed run (its PID is gone) is taken over with
 * a warning.
 */
export function acquireLock(path: string, command: string, log: Logger): Promise<() => Promise<void>> {
  return acquireFileLock(path, {
    timeoutMs: 0,
    info: { startedAt: new Date().toISOString(), command },
    onTakeover: (holder) => log.warn(`taking over ${path}: its holder (PID ${holder?.pid ?? 'unknown'}) is gone`),
    lockedMessage: (holder) =>
      `Another run holds ${path}: PID ${holder?.pid ?? '?'} (${holder?.command ?? 'unknown command'}, since ${holder?.startedAt ?? '?'}); wait for it or stop it`,
  });
}
