import { createHash } from 'node:crypto';
import type { BuildContext, LegacyContext, RegistryEntry } from './context';
import { SYNTHESIZE_CODE_VERSION } from './context';
import type { RepoFacts } from './facts';
import { commitDockerfile } from './templates';

/** A validated context of another commit of the same repository, and how far its commit date is. */
export interface SimilarCandidate {
  entry: RegistryEntry;
  /** |commit date of the task − commit date of the candidate|, seconds. */
  distance: number;
}

/**
 * The validated contexts of other commits of the same repository, nearest commit date first (ties by
 * sha), at most `max` (reference §7.8 `get_similar`; the original's default is 5). Entries written by
 * another code version are left out: their files would not build the same way.
 */
export function similarCandidates(
  entries: Record<string, RegistryEntry>,
  task: { owner: string; repo: string; sha: string; commitDate: number },
  dateOf: (entry: RegistryEntry) => number,
  max: number,
): SimilarCandidate[] {
  const out: SimilarCandidate[] = [];
  for (const entry of Object.values(entries)) {
    const c = entry.context;
    if (c.owner !== task.owner || c.repo !== task.repo || c.sha === task.sha) continue;
    if (entry.status !== 'validated' || c.code_version !== SYNTHESIZE_CODE_VERSION) continue;
    if (!c.files['docker_build_pkg.sh']) continue;
    out.push({ entry, distance: Math.abs(task.commitDate - dateOf(entry)) });
  }
  out.sort((a, b) =>
    a.distance !== b.distance ? a.distance - b.distance : a.entry.context.sha < b.entry.context.sha ? -1 : 1,
  );
  return out.slice(0, Math.max(0, max));
}

/**
 * A candidate's context moved to another commit: its base, dependency layer (so the layer is shared
 * and usually already built), environment and install script; the commit layer and the facts that
 * validation reads are the task's own.
 */
export function contextFromSimilar(candidate: BuildContext, task: { sha: string; facts: RepoFacts }): BuildContext {
  return {
    ...candidate,
    sha: task.sha,
    strategy: 'similar',
    variant: `similar:${candidate.sha.slice(0, 12)}`,
    facts: task.facts,
    files: {
      ...candidate.files,
      Dockerfile: commitDockerfile({
        depsRef: candidate.deps_ref,
        env: candidate.env,
        task: `${candidate.owner}/${candidate.repo}`,
        sha: task.sha,
      }),
    },
    warnings: [
      ...candidate.warnings.filter((w) => !w.startsWith('reused_context:')),
      `reused_context: ${candidate.sha}`,
    ],
  };
}

/** The imported (original) context of the same repository nearest in commit date: a hint for the agent. */
export function nearestLegacyContext(
  contexts: Record<string, LegacyContext> | undefined,
  task: { owner: string; repo: string; commitDate: number },
): LegacyContext | null {
  let best: LegacyContext | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of Object.values(contexts ?? {})) {
    if (c.task.owner !== task.owner || c.task.repo !== task.repo) continue;
    if (typeof c.context.building_data !== 'string' || !c.context.building_data.trim()) continue;
    // A repository-level context (no sha) is the fallback: it counts as the farthest.
    const distance = c.task.sha ? Math.abs(task.commitDate - c.task.commit_date) : Number.MAX_SAFE_INTEGER;
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * `--limit-per-repo N`: N tasks per repository, chosen by a seeded hash of the sha, so the same input
 * always keeps the same tasks (the original sampled at random). Negative keeps every task.
 */
export function limitPerRepo<T extends { repoName: string; sha: string | null; landedSha: string }>(
  tasks: readonly T[],
  limit: number,
  seed = 'datasmith',
): T[] {
  if (limit < 0) return [...tasks];
  const rank = (t: T) =>
    createHash('sha256')
      .update(`${seed}\n${t.sha ?? t.landedSha}`)
      .digest('hex');
  const keep = new Set<T>();
  const byRepo = new Map<string, T[]>();
  for (const t of tasks) byRepo.set(t.repoName, [...(byRepo.get(t.repoName) ?? []), t]);
  for (const group of byRepo.values()) {
    for (const t of [...group].sort((a, b) => (rank(a) < rank(b) ? -1 : 1)).slice(0, limit)) keep.add(t);
  }
  return tasks.filter((t) => keep.has(t));
}
