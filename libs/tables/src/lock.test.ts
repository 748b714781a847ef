import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError } from '@datasmith/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LockHolder, acquireFileLock } from './lock';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The PID of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid as number;
}

describe('acquireFileLock', () => {
  it('records the PID and info, and a second taker waits until the first releases', async () => {
    const path = join(dir, 'sub', 'x.lock');
    const release = await acquireFileLock(path, { info: { command: 'first' } });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ pid: process.pid, command: 'first' });
    const waitedFor: (LockHolder | null)[] = [];
    let second: (() => Promise<void>) | null = null;
    const taking = acquireFileLock(path, { pollMs: 10, onWait: (h) => waitedFor.push(h) }).then((r) => {
      second = r;
    });
    while (waitedFor.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(second).toBeNull();
    expect(waitedFor[0]?.pid).toBe(process.pid);
    await release();
    await taking;
    expect(second).not.toBeNull();
    await (second as unknown as () => Promise<void>)();
    expect(existsSync(path)).toBe(false);
  });

  it('takes over the lock of a process that is gone (also the bare-PID form)', async () => {
    for (const content of [JSON.stringify({ pid: deadPid(), command: 'killed' }), String(deadPid())]) {
      const path = join(dir, 'y.lock');
      await writeFile(path, content);
      const takenOver: (LockHolder | null)[] = [];
      const release = await acquireFileLock(path, { timeoutMs: 0, onTakeover: (h) => takenOver.push(h) });
      expect(takenOver).toHaveLength(1);
      expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
      await release();
    }
  });

  it('fails at once with timeoutMs 0 while a live process holds it, naming the holder', async () => {
    const path = join(dir, 'z.lock');
    await writeFile(path, JSON.stringify({ pid: process.pid, command: 'update' }));
    await expect(
      acquireFileLock(path, { timeoutMs: 0, lockedMessage: (h) => `held by ${h?.pid} (${h?.command})` }),
    ).rejects.toThrow(new LockedError(`held by ${process.pid} (update)`));
    expect(existsSync(path)).toBe(true);
  });

  it('release leaves a lock that another process took over', async () => {
    const path = join(dir, 'w.lock');
    const release = await acquireFileLock(path);
    await writeFile(path, JSON.stringify({ pid: process.pid + 1_000_000 }));
    await release();
    expect(existsSync(path)).toBe(true);
  });
});
