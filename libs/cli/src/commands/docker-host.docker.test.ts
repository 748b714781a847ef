// Scale-out (issue 8): Docker work sent to another engine with DOCKER_HOST. The test starts a second
// dockerd on its own socket, data root, exec root and bridge (no iptables), copies the test base image into it, runs `datasmith synthesize` with
// DOCKER_HOST pointing at it, and finds the task image in that engine only.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDockerClient, followProgressStrict, imageId, probeEngine } from '@datasmith/docker';
import { dockerTestEngine, testOnlyBaseImage } from '@datasmith/docker/testing';
import { FixtureRepo } from '@datasmith/git/testing';
import { asvFixtureFiles } from '@datasmith/steps/testing';
import { SynthesisResult, SynthesizeInputRow, writeTable } from '@datasmith/tables';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../bin/datasmith.js');
const engine = await dockerTestEngine();

/** Why a second engine cannot run here, checked before any test is declared; null when it can. */
function secondEngineObstacle(): string | null {
  if (!engine.ok) return 'no main Docker engine';
  if (process.getuid?.() !== 0) return 'a second dockerd needs root';
  if (spawnSync('dockerd', ['--version']).status !== 0) return 'no dockerd binary on PATH';
  if (spawnSync('ip', ['-V']).status !== 0) return 'no ip command (iproute2) to make its bridge';
  return null;
}
const obstacle = secondEngineObstacle();
if (obstacle) process.stderr.write(`DOCKER_HOST test skipped: ${obstacle}\n`);

interface SecondEngine {
  host: string;
  docker: Docker;
  stop(): Promise<void>;
}

/**
 * The second daemon's own bridge. With `--bridge=none` dockerd deletes the host's `docker0` when it
 * starts (seen here: the main engine's builds then fail with "could not find bridge docker0"), so it
 * gets an interface of its own, made and removed by the test.
 */
const BRIDGE = 'dsengine2';

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Whether the host has the main engine's default bridge. */
function hasDocker0(): boolean {
  return spawnSync('ip', ['link', 'show', 'docker0']).status === 0;
}

/** A second dockerd under `root` (socket, data root, exec root, pid file and log all inside it). */
async function startSecondEngine(root: string): Promise<SecondEngine> {
  spawnSync('ip', ['link', 'delete', BRIDGE]);
  ip(['link', 'add', BRIDGE, 'type', 'bridge']);
  ip(['addr', 'add', '172.31.250.1/24', 'dev', BRIDGE]);
  ip(['link', 'set', BRIDGE, 'up']);
  const socket = join(root, 'docker.sock');
  const logFile = join(root, 'dockerd.log');
  const log = openSync(logFile, 'a');
  const daemon: ChildProcess = spawn(
    'dockerd',
    [
      '--host',
      `unix://${socket}`,
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      join(root, 'dockerd.pid'),
      `--bridge=${BRIDGE}`,
      '--iptables=false',
      '--ip-masq=false',
    ],
    { stdio: ['ignore', log, log] },
  );
  let exited: number | null | undefined;
  const exit = new Promise<void>((done) =>
    daemon.on('exit', (code) => {
      exited = code;
      done();
    }),
  );
  const stop = async () => {
    if (exited === undefined) {
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 60_000);
      await exit;
      clearTimeout(timer);
    }
    spawnSync('ip', ['link', 'delete', BRIDGE]);
  };
  const host = `unix://${socket}`;
  const docker = createDockerClient({ host });
  for (let i = 0; i < 120 && exited === undefined; i++) {
    if (existsSync(socket) && (await probeEngine(docker, 2000)).ok) return { host, docker, stop };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
  throw new Error(`the second dockerd did not answer within 60 s (exit ${exited ?? 'none'}):\n${tail}`);
}

/** Copies an image from one engine to another (`docker save | docker load`). */
async function copyImage(from: Docker, to: Docker, ref: string): Promise<void> {
  const tar = await from.getImage(ref).get();
  await followProgressStrict(to, await to.loadImage(tar));
}

describe.skipIf(obstacle !== null)(`synthesize on another engine through DOCKER_HOST ${obstacle ?? ''}`, () => {
  let root: string;
  let second: SecondEngine | undefined;
  const timings: Record<string, number> = {};
  const docker0Before = hasDocker0();

  beforeAll(async () => {
    // Short path: a unix socket path must stay under 108 bytes.
    root = mkdtempSync('/tmp/ds-engine2-');
    let t = Date.now();
    second = await startSecondEngine(root);
    timings.start_engine = (Date.now() - t) / 1000;
    t = Date.now();
    const base = await testOnlyBaseImage(engine.docker);
    await copyImage(engine.docker, second.docker, base.ref);
    timings.copy_base = (Date.now() - t) / 1000;
  });

  afterAll(async () => {
    await second?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    console.log(`DOCKER_HOST test timings (s): ${JSON.stringify(timings)}`);
  });

  it('builds and validates the task image in the DOCKER_HOST engine and leaves the default engine untouched', async () => {
    const engine2 = second as SecondEngine;
    const base = await testOnlyBaseImage(engine.docker);
    const work = join(root, 'work');
    const repo = new FixtureRepo(join(work, 'src'));
    const c1 = repo.commit(asvFixtureFiles({ name: 'farhost' }), 'initial', '2024-01-02T00:00:00Z');
    const c2 = repo.commit({ 'README.md': 'faster\n' }, 'faster (#2)', '2024-01-03T00:00:00Z');
    repo.mirrorTo(join(work, 'store', 'demo-org', 'farhost.git'));
    const image = `demo-org-farhost-${c1}:final`;
    await writeTable(
      join(work, 'data', 'classify', 'demo-org__farhost', '2024-01', 'perf.parquet'),
      SynthesizeInputRow,
      [{ repo_name: 'demo-org/farhost', pr_number: 2, sha: c2, pr_base_sha: c1, pr_merged_at: '2024-01-03T12:00:00Z' }],
      ['pr_number'],
    );
    expect(await imageId(engine.docker, image)).toBeNull();
    expect(await imageId(engine2.docker, image)).toBeNull();

    const t = Date.now();
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'synthesize',
        '--repo',
        'demo-org/farhost',
        '--month',
        '2024-01',
        '--store',
        'store',
        '--base-image',
        base.ref,
        '--max-attempts',
        '1',
      ],
      { cwd: work, env: { ...process.env, DOCKER_HOST: engine2.host }, encoding: 'utf8', timeout: 600_000 },
    );
    timings.synthesize = (Date.now() - t) / 1000;
    expect(run.status, run.stderr).toBe(0);
    const results = readFileSync(
      join(work, 'data', 'synthesize', 'demo-org__farhost', '2024-01', 'results.jsonl'),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => SynthesisResult.parse(JSON.parse(l)));
    expect(results).toHaveLength(1);
    const [result] = results as [SynthesisResult];
    expect(result, result.stderr_tail).toMatchObject({ ok: true, stage: 'validated', image_name: image });

    // The image (and every image of this task) is in the DOCKER_HOST engine, none in the default one.
    expect(await imageId(engine2.docker, image)).toBe(result.image_id);
    const labelled = (docker: Docker) => docker.listImages({ filters: { label: [`datasmith.sha=${c1}`] } });
    expect((await labelled(engine2.docker)).length).toBeGreaterThan(0);
    expect(await imageId(engine.docker, image)).toBeNull();
    expect(await imageId(engine.docker, result.image_id as string)).toBeNull();
    expect(await labelled(engine.docker)).toEqual([]);
    expect(await engine.docker.listContainers({ all: true, filters: { label: [`datasmith.sha=${c1}`] } })).toEqual([]);
  });

  it("leaves the main engine's default bridge in place", async () => {
    await second?.stop();
    expect(hasDocker0()).toBe(docker0Before);
  });
});
