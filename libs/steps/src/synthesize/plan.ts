import { imageId, isEngineUnreachableError } from '@datasmith/docker';
import { commitHeader } from '@datasmith/git';
import { chooseBase } from './bases';
import { type BuildContext, type RegistryEntry, contextHash } from './context';
import type { RepoFacts } from './facts';
import { choosePythonVersion } from './python-versions';
import { type BaseImageInfo, planContextByRules, rulesVariants } from './rules';
import { contextFromSimilar, similarCandidates } from './similar';
import type { Outcome, Task, TaskEnv, TaskRun } from './task';

export interface PlanInput {
  mirror: string;
  facts: RepoFacts;
  commitDate: Date;
}

/** The contexts a task tries in order, and the first rules context (the agent starts from it). */
export interface Plan {
  contexts: BuildContext[];
  rulesContext: BuildContext | null;
}

/**
 * Strategies `similar` then `rules`: validated contexts of other commits of the repository (nearest
 * commit date first, their base present), then the rules candidates (editable, regular, source) on
 * the base chosen for this commit. Sets the run's plan hash (the first context's).
 */
export async function planContexts(run: TaskRun, env: TaskEnv, input: PlanInput): Promise<Plan | Outcome> {
  const { facts, commitDate } = input;
  const task = run.task;
  const sha = task.sha as string;
  const requested = choosePythonVersion({
    asvPythons: facts.asv_pythons,
    requiresPython: facts.requires_python,
    commitDate,
  });
  let base: BaseImageInfo;
  try {
    base = await chooseBase(env.base, { facts, requested, commitDate, warnings: run.warnings });
  } catch (error) {
    if (isEngineUnreachableError(error)) throw error;
    return run.fail('base', 'base_build_failed', (error as Error).message);
  }
  const adjust = (c: BuildContext) => (env.adjustContext ? env.adjustContext(c) : c);
  const { options } = env;
  const rules = rulesVariants(facts)
    .slice(0, Math.max(1, options.maxAttempts ?? 3))
    .map((variant) =>
      adjust(
        planContextByRules(
          {
            owner: task.owner,
            repo: task.repo,
            sha,
            facts,
            commitDate,
            base,
            online: options.online ?? false,
            extraDebianPackages: options.extraDebianPackages,
          },
          variant,
        ),
      ),
    );
  const dates = await commitDatesOf(input.mirror, env.registry, task);
  const similar: BuildContext[] = [];
  for (const candidate of similarCandidates(
    env.registry,
    { owner: task.owner, repo: task.repo, sha, commitDate: Math.round(commitDate.getTime() / 1000) },
    (e) => e.commit_date ?? dates.get(e.context.sha) ?? 0,
    options.maxSimilarCandidates ?? 5,
  )) {
    if (!(await imageId(env.docker, candidate.entry.context.base_ref))) continue;
    similar.push(adjust(contextFromSimilar(candidate.entry.context, { sha, facts })));
  }
  const contexts = [...similar, ...rules];
  run.planHash = contextHash(contexts[0] as BuildContext);
  return { contexts, rulesContext: rules[0] ?? null };
}

/** Commit dates (unix seconds) of the registry's entries of this repository that do not record one. */
async function commitDatesOf(
  mirror: string,
  entries: Record<string, RegistryEntry>,
  task: Task,
): Promise<Map<string, number>> {
  const dates = new Map<string, number>();
  for (const e of Object.values(entries)) {
    if (e.context.owner !== task.owner || e.context.repo !== task.repo || e.commit_date !== undefined) continue;
    try {
      dates.set(
        e.context.sha,
        Math.round(Date.parse((await commitHeader(mirror, e.context.sha)).committerDate) / 1000),
      );
    } catch {
      // not in this mirror: it sorts as the oldest
    }
  }
  return dates;
}
