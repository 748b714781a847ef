import { ConfigError, redactUrl } from '@datasmith/errors';

/** Environment variables the LLM backend reads (the original's DSPY_* names, then the OpenAI SDK's). */
export const LLM_ENV_VARS = [
  'DSPY_URL',
  'DSPY_MODEL_NAME',
  'DSPY_API_KEY',
  'DSPY_TEMPERATURE',
  'DSPY_MAX_TOKENS',
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY',
  'OPENAI_MODEL',
] as const;

/** Endpoint and sampling settings of an OpenAI-compatible server. */
export interface LlmSettings {
  /** e.g. `http://localhost:30000/v1`. */
  baseURL: string;
  /** Sent as `Authorization: Bearer`; local servers accept any value. */
  apiKey: string;
  /** The model name the server knows, provider prefixes already stripped. */
  model: string;
  /** Default 0. */
  temperature: number;
  /** Generation budget (`max_tokens`). Default 8000, as the original's LM config. */
  maxTokens: number;
}

/** Overrides from flags; each wins over the environment. */
export interface LlmSettingsOverrides {
  baseURL?: string;
  apiKey?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
}

/**
 * LiteLLM/DSPy provider prefixes: `openai/gpt-4o` means "model gpt-4o through the openai provider",
 * so the server must be sent `gpt-4o`. Only these are stripped, because a slash can be part of a real
 * model id (`meta-llama/Llama-3.1-8B-Instruct` on vLLM).
 */
const PROVIDER_PREFIXES = [
  'openai',
  'hosted_vllm',
  'vllm',
  'azure',
  'anthropic',
  'together_ai',
  'ollama',
  'ollama_chat',
  'groq',
  'deepseek',
  'fireworks_ai',
  'mistral',
  'openrouter',
  'lm_studio',
  'litellm_proxy',
  'custom_openai',
];

/** `local/openai/gpt-oss-120b` → `gpt-oss-120b`: strips `local/` and one provider prefix. */
export function normalizeModelName(name: string): string {
  let out = name.trim();
  if (out.startsWith('local/')) out = out.slice('local/'.length);
  const slash = out.indexOf('/');
  if (slash > 0 && PROVIDER_PREFIXES.includes(out.slice(0, slash))) out = out.slice(slash + 1);
  return out;
}

function pick(env: NodeJS.ProcessEnv, ...keys: string[]): { key: string; value: string } | undefined {
  for (const key of keys) {
    const value = env[key]?.trim();
    if (value) return { key, value };
  }
  return undefined;
}

function numberFrom(
  env: NodeJS.ProcessEnv,
  key: string,
  fallback: number,
  check: (n: number) => boolean,
  expected: string,
): number {
  const raw = env[key]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) {
    throw new ConfigError(`Invalid ${key}: ${JSON.stringify(raw)}; expected ${expected}`);
  }
  return n;
}

/**
 * Resolves the LLM settings from an environment (tokens.env merged by the caller) and flag
 * overrides. DSPY_* wins over OPENAI_* so existing tokens.env files keep working. Throws a
 * ConfigError naming the missing variable.
 */
export function llmSettingsFromEnv(env: NodeJS.ProcessEnv, overrides: LlmSettingsOverrides = {}): LlmSettings {
  const url = overrides.baseURL ?? pick(env, 'DSPY_URL', 'OPENAI_BASE_URL')?.value;
  if (!url) {
    throw new ConfigError(
      'Missing LLM endpoint: set DSPY_URL or OPENAI_BASE_URL (an OpenAI-compatible base URL such as http://localhost:30000/v1), or use --backend rules',
    );
  }
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`Invalid LLM endpoint ${JSON.stringify(redactUrl(url))}: not a URL`);
  }
  const model = overrides.model ?? pick(env, 'DSPY_MODEL_NAME', 'OPENAI_MODEL')?.value;
  if (!model) throw new ConfigError('Missing LLM model: set DSPY_MODEL_NAME or OPENAI_MODEL, or pass --model');
  const temperature =
    overrides.temperature ??
    numberFrom(env, 'DSPY_TEMPERATURE', 0, (n) => n >= 0 && n <= 2, 'a number between 0 and 2');
  const maxTokens =
    overrides.maxTokens ??
    numberFrom(env, 'DSPY_MAX_TOKENS', 8000, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const apiKey = overrides.apiKey ?? pick(env, 'DSPY_API_KEY', 'OPENAI_API_KEY')?.value ?? 'not-needed';
  return { baseURL: url.replace(/\/+$/, ''), apiKey, model: normalizeModelName(model), temperature, maxTokens };
}
