import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BaseImage, removeImageQuietly } from '@datasmith/docker';
import { dockerTestEngine, testOnlyBaseImage } from '@datasmith/docker/testing';
import { FixtureRepo } from '@datasmith/git/testing';
import { createLlmClient } from '@datasmith/llm';
import { type FakeOpenAiServer, type FakeReply, startFakeOpenAiServer } from '@datasmith/llm/testing';
import { createMemoryLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import type { SynthesisResult, SynthesizeInputRow } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContextRegistry } from './registry';
import { type SynthesizeOptions, synthesize } from './synthesize';
import { asvFixtureFiles } from './testing/asv-fixture';

const engine = await dockerTestEngine();
const docker = engine.docker;

/** The package imports only when the install script left this file: the rules' script never does. */
const MARKER = '/opt/datasmith-agent-marker';
const AGENT_SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
cd /workspace/repo
pip install --no-build-isolation --no-index -e .
touch ${MARKER}
echo "agent script ran"
`;

function row(base: string, n: number): SynthesizeInputRow {
  return {
    repo_name: 'demo-org/cascade',
    pr_number: n,
    sha: base,
    pr_base_sha: base,
    pr_merged_at: '2024-02-01T00:00:00Z',
  };
}

function toolMessages(server: FakeOpenAiServer): string[] {
  const last = server.completions().at(-1)?.body as { messages: Array<{ role: string; content: string }> };
  return last.messages.filter((m) => m.role === 'tool').map((m) => m.content);
}

describe.skipIf(!engine.ok)(`synthesize cascade with a real Docker engine ${engine.skipReason}`, () => {
  let base: BaseImage;
  let root: string;
  let store: OfflineStore;
  const shas: Record<string, string> = {};
  const made: string[] = [];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    base = await testOnlyBaseImage(docker);
    root = mkdtempSync(join(tmpdir(), 'ds-cascade-docker-'));
    const repo = new FixtureRepo(join(root, 'work'));
    shas.a = repo.commit(asvFixtureFiles({ name: 'cascade' }), 'initial', '2024-01-01T00:00:00Z');
    shas.b = repo.commit(
      {
        'cascade/core.py':
          'import numpy as np\n\n\ndef total(xs):\n    return sum(xs)\n\n\ndef scale(xs, k):\n    return np.asarray(list(xs)) * k\n',
      },
      'faster total',
      '2024-01-10T00:00:00Z',
    );
    shas.c = repo.commit(
      {
        'cascade/__init__.py': `import os\n\nif not os.path.exists(${JSON.stringify(MARKER)}):\n    raise ImportError("built without the marker")\n\nfrom .core import scale, total\n\n__version__ = "0.1.0"\n`,
      },
      'needs a marker',
      '2024-01-20T00:00:00Z',
    );
    repo.mirrorTo(join(root, 'store', 'demo-org', 'cascade.git'));
    store = new OfflineStore(join(root, 'store'));
  });

  afterAll(async () => {
    for (const ref of made) await removeImageQuietly(docker, ref, { force: true });
    console.log(`cascade docker timings (s): ${JSON.stringify(timings)}`);
  });

  const run = async (
    rows: SynthesizeInputRow[],
    registry: string,
    options: SynthesizeOptions,
    server?: FakeOpenAiServer,
  ) => {
    const started = Date.now();
    const llm = server
      ? createLlmClient({
          settings: { baseURL: server.url, apiKey: 'test', model: 'fake', temperature: 0, maxTokens: 2000 },
          retry: { retries: 0 },
        })
      : undefined;
    const out = await synthesize(
      { rows },
      { docker, store, registryPath: join(root, registry), log: createMemoryLogger(), llm },
      { base: { ref: base.ref }, maxAttempts: 1, ...options },
    );
    for (const r of out.results) if (r.ok) made.push(r.image_name);
    return { ...out, seconds: (Date.now() - started) / 1000 };
  };

  it('reuses the validated context of the nearest commit (similar) before the rules, within one run', async () => {
    const both = await run([row(shas.a as string, 1), row(shas.b as string, 2)], 'similar.json', {});
    timings.rules_a_then_similar_b = both.seconds;
    const first = { results: both.results.slice(0, 1) };
    expect(first.results[0], first.results[0]?.stderr_tail).toMatchObject({ ok: true, strategy: 'rules' });
    const second = { results: both.results.slice(1) };
    const r = second.results[0] as SynthesisResult;
    expect(r, r.stderr_tail).toMatchObject({ ok: true, strategy: 'similar', stage: 'validated' });
    expect(r.attempts).toHaveLength(1);
    expect(r.attempts[0]).toMatchObject({
      strategy: 'similar',
      variant: `similar:${(shas.a as string).slice(0, 12)}`,
      ok: true,
      deps_reused: true,
    });
    expect(r.attempts[0]?.script).toBe(first.results[0]?.attempts[0]?.script);
    const registry = await readContextRegistry(join(root, 'similar.json'));
    expect(registry.entries[`demo-org/cascade/${shas.b}`]).toMatchObject({
      status: 'validated',
      commit_date: Date.parse('2024-01-10T00:00:00Z') / 1000,
      context: { strategy: 'similar' },
    });
  });

  it('the agent reads a file that exists only in the container, and the script it writes is the one built', async () => {
    const script: FakeReply[] = [
      { toolCalls: [{ name: 'read_file', arguments: { path: '/opt/venv/pyvenv.cfg' } }] },
      { toolCalls: [{ name: 'write_install_script', arguments: { script: AGENT_SCRIPT } }] },
      { toolCalls: [{ name: 'finish', arguments: {} }] },
    ];
    const server = await startFakeOpenAiServer({ queue: script });
    try {
      const { results, seconds } = await run(
        [row(shas.c as string, 3)],
        'agent.json',
        { backend: 'agent', maxSteps: 4 },
        server,
      );
      timings.agent_c = seconds;
      const r = results[0] as SynthesisResult;
      expect(r, r.stderr_tail).toMatchObject({ ok: true, strategy: 'agent', stage: 'validated' });
      expect(r.attempts.map((a) => [a.strategy, a.ok, a.reason])).toEqual([
        ['rules', false, 'import_failed'],
        ['agent', true, null],
      ]);
      expect(r.attempts[1]?.script).toBe(AGENT_SCRIPT);
      expect(r.attempts[1]?.stdout_tail).toContain('agent script ran');
      expect(server.completions()).toHaveLength(3);
      expect(toolMessages(server)[0]).toContain('include-system-site-packages = true');
      expect(toolMessages(server)[1]).toMatch(/^saved \(\d+ lines, bash -n ok\)/);
    } finally {
      await server.close();
    }
  });

  it('--max-build-minutes: once the run has spent its build budget, attempts fail without building', async () => {
    const { results } = await run([row(shas.c as string, 5)], 'budget.json', { maxBuildMinutes: 0 });
    const r = results[0] as SynthesisResult;
    expect(r).toMatchObject({ ok: false, stage: 'build', reason: 'build_budget_exhausted' });
    expect(r.attempts).toHaveLength(1);
    expect(r.attempts[0]).toMatchObject({ build_s: 0, deps_reused: null, reason: 'build_budget_exhausted' });
  });

  it('enforces --max-steps and rejects a fenced script before building it', async () => {
    const server = await startFakeOpenAiServer({
      respond: (_request, index) =>
        index === 1
          ? { toolCalls: [{ name: 'write_install_script', arguments: { script: '```bash\npip install .\n```\n' } }] }
          : { toolCalls: [{ name: 'list_tree', arguments: { path: '.' } }] },
    });
    try {
      const { results } = await run(
        [row(shas.c as string, 4)],
        'steps.json',
        { backend: 'agent', maxSteps: 2 },
        server,
      );
      const r = results[0] as SynthesisResult;
      expect(r).toMatchObject({ ok: false, strategy: 'agent', stage: 'build', reason: 'install_script_invalid' });
      expect(r.stderr_tail).toContain('markdown code fence');
      expect(server.completions()).toHaveLength(2);
      expect(r.attempts.at(-1)).toMatchObject({ strategy: 'agent', build_s: 0, deps_reused: null });
      expect(toolMessages(server)[0]).toContain('./cascade/__init__.py');
      const registry = await readContextRegistry(join(root, 'steps.json'));
      expect(registry.entries[`demo-org/cascade/${shas.c}`]).toMatchObject({ status: 'failed', exhausted: true });
      // --ignore-exhausted: skipped, no LLM call, no build.
      const again = await run(
        [row(shas.c as string, 4)],
        'steps.json',
        { backend: 'agent', maxSteps: 2, ignoreExhausted: true },
        server,
      );
      expect(again.results[0]).toMatchObject({ ok: false, reason: 'attempts_exhausted' });
      expect(server.completions()).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});
