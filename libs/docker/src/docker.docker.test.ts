import { describe, expect, it } from 'vitest';
import { BuildError, buildImage } from './build';
import { imageId, removeImageQuietly } from './images';
import { ProbeContainer, runContainer } from './run';
import { dockerTestEngine, testOnlyBaseImage } from './testing/docker-test';

const engine = await dockerTestEngine();
const docker = engine.docker;

describe.skipIf(!engine.ok)(`@datasmith/docker against a real engine ${engine.skipReason}`, () => {
  it('builds the base image once and reuses it by its recipe hash, with real asv in its venv', async () => {
    const first = await testOnlyBaseImage(docker);
    expect(first.ref).toMatch(/^datasmith-base:[0-9a-f]{12}$/);
    expect(first).toMatchObject({ pythonVersion: '3.11', release: 'bookworm' });
    // Debian 12's setuptools (66) cannot build asv 0.6.6: the source's newest archive that installs wins.
    expect(first.asvVersion).toBe('0.6.4');
    const { ensureBaseImage } = await import('./index');
    const { testOnlyBaseRecipe } = await import('./testing/index');
    const t = Date.now();
    const again = await ensureBaseImage(docker, testOnlyBaseRecipe());
    expect(again).toMatchObject({ ref: first.ref, id: first.id, built: false });
    expect(Date.now() - t).toBeLessThan(5000);
    const asv = await runContainer(docker, {
      image: first.ref,
      cmd: [
        'sh',
        '-c',
        'asv --version; command -v asv; head -1 /usr/share/datasmith/release; grep -c . /usr/share/datasmith/debian-packages.tsv',
      ],
      entrypoint: [],
    });
    const [version, path, release, packages] = asv.stdout.trim().split('\n');
    expect(version).toBe('asv 0.6.4');
    expect(path).toBe('/opt/venv/bin/asv');
    expect(release).toBe('bookworm');
    expect(Number(packages)).toBeGreaterThan(30_000);
  });

  it('builds the Debian 13 base with asv 0.6.6 and Python 3.13, sharing nothing it need not', async () => {
    const trixie = await testOnlyBaseImage(docker, 'trixie');
    expect(trixie).toMatchObject({ pythonVersion: '3.13', release: 'trixie', asvVersion: '0.6.6' });
    expect(trixie.ref).not.toBe((await testOnlyBaseImage(docker)).ref);
  });

  it('turns an error event of a build into a BuildError and leaves no image', async () => {
    const base = await testOnlyBaseImage(docker);
    const tag = 'datasmith-test-failing:build';
    const error = await buildImage(docker, {
      tag,
      files: { Dockerfile: { content: `FROM ${base.ref}\nRUN echo partial-output && exit 3\n` } },
      networkmode: 'none',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).message).toMatch(/returned a non-zero code: 3/);
    expect((error as BuildError).logTail).toContain('partial-output');
    expect((error as BuildError).code).toBe('E_DOCKER');
    expect(await imageId(docker, tag)).toBeNull();
  });

  it('stops a build at its time limit', async () => {
    const base = await testOnlyBaseImage(docker);
    const t = Date.now();
    const error = await buildImage(docker, {
      tag: 'datasmith-test-slow:build',
      files: { Dockerfile: { content: `FROM ${base.ref}\nRUN sleep 60\n` } },
      networkmode: 'none',
      timeoutMs: 3000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).timedOut).toBe(true);
    expect(Date.now() - t).toBeLessThan(30_000);
    await removeImageQuietly(docker, 'datasmith-test-slow:build', { force: true });
  });

  it('runs containers and execs with exit codes, time limits and output caps, and removes them', async () => {
    const base = await testOnlyBaseImage(docker);
    const labels = { 'datasmith.test': 'run-exec' };
    const once = await runContainer(
      docker,
      { image: base.ref, entrypoint: [], cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], labels },
      { timeoutMs: 30_000 },
    );
    expect(once).toMatchObject({ exitCode: 3, timedOut: false, stdout: 'out\n', stderr: 'err\n' });
    const slow = await runContainer(
      docker,
      { image: base.ref, entrypoint: [], cmd: ['sleep', '30'], labels },
      { timeoutMs: 1500 },
    );
    expect(slow).toMatchObject({ exitCode: 124, timedOut: true });

    const probe = await ProbeContainer.start(docker, { image: base.ref, labels });
    try {
      const ok = await probe.exec('python3 -c "print(6 * 7)"');
      expect(ok).toMatchObject({ exitCode: 0, stdout: '42\n' });
      const timed = await probe.exec('sleep 20', { timeoutMs: 1000 });
      expect(timed).toMatchObject({ exitCode: 124, timedOut: true });
      expect(timed.durationMs).toBeLessThan(10_000);
      const capped = await probe.exec('head -c 50000 /dev/zero | tr "\\0" x', { outputCap: 1000 });
      expect(capped.stdout.length).toBeLessThan(1100);
      expect(capped.stdout).toContain('chars dropped');
    } finally {
      await probe.remove();
    }
    expect(await docker.listContainers({ all: true, filters: { label: ['datasmith.test=run-exec'] } })).toEqual([]);
  });
});
