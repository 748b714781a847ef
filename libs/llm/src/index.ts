export type { LlmSettings, LlmSettingsOverrides } from './config';
export { LLM_ENV_VARS, normalizeModelName, llmSettingsFromEnv } from './config';
export type { RetryPolicy } from './retry';
export { DEFAULT_RETRY_POLICY, normalizeRetryPolicy, retryAfterUnits, retryDelayMs, isRetryableStatus } from './retry';
export type { JsonAnswerParse } from './json-answer';
export { extractJsonText, parseJsonAnswer } from './json-answer';
export type {
  ResponseFormatMode,
  LlmClientOptions,
  JsonRequest,
  TokenUsage,
  JsonAnswer,
  LlmStats,
  LlmClient,
  ChatMessage,
  ChatTool,
  ChatToolCall,
  ChatRequest,
  ChatAnswer,
} from './client';
export {
  createLlmClient,
  LlmUnreachableError,
  LlmOutputError,
  LlmBudgetExhaustedError,
} from './client';
