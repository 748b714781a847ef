import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerError } from '@datasmith/errors';
import type Docker from 'dockerode';
import { type AsvSource, asvInstallLayer, asvSourceIdentity } from './asv-source';
import { buildImage } from './build';
import type { ContextFile } from './context-tar';
import { imageId, removeImageQuietly } from './images';
import { followProgressStrict } from './progress';
import { runContainer } from './run';

/** Bump when the same recipe would now give a different image. */
export const BASE_RECIPE_VERSION = 'base-2';

/** The Debian releases an offline base can be built from, oldest first. */
export const DEBIAN_RELEASES = {
  bookworm: { version: '12', python: '3.11', released: '2023-06-10' },
  trixie: { version: '13', python: '3.13', released: '2025-08-09' },
} as const;
export type DebianRelease = keyof typeof DEBIAN_RELEASES;
export const DEBIAN_RELEASE_NAMES = Object.keys(DEBIAN_RELEASES) as DebianRelease[];

/**
 * The Debian packages of every offline base (stack-notes §9): Python with venv and headers, build
 * tools, git, pytest, dh-python (its PyPI → Debian name table), and what asv and asv_runner import.
 */
export const OFFLINE_BASE_PACKAGES: readonly string[] = [
  'python3',
  'python3-venv',
  'python3-pip',
  'python3-dev',
  'python3-setuptools',
  'python3-setuptools-scm',
  'python3-wheel',
  'python3-numpy',
  'python3-pytest',
  'python3-json5',
  'python3-tabulate',
  'python3-virtualenv',
  'python3-packaging',
  'python3-importlib-metadata',
  'python3-yaml',
  'dh-python',
  'git',
  'build-essential',
  'pkg-config',
  'ca-certificates',
];

/** Where a base keeps what the rules read: the release's package index (`name<TAB>version`) and its name. */
export const BASE_PACKAGE_INDEX = '/usr/share/datasmith/debian-packages.tsv';
export const BASE_RELEASE_FILE = '/usr/share/datasmith/release';
/** dh-python's PyPI distribution → Debian package table. */
export const DH_PYTHON_FALLBACK = '/usr/share/dh-python/dist/cpython3_fallback';

/** asv from PyPI, pinned (online base images). */
export const ONLINE_PIP_PACKAGES: readonly string[] = [
  'asv==0.6.4',
  'asv_runner==0.2.5',
  'virtualenv==20.26.6',
  'pytest==8.3.3',
];

/** A base image built locally: `debootstrap` a minimal Debian, import it, apt-get the packages, then asv. */
export interface DebootstrapRecipe {
  kind: 'debootstrap';
  /** Debian suite, e.g. `bookworm` or `trixie`. */
  suite: string;
  /** debootstrap variant. Default `minbase`. */
  variant: string;
  /** Debian mirror; default: the `URIs:` of /etc/apt/sources.list.d/debian.sources. */
  mirror?: string;
  /** Debian packages installed on top. Default OFFLINE_BASE_PACKAGES. */
  packages: readonly string[];
  /** Extra Debian packages (configuration), installed after `packages`. */
  extraPackages?: readonly string[];
  /** Where asv comes from. */
  asv: AsvSource;
  /** Files added in a last layer, by absolute path in the image (e.g. a test-only tool). */
  files?: Record<string, ContextFile>;
}

/** A base image from a registry (online): a Python image per version, plus apt packages and asv. */
export interface RegistryImageRecipe {
  kind: 'image';
  /** e.g. `python:3.12-slim`. */
  from: string;
  packages: readonly string[];
  extraPackages?: readonly string[];
  asv: AsvSource;
  files?: Record<string, ContextFile>;
}

export type BaseImageRecipe = DebootstrapRecipe | RegistryImageRecipe;

/** The offline recipe of one Debian release, with asv from `asv` (a folder or an index). */
export function offlineBaseRecipe(
  release: DebianRelease | string,
  asv: AsvSource,
  overrides: Partial<Omit<DebootstrapRecipe, 'kind' | 'asv'>> = {},
): DebootstrapRecipe {
  return {
    kind: 'debootstrap',
    suite: release,
    variant: 'minbase',
    packages: OFFLINE_BASE_PACKAGES,
    asv,
    ...overrides,
  };
}

/** The online default for one Python version: `python:<version>-slim`, git and build tools, asv from PyPI (pinned). */
export function onlineBaseRecipe(
  pythonVersion: string,
  overrides: Partial<Omit<RegistryImageRecipe, 'kind'>> = {},
): RegistryImageRecipe {
  return {
    kind: 'image',
    from: `python:${pythonVersion}-slim`,
    packages: ['git', 'build-essential', 'pkg-config', 'ca-certificates'],
    asv: { kind: 'pypi', requirements: ONLINE_PIP_PACKAGES },
    ...overrides,
  };
}

/** A ready base image. */
export interface BaseImage {
  ref: string;
  id: string;
  /** `major.minor` of `python3` in the image, measured. */
  pythonVersion: string;
  /** `asv --version` in the image, measured (e.g. `0.6.4`); null when the image has no asv. */
  asvVersion: string | null;
  /** The Debian release (codename) the image is built on, measured from /etc/os-release. */
  release: string | null;
  /** True when this call built (part of) it; false when every layer was reused. */
  built: boolean;
  durationMs: number;
}

function hashOf(value: unknown): string {
  if (value && typeof value === 'object' && 'asv' in value) {
    value = { ...(value as object), asv: asvSourceIdentity((value as { asv: AsvSource }).asv) };
  }
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

function aptLayer(packages: readonly string[], writeIndex = false): string {
  if (packages.length === 0) return '';
  // The index the rules map requirements against: every package of the release and its version.
  const index = writeIndex
    ? ` && mkdir -p /usr/share/datasmith && apt-cache dumpavail | awk '/^Package: /{p=$2} /^Version: /{print p "\\t" $2}' | sort -u > ${BASE_PACKAGE_INDEX} && (. /etc/os-release; echo "\${VERSION_CODENAME:-unknown}") > ${BASE_RELEASE_FILE}`
    : '';
  return `RUN apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}${index} && rm -rf /var/lib/apt/lists/*\n`;
}

/** What an image offers a task: its Python, asv and Debian release, measured in a short container. */
export interface ImageRuntime {
  pythonVersion: string;
  asvVersion: string | null;
  release: string | null;
}

const DESCRIBE = `python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])'
v=$(python3 -m asv --version 2>/dev/null | sed -n 's/^asv //p' | head -n 1); echo "$v"
(. /etc/os-release 2>/dev/null; echo "\${VERSION_CODENAME:-}")`;

/** Python, asv and release of an image (one container). */
export async function describeImage(docker: Docker, ref: string): Promise<ImageRuntime> {
  const result = await runContainer(
    docker,
    { image: ref, cmd: ['sh', '-c', DESCRIBE], entrypoint: [] },
    { timeoutMs: 60_000 },
  );
  const [python = '', asv = '', release = ''] = result.stdout.split('\n').map((l) => l.trim());
  if (!/^\d+\.\d+$/.test(python)) {
    throw new DockerError(`Base image ${ref} has no working python3: ${result.stderr.trim().slice(-300)}`);
  }
  return { pythonVersion: python, asvVersion: asv || null, release: release || null };
}

/** `major.minor` of `python3` in an image (runs a short container). */
export async function pythonVersionOf(docker: Docker, ref: string): Promise<string> {
  return (await describeImage(docker, ref)).pythonVersion;
}

/** Options of ensureBaseImage. */
export interface EnsureBaseImageOptions {
  /** Repository part of the tags. Default `datasmith-base`. */
  repository?: string;
  /** Wall-clock limit of each build in ms. Default 30 min. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** What every stage of a base image build shares. */
interface StageBuild {
  docker: Docker;
  repository: string;
  log: (line: string) => void;
  timeoutMs: number;
}

/** The image the packages stage starts from (a debootstrap rootfs, imported when missing, or the recipe's `from`) and what its tag hashes. */
async function ensureRootStage(
  build: StageBuild,
  recipe: BaseImageRecipe,
): Promise<{ from: string; packagesRecipe: unknown; built: boolean }> {
  if (recipe.kind !== 'debootstrap') {
    const from = recipe.from;
    return {
      from,
      packagesRecipe: { from, packages: recipe.packages, extra: recipe.extraPackages ?? [] },
      built: false,
    };
  }
  const mirror = recipe.mirror ?? (await hostDebianMirror());
  const rootfsRef = `datasmith-rootfs:${hashOf({ suite: recipe.suite, variant: recipe.variant, mirror })}`;
  let built = false;
  if (!(await imageId(build.docker, rootfsRef))) {
    build.log(`base image: debootstrap ${recipe.variant} ${recipe.suite} from ${mirror}`);
    await importRootfs(build.docker, recipe, rootfsRef, mirror);
    built = true;
  }
  return {
    from: rootfsRef,
    packagesRecipe: { rootfsRef, packages: recipe.packages, extra: recipe.extraPackages ?? [] },
    built,
  };
}

/** The packages stage: the recipe's Debian packages on top of `from`; returns whether it was built. */
async function ensurePackagesStage(
  build: StageBuild,
  recipe: BaseImageRecipe,
  from: string,
  packagesRef: string,
): Promise<boolean> {
  if (await imageId(build.docker, packagesRef)) return false;
  build.log(`base image: building ${packagesRef}`);
  await buildImage(build.docker, {
    tag: packagesRef,
    files: {
      Dockerfile: {
        content: `FROM ${from}\nENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1\n${aptLayer(recipe.packages, true)}${aptLayer(recipe.extraPackages ?? [])}`,
      },
    },
    labels: { 'datasmith.base': packagesRef },
    timeoutMs: build.timeoutMs,
    onLine: (line) => build.log(`base image: ${line}`),
  });
  return true;
}

/** The asv stage: asv installed on the packages stage; returns whether it was built. */
async function ensureAsvStage(
  build: StageBuild,
  recipe: BaseImageRecipe,
  packagesRef: string,
  asvRef: string,
): Promise<boolean> {
  if (await imageId(build.docker, asvRef)) return false;
  build.log(`base image: installing asv into ${asvRef}`);
  const layer = asvInstallLayer(recipe.asv);
  try {
    await buildImage(build.docker, {
      tag: asvRef,
      files: { ...layer.files, Dockerfile: { content: `FROM ${packagesRef}\n${layer.dockerfile}` } },
      labels: { 'datasmith.base': asvRef },
      timeoutMs: build.timeoutMs,
      onLine: (line) => build.log(`base image: ${line}`),
    });
  } catch (error) {
    const tail = (error as { logTail?: string }).logTail ?? '';
    throw new DockerError(
      `asv could not be installed on ${recipe.kind === 'debootstrap' ? recipe.suite : recipe.from}: ${(error as Error).message}${tail ? ` | ${tail.trim().split('\n').slice(-4).join(' | ')}` : ''}`,
      { cause: error },
    );
  }
  return true;
}

/** The files stage, when the recipe has files: them copied onto the asv stage. Returns the final ref and whether it was built. */
async function ensureFilesStage(
  build: StageBuild,
  recipe: BaseImageRecipe,
  asvRef: string,
): Promise<{ ref: string; built: boolean }> {
  const files = Object.entries(recipe.files ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (files.length === 0) return { ref: asvRef, built: false };
  const ref = `${build.repository}:${hashOf({ asvRef, files })}`;
  if (await imageId(build.docker, ref)) return { ref, built: false };
  const context: Record<string, ContextFile> = {};
  let dockerfile = `FROM ${asvRef}\n`;
  files.forEach(([path, file], i) => {
    context[`f${i}`] = file;
    dockerfile += `COPY f${i} ${path}\n`;
  });
  context.Dockerfile = { content: dockerfile };
  await buildImage(build.docker, {
    tag: ref,
    files: context,
    labels: { 'datasmith.base': ref },
    timeoutMs: build.timeoutMs,
  });
  return { ref, built: true };
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
  const build: StageBuild = {
    docker,
    repository: options.repository ?? 'datasmith-base',
    log: options.log ?? (() => {}),
    timeoutMs: options.timeoutMs ?? 30 * 60_000,
  };
  const root = await ensureRootStage(build, recipe);
  const packagesRef = `${build.repository}:${hashOf(root.packagesRecipe)}`;
  const packagesBuilt = await ensurePackagesStage(build, recipe, root.from, packagesRef);
  const asvRef = `${build.repository}:${hashOf({ packagesRef, asv: recipe.asv })}`;
  const asvBuilt = await ensureAsvStage(build, recipe, packagesRef, asvRef);
  const last = await ensureFilesStage(build, recipe, asvRef);
  const built = root.built || packagesBuilt || asvBuilt || last.built;
  const { ref } = last;
  const id = (await imageId(docker, ref)) as string;
  return { ref, id, ...(await describeImage(docker, ref)), built, durationMs: Date.now() - started };
}

/** Removes the tags of a recipe's images (for tests that measure a cold build). */
export async function removeBaseImage(docker: Docker, ref: string): Promise<void> {
  await removeImageQuietly(docker, ref, { force: true });
}
