import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PIPELINE, type PipelineStep, stepDefinition } from '@datasmith/paths';

/** What `update --dry-run` knows of one task before running anything. */
export interface PlannedTask {
  id: string;
  /**
   * `cached`: its hash is in Nx's cache, so it would be restored, not run; `run`: it would run;
   * `after-upstream`: it reads the outputs of a task that would run, so it runs unless that task's
   * new outputs turn out identical to the old ones.
   */
  status: 'cached' | 'run' | 'after-upstream';
}

/**
 * The tasks an `nx run-many -t <targets>` would run in this workspace, each with its cache status,
 * computed the way Nx does before running: project graph, task graph, task hashes, local cache lookup.
 * Nx has no public dry-run for run-many, so this loads Nx's own modules from the workspace (the
 * `nx/src/*` entry points its package exports); the environment is that of this process.
 */
export async function planNxTasks(
  workspaceRoot: string,
  targets: readonly string[],
  overrides: Record<string, string>,
  projectNames?: readonly string[],
): Promise<PlannedTask[]> {
  const require = createRequire(join(workspaceRoot, 'package.json'));
  const { createProjectGraphAsync } = require('nx/src/project-graph/project-graph');
  const { readNxJson } = require('nx/src/config/configuration');
  const { createTaskGraph } = require('nx/src/tasks-runner/create-task-graph');
  const { createTaskHasher } = require('nx/src/hasher/create-task-hasher');
  const { hashTasks, getTaskDetails } = require('nx/src/hasher/hash-task');
  const { getCache } = require('nx/src/tasks-runner/cache');

  const graph = await createProjectGraphAsync({ exitOnError: false });
  const projects = (projectNames ?? Object.keys(graph.nodes)).filter((name) =>
    targets.some((t) => graph.nodes[name]?.data?.targets?.[t]),
  );
  if (projects.length === 0) return [];
  const taskGraph = createTaskGraph(graph, {}, projects, [...targets], undefined, overrides);
  type NxTask = { id: string; hash?: string };
  const tasks = Object.values(taskGraph.tasks) as NxTask[];
  const hasher = createTaskHasher(graph, readNxJson(workspaceRoot), {});
  const envs = Object.fromEntries(tasks.map((t) => [t.id, process.env]));
  await hashTasks(hasher, graph, taskGraph, envs, getTaskDetails(), tasks);
  const cache = getCache({});

  const status = new Map<string, PlannedTask['status']>();
  const deps = taskGraph.dependencies as Record<string, string[]>;
  const visit = async (task: NxTask): Promise<PlannedTask['status']> => {
    const known = status.get(task.id);
    if (known) return known;
    let upstreamRuns = false;
    for (const dep of deps[task.id] ?? []) {
      const upstream = (taskGraph.tasks as Record<string, NxTask>)[dep];
      if (upstream && (await visit(upstream)) !== 'cached') upstreamRuns = true;
    }
    const hit = task.hash ? await cache.get(task) : null;
    const result: PlannedTask['status'] = upstreamRuns ? 'after-upstream' : hit ? 'cached' : 'run';
    status.set(task.id, result);
    return result;
  };
  for (const task of tasks) await visit(task);
  return tasks.map((t) => ({ id: t.id, status: status.get(t.id) ?? 'run' })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Marks what one Nx command cannot see: a cached task of a global step that reads a table written by
 * a step with a task that would run (or follows one) in an earlier command of the plan runs after it
 * too (merge reads every month's perf and verified tables; dataset reads merge's master). `pending`
 * holds the steps with such tasks so far and grows with this command's; tasks come in PIPELINE order
 * within the command, so a global step that reads another global step of the same command is marked too.
 */
export function markAfterEarlierStages(tasks: readonly PlannedTask[], pending: Set<PipelineStep>): PlannedTask[] {
  const stepOf = (task: PlannedTask) => task.id.split(':')[1] as PipelineStep;
  const order = (task: PlannedTask) => PIPELINE.findIndex((s) => s.name === stepOf(task));
  const marked = new Map<string, PlannedTask['status']>();
  for (const task of [...tasks].sort((a, b) => order(a) - order(b))) {
    const definition = stepDefinition(stepOf(task));
    const readsPending = definition.partition === 'global' && definition.reads.some((table) => pending.has(table.step));
    const status = task.status === 'cached' && readsPending ? 'after-upstream' : task.status;
    marked.set(task.id, status);
    if (status !== 'cached') pending.add(definition.name);
  }
  return tasks.map((task) => ({ id: task.id, status: marked.get(task.id) ?? task.status }));
}
