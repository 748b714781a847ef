import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply of the fake server. */
export interface FakeReply {
  /** HTTP status. Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** The assistant message text of a 200 chat completion. */
  content?: string;
  /** A raw JSON body instead of a chat completion. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the client must time out). */
  hang?: boolean;
  finishReason?: string;
  /** Tool calls of the assistant message (finish_reason `tool_calls` unless given). */
  toolCalls?: Array<{ id?: string; name: string; arguments: unknown }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** A request the fake server received. */
export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** ms since the server started. */
  at: number;
}

/** Decides the reply to a chat completion; `index` counts completions from 0. */
export type FakeResponder = (request: FakeRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAiServerOptions {
  /** Replies popped in order for chat completions; when empty, `respond` answers. */
  queue?: FakeReply[];
  respond?: FakeResponder;
  /** Reply to GET /v1/models. Default 200 with one model. */
  models?: FakeReply;
  port?: number;
}

/** A running fake: its base URL (ending in /v1) and the request log. */
export interface FakeOpenAiServer {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Chat completion requests only. */
  completions(): FakeRequest[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : null);
      } catch {
        resolve(text);
      }
    });
  });
}

function send(res: ServerResponse, reply: FakeReply, model: string): void {
  const status = reply.status ?? 200;
  const body =
    reply.body !== undefined
      ? reply.body
      : status === 200
        ? {
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            created: 0,
            model,
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  content: reply.toolCalls && reply.content === undefined ? null : (reply.content ?? ''),
                  ...(reply.toolCalls
                    ? {
                        tool_calls: reply.toolCalls.map((call, i) => ({
                          id: call.id ?? `call_${i}`,
                          type: 'function',
                          function: {
                            name: call.name,
                            arguments:
                              typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
                          },
                        })),
                      }
                    : {}),
                },
                finish_reason: reply.finishReason ?? (reply.toolCalls ? 'tool_calls' : 'stop'),
              },
            ],
            usage: {
              ...(reply.usage ?? { prompt_tokens: 100, completion_tokens: 20 }),
              total_tokens: (reply.usage?.prompt_tokens ?? 100) + (reply.usage?.completion_tokens ?? 20),
            },
          }
        : { error: { message: `scripted ${status}`, type: 'fake', code: null } };
  res.writeHead(status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
  res.end(JSON.stringify(body));
}

/**
 * A real HTTP listener on 127.0.0.1 speaking the OpenAI chat-completions protocol, scripted with
 * a reply queue and/or a responder, that logs every request. For tests of @datasmith/llm and of
 * the steps and CLI that use it (spawned processes reach it through its URL).
 */
export async function startFakeOpenAiServer(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  const started = Date.now();
  const queue = [...(options.queue ?? [])];
  const requests: FakeRequest[] = [];
  let completionIndex = 0;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      at: Date.now() - started,
    };
    requests.push(request);
    let reply: FakeReply;
    if (path.endsWith('/models')) {
      reply = options.models ?? {
        body: { object: 'list', data: [{ id: 'fake', object: 'model', created: 0, owned_by: 'test' }] },
      };
    } else if (path.endsWith('/chat/completions')) {
      const index = completionIndex++;
      const next = queue.shift();
      reply = next ?? (options.respond ? await options.respond(request, index) : { status: 500 });
    } else {
      reply = { status: 404 };
    }
    if (reply.hang) return;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    const model = (body as { model?: string } | null)?.model ?? 'fake';
    send(res, reply, model);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    completions: () => requests.filter((r) => r.path.endsWith('/chat/completions')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
