import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { createDockerClient } from '@datasmith/docker';

const run = promisify(execFile);

/** The workspace's registry script. */
export const START_REGISTRY_SCRIPT = resolve(import.meta.dirname, '../../../../tools/scripts/start-registry');

/** A free TCP port on 127.0.0.1 (released before returning; good enough for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A docker-registry started by `tools/scripts/start-registry` in a temp folder. */
export interface LocalRegistry {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly dir: string;
  /** Stops the registry and deletes its folder. */
  stop(): Promise<void>;
}

/** Starts a private registry instance on a free loopback port through the project script. */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'ds-registry-'));
  const port = await freePort();
  const env = { ...process.env, DATASMITH_REGISTRY_ADDR: `127.0.0.1:${port}`, DATASMITH_REGISTRY_DIR: dir };
  await run('bash', [START_REGISTRY_SCRIPT], { env });
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    dir,
    stop: async () => {
      await run('bash', [START_REGISTRY_SCRIPT, 'stop'], { env });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether Docker-backed tests can run: an engine that answers and a `docker-registry` binary. */
export interface DockerAvailability {
  ok: boolean;
  /** One line: why not. */
  reason: string;
}

/** Checks the engine (`DOCKER_HOST` or the local socket) and Debian's docker-registry, within 5 s. */
export async function dockerTestAvailability(env: NodeJS.ProcessEnv = process.env): Promise<DockerAvailability> {
  const hasRegistry = ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry'].some((p) => existsSync(p));
  if (!hasRegistry) {
    return { ok: false, reason: 'docker-registry is not installed (run tools/scripts/ensure-docker)' };
  }
  const docker = createDockerClient({ env });
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000)),
    ]);
    return { ok: true, reason: '' };
  } catch (error) {
    return {
      ok: false,
      reason: `no Docker engine (${(error as Error).message.split('\n')[0]}; run tools/scripts/ensure-docker)`,
    };
  }
}

/**
 * Imports a tiny single-layer image (`files` at the root of an otherwise empty filesystem) as
 * `name:tag`: a few hundred bytes, built in milliseconds. Returns the image id.
 */
export async function importTinyImage(docker: Docker, ref: string, files: Record<string, string>): Promise<string> {
  const archive = pack();
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    archive.entry({ name: path, mtime: new Date(0), uid: 0, gid: 0, mode: 0o644 }, content);
  }
  archive.finalize();
  const colon = ref.lastIndexOf(':');
  const repo = colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
  const tag = colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : 'latest';
  const stream = await docker.importImage(archive as unknown as NodeJS.ReadableStream, { repo, tag });
  await new Promise<void>((resolveImport, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) => {
      const failed = events?.find((e) => e.error);
      if (err || failed) reject(err ?? new Error(failed?.error));
      else resolveImport();
    }),
  );
  const info = await docker.getImage(ref).inspect();
  return info.Id;
}

/** Removes images by reference or id, ignoring ones already gone. */
export async function removeImages(docker: Docker, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    try {
      await docker.getImage(ref).remove({ force: true });
    } catch {
      // already gone
    }
  }
}
