import { DIFF_ARGS, runGit } from '@datasmith/git';
import type { RegistryEntry } from '../synthesize/context';
import { VERIFY_WORK } from './asv-scripts';
import type { MeasuringSession } from './measuring-session';
import { type ChangeTargets, changeTargets, parsePatchFiles } from './select';
import { TaskFailure } from './task-failure';

/** A task's gold patch and what it touches. */
export interface GoldPatch {
  patch: Buffer;
  changedFiles: string[];
  targets: ChangeTargets;
}

/**
 * The gold patch (`git diff baseSha sha`) from the offline mirror, never from a network, with the
 * functions, classes and modules it changes (read from the Python and Cython sources at the base).
 */
export async function readGoldPatch(
  mirror: string,
  baseSha: string,
  sha: string,
  facts: RegistryEntry['context']['facts'],
): Promise<GoldPatch | TaskFailure> {
  let patch: Buffer;
  try {
    patch = await runGit(mirror, ['diff', ...DIFF_ARGS, '--binary', baseSha, sha]);
  } catch (error) {
    return new TaskFailure('patch_unavailable', `git diff ${baseSha}..${sha}: ${(error as Error).message}`);
  }
  if (patch.length === 0) return new TaskFailure('patch_unavailable', 'the gold patch is empty');
  const files = parsePatchFiles(patch.toString('utf8'));
  const sources: Record<string, string> = {};
  for (const f of files) {
    // Python and Cython: their definitions enclose the changed lines.
    if (!/\.(py|pyx|pxd)$/.test(f.path)) continue;
    try {
      sources[f.path] = (await runGit(mirror, ['show', `${baseSha}:${f.path}`])).toString('utf8');
    } catch {
      // A file the patch adds has no base version.
    }
  }
  const importRoot = facts.import_root === '.' ? facts.package_root : facts.import_root;
  const targets = changeTargets(files, sources, {
    benchmarkDir: facts.benchmark_dir,
    importRoot,
    importName: facts.import_name,
  });
  return { patch, changedFiles: files.map((f) => f.path), targets };
}

/** Why switching the container's repository to a side failed. */
export type SwitchProblem = 'patch_failed' | 'rebuild_failed';

/**
 * The gold patch inside the measuring container: checked, applied and reverted there, with the
 * project rebuilt after each switch when it has to be.
 */
export class ContainerPatch {
  private patched = false;
  /** Time spent rebuilding the project so far, ms. */
  rebuildMs = 0;

  private constructor(
    private readonly session: MeasuringSession,
    private readonly rebuild: boolean,
    private readonly rebuildTimeoutMs: number,
  ) {}

  /** Puts the patch in the container through the engine's archive API (the container has no network). */
  static async upload(
    session: MeasuringSession,
    patch: Buffer,
    rebuild: boolean,
    rebuildTimeoutMs: number,
  ): Promise<ContainerPatch> {
    await session.container.putFile(`${VERIFY_WORK}/gold.patch`, patch);
    return new ContainerPatch(session, rebuild, rebuildTimeoutMs);
  }

  /** Does the patch apply at the base? (`git apply --check`, before any time goes into benchmarks.) */
  async appliesAtBase(): Promise<boolean> {
    const check = await this.session.run(
      'git apply --check',
      `git -c safe.directory='*' apply --check --whitespace=nowarn ${VERIFY_WORK}/gold.patch`,
    );
    return check.exitCode === 0;
  }

  /** Applies (`true`) or reverts (`false`) the patch unless already so, then rebuilds when needed. */
  async switchTo(want: boolean): Promise<SwitchProblem | null> {
    if (this.patched === want) return null;
    const apply = await this.session.run(
      want ? 'git apply' : 'git apply -R',
      `git -c safe.directory='*' apply ${want ? '' : '-R '}--whitespace=nowarn ${VERIFY_WORK}/gold.patch`,
    );
    if (apply.exitCode !== 0) return 'patch_failed';
    this.patched = want;
    if (this.rebuild) {
      const build = await this.session.run('rebuild', 'bash /datasmith/docker_build_pkg.sh', this.rebuildTimeoutMs);
      this.rebuildMs += build.durationMs;
      if (build.exitCode !== 0) return 'rebuild_failed';
    }
    return null;
  }
}
