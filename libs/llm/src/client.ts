import { createRequire } from 'node:module';
import { DatasmithError, RemoteError, redactSecrets, redactUrl } from '@datasmith/errors';
import { type MemoStore, memoKey } from '@datasmith/memo';
import { type Logger, silentLogger } from '@datasmith/progress';
import type OpenAI from 'openai';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { z } from 'zod';
import type { LlmSettings } from './config';
import { parseJsonAnswer } from './json-answer';
import { type RetryPolicy, isRetryableStatus, normalizeRetryPolicy, retryAfterUnits, retryDelayMs } from './retry';

/** How the JSON answer is requested: a JSON schema (vLLM, OpenAI), any JSON object, or only by the prompt. */
export type ResponseFormatMode = 'json_schema' | 'json_object' | 'none';

/** Options of {@link createLlmClient}; only `settings` is required. */
export interface LlmClientOptions {
  settings: LlmSettings;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Most completions that miss the memo in this client's life; further ones throw LlmBudgetExhaustedError. */
  maxCalls?: number;
  retry?: Partial<RetryPolicy>;
  /** Default `json_schema`. */
  responseFormat?: ResponseFormatMode;
  /** Memo store for answers; without one every call goes to the server. */
  memo?: MemoStore;
  log?: Logger;
  /** Injected clock for Retry-After dates (ms). Default Date.now. */
  now?: () => number;
  /** Injected sleep. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** One structured request: a prompt, the schema of the answer, and the prompt's version. */
export interface JsonRequest<T> {
  /** Names the answer in the JSON schema sent to the server. */
  name: string;
  system: string;
  user: string;
  schema: z.ZodType<T>;
  /** Part of the memo key: bump it when the same prompt should now be answered again. */
  promptVersion: string;
}

/** A chat message of a tool-calling conversation (the OpenAI wire shape). */
export type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;

/** A function the model may call: name, description and JSON schema of its arguments. */
export interface ChatTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** One tool call the model asked for; `arguments` is the raw JSON text it sent. */
export interface ChatToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One turn of a tool-calling conversation. */
export interface ChatRequest {
  messages: ChatMessage[];
  tools: ChatTool[];
  /** Part of the memo key: bump it when the same conversation should now be answered again. */
  promptVersion: string;
}

/** The model's reply: text and/or tool calls. */
export interface ChatAnswer {
  content: string;
  toolCalls: ChatToolCall[];
  finishReason: string;
  usage: TokenUsage;
  cached: boolean;
}

/** Token counts of one answer, as reported by the server. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A validated answer; `cached` when it came from the memo store. */
export interface JsonAnswer<T> {
  value: T;
  usage: TokenUsage;
  cached: boolean;
}

/** What a client did; token counts cover live requests only (memo hits cost nothing). */
export interface LlmStats {
  /** Completions that missed the memo (each may take several requests). */
  calls: number;
  /** HTTP completion requests sent, retries included. */
  requests: number;
  retries: number;
  malformed: number;
  memoHits: number;
  probes: number;
  promptTokens: number;
  completionTokens: number;
}

/** A client for one OpenAI-compatible endpoint and model. */
export interface LlmClient {
  readonly settings: Readonly<Omit<LlmSettings, 'apiKey'>>;
  readonly stats: Readonly<LlmStats>;
  /**
   * Checks once that the endpoint answers (GET /models; a 404 there still proves it is up). Runs by
   * itself before the first request that misses the memo, so a fully memoised run sends nothing.
   */
  probe(): Promise<void>;
  /** A memoised, retried, schema-validated completion. */
  completeJson<T>(request: JsonRequest<T>): Promise<JsonAnswer<T>>;
  /**
   * One memoised, retried turn of a tool-calling conversation (`tools` in OpenAI function form). The
   * same conversation is answered from the memo, so a re-run makes no call.
   */
  chat(request: ChatRequest): Promise<ChatAnswer>;
}

/** The endpoint cannot be reached or refuses the key: the whole run stops. */
export class LlmUnreachableError extends RemoteError {}

/** The answer stayed invalid for the schema after the malformed retries: the row fails. */
export class LlmOutputError extends RemoteError {}

/** `maxCalls` is spent: the row is left unclassified, not failed. */
export class LlmBudgetExhaustedError extends DatasmithError {
  constructor(maxCalls: number) {
    super('E_REMOTE', `LLM call budget of ${maxCalls} spent; raise --max-llm-calls to classify the remaining rows`);
  }
}

interface FailureInfo {
  retryable: boolean;
  status: number;
  what: string;
  retryAfter?: number;
}

const require = createRequire(import.meta.url);
let sdk: typeof OpenAI | undefined;

/**
 * The `openai` SDK, loaded with the first client (about 0.1 s) rather than by every command that
 * imports this package. Its CommonJS build keeps {@link createLlmClient} synchronous.
 */
function openaiSdk(): typeof OpenAI {
  sdk ??= (require('openai') as { default: typeof OpenAI }).default;
  return sdk;
}

function describeFailure(error: unknown, policy: RetryPolicy, nowMs: number): FailureInfo {
  const { APIConnectionTimeoutError, APIConnectionError, APIError } = openaiSdk();
  if (error instanceof APIConnectionTimeoutError) {
    return { retryable: true, status: 0, what: `timeout after ${policy.timeoutMs} ms` };
  }
  if (error instanceof APIConnectionError) {
    const cause = (error.cause as { cause?: { code?: string; message?: string }; message?: string } | undefined) ?? {};
    const detail = cause.cause?.code ?? cause.cause?.message ?? cause.message ?? error.message;
    return { retryable: true, status: 0, what: `connection failed (${detail})` };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    return {
      retryable: isRetryableStatus(policy, error.status),
      status: error.status,
      what: `HTTP ${error.status}${error.message ? ` (${error.message.split('\n')[0]?.slice(0, 200)})` : ''}`,
      retryAfter: retryAfterUnits(error.headers, nowMs),
    };
  }
  return { retryable: false, status: 0, what: error instanceof Error ? error.message : String(error) };
}

function credentialsOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    const secretParams = [...parsed.searchParams.entries()]
      .filter(([key]) => /token|key|secret|password|auth/i.test(key))
      .map(([, value]) => value);
    return [decodeURIComponent(parsed.username), decodeURIComponent(parsed.password), ...secretParams];
  } catch {
    return [];
  }
}

/** Redacts every URL in a text (credentials, token query values) and the given secrets. */
function redactText(text: string, secrets: readonly string[]): string {
  return redactSecrets(
    text.replace(/https?:\/\/[^\s)'"<>]+/g, (url) => redactUrl(url)),
    secrets,
  );
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What every request of one client shares: the endpoint, the policies, the budget, the memo and the counters. */
interface ClientState {
  settings: LlmSettings;
  policy: RetryPolicy;
  log: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  responseFormat: ResponseFormatMode;
  limit: ReturnType<typeof pLimit>;
  maxCalls: number;
  memo: MemoStore | undefined;
  /** The base URL with credentials redacted, for messages. */
  shownUrl: string;
  /** The API key and any credentials in the base URL: never in a message. */
  secrets: string[];
  openai: OpenAI;
  stats: LlmStats;
  probed?: Promise<void>;
}

function createClientState(options: LlmClientOptions): ClientState {
  const { settings } = options;
  const policy = normalizeRetryPolicy(options.retry);
  const state = {
    settings,
    policy,
    log: options.log ?? silentLogger,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    responseFormat: options.responseFormat ?? 'json_schema',
    limit: pLimit(Math.max(1, options.concurrency ?? 4)),
    maxCalls: options.maxCalls ?? Number.POSITIVE_INFINITY,
    memo: options.memo,
    shownUrl: redactUrl(settings.baseURL),
    secrets: [settings.apiKey, ...credentialsOf(settings.baseURL)],
  };
  const OpenAIClient = openaiSdk();
  const openai = new OpenAIClient({
    baseURL: settings.baseURL,
    apiKey: settings.apiKey,
    maxRetries: 0,
    timeout: policy.timeoutMs,
  });
  const stats: LlmStats = {
    calls: 0,
    requests: 0,
    retries: 0,
    malformed: 0,
    memoHits: 0,
    probes: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
  return { ...state, openai, stats };
}

/**
 * Sends with the retry policy through p-retry (its own backoff off: the wait is the policy's, with the
 * server's Retry-After first); the last failure becomes a RemoteError with the endpoint redacted.
 */
async function withRetries<T>(
  state: ClientState,
  label: string,
  send: () => Promise<T>,
  retries = state.policy.retries,
): Promise<T> {
  const { policy, secrets, shownUrl } = state;
  let attempts = 0;
  try {
    return await pRetry(
      () => {
        attempts++;
        return send();
      },
      {
        retries,
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          const info = describeFailure(error, policy, state.now());
          if (!info.retryable || retriesLeft === 0) return;
          const wait = retryDelayMs(policy, attemptNumber - 1, info.retryAfter);
          state.log.debug(
            `${label} ${shownUrl}: ${redactText(info.what, secrets)}; retry ${attemptNumber}/${retries} in ${wait} ms`,
          );
          state.stats.retries++;
          await state.sleep(wait);
        },
        shouldRetry: ({ error }) => describeFailure(error, policy, state.now()).retryable,
      },
    );
  } catch (error) {
    const info = describeFailure(error, policy, state.now());
    const what = redactText(info.what, secrets);
    throw new RemoteError(`${label} ${shownUrl}: ${what} after ${attempts} attempt${attempts === 1 ? '' : 's'}`, {
      status: info.status,
      url: state.settings.baseURL,
      cause: error,
    });
  }
}

async function runProbe(state: ClientState): Promise<void> {
  state.stats.probes++;
  try {
    // At most 2 retries: an endpoint that refuses connections should fail the run at once.
    await withRetries(
      state,
      'probe GET /models at',
      () => state.openai.models.list(),
      Math.min(2, state.policy.retries),
    );
  } catch (error) {
    const status = (error as RemoteError).status ?? 0;
    if (status === 404 || status === 405 || status === 501) return; // the server answered: it is up
    const hint =
      status === 401 || status === 403
        ? 'check DSPY_API_KEY / OPENAI_API_KEY'
        : 'check DSPY_URL / OPENAI_BASE_URL and that the server is running';
    throw new LlmUnreachableError(`LLM endpoint unreachable: ${(error as Error).message}; ${hint}`, {
      status,
      url: state.settings.baseURL,
      cause: error,
    });
  }
}

function probeOnce(state: ClientState): Promise<void> {
  state.probed ??= runProbe(state);
  return state.probed;
}

/** Counts one completion against the budget, probes the endpoint once, then runs `work` within the concurrency limit. */
async function spendCall<T>(state: ClientState, work: () => Promise<T>): Promise<T> {
  if (state.stats.calls >= state.maxCalls) throw new LlmBudgetExhaustedError(state.maxCalls);
  state.stats.calls++;
  await probeOnce(state);
  return state.limit(work);
}

function responseFormatFor<T>(responseFormat: ResponseFormatMode, request: JsonRequest<T>) {
  if (responseFormat === 'none') return undefined;
  if (responseFormat === 'json_object') return { type: 'json_object' as const };
  const schema = z.toJSONSchema(request.schema as z.ZodType, { target: 'draft-7' }) as Record<string, unknown>;
  delete schema.$schema;
  return { type: 'json_schema' as const, json_schema: { name: request.name, schema, strict: false } };
}

/**
 * A completion validated against the request's schema: a malformed answer (or one cut off at
 * max_tokens) is sent back with the reason, up to the policy's malformed retries.
 */
async function completeValidated<T>(
  state: ClientState,
  request: JsonRequest<T>,
): Promise<{ value: T; usage: TokenUsage }> {
  const { settings, stats, policy } = state;
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: request.system },
    { role: 'user', content: request.user },
  ];
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  const format = responseFormatFor(state.responseFormat, request);
  let reason = '';
  for (let attempt = 0; attempt <= policy.malformedRetries; attempt++) {
    const response = await withRetries(state, 'LLM request to', () => {
      stats.requests++;
      return state.openai.chat.completions.create({
        model: settings.model,
        messages,
        temperature: settings.temperature,
        max_tokens: settings.maxTokens,
        ...(format ? { response_format: format } : {}),
      });
    });
    usage.promptTokens += response.usage?.prompt_tokens ?? 0;
    usage.completionTokens += response.usage?.completion_tokens ?? 0;
    stats.promptTokens += response.usage?.prompt_tokens ?? 0;
    stats.completionTokens += response.usage?.completion_tokens ?? 0;
    const choice = response.choices?.[0];
    const content = choice?.message?.content ?? '';
    const parsed =
      choice?.finish_reason === 'length'
        ? ({ ok: false, reason: 'answer cut off at max_tokens (finish_reason=length)' } as const)
        : parseJsonAnswer(content, request.schema);
    if (parsed.ok) return { value: parsed.value, usage };
    reason = parsed.reason;
    stats.malformed++;
    state.log.debug(`LLM answer for ${request.name} malformed (${reason}); attempt ${attempt + 1}`);
    messages.splice(
      2,
      messages.length,
      { role: 'assistant', content },
      {
        role: 'user',
        content: `Your answer was invalid: ${reason}. Reply again with only the JSON object, matching the schema exactly.`,
      },
    );
  }
  const attempts = policy.malformedRetries + 1;
  throw new LlmOutputError(`LLM answer malformed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`, {
    url: settings.baseURL,
  });
}

async function completeJson<T>(state: ClientState, request: JsonRequest<T>): Promise<JsonAnswer<T>> {
  const { settings, memo } = state;
  const key = memoKey('llm', request.promptVersion, {
    model: settings.model,
    prompt: { system: request.system, user: request.user },
    promptVersion: request.promptVersion,
    temperature: settings.temperature,
  });
  const hit = memo ? await memo.get<{ value: unknown; usage: TokenUsage }>('llm', key) : undefined;
  if (hit !== undefined) {
    const parsed = request.schema.safeParse(hit.value);
    if (parsed.success) {
      state.stats.memoHits++;
      return { value: parsed.data, usage: hit.usage, cached: true };
    }
  }
  const answer = await spendCall(state, () => completeValidated(state, request));
  if (memo) await memo.put('llm', key, request.promptVersion, answer);
  return { ...answer, cached: false };
}

/** A chat answer as memoised. */
type StoredChatAnswer = Omit<ChatAnswer, 'cached'>;

/** The token counts a completion reports (0 when it reports none). */
function usageOf(response: OpenAI.Chat.ChatCompletion): TokenUsage {
  return {
    promptTokens: response.usage?.prompt_tokens ?? 0,
    completionTokens: response.usage?.completion_tokens ?? 0,
  };
}

/** The answer of a chat completion: text, function tool calls and finish reason, with its token counts. */
function chatAnswerOf(response: OpenAI.Chat.ChatCompletion, usage: TokenUsage): StoredChatAnswer {
  const choice = response.choices?.[0];
  return {
    content: choice?.message?.content ?? '',
    toolCalls: (choice?.message?.tool_calls ?? []).flatMap((c) =>
      c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : [],
    ),
    finishReason: choice?.finish_reason ?? 'stop',
    usage,
  };
}

async function chat(state: ClientState, request: ChatRequest): Promise<ChatAnswer> {
  const { settings, memo, stats } = state;
  const key = memoKey('llm-chat', request.promptVersion, {
    model: settings.model,
    messages: request.messages,
    tools: request.tools,
    temperature: settings.temperature,
  });
  const hit = memo ? await memo.get<StoredChatAnswer>('llm-chat', key) : undefined;
  if (hit !== undefined) {
    stats.memoHits++;
    return { ...hit, cached: true };
  }
  const response = await spendCall(state, () =>
    withRetries(state, 'LLM request to', () => {
      stats.requests++;
      return state.openai.chat.completions.create({
        model: settings.model,
        messages: request.messages,
        temperature: settings.temperature,
        max_tokens: settings.maxTokens,
        tools: request.tools.map((t) => ({
          type: 'function' as const,
          function: { name: t.name, description: t.description, parameters: t.parameters },
        })),
      });
    }),
  );
  const usage = usageOf(response);
  stats.promptTokens += usage.promptTokens;
  stats.completionTokens += usage.completionTokens;
  const answer = chatAnswerOf(response, usage);
  if (memo) await memo.put('llm-chat', key, request.promptVersion, answer);
  return { ...answer, cached: false };
}

/**
 * Creates a client: the `openai` SDK with its own retries off, our retry policy, bounded concurrency,
 * an optional call budget and memoisation keyed by canonical JSON of (model, prompt text,
 * prompt version, temperature).
 */
export function createLlmClient(options: LlmClientOptions): LlmClient {
  const state = createClientState(options);
  const { settings } = options;
  return {
    chat: (request) => chat(state, request),
    settings: {
      baseURL: settings.baseURL,
      model: settings.model,
      temperature: settings.temperature,
      maxTokens: settings.maxTokens,
    },
    stats: state.stats,
    probe: () => probeOnce(state),
    completeJson: (request) => completeJson(state, request),
  };
}
