import { spawnSync } from 'node:child_process';
import { BuildError, buildImage, imageId, isEngineUnreachableError, removeUntaggedImages } from '@datasmith/docker';
import type { SynthesisReason, SynthesisStage } from '@datasmith/tables';
import type Docker from 'dockerode';
import type { BuildContext } from './context';
import { installScriptProblem } from './templates';

export interface BuildTaskOptions {
  /** Wall clock of each docker build in ms. Default 40 min. */
  buildTimeoutMs?: number;
  /** Network of the dependency build (apt-get, pip). Default `bridge`. */
  depsNetwork?: string;
  /** Network of the commit build: `none` offline (nothing to download), `bridge` online. */
  commitNetwork?: string;
  tailChars?: number;
  log?: (line: string) => void;
}

/** A built commit image. */
export interface TaskImageBuild {
  tag: string;
  imageId: string;
  depsId: string;
  depsBuilt: boolean;
  /** Time of the dependency build in ms (0 when reused). */
  depsMs: number;
  /** Time of the commit build in ms. */
  commitMs: number;
  logTail: string;
}

/** A build that failed, with its stage and reason code. */
export class TaskBuildFailure extends Error {
  constructor(
    readonly stage: SynthesisStage,
    readonly reason: SynthesisReason,
    message: string,
    readonly logTail: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'TaskBuildFailure';
  }
}

/** Rejects an empty, fenced or syntactically broken install script before any build. */
export function checkInstallScript(script: string): string | null {
  const problem = installScriptProblem(script);
  if (problem) return problem;
  const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  if (syntax.status !== 0)
    return `the install script is not valid bash: ${(syntax.stderr ?? '').trim().split('\n')[0]}`;
  return null;
}

/**
 * Builds a task's layered image: the dependency layer (`deps_ref`, reused when present, so commits of
 * one repository share it and the base) and then the commit layer, tagged `tag`. A failed build's
 * untagged step images are removed.
 */
export async function buildTaskImage(
  docker: Docker,
  context: BuildContext,
  repoDir: string,
  tag: string,
  options: BuildTaskOptions = {},
): Promise<TaskImageBuild> {
  const script = context.files['docker_build_pkg.sh'] ?? '';
  const problem = checkInstallScript(script);
  if (problem) throw new TaskBuildFailure('build', 'install_script_invalid', problem, '');
  const timeoutMs = options.buildTimeoutMs ?? 40 * 60_000;
  const tailChars = options.tailChars ?? 8000;
  let depsId = await imageId(docker, context.deps_ref);
  let depsBuilt = false;
  let depsMs = 0;
  if (!depsId) {
    try {
      const deps = await buildImage(docker, {
        tag: context.deps_ref,
        files: { Dockerfile: { content: context.files['Dockerfile.deps'] ?? '' } },
        networkmode: options.depsNetwork ?? 'bridge',
        timeoutMs,
        tailChars,
        onLine: options.log,
      });
      depsId = deps.imageId;
      depsBuilt = true;
      depsMs = deps.durationMs;
    } catch (error) {
      if (isEngineUnreachableError(error)) throw error;
      const e = error as BuildError;
      if (e instanceof BuildError) await removeUntaggedImages(docker, e.stepImageIds);
      throw new TaskBuildFailure(
        'deps',
        e instanceof BuildError && e.timedOut ? 'build_timeout' : 'deps_build_failed',
        e.message,
        e instanceof BuildError ? e.logTail : '',
        e instanceof BuildError && e.timedOut,
      );
    }
  }
  try {
    const built = await buildImage(docker, {
      tag,
      files: {
        Dockerfile: { content: context.files.Dockerfile ?? '' },
        'docker_build_pkg.sh': { content: script, mode: 0o755 },
      },
      directories: [{ prefix: 'repo', dir: repoDir }],
      networkmode: options.commitNetwork ?? (context.online ? 'bridge' : 'none'),
      timeoutMs,
      tailChars,
      onLine: options.log,
    });
    return {
      tag,
      imageId: built.imageId,
      depsId,
      depsBuilt,
      depsMs,
      commitMs: built.durationMs,
      logTail: built.logTail,
    };
  } catch (error) {
    if (isEngineUnreachableError(error)) throw error;
    const e = error as BuildError;
    if (e instanceof BuildError) await removeUntaggedImages(docker, e.stepImageIds);
    throw new TaskBuildFailure(
      'build',
      e instanceof BuildError && e.timedOut ? 'build_timeout' : 'install_failed',
      e.message,
      e instanceof BuildError ? e.logTail : '',
      e instanceof BuildError && e.timedOut,
    );
  }
}
