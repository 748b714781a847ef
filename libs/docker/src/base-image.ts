import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerError } from '@datasmith/errors';
import type Docker from 'dockerode';
import { buildImage } from './build';
import type { ContextFile } from './context-tar';
import { imageId, removeImageQuietly } from './images';
import { followProgressStrict } from './progress';
import { runContainer } from './run';

/** Bump when the same recipe would now give a different image. */
export const BASE_RECIPE_VERSION = 'base-1';

/** The Debian packages of the offline base image (stack-notes §9): Python, venv, build tools, git, pytest. */
export const OFFLINE_BASE_PACKAGES: readonly string[] = [
  'python3',
  'python3-venv',
  'python3-pip',
  'python3-setuptools',
  'python3-wheel',
  'python3-numpy',
  'python3-pytest',
  'git',
  'build-essential',
  'ca-certificates',
];

/** asv from PyPI, pinned (online base images only). */
export const ONLINE_PIP_PACKAGES: readonly string[] = ['asv==0.6.4', 'virtualenv==20.26.6', 'pytest==8.3.3'];

/** A base image built locally: `debootstrap` a minimal Debian, import it, then apt-get the packages. */
export interface DebootstrapRecipe {
  kind: 'debootstrap';
  /** Debian suite. Default `bookworm`. */
  suite: string;
  /** debootstrap variant. Default `minbase`. */
  variant: string;
  /** Debian mirror; default: the `URIs:` of /etc/apt/sources.list.d/debian.sources. */
  mirror?: string;
  /** Debian packages installed on top. Default OFFLINE_BASE_PACKAGES. */
  packages: readonly string[];
  /** Extra Debian packages (configuration), installed after `packages`. */
  extraPackages?: readonly string[];
  /** Files added in a last layer, by absolute path in the image (e.g. a test-only tool). */
  files?: Record<string, ContextFile>;
}

/** A base image from a registry (online): a Python image per version, plus apt and pinned pip packages. */
export interface RegistryImageRecipe {
  kind: 'image';
  /** e.g. `python:3.12-slim`. */
  from: string;
  packages: readonly string[];
  extraPackages?: readonly string[];
  pipPackages: readonly string[];
  files?: Record<string, ContextFile>;
}

export type BaseImageRecipe = DebootstrapRecipe | RegistryImageRecipe;

/** The offline default: Debian bookworm (Python 3.11) with OFFLINE_BASE_PACKAGES. */
export function offlineBaseRecipe(overrides: Partial<Omit<DebootstrapRecipe, 'kind'>> = {}): DebootstrapRecipe {
  return { kind: 'debootstrap', suite: 'bookworm', variant: 'minbase', packages: OFFLINE_BASE_PACKAGES, ...overrides };
}

/**
 * The asv stand-in (`asv-stand-in/asv.py`, not asv): it implements only the asv subcommands validation
 * runs. For Docker tests and the offline demo, where PyPI (and so asv) cannot be reached.
 */
export const ASV_STAND_IN_PATH = fileURLToPath(new URL('./asv-stand-in/asv.py', import.meta.url));

/** The warning every result validated with the stand-in carries. */
export const ASV_STAND_IN_WARNING = 'validated with the bundled asv stand-in, not real asv (offline demo only)';

/** The offline recipe plus the asv stand-in at /usr/local/bin/asv (a last, small layer). */
export function asvStandInBaseRecipe(): DebootstrapRecipe {
  return offlineBaseRecipe({
    files: { '/usr/local/bin/asv': { content: readFileSync(ASV_STAND_IN_PATH), mode: 0o755 } },
  });
}

/** The online default for one Python version: `python:<version>-slim`, git and build tools, asv from PyPI (pinned). */
export function onlineBaseRecipe(
  pythonVersion: string,
  overrides: Partial<Omit<RegistryImageRecipe, 'kind'>> = {},
): RegistryImageRecipe {
  return {
    kind: 'image',
    from: `python:${pythonVersion}-slim`,
    packages: ['git', 'build-essential', 'ca-certificates'],
    pipPackages: ONLINE_PIP_PACKAGES,
    ...overrides,
  };
}

/** A ready base image. */
export interface BaseImage {
  ref: string;
  id: string;
  /** `major.minor` of `python3` in the image, measured. */
  pythonVersion: string;
  /** True when this call built (part of) it; false when every layer was reused. */
  built: boolean;
  durationMs: number;
}

function hashOf(value: unknown): string {
  return createHash('sha256')
    .update(
      JSON.stringify({ v: BASE_RECIPE_VERSION, value }, (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
      ),
    )
    .digest('hex')
    .slice(0, 12);
}

/** The Debian mirror this machine's apt uses (deb822 or one-line sources). */
export async function hostDebianMirror(): Promise<string> {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    try {
      const text = await readFile(file, 'utf8');
      const deb822 = /^URIs:\s*(\S+)/m.exec(text);
      if (deb822?.[1] && !deb822[1].includes('security')) return deb822[1];
      const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text);
      if (line?.[1]) return line[1];
    } catch {
      // next candidate
    }
  }
  return 'http://deb.debian.org/debian';
}

function runTool(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
    });
    child.on('error', (e) =>
      reject(
        new DockerError(`${cmd} could not start (${e.message}); run tools/scripts/ensure-docker to install it`, {
          cause: e,
        }),
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new DockerError(`${cmd} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`)),
    );
  });
}

async function importRootfs(docker: Docker, recipe: DebootstrapRecipe, ref: string, mirror: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'datasmith-rootfs-'));
  const rootfs = join(dir, 'rootfs');
  try {
    await runTool('debootstrap', [`--variant=${recipe.variant}`, recipe.suite, rootfs, mirror]);
    await rm(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    await rm(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Listen before anything else: tar may exit before the import finishes.
    const tarDone = new Promise<number | null>((resolve) => {
      tar.on('close', (code) => resolve(code));
      tar.on('error', () => resolve(-1));
    });
    const [repo, tag] = ref.split(':') as [string, string];
    const stream = await docker.importImage(tar.stdout, {
      repo,
      tag,
      changes: ['CMD ["/bin/bash"]', 'ENV LANG=C.UTF-8'],
    } as object);
    await followProgressStrict(docker, stream);
    const code = await tarDone;
    if (code !== 0) throw new DockerError(`tar of the rootfs failed (exit ${code})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function aptLayer(packages: readonly string[]): string {
  if (packages.length === 0) return '';
  return `RUN apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')} && rm -rf /var/lib/apt/lists/*\n`;
}

/** `major.minor` of `python3` in an image (runs a short container). */
export async function pythonVersionOf(docker: Docker, ref: string): Promise<string> {
  const result = await runContainer(
    docker,
    { image: ref, cmd: ['python3', '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], entrypoint: [] },
    { timeoutMs: 60_000 },
  );
  const version = result.stdout.trim();
  if (result.exitCode !== 0 || !/^\d+\.\d+$/.test(version)) {
    throw new DockerError(`Base image ${ref} has no working python3: ${result.stderr.trim().slice(-300)}`);
  }
  return version;
}

/** Options of ensureBaseImage. */
export interface EnsureBaseImageOptions {
  /** Repository part of the tags. Default `datasmith-base`. */
  repository?: string;
  /** Wall-clock limit of each build in ms. Default 30 min. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * The base image of a recipe, tagged `datasmith-base:<hash of the recipe>` and reused when present
 * (reference §16.10: a stable tag, not a per-process hash). Each stage (rootfs, packages, files) is
 * its own tagged image, so recipes that differ only in their last stage share the others.
 */
export async function ensureBaseImage(
  docker: Docker,
  recipe: BaseImageRecipe,
  options: EnsureBaseImageOptions = {},
): Promise<BaseImage> {
  const started = Date.now();
  const repository = options.repository ?? 'datasmith-base';
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  let built = false;
  let from: string;
  let packagesRecipe: unknown;
  if (recipe.kind === 'debootstrap') {
    const mirror = recipe.mirror ?? (await hostDebianMirror());
    const rootfsRef = `datasmith-rootfs:${hashOf({ suite: recipe.suite, variant: recipe.variant, mirror })}`;
    if (!(await imageId(docker, rootfsRef))) {
      log(`base image: debootstrap ${recipe.variant} ${recipe.suite} from ${mirror}`);
      await importRootfs(docker, recipe, rootfsRef, mirror);
      built = true;
    }
    from = rootfsRef;
    packagesRecipe = { rootfsRef, packages: recipe.packages, extra: recipe.extraPackages ?? [] };
  } else {
    from = recipe.from;
    packagesRecipe = { from, packages: recipe.packages, extra: recipe.extraPackages ?? [], pip: recipe.pipPackages };
  }
  const packagesRef = `${repository}:${hashOf(packagesRecipe)}`;
  if (!(await imageId(docker, packagesRef))) {
    log(`base image: building ${packagesRef}`);
    const pip =
      recipe.kind === 'image' && recipe.pipPackages.length > 0
        ? `RUN pip install --no-cache-dir ${recipe.pipPackages.join(' ')}\n`
        : '';
    await buildImage(docker, {
      tag: packagesRef,
      files: {
        Dockerfile: {
          content: `FROM ${from}\nENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1\n${aptLayer(recipe.packages)}${aptLayer(recipe.extraPackages ?? [])}${pip}`,
        },
      },
      labels: { 'datasmith.base': packagesRef },
      timeoutMs,
      onLine: (line) => log(`base image: ${line}`),
    });
    built = true;
  }
  let ref = packagesRef;
  const files = Object.entries(recipe.files ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (files.length > 0) {
    ref = `${repository}:${hashOf({ packagesRef, files })}`;
    if (!(await imageId(docker, ref))) {
      const context: Record<string, ContextFile> = {};
      let dockerfile = `FROM ${packagesRef}\n`;
      files.forEach(([path, file], i) => {
        context[`f${i}`] = file;
        dockerfile += `COPY f${i} ${path}\n`;
      });
      context.Dockerfile = { content: dockerfile };
      await buildImage(docker, { tag: ref, files: context, labels: { 'datasmith.base': ref }, timeoutMs });
      built = true;
    }
  }
  const id = (await imageId(docker, ref)) as string;
  return { ref, id, pythonVersion: await pythonVersionOf(docker, ref), built, durationMs: Date.now() - started };
}

/** Removes the tags of a recipe's images (for tests that measure a cold build). */
export async function removeBaseImage(docker: Docker, ref: string): Promise<void> {
  await removeImageQuietly(docker, ref, { force: true });
}
