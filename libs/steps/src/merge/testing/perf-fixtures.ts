import { createHash } from 'node:crypto';
import { dataLayout } from '@datasmith/paths';
import {
  CLASSIFY_TABLE_KEYS,
  ClassifiedRow,
  type ImageRow,
  ImageRow as ImageRowSchema,
  PUBLISH_TABLE_KEYS,
  writeTable,
} from '@datasmith/tables';

/** A deterministic 40-hex sha from a seed. */
export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** A valid `perf` row (tests): a performance PR of `repo` merged at `mergedAt`. */
export function perfRow(
  repo: string,
  number: number,
  mergedAt: string,
  overrides: Partial<ClassifiedRow> = {},
): ClassifiedRow {
  const base = fakeSha(`${repo}#${number}:base`);
  const merge = fakeSha(`${repo}#${number}:merge`);
  return ClassifiedRow.parse({
    repo_name: repo,
    pr_number: number,
    pr_title: `Speed up thing ${number}`,
    pr_body: `Makes thing ${number} faster.`,
    pr_merged_at: mergedAt,
    pr_merge_commit_sha: merge,
    sha: merge,
    pr_base_sha: base,
    pr_base_ref_sha: null,
    merge_style: 'squash',
    message: `Speed up thing ${number} (#${number})`,
    date: mergedAt,
    files_changed: 'pkg/core.py',
    total_additions: 3,
    total_deletions: 2,
    total_files_changed: 1,
    has_asv: true,
    patch: `diff --git a/pkg/core.py b/pkg/core.py\n--- a/pkg/core.py\n+++ b/pkg/core.py\n@@ -1 +1 @@\n-slow(${number})\n+fast(${number})\n`,
    kept: true,
    drop_reason: null,
    source: 'store',
    n_patch_tokens: 20,
    total_changes: 5,
    n_files_changed: 1,
    is_perf_candidate: true,
    perf_gate_explanation: 'title: speed up',
    container_name: `${repo.replace('/', '-')}-${base}:final`.toLowerCase(),
    patch_source: 'git',
    is_performance_commit: true,
    classification: 'use_better_algorithm',
    difficulty: 'easy',
    classification_explanation: 'faster algorithm',
    classification_confidence: 80,
    has_linked_issue: false,
    problem_statement: `Thing ${number} is slow.`,
    final_md: `# Task\nThing ${number} is slow.`,
    backend: 'rules',
    model: null,
    prompt_version: 'rules-1',
    ...overrides,
  });
}

/** Writes `data/classify/<slug>/<month>/perf.parquet`. */
export async function writePerfPartition(
  root: string,
  repo: string,
  month: string,
  rows: ClassifiedRow[],
): Promise<string> {
  const path = dataLayout(root).tablePath('classify', repo, month, 'perf');
  await writeTable(path, ClassifiedRow, rows, CLASSIFY_TABLE_KEYS.perf);
  return path;
}

/** A published image row for a perf row (local registry style). */
export function imageRowFor(
  row: Pick<ClassifiedRow, 'repo_name' | 'pr_base_sha'>,
  overrides: Partial<ImageRow> = {},
): ImageRow {
  const container = `${row.repo_name.replace('/', '-')}-${row.pr_base_sha}:final`.toLowerCase();
  const tag = container.replace(':', '--');
  return ImageRowSchema.parse({
    container_name: container,
    repo_name: row.repo_name,
    pr_base_sha: row.pr_base_sha,
    image_name: `127.0.0.1:5000/datasmith/all:${tag}`,
    image_id: `sha256:${createHash('sha256').update(`id:${container}`).digest('hex')}`,
    registry: '127.0.0.1:5000',
    digest: `sha256:${createHash('sha256').update(`digest:${container}`).digest('hex')}`,
    pushed_at: '2024-06-01T00:00:00Z',
    kept: true,
    drop_reason: null,
    publish_explanation: 'pushed (1 attempt)',
    ...overrides,
  });
}

/** Writes `data/publish/<slug>/<month>/images.parquet`. */
export async function writeImagesPartition(
  root: string,
  repo: string,
  month: string,
  rows: ImageRow[],
): Promise<string> {
  const path = dataLayout(root).tablePath('publish', repo, month, 'images');
  await writeTable(path, ImageRowSchema, rows, PUBLISH_TABLE_KEYS.images);
  return path;
}
