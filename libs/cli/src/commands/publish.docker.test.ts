import { createDockerClient } from '@datasmith/docker';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataLayout } from '@datasmith/paths';
import { DistributionClient, encodeSingleRepoTag, parseRegistryUrl } from '@datasmith/registry';
import {
  type LocalRegistry,
  type RegistryProxy,
  dockerTestAvailability,
  freePort,
  importTinyImage,
  removeImages,
  startLocalRegistry,
  startRegistryProxy,
} from '@datasmith/registry/testing';
import { masterRowFromPerf } from '@datasmith/steps';
import { fakeSha, perfRow } from '@datasmith/steps/testing';
import {
  ImageRow,
  MasterRow,
  PUBLISH_TABLE_KEYS,
  type SynthesisResult,
  readTable,
  writeTable,
} from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-test-helpers';

const availability = await dockerTestAvailability();
if (!availability.ok) {
  if (process.env.DATASMITH_REQUIRE_DOCKER === '1')
    throw new Error(`DATASMITH_REQUIRE_DOCKER=1 but ${availability.reason}`);
  process.stderr.write(`publish docker tests skipped: ${availability.reason}\n`);
}

const MONTH = '2024-03';
const owner = `dstest${randomBytes(3).toString('hex')}`;
const repo = `${owner}/widgets`;
const docker = createDockerClient();

let registry: LocalRegistry;
let proxy: RegistryProxy;
let authProxy: RegistryProxy;
let work: string;
const imageIds: string[] = [];
const localRefs: string[] = [];
const shas = [fakeSha(`${owner}1`), fakeSha(`${owner}2`), fakeSha(`${owner}3`)];
const direct = () => new DistributionClient({ registry: parseRegistryUrl(registry.url) });

function result(sha: string, ok: boolean, imageId: string | null): SynthesisResult {
  return {
    owner,
    repo: 'widgets',
    sha,
    image_name: `${owner}-widgets-${sha}:final`,
    ok,
    rc: ok ? 0 : 1,
    duration_s: 1,
    stage: ok ? 'validated' : 'import',
    strategy: 'rules',
    attempts: [],
    reason: ok ? null : 'import_failed',
    image_id: imageId,
    pr_numbers: [1],
    benchmarks: ['bench.time_x'],
    python_requested: null,
    python_used: '3.11',
    base_release: 'bookworm',
    install_mode: null,
    asv_version: '0.6.4',
    benchmarks_excluded: [],
    warnings: [],
    stderr_tail: '',
    stdout_tail: '',
  };
}

const imagesPath = () => dataLayout(join(work, 'data')).tablePath('publish', repo, MONTH, 'images');
const publishArgs = (registryUrl: string, ...extra: string[]) => [
  'publish',
  '--repo',
  repo,
  '--month',
  MONTH,
  '--out-root',
  'data',
  '--namespace',
  'ns',
  '--image-registry',
  registryUrl,
  ...extra,
];

describe.skipIf(!availability.ok)(
  `datasmith publish against Debian's docker-registry${availability.ok ? '' : ` (skipped: ${availability.reason})`}`,
  () => {
    beforeAll(async () => {
      registry = await startLocalRegistry();
      proxy = await startRegistryProxy({ upstream: registry.url });
      authProxy = await startRegistryProxy({
        upstream: registry.url,
        basicAuth: { username: 'ds', password: 'right-password' },
      });
      work = await mkdtemp(join(tmpdir(), 'ds-publish-docker-'));
      for (const [i, sha] of shas.slice(0, 2).entries()) {
        const ref = `${owner}-widgets-${sha}:final`;
        localRefs.push(ref);
        imageIds.push(await importTinyImage(docker, ref, { [`task-${i}.txt`]: `${owner} task ${i}\n` }));
      }
      const layout = dataLayout(join(work, 'data'));
      await mkdir(layout.partitionDir('synthesize', repo, MONTH), { recursive: true });
      const lines = [
        result(shas[0] as string, true, imageIds[0] as string),
        result(shas[1] as string, true, null),
        result(shas[2] as string, false, null),
      ];
      await writeFile(layout.synthesizeResults(repo, MONTH), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    });

    afterAll(async () => {
      await proxy?.close();
      await authProxy?.close();
      await registry?.stop();
      const refs = [...imageIds];
      for (const host of [registry?.host, proxy?.host, authProxy?.host]) {
        for (const ref of localRefs) {
          refs.push(`${host}/ns/all:${encodeSingleRepoTag(ref)}`, `${host}/ns/${ref}`);
        }
      }
      await removeImages(docker, [...refs, ...localRefs]);
      if (work) await rm(work, { recursive: true, force: true });
    });

    let reference: Buffer;

    it('pushes each validated image, records the manifest digest the registry serves', async () => {
      const started = Date.now();
      const run = await runCli(publishArgs(proxy.url), { cwd: work });
      const seconds = (Date.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe('publish: kept 2, dropped 1 (validation_failed: 1)');
      const rows = await readTable(imagesPath(), ImageRow);
      expect(rows.map((r) => [r.kept, r.drop_reason]).sort()).toEqual([
        [false, 'validation_failed'],
        [true, null],
        [true, null],
      ]);
      expect(rows.find((r) => !r.kept)?.publish_explanation).toBe('synthesize failed at stage import (import_failed)');
      for (const row of rows.filter((r) => r.kept)) {
        const tag = encodeSingleRepoTag(row.container_name);
        expect(row).toMatchObject({ registry: proxy.host, image_name: `${proxy.host}/ns/all:${tag}` });
        expect(localRefs).toContain(row.container_name);
        expect(row.image_id).toBe(imageIds[localRefs.indexOf(row.container_name)]);
        expect(row.digest).toBe(await direct().manifestDigest('ns/all', tag));
        expect(row.pushed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      }
      const uploads = proxy.uploads();
      expect(uploads.filter((u) => u.method === 'PUT' && u.path.includes('/manifests/'))).toHaveLength(2);
      reference = await readFile(imagesPath());
      const pushTime = /layers uploaded in ([\d.]+ s)/.exec(run.stderr)?.[1];
      process.stderr.write(
        `publish docker: first publish of 2 tiny images: ${pushTime} in publish, ${seconds.toFixed(1)} s with CLI start; ${uploads.length} upload requests\n`,
      );
    });

    it('--skip-existing makes no blob or manifest upload on a second run, and writes the same table', async () => {
      proxy.reset();
      const run = await runCli(publishArgs(proxy.url, '--skip-existing'), { cwd: work });
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.uploads()).toEqual([]);
      expect(proxy.requests.filter((r) => r.method === 'HEAD' && r.path.includes('/manifests/'))).toHaveLength(2);
      expect((await readFile(imagesPath())).equals(reference)).toBe(true);
      process.stderr.write(
        `publish docker: --skip-existing second run: ${proxy.uploads().length} uploads, ${/layers uploaded in ([\d.]+ s)/.exec(run.stderr)?.[1]}\n`,
      );
    });

    it('pushes again an image whose tag was deleted from the registry', async () => {
      const rows = await readTable(imagesPath(), ImageRow);
      const gone = rows.find((r) => r.kept) as ImageRow;
      const tag = encodeSingleRepoTag(gone.container_name);
      expect(await direct().deleteManifest('ns/all', gone.digest as string)).toBe(true);
      expect(await direct().manifestDigest('ns/all', tag)).toBeNull();
      proxy.reset();
      const run = await runCli(publishArgs(proxy.url, '--skip-existing'), { cwd: work });
      expect(run.code, run.stderr).toBe(0);
      const manifestPuts = proxy.uploads().filter((u) => u.method === 'PUT' && u.path.includes('/manifests/'));
      expect(manifestPuts.map((u) => u.path)).toEqual([`/v2/ns/all/manifests/${tag}`]);
      expect(await direct().manifestDigest('ns/all', tag)).toBe(gone.digest);
      expect((await readFile(imagesPath())).equals(reference)).toBe(true);
    });

    it('retries 5xx and 429 answers of the registry, read from the push stream', async () => {
      proxy.reset();
      proxy.fault({ method: 'PUT', path: /\/manifests\//, status: 503, times: 1 });
      proxy.fault({ method: 'PUT', path: /\/manifests\//, status: 429, times: 1, headers: { 'retry-after': '1' } });
      const run = await runCli(publishArgs(proxy.url), { cwd: work, env: { DOCKERHUB_RATE_LIMIT_WAIT: '1' } });
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.requests.filter((r) => r.injected).map((r) => r.status)).toEqual([503, 429]);
      expect(run.stderr).toMatch(/server \(.*503.*\); retry 1 in 700 ms/);
      expect(run.stderr).toMatch(/rate_limit \(.*\); retry 1 in 1000 ms/);
      expect((await readFile(imagesPath())).equals(reference)).toBe(true);
    });

    it('a run killed during publish and run again ends in the same state', async () => {
      proxy.reset();
      const hold = proxy.hold('PUT', /\/manifests\//);
      const killed = await runCli(publishArgs(proxy.url), {
        cwd: work,
        onSpawn: (child) => {
          hold.reached.then(() => child.kill('SIGKILL'));
        },
      });
      hold.release();
      expect(killed.signal).toBe('SIGKILL');
      expect((await readFile(imagesPath())).equals(reference)).toBe(true);
      const again = await runCli(publishArgs(proxy.url), { cwd: work });
      expect(again.code, again.stderr).toBe(0);
      expect((await readFile(imagesPath())).equals(reference)).toBe(true);
      const rows = await readTable(imagesPath(), ImageRow);
      for (const row of rows.filter((r) => r.kept)) {
        expect(await direct().manifestDigest('ns/all', encodeSingleRepoTag(row.container_name))).toBe(row.digest);
      }
    });

    it('mirror mode pushes one repository per image with the original tag', async () => {
      const out = join(work, 'mirror.parquet');
      const run = await runCli(
        [
          'publish',
          '--in',
          dataLayout('data').synthesizeResults(repo, MONTH),
          '--namespace',
          'ns',
          '--image-registry',
          registry.url,
          '--repository-mode',
          'mirror',
          '--out',
          out,
        ],
        { cwd: work },
      );
      expect(run.code, run.stderr).toBe(0);
      const rows = (await readTable(out, ImageRow)).filter((r) => r.kept);
      for (const row of rows) {
        const name = row.container_name.replace(':final', '');
        expect(row.image_name).toBe(`${registry.host}/ns/${name}:final`);
        expect(await direct().manifestDigest(`ns/${name}`, 'final')).toBe(row.digest);
      }
    });

    it('authentication denied or registry unreachable: one clear line, nothing recorded', async () => {
      const deniedOut = join(work, 'denied.parquet');
      const denied = await runCli(
        [
          'publish',
          '--in',
          dataLayout('data').synthesizeResults(repo, MONTH),
          '--namespace',
          'ns',
          '--image-registry',
          authProxy.url,
          '--out',
          deniedOut,
        ],
        { cwd: work, env: { DOCKERHUB_USERNAME: 'ds', DOCKERHUB_TOKEN: 'wrong-password' } },
      );
      expect(denied.code).not.toBe(0);
      const deniedLine = denied.stderr.trim().split('\n').at(-1) ?? '';
      expect(deniedLine).toMatch(
        /^datasmith publish: Registry authentication denied: GET http:\/\/127\.0\.0\.1:\d+\/v2\/ answered 401 as ds/,
      );
      expect(denied.stderr).not.toContain('wrong-password');
      expect(existsSync(deniedOut)).toBe(false);

      const allowed = await runCli(
        [
          'publish',
          '--in',
          dataLayout('data').synthesizeResults(repo, MONTH),
          '--namespace',
          'ns',
          '--image-registry',
          authProxy.url,
          '--out',
          deniedOut,
        ],
        { cwd: work, env: { DOCKERHUB_USERNAME: 'ds', DOCKERHUB_TOKEN: 'right-password' } },
      );
      expect(allowed.code, allowed.stderr).toBe(0);
      expect((await readTable(deniedOut, ImageRow)).filter((r) => r.digest)).toHaveLength(2);

      const downOut = join(work, 'down.parquet');
      const port = await freePort();
      const down = await runCli(
        [
          'publish',
          '--in',
          dataLayout('data').synthesizeResults(repo, MONTH),
          '--namespace',
          'ns',
          '--image-registry',
          `http://127.0.0.1:${port}`,
          '--out',
          downOut,
        ],
        { cwd: work },
      );
      expect(down.code).not.toBe(0);
      expect(down.stderr.trim().split('\n').at(-1)).toMatch(
        /^datasmith publish: Registry unreachable: GET http:\/\/127\.0\.0\.1:\d+\/v2\/ failed \(ECONNREFUSED\); is it running\?/,
      );
      expect(existsSync(downOut)).toBe(false);
    });

    it('without a registry records the local image id as the digest', async () => {
      const out = join(work, 'local.parquet');
      const run = await runCli(['publish', '--in', dataLayout('data').synthesizeResults(repo, MONTH), '--out', out], {
        cwd: work,
      });
      expect(run.code, run.stderr).toBe(0);
      const rows = (await readTable(out, ImageRow)).filter((r) => r.kept);
      expect(rows.map((r) => [r.registry, r.digest === r.image_id, r.image_name === r.container_name])).toEqual([
        [null, true, true],
        [null, true, true],
      ]);
    });

    it('dataset --check-registry keeps only rows the live registry still serves', async () => {
      const published = (await readTable(imagesPath(), ImageRow)).filter((r) => r.kept);
      const master = published.map((img, i) =>
        masterRowFromPerf(perfRow(repo, i + 1, '2024-03-05T00:00:00Z', { pr_base_sha: img.pr_base_sha }), MONTH),
      );
      await writeTable(join(work, 'master.parquet'), MasterRow, master, PUBLISH_TABLE_KEYS.master);
      const args = [
        'dataset',
        '--in',
        'master.parquet',
        '--images',
        imagesPath(),
        '--out',
        'checked.parquet',
        '--check-registry',
      ];
      const before = await runCli(args, { cwd: work });
      expect(before.code, before.stderr).toBe(0);
      expect(before.stdout.trim()).toBe('dataset: kept 2, dropped 0');

      const gone = published[0] as ImageRow;
      await direct().deleteManifest('ns/all', gone.digest as string);
      const after = await runCli(args, { cwd: work });
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout.trim()).toBe('dataset: kept 1, dropped 1 (registry_missing: 1)');
      // put it back for the next test
      const again = await runCli(publishArgs(proxy.url, '--skip-existing'), { cwd: work });
      expect(again.code, again.stderr).toBe(0);
    });

    it('pulls the image back by digest', async () => {
      const rows = (await readTable(imagesPath(), ImageRow)).filter((r) => r.kept);
      const row = rows[0] as ImageRow;
      const byDigest = `${registry.host}/ns/all@${row.digest}`;
      await removeImages(docker, [row.image_id as string]);
      const stream = await docker.pull(byDigest);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) =>
          err || events.some((e) => e.error) ? reject(err ?? new Error(JSON.stringify(events))) : resolve(),
        ),
      );
      expect((await docker.getImage(byDigest).inspect()).Id).toBe(row.image_id);
    });
  },
);
