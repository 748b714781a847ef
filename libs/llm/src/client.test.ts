import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoStore } from '@datasmith/memo';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  LlmBudgetExhaustedError,
  LlmOutputError,
  LlmUnreachableError,
  createLlmClient,
  type JsonRequest,
  type LlmClientOptions,
} from './client';
import { type FakeOpenAiServer, type FakeOpenAiServerOptions, startFakeOpenAiServer } from './testing/index';

const Answer = z.object({ label: z.enum(['YES', 'NO']), reasoning: z.string() });
const request = (
  user = 'Is this a performance change?',
  promptVersion = 'v1',
): JsonRequest<z.infer<typeof Answer>> => ({
  name: 'judge',
  system: 'You judge pull requests.',
  user,
  schema: Answer,
  promptVersion,
});
const good = JSON.stringify({ label: 'YES', reasoning: 'it is faster' });
const fastRetry = { unitMs: 20, timeoutMs: 300, retries: 3 };

let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(fake: FakeOpenAiServerOptions, options: Partial<LlmClientOptions> = {}) {
  server = await startFakeOpenAiServer(fake);
  const client = createLlmClient({
    settings: {
      baseURL: server.url,
      apiKey: 'sk-test-abcdefghijklmnop',
      model: 'gpt-test',
      temperature: 0,
      maxTokens: 500,
    },
    retry: fastRetry,
    ...options,
  });
  return { server, client };
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('createLlmClient', () => {
  it('sends one structured request after a probe and validates the answer', async () => {
    const { server, client } = await setup({
      queue: [{ content: good, usage: { prompt_tokens: 42, completion_tokens: 7 } }],
    });
    const answer = await client.completeJson(request());
    expect(answer).toEqual({
      value: { label: 'YES', reasoning: 'it is faster' },
      usage: { promptTokens: 42, completionTokens: 7 },
      cached: false,
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/models',
      'POST /v1/chat/completions',
    ]);
    const body = server.completions()[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'gpt-test', temperature: 0, max_tokens: 500 });
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'judge' } });
    expect(server.completions()[0]?.headers.authorization).toBe('Bearer sk-test-abcdefghijklmnop');
    expect(client.stats).toMatchObject({ calls: 1, requests: 1, probes: 1, promptTokens: 42, completionTokens: 7 });
  });

  it('accepts a fenced answer', async () => {
    const { client } = await setup({ queue: [{ content: `Sure:\n\`\`\`json\n${good}\n\`\`\`` }] });
    expect((await client.completeJson(request())).value.label).toBe('YES');
  });

  it('retries malformed JSON with a correction, then succeeds', async () => {
    const { server, client } = await setup({
      queue: [{ content: '{"label": "YES", "reasoning": ' }, { content: good }],
    });
    expect((await client.completeJson(request())).value.label).toBe('YES');
    expect(server.completions()).toHaveLength(2);
    const retryMessages = (server.completions()[1]!.body as { messages: Array<{ role: string; content: string }> })
      .messages;
    expect(retryMessages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(retryMessages[3]?.content).toMatch(/^Your answer was invalid: not JSON/);
    expect(client.stats.malformed).toBe(1);
  });

  it.each([
    ['not JSON', 'definitely not json', /not JSON/],
    ['wrong enum', JSON.stringify({ label: 'MAYBE', reasoning: 'x' }), /schema mismatch at label/],
    ['missing field', JSON.stringify({ label: 'YES' }), /schema mismatch at reasoning/],
    ['empty', '', /empty answer/],
  ])('fails with the reason after the malformed retries: %s', async (_name, content, reason) => {
    const { server, client } = await setup(
      { respond: () => ({ content }) },
      { retry: { ...fastRetry, malformedRetries: 2 } },
    );
    const error = await client.completeJson(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmOutputError);
    expect((error as Error).message).toMatch(/^LLM answer malformed after 3 attempts: /);
    expect((error as Error).message).toMatch(reason);
    expect(server.completions()).toHaveLength(3);
  });

  it('treats an answer cut at max_tokens as malformed', async () => {
    const { client } = await setup({ queue: [{ content: '{"label":', finishReason: 'length' }, { content: good }] });
    expect((await client.completeJson(request())).value.label).toBe('YES');
    expect(client.stats.malformed).toBe(1);
  });

  it('honours Retry-After on 429 (in policy units)', async () => {
    const { server, client } = await setup({
      queue: [{ status: 429, headers: { 'retry-after': '3' } }, { content: good }],
    });
    await client.completeJson(request());
    const [first, second] = server.completions();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(3 * fastRetry.unitMs - 5);
    expect(client.stats).toMatchObject({ requests: 2, retries: 1 });
  });

  it('backs off on 5xx and gives up with a RemoteError naming the status', async () => {
    const { server, client } = await setup({ respond: () => ({ status: 503 }) });
    const error = await client.completeJson(request()).catch((e: unknown) => e);
    expect((error as Error).name).toBe('RemoteError');
    expect((error as Error).message).toMatch(
      /^LLM request to http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 503 .* after 4 attempts$/,
    );
    const times = server.completions().map((r) => r.at);
    expect(times).toHaveLength(4);
    // waits double: 1, 2, 4 units
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(7 * fastRetry.unitMs - 10);
  });

  it('does not retry a 400', async () => {
    const { server, client } = await setup({ queue: [{ status: 400 }] });
    await expect(client.completeJson(request())).rejects.toThrow(/HTTP 400 .* after 1 attempt$/);
    expect(server.completions()).toHaveLength(1);
  });

  it('retries a timeout', async () => {
    const { server, client } = await setup(
      { queue: [{ hang: true }, { content: good }] },
      { retry: { ...fastRetry, timeoutMs: 150 } },
    );
    expect((await client.completeJson(request())).value.label).toBe('YES');
    expect(server.completions()).toHaveLength(2);
    expect(client.stats.retries).toBe(1);
  });

  it('fails at once, naming the redacted URL, when the endpoint is unreachable', async () => {
    const port = await closedPort();
    const client = createLlmClient({
      settings: {
        baseURL: `http://127.0.0.1:${port}/v1?api_key=hunter2secret`,
        apiKey: 'sk-live-abcdefghijklmnopqrst',
        model: 'm',
        temperature: 0,
        maxTokens: 10,
      },
      retry: { ...fastRetry, retries: 1 },
    });
    const error = await client.completeJson(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmUnreachableError);
    const message = (error as Error).message;
    expect(message).toContain(`http://127.0.0.1:${port}/v1?api_key=***`);
    expect(message).toMatch(/^LLM endpoint unreachable: .*connection failed .* after 2 attempts; check DSPY_URL/);
    expect(message).not.toContain('hunter2secret');
    expect(message).not.toContain('sk-live');
    expect(message.split('\n')).toHaveLength(1);
    expect(client.stats.requests).toBe(0);
  });

  it('names the key when the probe is refused', async () => {
    const { server, client } = await setup({ models: { status: 401 } });
    await expect(client.completeJson(request())).rejects.toThrow(/HTTP 401 .*check DSPY_API_KEY/);
    expect(server.completions()).toHaveLength(0);
  });

  it('counts a 404 on /models as reachable', async () => {
    const { client } = await setup({ models: { status: 404 }, queue: [{ content: good }] });
    expect((await client.completeJson(request())).value.label).toBe('YES');
  });

  it('memoises answers: a second client sends nothing; a new prompt version asks again', async () => {
    const memo = new MemoStore({ root: await mkdtemp(join(tmpdir(), 'ds-llm-memo-')) });
    const { server, client } = await setup({ respond: () => ({ content: good }) }, { memo });
    await client.completeJson(request('a'));
    await client.completeJson(request('b'));
    expect(server.requests).toHaveLength(3);
    const again = createLlmClient({
      settings: { baseURL: server.url, apiKey: 'k', model: 'gpt-test', temperature: 0, maxTokens: 500 },
      memo,
    });
    expect((await again.completeJson(request('a'))).cached).toBe(true);
    expect((await again.completeJson(request('b'))).cached).toBe(true);
    expect(server.requests).toHaveLength(3);
    expect(again.stats).toMatchObject({ calls: 0, memoHits: 2, probes: 0 });
    await again.completeJson(request('a', 'v2'));
    expect(server.completions()).toHaveLength(3);
    const hotter = createLlmClient({
      settings: { baseURL: server.url, apiKey: 'k', model: 'gpt-test', temperature: 0.7, maxTokens: 500 },
      memo,
    });
    expect((await hotter.completeJson(request('a'))).cached).toBe(false);
  });

  it('stops at the call budget', async () => {
    const { client } = await setup({ respond: () => ({ content: good }) }, { maxCalls: 1 });
    await client.completeJson(request('a'));
    await expect(client.completeJson(request('b'))).rejects.toBeInstanceOf(LlmBudgetExhaustedError);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const { client } = await setup(
      {
        respond: async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 30));
          inFlight--;
          return { content: good };
        },
      },
      { concurrency: 2 },
    );
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((u) => client.completeJson(request(u))));
    expect(peak).toBe(2);
  });
});
