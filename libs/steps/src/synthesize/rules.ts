import { createHash } from 'node:crypto';
import { sanitizeNameComponent } from '@datasmith/docker';
import { type BuildContext, SYNTHESIZE_CODE_VERSION } from './context';
import type { RepoFacts } from './facts';
import { type DebianIndex, debianPackageFor, mapRequirements } from './debian';
import { choosePythonVersion } from './python-versions';
import { type InstallMode, commitDockerfile, dependencyDockerfile, installScript } from './templates';

/** The base image a context builds on. */
export interface BaseImageInfo {
  ref: string;
  id: string;
  pythonVersion: string;
  /** Debian packages already in the base image (left out of the dependency layer). */
  installedPackages?: readonly string[];
  /** The Debian release (codename) of the base, or the image name online. */
  release?: string | null;
  /** asv in the base image, measured. */
  asvVersion?: string | null;
  /** The release's package index and dh-python table (offline bases). */
  index?: DebianIndex | null;
}

export interface RulesInput {
  owner: string;
  repo: string;
  sha: string;
  facts: RepoFacts;
  /** Committer date of the base commit (not the merge: reference §16.7). */
  commitDate: Date;
  base: BaseImageInfo;
  /** Online: dependencies from PyPI; offline: Debian packages only. */
  online: boolean;
  /** Extra Debian packages for the dependency layer (configuration). */
  extraDebianPackages?: readonly string[];
  env?: Record<string, string>;
}

/**
 * The install variants the rules try, in order: editable, regular (meson-python 0.12 cannot do
 * editable installs), and for a pure-Python project the source folder on sys.path.
 */
export function rulesVariants(facts: RepoFacts): InstallMode[] {
  const installs: InstallMode[] = facts.build_system === 'meson' ? ['regular'] : ['editable', 'regular'];
  return facts.pure_python ? [...installs, 'source'] : installs;
}

/** Every requirement the task's environment needs: build, runtime, chosen extras, the benchmark suite's. */
export function declaredRequirements(facts: RepoFacts): string[] {
  return [
    ...facts.build_requires,
    ...facts.dependencies,
    ...facts.chosen_extras.flatMap((e) => facts.extras[e] ?? []),
    ...(facts.benchmark_requires ?? []),
    ...(facts.group_requires ?? []),
  ];
}

/**
 * The Debian packages for the declared requirements (offline, from the base's package index), the
 * source package whose build dependencies a compiled project needs, and the requirements no package
 * provides; adds a warning for each gap.
 */
function mapDebianDependencies(
  input: RulesInput,
  warnings: string[],
): { mapped: string[]; buildDepsOf: string | null; unavailable: string[] } {
  const { facts } = input;
  const own = [facts.project_name, facts.import_name].filter((x): x is string => Boolean(x));
  const index = input.base.index;
  if (!input.online && index) {
    const m = mapRequirements(declaredRequirements(facts), index, own);
    if (m.unmapped.length > 0) {
      warnings.push(`unmapped_dependency: no Debian package in ${index.release} for ${m.unmapped.join(', ')}`);
    }
    if (m.unsatisfied.length > 0) {
      warnings.push(
        `dependency_version: ${index.release} has ${m.unsatisfied.map((u) => `${u.package} ${u.version} for ${u.requirement}`).join(', ')}`,
      );
    }
    // A compiled project that Debian packages: its source package's build dependencies are the C
    // libraries and tools it compiles against (e.g. libgeos-dev), which no Python metadata declares.
    const ownPackage = own.map((n) => debianPackageFor(n, index)).find(Boolean) ?? null;
    return {
      mapped: m.packages,
      buildDepsOf: !facts.pure_python && ownPackage ? ownPackage : null,
      unavailable: m.unmapped,
    };
  }
  if (!input.online) {
    warnings.push('unmapped_dependency: the base image has no Debian package index; no requirement was mapped');
  }
  return { mapped: [], buildDepsOf: null, unavailable: [] };
}

/**
 * A build context from rules: the dependency layer (Debian packages for the declared build,
 * runtime and chosen-extra requirements, and a `--system-site-packages` venv), the commit layer and
 * the install script from templates, the requested and used Python versions, warnings.
 */
export function planContextByRules(input: RulesInput, variant: InstallMode): BuildContext {
  const { facts } = input;
  const warnings: string[] = [];
  const requested = choosePythonVersion({
    asvPythons: facts.asv_pythons,
    requiresPython: facts.requires_python,
    commitDate: input.commitDate,
  });
  const used = input.base.pythonVersion;
  if (requested !== used) {
    warnings.push(
      `python_version_mismatch: requested ${requested} (asv config and commit date), using ${used} of the ${input.online ? 'base' : 'offline Debian base'} image`,
    );
  }
  const extrasRequirements = facts.chosen_extras.flatMap((e) => facts.extras[e] ?? []);
  const { mapped, buildDepsOf, unavailable } = mapDebianDependencies(input, warnings);
  const installed = new Set(input.base.installedPackages ?? []);
  const debianPackages = [...new Set([...mapped, ...(input.extraDebianPackages ?? [])])]
    .filter((p) => !installed.has(p))
    .sort();
  const depsDockerfile = dependencyDockerfile({
    baseRef: input.base.ref,
    debianPackages,
    buildDepsOf,
    pipRequirements: input.online
      ? [...facts.dependencies, ...extrasRequirements, ...(facts.benchmark_requires ?? [])]
      : [],
    online: input.online,
    task: `${input.owner}/${input.repo}`,
  });
  const depsHash = createHash('sha256').update(`${input.base.id}\n${depsDockerfile}`).digest('hex').slice(0, 12);
  const depsRef = `${sanitizeNameComponent(input.owner)}-${sanitizeNameComponent(input.repo)}:env-${depsHash}`;
  const env = { ...input.env };
  return {
    owner: input.owner,
    repo: input.repo,
    sha: input.sha,
    strategy: 'rules',
    variant,
    base_ref: input.base.ref,
    base_id: input.base.id,
    online: input.online,
    python_requested: requested,
    python_used: used,
    base_release: input.base.release ?? null,
    asv_version: input.base.asvVersion ?? null,
    unavailable,
    deps_ref: depsRef,
    files: {
      'Dockerfile.deps': depsDockerfile,
      Dockerfile: commitDockerfile({ depsRef, env, task: `${input.owner}/${input.repo}`, sha: input.sha }),
      'docker_build_pkg.sh': installScript({
        owner: input.owner,
        repo: input.repo,
        sha: input.sha,
        facts,
        online: input.online,
        mode: variant,
      }),
    },
    env,
    facts,
    warnings,
    code_version: SYNTHESIZE_CODE_VERSION,
  };
}

/** Re-renders the commit Dockerfile after `env` was changed on a context. */
export function withEnv(context: BuildContext, env: Record<string, string>): BuildContext {
  return {
    ...context,
    env,
    files: {
      ...context.files,
      Dockerfile: commitDockerfile({
        depsRef: context.deps_ref,
        env,
        task: `${context.owner}/${context.repo}`,
        sha: context.sha,
      }),
    },
  };
}
