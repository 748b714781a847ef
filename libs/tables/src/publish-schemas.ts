import { z } from 'zod';
import { globalTable, partitionTable } from './table-spec';
import { ClassifiedRow, Difficulty, OptimizationCategory } from './classify-schemas';
import { DropReason } from './schemas';

const isoInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'expected an ISO-8601 instant');
const sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-hex commit sha');
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex>');

/**
 * `images` (step 5): one row per task of a month's synthesize results, pushed or not. The digest is
 * the registry's manifest digest when pushed; with no registry configured it is the local image id
 * and `registry` is null (spec §3).
 */
export const ImageRow = z.object({
  container_name: z.string().describe('lower-cased `<owner>-<repo>-<pr_base_sha>:final`, the dataset key'),
  repo_name: z.string().describe('owner/name'),
  pr_base_sha: sha.describe('the commit the image is built at'),
  image_name: z
    .string()
    .nullable()
    .describe('the reference to pull: `[host/]ns/repo:tag` when pushed, the local name otherwise; null without image'),
  image_id: digest.nullable().describe('the local image id (config digest); null when no image was found'),
  registry: z.string().nullable().describe('registry host (`docker.io`, `127.0.0.1:5000`); null for local-only'),
  digest: digest
    .nullable()
    .describe('manifest digest in the registry, or the image id without registry; null unless published'),
  pushed_at: isoInstant
    .nullable()
    .describe('first push of this digest to this reference; null when local-only or found already there'),
  kept: z.boolean().describe('the image is published (digest set)'),
  drop_reason: DropReason.nullable(),
  publish_explanation: z.string().describe('what happened: pushed, skipped as present, local only, or the error'),
});
export type ImageRow = z.infer<typeof ImageRow>;

type NullableShape<T extends z.ZodRawShape> = { [K in keyof T]: z.ZodNullable<T[K]> };

function nullableShape<T extends z.ZodRawShape>(shape: T): NullableShape<T> {
  const out: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) out[key] = (field as z.ZodType).nullable();
  return out as NullableShape<T>;
}

const { repo_name, pr_merge_commit_sha, pr_base_sha, ...rest } = ClassifiedRow.shape;

/**
 * `master` (step 6, global): every month's `perf` rows plus imported legacy rows, deduplicated on
 * `(repo_name, pr_merge_commit_sha, pr_base_sha)`. Legacy rows of the original lack many columns, so
 * every column but the key is nullable here.
 */
export const MasterRow = z.object({
  repo_name,
  pr_merge_commit_sha,
  pr_base_sha,
  ...nullableShape(rest),
  month: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .describe('the partition the row came from (legacy: month of pr_merged_at)'),
  origin: z.enum(['partition', 'legacy']).describe('a classify partition, or the imported legacy master'),
  verified: z
    .boolean()
    .nullable()
    .default(null)
    .describe("verify's verdict: the gold patch is significantly faster (null: not measured)"),
  speedup: z.number().nullable().default(null).describe("verify's best before/after of the task's benchmarks"),
  verify_reason: z.string().nullable().default(null).describe('why verify did not verify it'),
});
export type MasterRow = z.infer<typeof MasterRow>;

/**
 * `dataset` (step 7, global): the published task table. Names and formats of `task_id` and
 * `container_name` follow the original (reference §1.2, §10).
 */
export const DatasetRow = z.object({
  task_id: z.string().describe('`<owner>_<repo>_<pr_number>` by the original halving heuristic'),
  repo_name: z.string(),
  container_name: z.string(),
  image_name: z.string(),
  image_digest: z.string().describe('registry manifest digest, or the local image id when no registry'),
  difficulty: Difficulty,
  classification: OptimizationCategory,
  patch: z.string().nullable(),
  final_md: z.string().nullable(),
  pr_merged_at: isoInstant.nullable(),
  pr_merge_commit_sha: sha,
  pr_base_sha: sha,
  pr_number: z.number().int().nullable(),
  pipeline_version: z.string(),
  backend: z.string().nullable(),
  model: z.string().nullable(),
  prompt_version: z.string().nullable(),
  verified: z
    .boolean()
    .nullable()
    .default(null)
    .describe('the gold patch measured significantly faster with asv in the image (null: not measured)'),
  speedup: z.number().nullable().default(null).describe('measured before/after of the best benchmark'),
  verify_reason: z.string().nullable().default(null),
});
export type DatasetRow = z.infer<typeof DatasetRow>;

/** Sort keys of the publish, merge and dataset tables. */
export const PUBLISH_TABLE_KEYS = {
  images: ['repo_name', 'container_name'],
  master: ['repo_name', 'pr_merged_at', 'pr_number', 'pr_merge_commit_sha', 'pr_base_sha'],
  dataset: ['pr_merged_at', 'repo_name', 'pr_number', 'task_id', 'pr_merge_commit_sha'],
} as const;

/** `publish/<repo>/<month>/images.parquet`. */
export const IMAGES_TABLE = partitionTable('publish', 'images', ImageRow, PUBLISH_TABLE_KEYS.images);
/** `data/master/master.parquet`, written by merge. */
export const MASTER_TABLE = globalTable('master', 'masterTable', MasterRow, PUBLISH_TABLE_KEYS.master);
