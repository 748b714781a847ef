import { type MonthWindow, pipelineStages, stepDefinition } from '@datasmith/paths';
import type { SessionStage } from './nx-session.cjs';

/**
 * The Nx commands of an update, in order: the steps before the months (`nx run`; scrape-repos writes
 * the repository list, so the project graph is built again after it), one `nx run-many` per month,
 * then the global steps. One Nx process runs them all (nx-session.cjs).
 */
export function updateStages(months: readonly MonthWindow[], parallel: number): SessionStage[] {
  return [
    ...pipelineStages().before.map(
      (step): SessionStage => ({
        title: step,
        command: 'run',
        targets: [step],
        projects: [stepDefinition(step).project as string],
        overrides: {},
        refreshGraph: true,
      }),
    ),
    ...months.map(
      (m): SessionStage => ({
        title: `month ${m.key}`,
        command: 'run-many',
        targets: [...pipelineStages().perMonth],
        overrides: { month: m.key },
        parallel,
      }),
    ),
    { title: 'global steps', command: 'run-many', targets: [...pipelineStages().after], overrides: {}, parallel },
  ];
}
