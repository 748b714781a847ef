import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlmClient } from '@datasmith/llm';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '@datasmith/llm/testing';
import { MemoStore } from '@datasmith/memo';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentTask, type AgentTools, runAgentAttempt } from './agent';
import type { RepoFacts } from './facts';

/** Tools over an in-memory file map (the Docker test runs them in a real container). */
function memoryTools(files: Record<string, string>): AgentTools & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    listTree: async (path) => {
      calls.push(`list_tree ${path}`);
      return Object.keys(files).sort().join('\n');
    },
    readFile: async (path) => {
      calls.push(`read_file ${path}`);
      return files[path] ?? `error (rc=1): head: cannot open '${path}'`;
    },
    tryImport: async (names) => {
      calls.push(`try_import ${names.join(',')}`);
      return names.map((n) => `FAILED::${n}::ModuleNotFoundError`).join('\n');
    },
    runCommand: async (command, timeoutS) => {
      calls.push(`run_command ${command} ${timeoutS}`);
      return 'rc=0\nstdout:\nok\nstderr:\n';
    },
  };
}

const TASK: AgentTask = {
  owner: 'demo-org',
  repo: 'fastmath',
  sha: 'a'.repeat(40),
  commitDate: new Date('2024-01-01T00:00:00Z'),
  facts: { import_name: 'fastmath' } as RepoFacts,
  previousScript: 'pip install -e .\n',
  failure: 'import failed (import_failed, rc=1): ModuleNotFoundError: numpy',
  legacyHint: 'micromamba run -n asv_3.12 pip install -e .\n',
};

let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const client = (s: FakeOpenAiServer, memo?: MemoStore) =>
  createLlmClient({
    settings: { baseURL: s.url, apiKey: 'k', model: 'fake', temperature: 0, maxTokens: 1000 },
    retry: { retries: 0 },
    memo,
  });

describe('the build agent loop (OpenAI tool calling against a listener on 127.0.0.1)', () => {
  it('runs each tool call, sends its result back, and returns the script it wrote', async () => {
    server = await startFakeOpenAiServer({
      queue: [
        {
          toolCalls: [
            { id: 'c1', name: 'read_file', arguments: { path: 'setup.cfg' } },
            { id: 'c2', name: 'run_command', arguments: { command: 'python -V', timeout_s: 500 } },
          ],
        },
        { toolCalls: [{ name: 'write_install_script', arguments: { script: 'set -e\npip install -e .\n' } }] },
        { content: 'done' },
      ],
    });
    const tools = memoryTools({ 'setup.cfg': '[metadata]\nname = fastmath\n' });
    const out = await runAgentAttempt(TASK, { llm: client(server), tools }, { maxSteps: 5 });
    expect(out).toMatchObject({ script: 'set -e\npip install -e .\n', problem: null, steps: 3, finished: true });
    expect(tools.calls).toEqual(['read_file setup.cfg', 'run_command python -V 500']);
    const second = server.completions()[1]?.body as {
      messages: Array<{ role: string; content: string; tool_call_id?: string }>;
      tools: Array<{ function: { name: string } }>;
    };
    expect(second.tools.map((t) => t.function.name)).toEqual([
      'list_tree',
      'read_file',
      'try_import',
      'run_command',
      'write_install_script',
      'finish',
    ]);
    const toolReplies = second.messages.filter((m) => m.role === 'tool');
    expect(toolReplies).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: '[metadata]\nname = fastmath\n' },
      { role: 'tool', tool_call_id: 'c2', content: 'rc=0\nstdout:\nok\nstderr:\n' },
    ]);
    const user = second.messages[1]?.content ?? '';
    expect(user).toContain('ModuleNotFoundError: numpy');
    expect(user).toContain('micromamba run -n asv_3.12');
  });

  it('stops after --max-steps turns; without a script the attempt has none', async () => {
    server = await startFakeOpenAiServer({
      respond: () => ({ toolCalls: [{ name: 'list_tree', arguments: {} }] }),
    });
    const out = await runAgentAttempt(TASK, { llm: client(server), tools: memoryTools({}) }, { maxSteps: 3 });
    expect(server.completions()).toHaveLength(3);
    expect(out).toMatchObject({
      script: null,
      steps: 3,
      finished: false,
      problem: 'no install script after 3 step(s)',
    });
  });

  it.each([
    ['an empty script', '   \n', 'the install script is empty'],
    ['a fenced script', '```bash\npip install .\n```', 'markdown code fence'],
    ['a script that is not bash', 'pip install . && if then fi\n', 'not valid bash'],
  ])('rejects %s before any build', async (_label, text, problem) => {
    server = await startFakeOpenAiServer({
      queue: [{ toolCalls: [{ name: 'write_install_script', arguments: { script: text } }] }, { content: '' }],
    });
    const out = await runAgentAttempt(TASK, { llm: client(server), tools: memoryTools({}) }, { maxSteps: 5 });
    expect(out.problem).toContain(problem);
    const body = server.completions()[1]?.body as { messages: Array<{ role: string; content: string }> } | undefined;
    const reply = body?.messages.at(-1);
    expect(reply?.content).toMatch(/^rejected: /);
  });

  it('a plain final answer is the script; the same conversation is answered from the memo', async () => {
    const memo = new MemoStore({ root: mkdtempSync(join(tmpdir(), 'ds-agent-memo-')) });
    server = await startFakeOpenAiServer({ queue: [{ content: '#!/bin/bash\npip install -e .\n' }] });
    const first = await runAgentAttempt(TASK, { llm: client(server, memo), tools: memoryTools({}) }, { maxSteps: 2 });
    expect(first).toMatchObject({ script: '#!/bin/bash\npip install -e .\n', problem: null, steps: 1 });
    const again = await runAgentAttempt(TASK, { llm: client(server, memo), tools: memoryTools({}) }, { maxSteps: 2 });
    expect(again.script).toBe(first.script);
    expect(server.completions()).toHaveLength(1);
  });
});
