// One Nx process for a whole update or demo: `node nx-session.cjs '<stages JSON>'` in the workspace root.
//
// Each stage is exactly the `nx run <project>:<target>` or `nx run-many -t … --month=…` its header
// names, run through Nx's own command code (task graph, hashing, cache lookup and restore, task
// runner, terminal output, exit status), but the project graph is built once instead of once per
// command: starting Nx and building the graph costs seconds, and a window of months is one command
// per month. A stage marked `refreshGraph` (scrape-repos writes the repository list the plugin reads)
// makes the next stage build the graph again. The first failing stage ends the session with Nx's
// exit status. Plain CommonJS, so that `node` runs it without a TypeScript loader; it loads Nx from
// the workspace (the `nx/src/*` entry points its package exports), like nx-plan.ts.
'use strict';
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');

/** `--month=2024-01`, … in key order. */
function overrideFlags(overrides) {
  return Object.entries(overrides ?? {}).map(([key, value]) => `--${key}=${value}`);
}

/** The Nx command line a stage runs (printed in its header; the same line in a shell runs the same tasks). */
function stageArgs(stage) {
  const flags = overrideFlags(stage.overrides);
  if (stage.command === 'run') {
    if (stage.projects?.length !== 1 || stage.targets.length !== 1)
      throw new Error(`stage ${stage.title}: nx run takes one project and one target`);
    return ['run', `${stage.projects[0]}:${stage.targets[0]}`, ...flags, '--output-style=static'];
  }
  return [
    'run-many',
    '-t',
    ...stage.targets,
    ...(stage.projects ? ['-p', stage.projects.join(',')] : []),
    ...flags,
    '--output-style=static',
    ...(stage.parallel ? [`--parallel=${stage.parallel}`] : []),
  ];
}

/** The header a stage prints before its Nx output. */
function stageHeader(stage) {
  return `\n=== ${stage.title}: nx ${stageArgs(stage).join(' ')}\n`;
}

/**
 * Runs the stages in order in this process; resolves with the exit status of the first failing stage
 * (and its title) or 0. `write` receives the session's own lines; Nx writes to the process's stdout.
 */
async function runStages(workspaceRoot, stages, write) {
  for (const stage of stages) stageArgs(stage); // refuse a malformed plan before running anything
  const nx = createRequire(join(workspaceRoot, 'package.json'));
  const { findWorkspaceRoot } = nx('nx/src/utils/find-workspace-root');
  const workspace = findWorkspaceRoot(workspaceRoot);
  if (!workspace) throw new Error(`${workspaceRoot} is not an Nx workspace`);
  // What nx's binary does before a command (bin/nx.js, bin/init-local.js).
  nx('nx/src/utils/dotenv').loadRootEnvFiles(workspace.dir);
  process.env.NX_CLI_SET = 'true';
  const { daemonClient } = nx('nx/src/daemon/client/client');
  if (!daemonClient.enabled()) nx('nx/src/utils/workspace-context').setupWorkspaceContext(workspace.dir);
  const { readNxJson } = nx('nx/src/config/configuration');
  const { createProjectGraphAsync } = nx('nx/src/project-graph/project-graph');
  const { splitArgsIntoNxArgsAndOverrides } = nx('nx/src/utils/command-line-utils');
  const { runCommand, selectTasksForProjects } = nx('nx/src/tasks-runner/run-command');
  const { projectsToRun } = nx('nx/src/command-line/run-many/run-many');
  const { output } = nx('nx/src/utils/output');

  let graph = null;
  for (const stage of stages) {
    write(stageHeader(stage));
    // Nx's run summary measures from the performance entries of this process: keep only this stage's.
    performance.clearMarks();
    performance.clearMeasures();
    const nxJson = readNxJson(workspace.dir);
    if (graph === null) {
      const started = Date.now();
      graph = await createProjectGraphAsync({ exitOnError: true });
      const projects = Object.keys(graph.nodes).length;
      write(
        `nx-session: project graph built (${projects} projects, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
      );
    }
    const one = stage.command === 'run';
    const { nxArgs, overrides } = splitArgsIntoNxArgsAndOverrides(
      {
        targets: [...stage.targets],
        ...(one ? {} : stage.projects ? { projects: [...stage.projects] } : { all: true }),
        outputStyle: 'static',
        ...(stage.parallel ? { parallel: String(stage.parallel) } : {}),
        __overrides_unparsed__: overrideFlags(stage.overrides),
      },
      one ? 'run-one' : 'run-many',
      { printWarnings: true },
      nxJson,
    );
    const projects = one ? [...stage.projects] : projectsToRun(nxArgs, graph).map((p) => p.name);
    for (const name of projects) {
      if (!graph.nodes[name]) throw new Error(`stage ${stage.title}: no project ${name} in the graph`);
    }
    const selection = selectTasksForProjects(graph, projects, nxArgs, overrides, {}, false);
    const status = await runCommand(
      selection,
      graph,
      { nxJson },
      nxArgs,
      overrides,
      one ? projects[0] : null,
      {},
      {
        excludeTaskDependencies: false,
        loadDotEnvFiles: process.env.NX_LOAD_DOT_ENV_FILES !== 'false',
      },
    );
    await output.drain();
    if (status !== 0) return { status: status ?? 1, failed: stage.title };
    if (stage.refreshGraph) graph = null;
  }
  return { status: 0, failed: null };
}

module.exports = { stageArgs, stageHeader, runStages };

if (require.main === module) {
  let stages;
  try {
    stages = JSON.parse(process.argv[2] ?? '');
  } catch {
    process.stderr.write('usage: node nx-session.cjs \'[{"title", "command", "targets", ...}, ...]\'\n');
    process.exit(2);
  }
  runStages(process.cwd(), stages, (text) => process.stdout.write(text)).then(
    ({ status, failed }) => {
      if (failed) process.stderr.write(`nx-session: ${failed} failed (nx exit ${status})\n`);
      process.exit(status);
    },
    (error) => {
      process.stderr.write(`nx-session: ${error?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
