import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LlmClientOptions, createLlmClient } from '@datasmith/llm';
import { type FakeOpenAiServer, type FakeReply, type FakeRequest, startFakeOpenAiServer } from '@datasmith/llm/testing';
import { MemoStore } from '@datasmith/memo';
import { silentLogger } from '@datasmith/progress';
import type { PreparedRow } from '@datasmith/tables';
import { afterEach, describe, expect, it } from 'vitest';
import { commitRow, makePatch } from '../prepare/fixtures';
import { normalizePrepareOptions, prepareRow } from '../prepare/prepare';
import { classify } from './classify';
import { PROMPT_VERSION } from './prompts/prompts';
import { emptyDiscussionSource } from './sources';

const ADDED = '    result = np.add.reduce(values, axis=0)';
const rows: PreparedRow[] = [1, 2, 3, 4].map((n) =>
  prepareRow(
    commitRow({
      pr_number: n,
      pr_title: `PERF: faster thing ${n}`,
      message: `PERF: faster thing ${n} (#${n})`,
      pr_body: 'The reduction is slow on wide arrays.',
      patch: makePatch({ [`pkg/m${n}.py`]: { add: [ADDED], remove: ['    result = sum(values)'] } }),
    }),
    normalizePrepareOptions(),
  ),
);
rows.push(
  prepareRow(commitRow({ pr_number: 9, pr_title: 'DOC: typo', message: 'DOC: typo (#9)' }), normalizePrepareOptions()),
);

/** Answers from the PR number in the prompt: even numbers are performance work. */
function answerFor(request: FakeRequest): FakeReply {
  const messages = (request.body as { messages: Array<{ content: string }> }).messages;
  const n = Number(/Pull Request #(\d+)/.exec(messages[1]?.content ?? '')?.[1]);
  const perf = n % 2 === 0;
  return {
    content: JSON.stringify({
      is_performance_commit: perf,
      explanation: perf ? 'reduction made faster' : 'refactor',
      category: perf ? 'Use a higher level system' : null,
      difficulty: perf ? 'easy' : null,
      confidence: 0.87,
      problem_statement: perf
        ? `Reduction ${n} is slow on wide arrays. This PR uses np.add.reduce instead.\n${ADDED}`
        : '',
    }),
  };
}

let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run(options: {
  memo?: MemoStore;
  promptVersion?: string;
  client?: Partial<LlmClientOptions>;
  respond?: typeof answerFor;
}) {
  server ??= await startFakeOpenAiServer({ respond: options.respond ?? answerFor });
  const llm = createLlmClient({
    settings: { baseURL: server.url, apiKey: 'k', model: 'gpt-test', temperature: 0, maxTokens: 1000 },
    memo: options.memo,
    retry: { unitMs: 1, timeoutMs: 2000, retries: 2 },
    ...options.client,
  });
  return classify(
    { rows, options: { backend: 'llm', promptVersion: options.promptVersion } },
    { log: silentLogger, discussions: emptyDiscussionSource, llm },
  );
}

describe('classify (llm backend)', () => {
  it('makes one call per gated row and maps the answers', async () => {
    const result = await run({});
    expect(server!.completions()).toHaveLength(4);
    expect(result.rows.map((r) => [r.pr_number, r.kept, r.drop_reason])).toEqual([
      [1, false, 'not_perf'],
      [2, true, null],
      [3, false, 'not_perf'],
      [4, true, null],
      [9, false, 'not_perf_candidate'],
    ]);
    const perf = result.perf[0]!;
    expect(perf).toMatchObject({
      backend: 'llm',
      model: 'gpt-test',
      prompt_version: PROMPT_VERSION,
      classification: 'use_higher_level_system',
      difficulty: 'easy',
      classification_confidence: 87,
      classification_explanation: 'llm: reduction made faster',
    });
    expect(perf.problem_statement).toBe('Reduction 2 is slow on wide arrays.');
    expect(perf.final_md).not.toContain(ADDED.trim());
    expect(result.llm).toMatchObject({ calls: 4, memoHits: 0, promptTokens: 400, completionTokens: 80 });
  });

  it('memoises: a second run makes zero calls; a new prompt version makes exactly one per gated row', async () => {
    const memo = () => new MemoStore({ root });
    const root = await mkdtemp(join(tmpdir(), 'ds-classify-memo-'));
    const first = await run({ memo: memo() });
    expect(server!.requests).toHaveLength(5); // probe + 4
    const second = await run({ memo: memo() });
    expect(server!.requests).toHaveLength(5);
    expect(second.llm).toMatchObject({ calls: 0, memoHits: 4, probes: 0 });
    expect(second.rows).toEqual(first.rows);
    const bumped = await run({ memo: memo(), promptVersion: 'classify-v999' });
    expect(server!.completions()).toHaveLength(8);
    expect(bumped.rows[1]?.prompt_version).toBe('classify-v999');
  });

  it('turns malformed answers into classifier_error rows, never not_perf', async () => {
    const result = await run({
      respond: () => ({ content: '{"is_performance_commit": "maybe"' }),
      client: { retry: { unitMs: 1, malformedRetries: 1 } },
    });
    const gated = result.rows.filter((r) => r.is_perf_candidate);
    expect(gated.map((r) => r.drop_reason)).toEqual([
      'classifier_error',
      'classifier_error',
      'classifier_error',
      'classifier_error',
    ]);
    expect(gated[0]?.classification_explanation).toMatch(/^error: LLM answer malformed after 2 attempts: not JSON/);
    expect(gated[0]).toMatchObject({ backend: 'llm', model: 'gpt-test', is_performance_commit: false });
    expect(result.failures).toHaveLength(4);
    expect(result.failures[0]).toMatchObject({ item: 'acme/widgets#1', code: 'classifier_error' });
  });

  it('retries 429 with Retry-After and 5xx before answering', async () => {
    let i = 0;
    const result = await run({
      respond: (request) => {
        i++;
        if (i === 1) return { status: 429, headers: { 'retry-after': '1' } };
        if (i === 2) return { status: 502 };
        return answerFor(request);
      },
      client: { concurrency: 1 },
    });
    expect(result.failures).toEqual([]);
    expect(result.llm).toMatchObject({ retries: 2, requests: 6, calls: 4 });
  });

  it('stops at --max-llm-calls and leaves the rest unclassified', async () => {
    const result = await run({ client: { maxCalls: 2, concurrency: 1 } });
    expect(server!.completions()).toHaveLength(2);
    expect(result.rows.filter((r) => r.drop_reason === 'llm_budget_exhausted')).toHaveLength(2);
    expect(result.failures).toEqual([]);
  });

  it('fails at once, naming the redacted URL, when the endpoint is unreachable', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const llm = createLlmClient({
      settings: {
        baseURL: `http://127.0.0.1:${port}/v1?token=abcdefsecret`,
        apiKey: 'sk-abcdefghijklmnopqrstuv',
        model: 'm',
        temperature: 0,
        maxTokens: 10,
      },
      retry: { unitMs: 1, retries: 1 },
    });
    const error = (await classify(
      { rows, options: { backend: 'llm' } },
      { log: silentLogger, discussions: emptyDiscussionSource, llm },
    ).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('LlmUnreachableError');
    expect(error.message).toContain(`http://127.0.0.1:${port}/v1?token=***`);
    expect(error.message).not.toMatch(/abcdefsecret|sk-abc/);
  });
});
