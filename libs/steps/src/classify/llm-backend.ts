import type { JsonRequest } from '@datasmith/llm';
import { type Difficulty, OptimizationCategory, type PreparedRow } from '@datasmith/tables';
import { z } from 'zod';
import { o200k } from '../common/o200k';
import type { RowFeatures } from '../prepare/features';
import { type ClassifyPrompts, renderTemplate } from './prompts/prompts';
import { type PrReport, renderReport } from './report';

/** The answer the model must give: one call per gated row decides, classifies and states the problem. */
export const LlmVerdict = z.object({
  is_performance_commit: z.boolean(),
  explanation: z.string(),
  category: z.string().nullable(),
  difficulty: z.string().nullable(),
  confidence: z.number(),
  problem_statement: z.string(),
});
export type LlmVerdict = z.infer<typeof LlmVerdict>;

/** Human labels of older runs ("Cache & reuse") and near-misses, mapped to the enum (reference §6.2). */
export function normalizeCategory(value: string | null): OptimizationCategory {
  if (!value) return 'uncategorized';
  const key = value
    .trim()
    .toLowerCase()
    .replace(/&/g, 'and')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  const parsed = OptimizationCategory.safeParse(key);
  if (parsed.success) return parsed.data;
  const aliases: Record<string, OptimizationCategory> = {
    use_a_better_algorithm: 'use_better_algorithm',
    use_a_better_data_structure_and_layout: 'use_better_data_structure_and_layout',
    use_a_better_data_structure: 'use_better_data_structure_and_layout',
    use_a_lower_level_system: 'use_lower_level_system',
    use_a_higher_level_system: 'use_higher_level_system',
    parallelization: 'use_parallelization',
    cache_reuse: 'cache_and_reuse',
    caching: 'cache_and_reuse',
    do_it_earlier_batch_it_throttle_it: 'do_it_earlier_batch_throttle',
    io_latency_hiding: 'io_and_latency_hiding',
    micro_optimization: 'micro_optimizations',
    database_storage_tuning: 'database_and_storage_tuning',
  };
  return aliases[key] ?? 'uncategorized';
}

/** easy|medium|hard, anything else unknown. */
export function normalizeDifficulty(value: string | null): Difficulty {
  const v = value?.trim().toLowerCase() ?? '';
  return v === 'easy' || v === 'medium' || v === 'hard' ? v : 'unknown';
}

/** 0–100 integer; a 0–1 fraction is read as a share. */
export function normalizeConfidence(value: number): number {
  const scaled = value > 0 && value <= 1 && !Number.isInteger(value) ? value * 100 : value;
  return Math.max(0, Math.min(100, Math.round(scaled)));
}

/** `| File | Lines Added | Lines Removed | Total Changes |` (reference §1.6). */
export function fileChangeSummary(f: RowFeatures): string {
  const rows = f.files.map(
    (file) =>
      `| ${file.path} | ${file.added.length} | ${file.removed.length} | ${file.added.length + file.removed.length} |`,
  );
  return ['| File | Lines Added | Lines Removed | Total Changes |', '|---|---|---|---|', ...rows].join('\n');
}

/** The patch cut to `maxTokens` o200k_base tokens, with a marker when cut. */
export function truncatePatch(patch: string, maxTokens: number): string {
  const { encode, decode } = o200k();
  const tokens = encode(patch, { disallowedSpecial: new Set() });
  if (tokens.length <= maxTokens) return patch;
  return `${decode(tokens.slice(0, maxTokens))}\n... [patch truncated at ${maxTokens} tokens]`;
}

/** The request for one row: prompts of the version, the report, the file summary and the patch. */
export function llmRequestFor(
  row: PreparedRow,
  f: RowFeatures,
  report: PrReport,
  prompts: ClassifyPrompts,
  maxPatchTokens: number,
): JsonRequest<LlmVerdict> {
  return {
    name: 'classify_pull_request',
    system: prompts.system,
    user: renderTemplate(prompts.user, {
      report: renderReport(report),
      file_change_summary: fileChangeSummary(f),
      patch: truncatePatch(row.patch ?? '', maxPatchTokens),
    }),
    schema: LlmVerdict,
    promptVersion: prompts.version,
  };
}
