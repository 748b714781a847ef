import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteError } from '@datasmith/errors';
import { MemoStore } from '@datasmith/memo';
import { createMemoryLogger } from '@datasmith/progress';
import {
  type DistributionClient,
  type ImageEngine,
  type LocalImage,
  type PushEvent,
  dockerAuthConfig,
  parseRegistryUrl,
} from '@datasmith/registry';
import { ContextRow, SYNTHESIZE_TABLE_KEYS, type SynthesisResult, writeTable } from '@datasmith/tables';
import { describe, expect, it } from 'vitest';
import { fakeSha } from '../merge/testing/perf-fixtures';
import { type PublishTarget, publish } from './publish';
import { datasetContainerName, readPublishContexts, tasksFromCommits, tasksFromResults } from './tasks';

const registry = parseRegistryUrl('127.0.0.1:5000');
const target: PublishTarget = { registry, namespace: 'ns', mode: 'single', auth: dockerAuthConfig(registry, null) };
const id = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const digestOf = (s: string) => `sha256:${Buffer.from(s).toString('hex').padEnd(64, '0').slice(0, 64)}`;

function result(repo: string, n: number, ok: boolean, overrides: Partial<SynthesisResult> = {}): SynthesisResult {
  const [owner, name] = repo.split('/') as [string, string];
  const sha = fakeSha(`${repo}${n}`);
  return {
    owner,
    repo: name,
    sha,
    image_name: datasetContainerName(repo, sha),
    ok,
    rc: ok ? 0 : 1,
    duration_s: 1,
    stage: ok ? 'validated' : 'benchmark',
    strategy: 'rules',
    attempts: [],
    reason: ok ? null : 'no_benchmarks',
    image_id: ok ? id(n) : null,
    pr_numbers: [n],
    benchmarks: [],
    python_requested: null,
    python_used: '3.11',
    base_release: 'bookworm',
    install_mode: null,
    asv_version: '0.6.4',
    benchmarks_excluded: [],
    warnings: [],
    stderr_tail: '',
    stdout_tail: '',
    ...overrides,
  };
}

/** An engine that knows some images and answers pushes from a script (by call order). */
function fakeEngine(images: LocalImage[], pushes: Array<(repo: string, tag: string) => PushEvent[]> = []) {
  const calls: string[] = [];
  let n = 0;
  const engine: ImageEngine = {
    inspect: async (ref) => images.find((i) => i.id === ref || i.repoTags.includes(ref)) ?? null,
    tag: async (source, repo, tag) => void calls.push(`tag ${source} ${repo}:${tag}`),
    push: async (repo, tag) => {
      calls.push(`push ${repo}:${tag}`);
      const script = pushes[n++];
      if (script) return script(repo, tag);
      const digest = digestOf(tag);
      const image = images.find((i) => `${repo}:${tag}`.includes(i.repoTags[0]?.split(':')[0] ?? '\0'));
      image?.repoDigests.push(`${repo}@${digest}`);
      return [{ status: 'Pushed', id: 'l1' }, { aux: { Tag: tag, Digest: digest } }];
    },
  };
  return { engine, calls };
}

function fakeRegistry(manifests: Map<string, string>, failPing?: Error): DistributionClient & { heads: string[] } {
  const heads: string[] = [];
  return {
    heads,
    ping: async () => {
      if (failPing) throw failPing;
    },
    manifestDigest: async (path: string, ref: string) => {
      heads.push(`${path}:${ref}`);
      return manifests.get(`${path}:${ref}`) ?? null;
    },
  } as unknown as DistributionClient & { heads: string[] };
}

const okA = result('o/r', 1, true);
const okB = result('o/r', 2, true);
const failed = result('o/r', 3, false);
const images = (): LocalImage[] => [
  { id: id(1), repoTags: [okA.image_name], repoDigests: [] },
  { id: id(2), repoTags: [okB.image_name], repoDigests: [] },
];

describe('tasks', () => {
  it('takes the last result per task and maps failure stages to drop reasons', () => {
    const tasks = tasksFromResults([failed, { ...okA, ok: false, stage: 'build' }, okA, failed]);
    expect(tasks.map((t) => [t.ok, t.drop_reason])).toEqual([
      [false, 'validation_failed'],
      [true, null],
    ]);
    expect(tasks[1]).toMatchObject({ container_name: okA.image_name, image_id: id(1) });
  });

  it('builds tasks from a commits table, keeping only validated contexts when given', () => {
    const rows = [
      { repo_name: 'o/r', pr_base_sha: okA.sha },
      { repo_name: 'o/r', pr_base_sha: okA.sha },
      { repo_name: 'o/r', pr_base_sha: okB.sha },
      { repo_name: 'o/r', pr_base_sha: null },
    ];
    expect(tasksFromCommits(rows, null).map((t) => t.ok)).toEqual([true, true]);
    const contexts = [
      {
        repo_name: 'o/r',
        sha: okA.sha,
        ok: true,
        stage: 'validated',
        reason: null,
        image_name: okA.image_name,
        image_id: id(1),
      },
    ];
    expect(tasksFromCommits(rows, contexts).map((t) => [t.ok, t.drop_reason, t.image_id])).toEqual([
      [true, null, id(1)],
      [false, 'build_failed', null],
    ]);
  });
});

describe('readPublishContexts', () => {
  it("reads synthesize's contexts.parquet, and fails in one line on a missing file", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-contexts-'));
    const path = join(dir, 'contexts.parquet');
    const context = ContextRow.parse({
      repo_name: 'o/r',
      sha: okA.sha,
      strategy: 'rules',
      context_hash: 'h',
      files_json: '{}',
      facts_json: '{}',
      attempts_json: '[]',
      validation_json: '{}',
      benchmarks: ['b.time_x'],
      image_name: okA.image_name,
      image_id: id(1),
      deps_image: null,
      base_image: null,
      ok: true,
      stage: 'validated',
      reason: null,
      python_requested: null,
      python_used: '3.11',
      base_release: 'bookworm',
      install_mode: null,
      asv_version: '0.6.4',
      benchmarks_excluded: [],
      warnings: [],
      code_version: 'synthesize-1',
    });
    await writeTable(path, ContextRow, [context], SYNTHESIZE_TABLE_KEYS.contexts);
    const contexts = await readPublishContexts(path);
    expect(contexts).toEqual([
      {
        repo_name: 'o/r',
        sha: okA.sha,
        ok: true,
        stage: 'validated',
        reason: null,
        image_name: okA.image_name,
        image_id: id(1),
      },
    ]);
    const tasks = tasksFromResults([{ ...okA, image_id: null }], contexts);
    expect(tasks[0]?.image_id).toBe(id(1));
    await expect(readPublishContexts(join(dir, 'nope.json'))).rejects.toThrow(
      /^Missing input: \/.*nope\.json does not exist$/,
    );
  });
});

describe('publish', () => {
  it('records local image ids without a registry', async () => {
    const { engine, calls } = fakeEngine(images());
    const out = await publish(
      { tasks: tasksFromResults([okA, failed]), target: null, skipExisting: false },
      { engine: () => engine, distribution: null, log: createMemoryLogger() },
    );
    expect(calls).toEqual([]);
    expect(out.rows).toEqual([
      expect.objectContaining({
        container_name: okA.image_name,
        image_name: okA.image_name,
        image_id: id(1),
        digest: id(1),
        registry: null,
        pushed_at: null,
        kept: true,
      }),
      expect.objectContaining({
        container_name: failed.image_name,
        kept: false,
        drop_reason: 'validation_failed',
        digest: null,
      }),
    ]);
  });

  it('needs no engine when nothing is publishable', async () => {
    const out = await publish(
      { tasks: tasksFromResults([failed]), target, skipExisting: true },
      {
        engine: () => {
          throw new Error('engine must not be created');
        },
        distribution: fakeRegistry(new Map()),
        log: createMemoryLogger(),
      },
    );
    expect(out.stats).toMatchObject({ dropped: 1, pushed: 0 });
  });

  it('pushes with the encoded tag, records the digest and a stable first-push time', async () => {
    const memo = new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-publish-memo-')) });
    const { engine, calls } = fakeEngine(images());
    let now = Date.parse('2024-05-01T10:00:00Z');
    const run = () =>
      publish(
        { tasks: tasksFromResults([okA]), target, skipExisting: false },
        {
          engine: () => engine,
          distribution: fakeRegistry(new Map()),
          memo,
          clock: () => new Date(now),
          log: createMemoryLogger(),
        },
      );
    const first = await run();
    const tag = `${okA.image_name.replace(':final', '')}--final`;
    expect(calls).toEqual([`tag ${id(1)} 127.0.0.1:5000/ns/all:${tag}`, `push 127.0.0.1:5000/ns/all:${tag}`]);
    expect(first.rows[0]).toMatchObject({
      image_name: `127.0.0.1:5000/ns/all:${tag}`,
      registry: '127.0.0.1:5000',
      digest: digestOf(tag),
      image_id: id(1),
      pushed_at: '2024-05-01T10:00:00Z',
    });
    now += 3600_000;
    const second = await run();
    expect(second.rows).toEqual(first.rows);
  });

  it('skips images the registry already holds (RepoDigests), and pushes again when the tag is gone', async () => {
    const local = images();
    const tag = `${okA.image_name.replace(':final', '')}--final`;
    local[0]?.repoDigests.push(`127.0.0.1:5000/ns/all@${digestOf(tag)}`);
    const manifests = new Map([[`ns/all:${tag}`, digestOf(tag)]]);
    const { engine, calls } = fakeEngine(local);
    const reg = fakeRegistry(manifests);
    const out = await publish(
      { tasks: tasksFromResults([okA, okB]), target, skipExisting: true },
      { engine: () => engine, distribution: reg, log: createMemoryLogger() },
    );
    expect(out.stats).toMatchObject({ skipped: 1, pushed: 1 });
    expect(calls.filter((c) => c.startsWith('push'))).toHaveLength(1);
    expect(out.rows[0]).toMatchObject({
      digest: digestOf(tag),
      pushed_at: null,
      publish_explanation: 'already in the registry, pushed from elsewhere (--skip-existing)',
    });

    manifests.clear();
    const again = await publish(
      { tasks: tasksFromResults([okA]), target, skipExisting: true },
      { engine: () => engine, distribution: reg, log: createMemoryLogger() },
    );
    expect(again.stats).toMatchObject({ skipped: 0, pushed: 1 });
  });

  it('retries a 5xx error event, records a push that never succeeds as push_failed', async () => {
    const error503 = (): PushEvent[] => [
      { errorDetail: { message: 'received unexpected HTTP status: 503 Service Unavailable' }, error: 'x' },
    ];
    const { engine } = fakeEngine(images(), [error503, error503, error503, error503]);
    const waits: number[] = [];
    const log = createMemoryLogger();
    const out = await publish(
      { tasks: tasksFromResults([okA, okB]), target, skipExisting: false },
      {
        engine: () => engine,
        distribution: fakeRegistry(new Map()),
        log,
        sleep: async (ms) => void waits.push(ms),
        concurrency: 1,
      },
    );
    expect(waits).toEqual([700, 1400, 700]);
    expect(out.rows[0]).toMatchObject({ kept: false, drop_reason: 'push_failed', digest: null, image_id: id(1) });
    expect(out.rows[1]).toMatchObject({ kept: true });
    expect(out.failures).toEqual([
      expect.objectContaining({
        code: 'push_server',
        message: expect.stringMatching(/failed after 3 attempts: received unexpected HTTP status: 503/),
      }),
    ]);
    expect(log.lines.some((l) => l.includes('retry 1 in 700 ms'))).toBe(true);
  });

  it('stops with one clear error on an authentication denial or an unreachable registry', async () => {
    const denied = (): PushEvent[] => [
      { errorDetail: { message: 'unauthorized: authentication required' }, error: 'x' },
    ];
    const { engine } = fakeEngine(images(), [denied]);
    const error = await publish(
      { tasks: tasksFromResults([okA, okB]), target, skipExisting: false },
      { engine: () => engine, distribution: fakeRegistry(new Map()), log: createMemoryLogger(), concurrency: 1 },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.message).toMatch(
      /^Registry authentication denied for 127\.0\.0\.1:5000\/ns\/all: push of .* failed: unauthorized: authentication required/,
    );

    const { engine: untouched, calls } = fakeEngine(images());
    const down = new RemoteError('Registry unreachable: GET http://127.0.0.1:5999/v2/ failed (ECONNREFUSED)');
    await expect(
      publish(
        { tasks: tasksFromResults([okA]), target, skipExisting: false },
        { engine: () => untouched, distribution: fakeRegistry(new Map(), down), log: createMemoryLogger() },
      ),
    ).rejects.toThrow(/^Registry unreachable/);
    expect(calls).toEqual([]);
  });

  it('records a missing image as a failure', async () => {
    const { engine } = fakeEngine([]);
    const out = await publish(
      { tasks: tasksFromResults([okA]), target: null, skipExisting: false },
      { engine: () => engine, distribution: null, log: createMemoryLogger() },
    );
    expect(out.rows[0]).toMatchObject({ kept: false, drop_reason: 'push_failed' });
    expect(out.failures[0]).toMatchObject({ code: 'image_missing' });
  });
});
