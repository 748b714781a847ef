import { describe, expect, it } from 'vitest';
import { llmSettingsFromEnv, normalizeModelName } from './config';
import { DEFAULT_RETRY_POLICY, retryAfterUnits, retryDelayMs } from './retry';

describe('normalizeModelName', () => {
  it.each([
    ['local/openai/gpt-oss-120b', 'gpt-oss-120b'],
    ['openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['hosted_vllm/Qwen/Qwen2.5-7B', 'Qwen/Qwen2.5-7B'],
    ['meta-llama/Llama-3.1-8B-Instruct', 'meta-llama/Llama-3.1-8B-Instruct'],
    ['gpt-4o', 'gpt-4o'],
    ['local/my-model', 'my-model'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeModelName(input)).toBe(expected);
  });
});

describe('llmSettingsFromEnv', () => {
  it('reads the DSPY_* names first, then OPENAI_*', () => {
    expect(
      llmSettingsFromEnv({
        DSPY_URL: 'http://localhost:30000/v1/',
        DSPY_MODEL_NAME: 'local/openai/gpt-oss-120b',
        DSPY_TEMPERATURE: '0.7',
        DSPY_MAX_TOKENS: '16000',
        OPENAI_BASE_URL: 'http://other/v1',
        OPENAI_API_KEY: 'sk-x',
      }),
    ).toEqual({
      baseURL: 'http://localhost:30000/v1',
      apiKey: 'sk-x',
      model: 'gpt-oss-120b',
      temperature: 0.7,
      maxTokens: 16000,
    });
    expect(llmSettingsFromEnv({ OPENAI_BASE_URL: 'http://o/v1', OPENAI_MODEL: 'gpt-4o' })).toEqual({
      baseURL: 'http://o/v1',
      apiKey: 'not-needed',
      model: 'gpt-4o',
      temperature: 0,
      maxTokens: 8000,
    });
    expect(llmSettingsFromEnv({ DSPY_URL: 'http://a/v1', DSPY_MODEL_NAME: 'x' }, { model: 'openai/y' }).model).toBe(
      'y',
    );
  });

  it.each([
    ['no endpoint', {}, /Missing LLM endpoint: set DSPY_URL or OPENAI_BASE_URL/],
    ['no model', { DSPY_URL: 'http://a/v1' }, /Missing LLM model: set DSPY_MODEL_NAME/],
    [
      'bad temperature',
      { DSPY_URL: 'http://a/v1', DSPY_MODEL_NAME: 'm', DSPY_TEMPERATURE: 'hot' },
      /Invalid DSPY_TEMPERATURE: "hot"/,
    ],
    [
      'bad max tokens',
      { DSPY_URL: 'http://a/v1', DSPY_MODEL_NAME: 'm', DSPY_MAX_TOKENS: '1.5' },
      /Invalid DSPY_MAX_TOKENS/,
    ],
    ['not a URL', { DSPY_URL: 'localhost', DSPY_MODEL_NAME: 'm' }, /Invalid LLM endpoint "localhost"/],
  ])('rejects %s', (_name, env, message) => {
    expect(() => llmSettingsFromEnv(env)).toThrow(message);
  });
});

describe('retry policy', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, unitMs: 10, maxWait: 5 };
  it.each([
    ['first backoff', 0, undefined, 10],
    ['doubles', 2, undefined, 40],
    ['capped', 6, undefined, 50],
    ['Retry-After wins', 0, 3, 30],
    ['Retry-After capped', 0, 600, 50],
  ])('%s', (_name, attempt, retryAfter, ms) => {
    expect(retryDelayMs(policy, attempt, retryAfter)).toBe(ms);
  });

  it('reads Retry-After as seconds, an HTTP date or retry-after-ms', () => {
    expect(retryAfterUnits(new Headers({ 'retry-after': '7' }), 0)).toBe(7);
    expect(retryAfterUnits(new Headers({ 'retry-after-ms': '1500' }), 0)).toBe(1.5);
    expect(retryAfterUnits(new Headers({ 'retry-after': new Date(20_000).toUTCString() }), 10_000)).toBe(10);
    expect(retryAfterUnits(new Headers({}), 0)).toBeUndefined();
    expect(retryAfterUnits(new Headers({ 'retry-after': 'soon' }), 0)).toBeUndefined();
  });
});
