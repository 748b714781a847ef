import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type Docker from 'dockerode';
import { ASV_SOURCE_ENV, type AsvSource, readAsvSource } from '../asv-source';
import {
  type BaseImage,
  type DebianRelease,
  type DebootstrapRecipe,
  ensureBaseImage,
  offlineBaseRecipe,
} from '../base-image';
import { createDockerClient, probeEngine } from '../client';

/** The upstream asv archives next to the project (the steering repository's shared/vendor). */
const VENDOR_GUESS = resolve(import.meta.dirname, '../../../../../shared/vendor');

/**
 * TEST-ONLY: the real asv the Docker tests install in their offline bases, from `DATASMITH_ASV_SOURCE`
 * (CI sets it), else ../shared/vendor when it exists. Throws a one-line error when neither is there.
 */
export function testOnlyAsvSource(env: NodeJS.ProcessEnv = process.env): AsvSource {
  const value = env[ASV_SOURCE_ENV]?.trim() || (existsSync(VENDOR_GUESS) ? VENDOR_GUESS : '');
  if (!value) throw new Error(`${ASV_SOURCE_ENV} is not set: the Docker tests install real asv from that folder`);
  return readAsvSource(value, ASV_SOURCE_ENV);
}

/** TEST-ONLY: the offline base recipe of a release with real asv from testOnlyAsvSource(). */
export function testOnlyBaseRecipe(release: DebianRelease = 'bookworm'): DebootstrapRecipe {
  return offlineBaseRecipe(release, testOnlyAsvSource());
}

/** What a Docker test file learns before it declares its tests. */
export interface DockerTestEngine {
  ok: boolean;
  docker: Docker;
  /** One line: why the Docker tests are skipped. */
  skipReason: string;
}

/**
 * Probes the engine for a Docker test file. Without an engine the tests skip with a one-line reason,
 * unless `DATASMITH_REQUIRE_DOCKER=1` (CI), where this throws so the file fails instead.
 * Use: `const engine = await dockerTestEngine(); describe.skipIf(!engine.ok)(\`… \${engine.skipReason}\`, …)`.
 */
export async function dockerTestEngine(env: NodeJS.ProcessEnv = process.env): Promise<DockerTestEngine> {
  const docker = createDockerClient({ env });
  const status = await probeEngine(docker, 5000);
  if (status.ok) return { ok: true, docker, skipReason: '' };
  const reason = `${status.reason ?? 'no Docker engine'} (start one with tools/scripts/ensure-docker)`;
  if (env.DATASMITH_REQUIRE_DOCKER === '1') {
    throw new Error(`DATASMITH_REQUIRE_DOCKER=1 but ${reason}`);
  }
  process.stderr.write(`docker tests skipped: ${reason}\n`);
  return { ok: false, docker, skipReason: `(skipped: ${reason})` };
}

const sharedBases = new Map<DebianRelease, Promise<BaseImage>>();

/** TEST-ONLY: the shared test base image of a release (built once per engine, reused by every test and run). */
export function testOnlyBaseImage(docker: Docker, release: DebianRelease = 'bookworm'): Promise<BaseImage> {
  let base = sharedBases.get(release);
  if (!base) {
    base = ensureBaseImage(docker, testOnlyBaseRecipe(release));
    sharedBases.set(release, base);
  }
  return base;
}
