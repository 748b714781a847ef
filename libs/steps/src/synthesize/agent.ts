import type { ProbeContainer } from '@datasmith/docker';
import type { ChatAnswer, ChatMessage, ChatTool, ChatToolCall, LlmClient } from '@datasmith/llm';
import { checkInstallScript } from './build-task';
import type { RepoFacts } from './facts';

/** Bump when the same conversation should now be answered again (system prompt, tools). */
export const AGENT_PROMPT_VERSION = 'build-agent-1';

/** What the tools may do in the environment container; limits as the original's toolbelt (reference §7.4). */
export interface AgentToolLimits {
  /** Per `run_command`, seconds. Default 30. */
  commandTimeoutS: number;
  /** Characters kept of stdout and of stderr of a command. Default 1000 each. */
  commandOutputChars: number;
  /** Default `read_file` size. Default 64 KiB. */
  readFileBytes: number;
  /** Characters of one tool result sent back to the model. Default 4000. */
  observationChars: number;
}

export const DEFAULT_AGENT_TOOL_LIMITS: AgentToolLimits = {
  commandTimeoutS: 30,
  commandOutputChars: 1000,
  readFileBytes: 64 * 1024,
  observationChars: 4000,
};

/** The tools of the build agent, run in a container of the environment image (repository at the base commit). */
export interface AgentTools {
  listTree(path: string, depth: number): Promise<string>;
  readFile(path: string, maxBytes: number): Promise<string>;
  tryImport(candidates: string[]): Promise<string>;
  runCommand(command: string, timeoutS: number): Promise<string>;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const REPO_ROOT = '/workspace/repo';

/** The tools over a probe container whose repository is at /workspace/repo. */
export function containerTools(probe: ProbeContainer, limits: AgentToolLimits = DEFAULT_AGENT_TOOL_LIMITS): AgentTools {
  const capped = (text: string, n: number) =>
    text.length > n ? `${text.slice(0, n)}\n[… ${text.length - n} more]` : text;
  return {
    async listTree(path, depth) {
      const d = Math.max(1, Math.min(3, Math.floor(depth) || 3));
      const r = await probe.exec(
        `cd ${REPO_ROOT} && find ${shellQuote(path || '.')} -maxdepth ${d} -not -path '*/.git' -not -path '*/.git/*' | LC_ALL=C sort | head -n 600`,
        { timeoutMs: 30_000, outputCap: 100_000 },
      );
      const lines = r.stdout.split('\n').filter(Boolean);
      const shown = lines.slice(0, 200);
      return r.exitCode === 0
        ? `${shown.join('\n')}${lines.length > shown.length ? `\n[… ${lines.length - shown.length} more entries]` : ''}`
        : `error (rc=${r.exitCode}): ${r.stderr.trim()}`;
    },
    async readFile(path, maxBytes) {
      const r = await probe.exec(
        `cd ${REPO_ROOT} && head -c ${Math.max(1, Math.floor(maxBytes))} -- ${shellQuote(path)}`,
        {
          timeoutMs: 30_000,
          outputCap: maxBytes + 1000,
        },
      );
      return r.exitCode === 0 ? r.stdout : `error (rc=${r.exitCode}): ${r.stderr.trim()}`;
    },
    async tryImport(candidates) {
      const names = candidates.filter((c) => /^[A-Za-z_][A-Za-z0-9_.]*$/.test(c)).slice(0, 16);
      if (names.length === 0) return 'error: give module names such as ["numpy", "mypkg.core"]';
      const script = names
        .map(
          (n) =>
            `try:\n    import ${n}\n    print("IMPORTED::${n}::" + str(getattr(${n}, "__file__", "")))\nexcept BaseException as e:\n    print("FAILED::${n}::" + type(e).__name__ + ": " + str(e))`,
        )
        .join('\n');
      const r = await probe.exec(`cd ${REPO_ROOT} && python - <<'DATASMITH_EOF'\n${script}\nDATASMITH_EOF`, {
        timeoutMs: 60_000,
      });
      return `${r.stdout}${r.stderr ? `\nstderr:\n${capped(r.stderr, limits.commandOutputChars)}` : ''}`.trim();
    },
    async runCommand(command, timeoutS) {
      const seconds = Math.max(1, Math.min(limits.commandTimeoutS, Math.floor(timeoutS) || limits.commandTimeoutS));
      const r = await probe.exec(`cd ${REPO_ROOT} && ${command}`, { timeoutMs: seconds * 1000, outputCap: 100_000 });
      return [
        `rc=${r.exitCode}${r.timedOut ? ` (timed out after ${seconds} s)` : ''}`,
        `stdout:\n${capped(r.stdout, limits.commandOutputChars)}`,
        `stderr:\n${capped(r.stderr, limits.commandOutputChars)}`,
      ].join('\n');
    },
  };
}

const TOOLS: ChatTool[] = [
  {
    name: 'list_tree',
    description: 'List files and folders of the repository (at most 3 levels deep, first 200 entries).',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string', description: 'relative to the repository root; default "."' } },
    },
  },
  {
    name: 'read_file',
    description: 'Read a file; relative paths are resolved against the repository root, absolute ones as given.',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, max_bytes: { type: 'integer' } },
      required: ['path'],
    },
  },
  {
    name: 'try_import',
    description: 'Try to import Python modules in the environment; prints IMPORTED::name or FAILED::name.',
    parameters: {
      type: 'object',
      properties: { candidates: { type: 'array', items: { type: 'string' } } },
      required: ['candidates'],
    },
  },
  {
    name: 'run_command',
    description: 'Run a bash command in the repository root (time limit in seconds, output capped).',
    parameters: {
      type: 'object',
      properties: { command: { type: 'string' }, timeout_s: { type: 'integer' } },
      required: ['command'],
    },
  },
  {
    name: 'write_install_script',
    description:
      'Replace the install script (docker_build_pkg.sh) with the full new text. It runs with bash in /workspace/repo at image build time, with the venv of the environment on PATH.',
    parameters: { type: 'object', properties: { script: { type: 'string' } }, required: ['script'] },
  },
  {
    name: 'finish',
    description: 'End the attempt: the current install script is built and validated.',
    parameters: { type: 'object', properties: {} },
  },
];

const SYSTEM_PROMPT = `You write the install script (docker_build_pkg.sh) of a Python repository for a Docker image in which its ASV benchmarks run.
The image already has Python, a venv at /opt/venv (on PATH, with the system site packages) and the dependency layer; the repository is at /workspace/repo at the base commit.
The script must be idempotent, non-interactive, valid bash with real newlines, and never a markdown fence. It must install the package (editable when the build backend allows) so that it imports, and it must not add commits, tags, remotes or secrets to the repository.
Use the tools to inspect the environment, then call write_install_script with the full script, then finish.`;

/** The task as the agent sees it. */
export interface AgentTask {
  owner: string;
  repo: string;
  sha: string;
  commitDate: Date;
  facts: RepoFacts;
  /** The install script of the previous attempt (or the rules' script). */
  previousScript: string;
  /** Why the previous attempt failed: stage, reason, log tails. */
  failure: string | null;
  /** The nearest context of the original's registry for this repository (its pkg script), if any. */
  legacyHint: string | null;
}

/** What one attempt of the agent produced. */
export interface AgentAttempt {
  /** The script the model gave (last `write_install_script`, else a final plain answer), or null. */
  script: string | null;
  /** Why it is not built: none given, or empty, fenced or not valid bash. Null: build it. */
  problem: string | null;
  /** LLM turns used (≤ maxSteps). */
  steps: number;
  finished: boolean;
  /** Step-by-step: action, input, observation (capped). */
  transcript: string;
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text || '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The first user message: the task, the current script, why it failed, and the original's nearby script. */
function agentBrief(task: AgentTask): string {
  return [
    `Repository: ${task.owner}/${task.repo}`,
    `Base commit: ${task.sha} (committed ${task.commitDate.toISOString()})`,
    `Repository facts: ${JSON.stringify(task.facts)}`,
    `Current install script:\n${task.previousScript}`,
    task.failure ? `The current script failed:\n${task.failure}` : 'No script has been tried yet.',
    task.legacyHint
      ? `A script that worked for a nearby commit in the original pipeline (micromamba images; adapt it, do not copy its environment setup):\n${task.legacyHint}`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** The model's answer as the assistant message of the conversation, with its tool calls. */
function assistantMessage(answer: ChatAnswer): ChatMessage {
  return {
    role: 'assistant',
    content: answer.content || null,
    ...(answer.toolCalls.length > 0
      ? {
          tool_calls: answer.toolCalls.map((c) => ({
            id: c.id,
            type: 'function' as const,
            function: { name: c.name, arguments: c.arguments },
          })),
        }
      : {}),
  };
}

/** What one tool call gave back: the observation, and the script it saved or that it finished. */
interface ToolOutcome {
  observation: string;
  script?: string;
  finished?: boolean;
}

/** Runs one tool call in the environment container (arguments bounded by the limits). */
async function runToolCall(call: ChatToolCall, tools: AgentTools, limits: AgentToolLimits): Promise<ToolOutcome> {
  const args = parseArguments(call.arguments);
  switch (call.name) {
    case 'list_tree':
      return { observation: await tools.listTree(String(args.path ?? '.'), 3) };
    case 'read_file':
      return {
        observation: await tools.readFile(
          String(args.path ?? ''),
          Math.min(Number(args.max_bytes) || limits.readFileBytes, limits.readFileBytes),
        ),
      };
    case 'try_import':
      return {
        observation: await tools.tryImport(
          Array.isArray(args.candidates) ? args.candidates.map(String) : [String(args.candidates ?? '')],
        ),
      };
    case 'run_command':
      return { observation: await tools.runCommand(String(args.command ?? ''), Number(args.timeout_s) || 0) };
    case 'write_install_script': {
      const text = typeof args.script === 'string' ? args.script : '';
      const problem = checkInstallScript(text);
      return {
        script: text,
        observation: problem ? `rejected: ${problem}` : `saved (${text.split('\n').length} lines, bash -n ok)`,
      };
    }
    case 'finish':
      return { finished: true, observation: 'finished' };
    default:
      return { observation: `unknown tool ${call.name}; use one of ${TOOLS.map((t) => t.name).join(', ')}` };
  }
}

/**
 * One attempt of the build agent: at most `maxSteps` turns of OpenAI tool calling; each tool call runs
 * in the environment container and its (capped) result goes back to the model. The attempt ends when
 * the model calls `finish`, answers without a tool call, or runs out of steps. The script is the last
 * one given to `write_install_script` (or, failing that, a final plain answer); an empty, fenced or
 * not-bash (`bash -n`) script is rejected here, before any build.
 */
export async function runAgentAttempt(
  task: AgentTask,
  deps: { llm: LlmClient; tools: AgentTools; log?: (line: string) => void },
  options: { maxSteps: number; limits?: Partial<AgentToolLimits> },
): Promise<AgentAttempt> {
  const limits = { ...DEFAULT_AGENT_TOOL_LIMITS, ...options.limits };
  const messages: ChatMessage[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: agentBrief(task) },
  ];
  let script: string | null = null;
  let finalText = '';
  let finished = false;
  let steps = 0;
  const transcript: string[] = [];
  const cap = (text: string) =>
    text.length > limits.observationChars ? `${text.slice(0, limits.observationChars)}\n[… capped]` : text;
  while (steps < options.maxSteps && !finished) {
    steps++;
    const answer = await deps.llm.chat({ messages, tools: TOOLS, promptVersion: AGENT_PROMPT_VERSION });
    messages.push(assistantMessage(answer));
    if (answer.toolCalls.length === 0) {
      finalText = answer.content;
      finished = true;
      transcript.push(`Step [${steps}/${options.maxSteps}] answer without tool call`);
      break;
    }
    for (const call of answer.toolCalls) {
      const outcome = await runToolCall(call, deps.tools, limits);
      if (outcome.script !== undefined) script = outcome.script;
      if (outcome.finished) finished = true;
      const shown = cap(outcome.observation);
      transcript.push(
        `Step [${steps}/${options.maxSteps}] Action: ${call.name}\nInput: ${cap(call.arguments)}\nObservation: ${shown}`,
      );
      deps.log?.(`agent step ${steps}: ${call.name}`);
      messages.push({ role: 'tool', tool_call_id: call.id, content: shown });
    }
  }
  const candidate = script ?? (finalText.trim() ? finalText : null);
  const problem = candidate === null ? `no install script after ${steps} step(s)` : checkInstallScript(candidate);
  return {
    script: candidate,
    problem,
    steps,
    finished,
    transcript: transcript.join('\n'),
  };
}
