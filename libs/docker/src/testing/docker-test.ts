import type Docker from 'dockerode';
import {
  ASV_STAND_IN_PATH,
  type BaseImage,
  type DebootstrapRecipe,
  asvStandInBaseRecipe,
  ensureBaseImage,
} from '../base-image';
import { createDockerClient, probeEngine } from '../client';

/**
 * TEST-ONLY: the path of the asv stand-in (asv-shim.py) that Docker tests install as
 * /usr/local/bin/asv, because PyPI (and so asv) is unreachable on CI. Never used by production code.
 */
export const TEST_ONLY_ASV_SHIM_PATH = ASV_STAND_IN_PATH;

/** TEST-ONLY: the offline base recipe plus the asv stand-in at /usr/local/bin/asv (a last, small layer). */
export function testOnlyBaseRecipe(): DebootstrapRecipe {
  return asvStandInBaseRecipe();
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

let sharedBase: Promise<BaseImage> | undefined;

/** TEST-ONLY: the shared test base image (built once per engine, reused by every test and run). */
export function testOnlyBaseImage(docker: Docker): Promise<BaseImage> {
  sharedBase ??= ensureBaseImage(docker, testOnlyBaseRecipe());
  return sharedBase;
}
