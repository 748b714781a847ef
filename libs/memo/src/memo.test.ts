import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoStore, canonicalJson, memoKey } from './memo';

describe('memo', () => {
  it('canonical JSON ignores key order and undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(memoKey('ns', 'v1', { a: 1, b: 2 })).toBe(memoKey('ns', 'v1', { b: 2, a: 1 }));
    expect(memoKey('ns', 'v1', { a: 1 })).not.toBe(memoKey('ns', 'v2', { a: 1 }));
  });

  it('computes once, then hits; a version bump misses', async () => {
    const store = new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-memo-')) });
    let calls = 0;
    const compute = async () => {
      calls++;
      return { rows: [1, 2, 3] };
    };
    expect(await store.memoize('x', 'v1', { k: 1 }, compute)).toEqual({ rows: [1, 2, 3] });
    expect(await store.memoize('x', 'v1', { k: 1 }, compute)).toEqual({ rows: [1, 2, 3] });
    expect(calls).toBe(1);
    await store.memoize('x', 'v2', { k: 1 }, compute);
    expect(calls).toBe(2);
    expect(store.stats).toEqual({ hits: 1, misses: 2, writes: 2 });
  });

  it('is safe across parallel processes writing the same keys', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ds-memo-'));
    const script = `
      import { MemoStore } from '${join(import.meta.dirname, 'memo.ts')}';
      const store = new MemoStore({ root: ${JSON.stringify(root)} });
      for (let i = 0; i < 50; i++) await store.memoize('p', 'v', { i }, async () => ({ i, big: 'x'.repeat(10000) }));
    `;
    const runs = Array.from(
      { length: 4 },
      () =>
        new Promise<number>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
            stdio: 'inherit',
          });
          child.on('exit', (code) => resolve(code ?? 1));
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    const store = new MemoStore({ root });
    for (let i = 0; i < 50; i++) {
      expect(await store.memoize('p', 'v', { i }, async () => ({ i: -1, big: '' }))).toMatchObject({ i });
    }
    const shards = await readdir(join(root, 'p'));
    const files = (await Promise.all(shards.map((s) => readdir(join(root, 'p', s))))).flat();
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files.length).toBe(50);
  });
});
