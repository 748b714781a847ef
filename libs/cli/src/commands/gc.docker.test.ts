import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '@datasmith/docker';
import { dockerTestEngine } from '@datasmith/docker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-test-helpers';

/**
 * gc against the real engine. Every resource made here carries `datasmith.gc-test=<run>`, and gc
 * runs with `--label datasmith.gc-test=<run>`, so other runs' containers and images on the shared
 * engine are never touched.
 */
const engine = await dockerTestEngine();
const docker = engine.docker;
const run = randomUUID().slice(0, 8);
const scope = { 'datasmith.gc-test': run };
const tag = `datasmith-gc-test-${run}`;
let cwd: string;
const made = { containers: [] as string[], images: [] as string[] };

/** A tiny image from scratch; rebuilding the same tag leaves the previous one dangling. */
async function build(ref: string, content: string, labels: Record<string, string>): Promise<string> {
  const label = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  const { imageId } = await buildImage(docker, {
    tag: ref,
    files: { Dockerfile: { content: `FROM scratch\nLABEL ${label}\nCOPY f /f\n` }, f: { content } },
    timeoutMs: 120_000,
  });
  made.images.push(imageId);
  return imageId;
}

async function exists(kind: 'container' | 'image', id: string): Promise<boolean> {
  try {
    if (kind === 'container') await docker.getContainer(id).inspect();
    else await docker.getImage(id).inspect();
    return true;
  } catch {
    return false;
  }
}

let ours: { container: string; dangling: string; tagged: string };
let theirs: { container: string; dangling: string };

beforeAll(async () => {
  if (!engine.ok) return;
  cwd = await mkdtemp(join(tmpdir(), 'ds-cli-gc-docker-'));
  await writeFile(join(cwd, 'datasmith.config.json'), JSON.stringify({ source: 'store', store: 's', repos: [] }));
  const oursLabels = { ...scope, 'datasmith.task': 'acme/widgets' };
  const danglingOurs = await build(`${tag}-ours:final`, 'one', oursLabels);
  const tagged = await build(`${tag}-ours:final`, 'two', oursLabels);
  const danglingTheirs = await build(`${tag}-theirs:x`, 'one', scope);
  const taggedTheirs = await build(`${tag}-theirs:x`, 'two', scope);
  // A container inherits its image's labels, so each side's container comes from its own image.
  const create = async (image: string, labels: Record<string, string>) => {
    const c = await docker.createContainer({ Image: image, Cmd: ['/f'], Labels: labels });
    made.containers.push(c.id);
    return c.id;
  };
  ours = { container: await create(tagged, oursLabels), dangling: danglingOurs, tagged };
  theirs = { container: await create(taggedTheirs, scope), dangling: danglingTheirs };
});

afterAll(async () => {
  for (const id of made.containers)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => {});
  for (const id of made.images.reverse())
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => {});
});

describe.skipIf(!engine.ok)(`datasmith gc (Docker) ${engine.skipReason}`, () => {
  it('lists our stopped containers and dangling images on --dry-run, removing nothing', async () => {
    const result = await runCli(
      ['gc', '--dry-run', '--no-partitions', '--label', `datasmith.gc-test=${run}`, '--json'],
      {
        cwd,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const items = (JSON.parse(result.stdout).docker as Array<{ kind: string; id: string; name: string }>).map(
      (i) => `${i.kind} ${i.id}`,
    );
    expect(items.sort()).toEqual([`container ${ours.container}`, `image ${ours.dangling}`].sort());
    for (const id of [ours.container, theirs.container]) expect(await exists('container', id)).toBe(true);
    for (const id of [ours.dangling, theirs.dangling]) expect(await exists('image', id)).toBe(true);
  });

  it('removes only stopped containers and dangling images carrying datasmith labels', async () => {
    const result = await runCli(['gc', '--no-partitions', '--label', `datasmith.gc-test=${run}`], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^gc: removed 1 stopped containers, 1 dangling images \(/);
    expect(await exists('container', ours.container)).toBe(false);
    expect(await exists('image', ours.dangling)).toBe(false);
    // Tagged images, and whatever lacks our labels, stay.
    expect(await exists('image', ours.tagged)).toBe(true);
    expect(await exists('container', theirs.container)).toBe(true);
    expect(await exists('image', theirs.dangling)).toBe(true);
  });
});
