import { ProbeContainer, buildImage, imageId, packContext, tailOf, taskContainerName } from '@datasmith/docker';
import type Docker from 'dockerode';
import {
  type AgentAttempt,
  type AgentTask,
  type AgentTools,
  DEFAULT_AGENT_TOOL_LIMITS,
  containerTools,
  runAgentAttempt,
} from './agent';
import { type AttemptScope, tryContext } from './attempt';
import type { BuildContext } from './context';
import type { RepoFacts } from './facts';
import { nearestLegacyContext } from './similar';
import type { SynthesizeOptions } from './synthesize';
import { type Failure, type Outcome, worthIterating } from './task';

/** What the agent is told for one attempt: the task, the current script, why it failed, and the original's nearest script. */
function agentTask(
  scope: AttemptScope,
  input: { facts: RepoFacts; commitDate: Date },
  previousScript: string,
  failure: Failure | null,
  legacy: ReturnType<typeof nearestLegacyContext>,
): AgentTask {
  const { run } = scope;
  return {
    owner: run.task.owner,
    repo: run.task.repo,
    sha: run.sha,
    commitDate: input.commitDate,
    facts: input.facts,
    previousScript,
    failure: failure
      ? `${failure.stage} failed (${failure.reason}, rc=${failure.rc}): ${tailOf(failure.message, 4000)}\n${tailOf(failure.logTail, 4000)}`
      : null,
    legacyHint: typeof legacy?.context.building_data === 'string' ? legacy.context.building_data : null,
  };
}

/** The failure of an attempt whose script was missing or invalid (never built). */
function invalidProposalFailure(proposal: AgentAttempt, n: number): Failure {
  return {
    stage: 'build',
    reason: proposal.script === null ? 'agent_no_script' : 'install_script_invalid',
    message: `agent attempt ${n}: ${proposal.problem}`,
    rc: 1,
    logTail: proposal.transcript,
  };
}

/**
 * Strategy `agent` (after the rules failed): up to `maxAttempts` install scripts proposed by the LLM
 * build agent, each told the previous failure and exploring the task's dependency image in a
 * container of its own, then built and validated like any context.
 */
export async function runAgentAttempts(
  scope: AttemptScope,
  base: BuildContext,
  input: { facts: RepoFacts; commitDate: Date; failure: Failure | null },
): Promise<{ outcome: Outcome } | { failure: Failure | null; stopped: boolean }> {
  const { env, run } = scope;
  const agent = env.agent;
  let failure = input.failure;
  if (!agent) return { failure, stopped: false };
  let previousScript = base.files['docker_build_pkg.sh'] ?? '';
  const legacy = nearestLegacyContext(env.legacy, {
    owner: run.task.owner,
    repo: run.task.repo,
    commitDate: scope.commitUnix,
  });
  let agentTools: { probe: ProbeContainer; tools: AgentTools } | null = null;
  try {
    for (let n = 1; n <= agent.maxAttempts; n++) {
      run.strategy = 'agent';
      if (!agentTools) {
        if (scope.failedDeps.has(base.deps_ref)) break;
        agentTools = await startAgentContainer(
          env.docker,
          base,
          scope.checkoutDir,
          scope.labels,
          env.options,
          scope.taskRun,
        );
      }
      const started = Date.now();
      const context: BuildContext = { ...base, strategy: 'agent', variant: `agent-${n}` };
      let proposal: AgentAttempt;
      try {
        proposal = await runAgentAttempt(
          agentTask(scope, input, previousScript, failure, legacy),
          { llm: agent.llm, tools: agentTools.tools, log: (line) => env.log.debug(line) },
          { maxSteps: agent.maxSteps },
        );
      } catch (error) {
        failure = { stage: 'context', reason: 'llm_failed', message: (error as Error).message, rc: 1, logTail: '' };
        run.recordFailure(context, failure, (Date.now() - started) / 1000);
        return { failure, stopped: true };
      }
      const proposed: BuildContext = {
        ...context,
        files: { ...base.files, 'docker_build_pkg.sh': proposal.script ?? '' },
      };
      if (proposal.problem) {
        failure = invalidProposalFailure(proposal, n);
        run.context = proposed;
        run.recordFailure(proposed, failure, (Date.now() - started) / 1000);
        continue;
      }
      previousScript = proposal.script as string;
      const tried = await tryContext(scope, proposed);
      if ('result' in tried) return { outcome: tried };
      failure = tried;
      if (!worthIterating(failure)) return { failure, stopped: true };
    }
    return { failure, stopped: false };
  } finally {
    await agentTools?.probe.remove();
  }
}

/**
 * The agent's environment container: the task's dependency image (built when missing) with the
 * repository at the base commit copied to /workspace/repo; no network offline.
 */
async function startAgentContainer(
  docker: Docker,
  context: BuildContext,
  repoDir: string,
  labels: Record<string, string>,
  options: SynthesizeOptions,
  taskRun: string,
): Promise<{ probe: ProbeContainer; tools: AgentTools }> {
  if (!(await imageId(docker, context.deps_ref))) {
    await buildImage(docker, {
      tag: context.deps_ref,
      files: { Dockerfile: { content: context.files['Dockerfile.deps'] ?? '' } },
      networkmode: options.build?.depsNetwork ?? 'bridge',
      timeoutMs: options.build?.buildTimeoutMs ?? 40 * 60_000,
    });
  }
  const probe = await ProbeContainer.start(docker, {
    image: context.deps_ref,
    name: `${taskContainerName(context.owner, context.repo, context.sha, 'env')}-${taskRun.slice(0, 8)}`,
    labels,
    workdir: '/workspace/repo',
    networkMode: context.online ? 'bridge' : 'none',
  });
  try {
    const tar = await packContext({}, [{ prefix: 'repo', dir: repoDir }]);
    await probe.container.putArchive(tar, { path: '/workspace' });
  } catch (error) {
    await probe.remove();
    throw error;
  }
  return { probe, tools: containerTools(probe, { ...DEFAULT_AGENT_TOOL_LIMITS, ...options.agentToolLimits }) };
}
