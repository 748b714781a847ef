import { createHash } from 'node:crypto';
import { sanitizeNameComponent } from '@datasmith/docker';
import { type BuildContext, SYNTHESIZE_CODE_VERSION } from './context';
import type { RepoFacts } from './facts';
import { choosePythonVersion } from './python-versions';
import {
  type InstallMode,
  commitDockerfile,
  debianPackagesFor,
  dependencyDockerfile,
  installScript,
} from './templates';

/** The base image a context builds on. */
export interface BaseImageInfo {
  ref: string;
  id: string;
  pythonVersion: string;
  /** Debian packages already in the base image (left out of the dependency layer). */
  installedPackages?: readonly string[];
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

/** The install variants the rules try, in order. meson-python 0.12 (Debian) cannot do editable installs. */
export function rulesVariants(facts: RepoFacts): InstallMode[] {
  return facts.build_system === 'meson' ? ['regular'] : ['editable', 'regular'];
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
  const requirements = [...facts.build_requires, ...facts.dependencies, ...extrasRequirements];
  const { packages, unmapped } = debianPackagesFor(requirements);
  const installed = new Set(input.base.installedPackages ?? []);
  const debianPackages = [...new Set([...(input.online ? [] : packages), ...(input.extraDebianPackages ?? [])])]
    .filter((p) => !installed.has(p))
    .sort();
  if (!input.online && unmapped.length > 0) {
    warnings.push(
      `unmapped_dependency: no Debian package for ${unmapped.join(', ')} (offline, they must already be in the base image)`,
    );
  }
  const depsDockerfile = dependencyDockerfile({
    baseRef: input.base.ref,
    debianPackages,
    pipRequirements: input.online ? [...facts.dependencies, ...extrasRequirements] : [],
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
