import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CardConfig, type HubFile, configDataPath, renderDatasetCard } from '@datasmith/hub';
import type { Logger } from '@datasmith/progress';
import type { DistributionClient, RegistryEndpoint } from '@datasmith/registry';
import { parseImageReference } from '@datasmith/registry';
import { DatasetRow, type ImageRow, type MasterRow, PUBLISH_TABLE_KEYS, sortRows, writeTable } from '@datasmith/tables';
import { normalizeClassificationLabel, normalizeDifficultyLabel } from '../merge/normalize';
import { type TaskKeySet, taskKey } from './verified';

/** Bump when the same master and images would now give a different dataset. */
export const DATASET_CODE_VERSION = '1';

/** The dataset's container name: lower-cased `owner-repo-<pr_base_sha>:final` (reference §1.2). */
export function containerNameOf(repoName: string, baseSha: string): string {
  return `${repoName.replace('/', '-')}-${baseSha}:final`.toLowerCase();
}

/**
 * The original's `task_id` (reference §1.2), reproduced verbatim for id compatibility: strip
 * `:pkg`/`:final`, split on `-`, drop the last piece (the sha), owner = the first ⌊n/2⌋ pieces,
 * repo = the rest, `owner_repo_prnumber`. `pandas-dev/pandas` PR 50643 gives
 * `pandas_dev-pandas_50643`: "wrong", and kept so.
 */
export function taskIdOf(containerName: string, prNumber: number | null): string {
  const stem = containerName.replace(/:(pkg|final)$/, '');
  const pieces = stem.split('-').slice(0, -1);
  const half = Math.floor(pieces.length / 2);
  const owner = pieces.slice(0, half).join('-');
  const repo = pieces.slice(half).join('-');
  return `${owner}_${repo}_${prNumber ?? ''}`;
}

/** Why a master row is not in the dataset (summary reasons). */
export type DatasetDropReason =
  | 'no_base_sha'
  | 'no_image'
  | 'image_not_published'
  | 'filtered_out'
  | 'over_repo_limit'
  | 'registry_missing'
  | 'registry_digest_mismatch';

export interface BuildDatasetInput {
  master: readonly MasterRow[];
  images: readonly ImageRow[];
  /** Adds the `verified` config (rows whose `(repo_name, pr_merge_commit_sha)` is listed). */
  verified?: TaskKeySet | null;
  /** Keeps only listed rows (the original's `--filter-by`). */
  filterBy?: TaskKeySet | null;
  /** Keeps the first N rows per repository (by merge date); negative or absent = all. */
  limitPerRepo?: number;
  /** The `pipeline_version` provenance column. */
  pipelineVersion: string;
}

/** A config of the published dataset. */
export interface DatasetConfig {
  name: string;
  description: string;
  rows: DatasetRow[];
}

export interface BuildDatasetResult {
  rows: DatasetRow[];
  dropped: Partial<Record<DatasetDropReason, number>>;
}

function pickImage(candidates: readonly ImageRow[]): ImageRow | null {
  const ranked = [...candidates].sort((a, b) => {
    const score = (r: ImageRow) => (r.kept && r.digest ? 2 : 0) + (r.registry ? 1 : 0);
    if (score(a) !== score(b)) return score(b) - score(a);
    const pa = a.pushed_at ?? '';
    const pb = b.pushed_at ?? '';
    if (pa !== pb) return pa < pb ? 1 : -1;
    return (a.image_name ?? '') < (b.image_name ?? '') ? -1 : 1;
  });
  return ranked[0] ?? null;
}

/**
 * Step 7 (global), pure: master rows joined to their published image, in the original's order of
 * transformations (reference §10): container name, normalised difficulty and classification,
 * sorted by merge date, optional filter, only rows whose image is in `images` with a digest,
 * optional per-repository limit, then `task_id` and the provenance columns.
 */
export function buildDataset(input: BuildDatasetInput): BuildDatasetResult {
  const dropped: Partial<Record<DatasetDropReason, number>> = {};
  const drop = (reason: DatasetDropReason) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  };
  const imagesByContainer = new Map<string, ImageRow[]>();
  for (const image of input.images) {
    const list = imagesByContainer.get(image.container_name) ?? [];
    list.push(image);
    imagesByContainer.set(image.container_name, list);
  }
  const ordered = sortRows(input.master as Array<MasterRow & Record<string, unknown>>, [
    'pr_merged_at',
    'repo_name',
    'pr_number',
    'pr_merge_commit_sha',
  ]);
  const perRepo = new Map<string, number>();
  const rows: DatasetRow[] = [];
  for (const row of ordered) {
    if (!row.pr_base_sha) {
      drop('no_base_sha');
      continue;
    }
    if (input.filterBy && !input.filterBy.has(taskKey(row.repo_name, row.pr_merge_commit_sha))) {
      drop('filtered_out');
      continue;
    }
    const container = containerNameOf(row.repo_name, row.pr_base_sha);
    const image = pickImage(imagesByContainer.get(container) ?? []);
    if (!image) {
      drop('no_image');
      continue;
    }
    if (!image.kept || !image.digest || !image.image_name) {
      drop('image_not_published');
      continue;
    }
    if (input.limitPerRepo !== undefined && input.limitPerRepo >= 0) {
      const family = row.repo_name.toLowerCase();
      const n = perRepo.get(family) ?? 0;
      if (n >= input.limitPerRepo) {
        drop('over_repo_limit');
        continue;
      }
      perRepo.set(family, n + 1);
    }
    rows.push(
      DatasetRow.parse({
        task_id: taskIdOf(container, row.pr_number),
        repo_name: row.repo_name,
        container_name: container,
        image_name: image.image_name,
        image_digest: image.digest,
        difficulty: normalizeDifficultyLabel(row.difficulty),
        classification: normalizeClassificationLabel(row.classification),
        patch: row.patch,
        final_md: row.final_md,
        pr_merged_at: row.pr_merged_at,
        pr_merge_commit_sha: row.pr_merge_commit_sha,
        pr_base_sha: row.pr_base_sha,
        pr_number: row.pr_number,
        pipeline_version: input.pipelineVersion,
        backend: row.backend,
        model: row.model,
        prompt_version: row.prompt_version,
        verified: row.verified ?? null,
        speedup: row.speedup ?? null,
        verify_reason: row.verify_reason ?? null,
      }),
    );
  }
  return { rows: sortRows(rows, PUBLISH_TABLE_KEYS.dataset), dropped };
}

/** How the `verified` config was chosen, for the log and the card. */
export interface VerifiedChoice {
  source: 'measured' | 'list';
  measured: number;
  listed: number | null;
  /** With a list: listed tasks verify did not verify, and verified tasks the list leaves out. */
  addedByHand: number;
  removedByHand: number;
  description: string;
}

/**
 * The `verified` config: the tasks verify measured significantly faster (`verified` true). A
 * hand-made list (`--verified`, the original's `--valid-tasks`) still overrides it, and says by how
 * much: tasks it adds that were not measured verified, and measured ones it leaves out. Without
 * either (nothing measured, no list) there is no `verified` config.
 */
export function chooseVerified(
  rows: readonly DatasetRow[],
  list: TaskKeySet | null | undefined,
): { rows: DatasetRow[]; choice: VerifiedChoice } | null {
  const measured = rows.filter((r) => r.verified === true);
  const anyMeasured = rows.some((r) => r.verified !== null && r.verified !== undefined);
  if (!list) {
    if (!anyMeasured) return null;
    return {
      rows: measured,
      choice: {
        source: 'measured',
        measured: measured.length,
        listed: null,
        addedByHand: 0,
        removedByHand: 0,
        description: 'the gold patch measured significantly faster with asv in the task image (datasmith verify)',
      },
    };
  }
  const listed = rows.filter((r) => list.has(taskKey(r.repo_name, r.pr_merge_commit_sha)));
  const added = listed.filter((r) => r.verified !== true).length;
  const removed = measured.filter((r) => !list.has(taskKey(r.repo_name, r.pr_merge_commit_sha))).length;
  return {
    rows: listed,
    choice: {
      source: 'list',
      measured: measured.length,
      listed: listed.length,
      addedByHand: added,
      removedByHand: removed,
      description: `hand-made list (--verified), overriding the ${measured.length} measured: ${added} added by hand, ${removed} measured removed by hand`,
    },
  };
}

/** `default`, `verified` (measured, or a hand-made list) and one config per month of `pr_merged_at` (UTC). */
export function datasetConfigs(rows: readonly DatasetRow[], verified: TaskKeySet | null | undefined): DatasetConfig[] {
  const configs: DatasetConfig[] = [{ name: 'default', description: 'every task', rows: [...rows] }];
  const chosen = chooseVerified(rows, verified);
  if (chosen) configs.push({ name: 'verified', description: chosen.choice.description, rows: chosen.rows });
  const months = new Map<string, DatasetRow[]>();
  for (const row of rows) {
    const month = row.pr_merged_at?.slice(0, 7);
    if (!month || !/^\d{4}-\d{2}$/.test(month)) continue;
    const list = months.get(month) ?? [];
    list.push(row);
    months.set(month, list);
  }
  for (const month of [...months.keys()].sort()) {
    configs.push({ name: month, description: `tasks merged in ${month} (UTC)`, rows: months.get(month) ?? [] });
  }
  return configs;
}

/** Column notes for the dataset card. */
export const DATASET_COLUMNS: ReadonlyArray<[string, string]> = [
  ['task_id', '`<owner>_<repo>_<pr_number>` (the original heuristic)'],
  ['repo_name', 'owner/name on GitHub'],
  ['container_name', '`<owner>-<repo>-<pr_base_sha>:final`, lower case'],
  ['image_name', 'the image to pull'],
  ['image_digest', 'its manifest digest (local image id when published without a registry)'],
  ['difficulty', 'easy, medium, hard or unknown'],
  ['classification', 'one of 14 optimisation categories'],
  ['patch', 'the merged change (`git diff pr_base_sha merge`)'],
  ['final_md', 'the task brief given to an agent'],
  ['pr_merged_at', 'merge time, UTC'],
  ['pr_merge_commit_sha', 'the landed commit'],
  ['pr_base_sha', 'the commit the task starts from'],
  ['pr_number', 'pull request number'],
  ['pipeline_version, backend, model, prompt_version', 'provenance: datasmith version and the classifier that decided'],
  [
    'verified, speedup, verify_reason',
    'datasmith verify: the gold patch measured against its base with asv (null: not measured)',
  ],
];

/**
 * The Hub layout of the configs: `<config>/train-00000-of-00001.parquet` for each (all with the
 * full table's schema, empty ones included) and the card `README.md`. Parquet bytes come from the
 * tables writer, so equal rows give equal files.
 */
export async function datasetHubFiles(configs: readonly DatasetConfig[], repoId?: string): Promise<HubFile[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ds-dataset-'));
  try {
    const files: HubFile[] = [];
    const cardConfigs: CardConfig[] = [];
    for (const config of configs) {
      const path = configDataPath(config.name);
      const local = join(dir, `${config.name}.parquet`);
      await writeTable(local, DatasetRow, config.rows, PUBLISH_TABLE_KEYS.dataset);
      files.push({ path, content: new Uint8Array(await readFile(local)) });
      cardConfigs.push({ name: config.name, path, rows: config.rows.length, description: config.description });
    }
    const card = renderDatasetCard({ configs: cardConfigs, repoId, columns: DATASET_COLUMNS });
    files.unshift({ path: 'README.md', content: new TextEncoder().encode(card) });
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `--check-registry`: keeps rows whose image the live registry still serves under its name with the
 * recorded digest. Rows without a registry (local-only images) are kept unchecked.
 */
export async function checkRegistry(
  rows: readonly DatasetRow[],
  deps: { client: (registry: RegistryEndpoint) => DistributionClient; log: Logger },
): Promise<BuildDatasetResult> {
  const kept: DatasetRow[] = [];
  const dropped: Partial<Record<DatasetDropReason, number>> = {};
  let unchecked = 0;
  const clients = new Map<string, DistributionClient>();
  for (const row of rows) {
    const ref = parseImageReference(row.image_name);
    if (!ref || !row.image_digest.startsWith('sha256:') || !row.image_name.includes('/')) {
      unchecked++;
      kept.push(row);
      continue;
    }
    let client = clients.get(ref.registry.host);
    if (!client) {
      client = deps.client(ref.registry);
      clients.set(ref.registry.host, client);
    }
    const digest = await client.manifestDigest(ref.path, ref.tag);
    if (digest === row.image_digest) kept.push(row);
    else {
      const reason: DatasetDropReason = digest ? 'registry_digest_mismatch' : 'registry_missing';
      dropped[reason] = (dropped[reason] ?? 0) + 1;
      deps.log.warn(
        `dataset: ${row.task_id}: ${row.image_name} ${digest ? `now has digest ${digest}, not ${row.image_digest}` : 'is not in the registry'}; dropped`,
      );
    }
  }
  if (unchecked) deps.log.info(`dataset: ${unchecked} local-only images not checked (no registry)`);
  return { rows: kept, dropped };
}
