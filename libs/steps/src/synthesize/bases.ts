import {
  type AsvSource,
  BASE_PACKAGE_INDEX,
  type BaseImageRecipe,
  DEBIAN_RELEASES,
  DEBIAN_RELEASE_NAMES,
  DH_PYTHON_FALLBACK,
  type DebianRelease,
  describeImage,
  ensureBaseImage,
  imageId,
  offlineBaseRecipe,
  runContainer,
} from '@datasmith/docker';
import type { Logger } from '@datasmith/progress';
import type Docker from 'dockerode';
import { type DebianIndex, chooseRelease, parseDhPythonFallback, parsePackageIndex } from './debian';
import type { RepoFacts } from './facts';
import { type BaseImageInfo, declaredRequirements } from './rules';

/** The base image: a recipe built (and reused) locally, or an existing image reference. */
export type BaseImageChoice = { recipe: BaseImageRecipe } | { ref: string };

/** How a task finds its base: one per Debian release (chosen per task), or one per Python version / a fixed one. */
export type BaseSelector =
  | {
      kind: 'releases';
      releases: readonly DebianRelease[];
      resolve: (release: DebianRelease) => Promise<BaseImageInfo>;
    }
  | { kind: 'single'; resolve: (pythonVersion: string) => Promise<BaseImageInfo> };

/**
 * The bases of one run, each resolved (built or found) once: one offline base per Debian release of
 * `releases` (asv from `asvSource`), or the given choice per requested Python version.
 */
export function createBaseSelector(
  docker: Docker,
  log: Logger,
  options: {
    base?: BaseImageChoice | ((pythonVersion: string) => BaseImageChoice);
    asvSource?: AsvSource;
    releases?: readonly DebianRelease[];
  },
): BaseSelector {
  const bases = new Map<string, Promise<BaseImageInfo>>();
  const resolveOnce = (choice: BaseImageChoice, release: string | null) => {
    const key = 'ref' in choice ? `ref:${choice.ref}` : `recipe:${JSON.stringify(choice.recipe)}`;
    let promise = bases.get(key);
    if (!promise) {
      promise = resolveBase(docker, choice, log, release);
      bases.set(key, promise);
    }
    return promise;
  };
  const { base } = options;
  if (base === undefined) {
    return {
      kind: 'releases',
      releases: options.releases ?? DEBIAN_RELEASE_NAMES,
      resolve: (release) =>
        resolveOnce({ recipe: offlineBaseRecipe(release, options.asvSource as AsvSource) }, release),
    };
  }
  return {
    kind: 'single',
    resolve: (pythonVersion) => resolveOnce(typeof base === 'function' ? base(pythonVersion) : base, null),
  };
}

const SECTION = '===DATASMITH-SECTION===';

/** What the rules read from a base: installed packages, the release's package index, dh-python's table. */
async function readBaseIndex(
  docker: Docker,
  ref: string,
): Promise<{ installed: string[]; index: string; fallback: string }> {
  const listing = await runContainer(
    docker,
    {
      image: ref,
      entrypoint: [],
      cmd: [
        'sh',
        '-c',
        `dpkg-query -W 2>/dev/null | cut -f1 | cut -d: -f1; echo ${SECTION}; cat ${BASE_PACKAGE_INDEX} 2>/dev/null; echo ${SECTION}; cat ${DH_PYTHON_FALLBACK} 2>/dev/null; true`,
      ],
    },
    { timeoutMs: 120_000, outputCap: 20_000_000 },
  );
  const [installed = '', index = '', fallback = ''] = listing.stdout.split(`${SECTION}\n`);
  return { installed: installed.split('\n').filter(Boolean).sort(), index, fallback };
}

/** Resolves the base image choice: an existing reference, or a recipe built and reused by its hash. */
export async function resolveBase(
  docker: Docker,
  choice: BaseImageChoice,
  log: Logger,
  release: string | null = null,
): Promise<BaseImageInfo> {
  let info: Omit<BaseImageInfo, 'installedPackages' | 'index'>;
  if ('ref' in choice) {
    const id = await imageId(docker, choice.ref);
    if (!id) throw new Error(`base image ${choice.ref} is not in the engine`);
    const runtime = await describeImage(docker, choice.ref);
    info = { ref: choice.ref, id, ...runtime };
  } else {
    const started = Date.now();
    const built = await ensureBaseImage(docker, choice.recipe, { log: (line) => log.debug(line) });
    if (built.built)
      log.info(
        `synthesize: base image ${built.ref}${release ? ` (${release})` : ''} built in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    info = {
      ref: built.ref,
      id: built.id,
      pythonVersion: built.pythonVersion,
      asvVersion: built.asvVersion,
      release: built.release,
    };
  }
  const read = await readBaseIndex(docker, info.ref);
  const versions = parsePackageIndex(read.index);
  const index: DebianIndex | null =
    versions.size > 0
      ? {
          release: info.release ?? release ?? 'unknown',
          pythonVersion: info.pythonVersion,
          versions,
          fallback: parseDhPythonFallback(read.fallback),
        }
      : null;
  return { ...info, release: info.release ?? release, installedPackages: read.installed, index };
}

/**
 * The base of a task. With one base per Debian release, every release's base is resolved (built once
 * per engine) and the release whose Python and package versions fit the commit wins (chooseRelease);
 * the choice and its penalties are noted in the warnings.
 */
export async function chooseBase(
  selector: BaseSelector,
  input: { facts: RepoFacts; requested: string; commitDate: Date; warnings: string[] },
): Promise<BaseImageInfo> {
  if (selector.kind === 'single') return selector.resolve(input.requested);
  const infos = await Promise.all(selector.releases.map((r) => selector.resolve(r).then((info) => ({ r, info }))));
  const candidates = infos.flatMap(({ r, info }) =>
    info.index ? [{ release: r as string, released: DEBIAN_RELEASES[r].released, index: info.index }] : [],
  );
  if (candidates.length === 0) return (infos[0] as { info: BaseImageInfo }).info;
  const { facts } = input;
  const choice = chooseRelease(candidates, {
    requiresPython: facts.requires_python,
    asvPythons: facts.asv_pythons,
    requirements: declaredRequirements(facts),
    commitDate: input.commitDate,
    exclude: [facts.project_name, facts.import_name].filter((x): x is string => Boolean(x)),
  });
  if (candidates.length > 1) {
    input.warnings.push(
      `base_release: ${choice.release} (penalties: ${choice.scores.map((s) => `${s.release} ${s.penalty}${s.notes.length ? ` [${s.notes.join('; ')}]` : ''}`).join(', ')})`,
    );
  }
  return (infos.find(({ r }) => r === choice.release) as { info: BaseImageInfo }).info;
}
