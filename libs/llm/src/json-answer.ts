import type { z } from 'zod';

/** The outcome of reading a model's answer as JSON for a schema. */
export type JsonAnswerParse<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Extracts the JSON object of an answer: plain JSON, a ```json fenced block, or the outermost
 * `{…}` inside prose (models add a sentence around it despite the response format).
 */
export function extractJsonText(text: string): string {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed);
  if (fenced?.[1]) return fenced[1].trim();
  if (trimmed.startsWith('{')) return trimmed;
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  return first >= 0 && last > first ? trimmed.slice(first, last + 1) : trimmed;
}

/** Parses and validates an answer; the reason names the first invalid field. */
export function parseJsonAnswer<T>(text: string | null | undefined, schema: z.ZodType<T>): JsonAnswerParse<T> {
  if (text === null || text === undefined || text.trim() === '') return { ok: false, reason: 'empty answer' };
  let raw: unknown;
  try {
    raw = JSON.parse(extractJsonText(text));
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message.split('\n')[0]})` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return { ok: false, reason: `schema mismatch at ${path}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, value: parsed.data };
}
