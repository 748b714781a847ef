import { existsSync, readdirSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASMITH_LABEL_KEYS } from '@datasmith/docker';
import { PARTITIONED_STEPS, type PartitionedStep, repoFromSlug } from '@datasmith/paths';
import type Docker from 'dockerode';

/** A repository's folder under one step that no listed repository owns. */
export interface StalePartitionDir {
  step: PartitionedStep;
  repo: string;
  /** `<out-root>/<step>/<owner>__<name>` */
  dir: string;
  /** Month folders inside. */
  months: number;
  bytes: number;
}

const SLUG_DIR = /^[A-Za-z0-9_.-]+__[A-Za-z0-9_.-]+$/;

async function sizeOf(path: string): Promise<number> {
  const info = await lstat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

/**
 * The per-repository folders of every partitioned step (`<root>/<step>/<owner>__<name>`) whose
 * repository is not in `listed` (GitHub names compare case-insensitively). Other folders are left.
 */
export async function findStalePartitions(root: string, listed: readonly string[]): Promise<StalePartitionDir[]> {
  const keep = new Set(listed.map((r) => r.toLowerCase()));
  const out: StalePartitionDir[] = [];
  for (const step of PARTITIONED_STEPS) {
    const stepDir = join(root, step);
    if (!existsSync(stepDir)) continue;
    for (const slug of readdirSync(stepDir).sort()) {
      if (!SLUG_DIR.test(slug)) continue;
      const repo = repoFromSlug(slug);
      if (keep.has(repo.toLowerCase())) continue;
      const dir = join(stepDir, slug);
      const months = readdirSync(dir).filter((m) => /^\d{4}-\d{2}$/.test(m)).length;
      out.push({ step, repo, dir, months, bytes: await sizeOf(dir) });
    }
  }
  return out;
}

/** Removes the folders found by {@link findStalePartitions}. */
export async function removeStalePartitions(stale: readonly StalePartitionDir[]): Promise<void> {
  for (const s of stale) await rm(s.dir, { recursive: true, force: true });
}

/** A stopped container or dangling image gc removes (or would). */
export interface PrunedItem {
  kind: 'container' | 'image';
  id: string;
  /** Container name or the image's `datasmith.task`/`datasmith.base` label. */
  name: string;
  bytes: number;
}

export interface PruneOptions {
  dryRun: boolean;
  /** Extra `key=value` labels every pruned item must also carry (narrows gc, e.g. to one test). */
  scope?: readonly string[];
}

/**
 * Stopped containers (created, exited, dead) and dangling images that carry one of
 * {@link DATASMITH_LABEL_KEYS}: the leftovers of killed or failed builds and of replaced images.
 * Running containers, tagged images and anything without our labels stay.
 */
export async function pruneDatasmithResources(docker: Docker, options: PruneOptions): Promise<PrunedItem[]> {
  const found = new Map<string, PrunedItem>();
  for (const key of DATASMITH_LABEL_KEYS) {
    const label = [key, ...(options.scope ?? [])];
    const containers = await docker.listContainers({
      all: true,
      size: false,
      filters: { label, status: ['created', 'exited', 'dead'] },
    });
    for (const c of containers) {
      found.set(c.Id, {
        kind: 'container',
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
        bytes: 0,
      });
    }
    const images = await docker.listImages({ filters: { dangling: ['true'], label } });
    for (const image of images) {
      found.set(image.Id, {
        kind: 'image',
        id: image.Id,
        name: image.Labels?.[key] ?? key,
        bytes: image.Size ?? 0,
      });
    }
  }
  const items = [...found.values()].sort((a, b) =>
    a.kind === b.kind ? (a.id < b.id ? -1 : 1) : a.kind < b.kind ? -1 : 1,
  );
  if (options.dryRun) return items;
  const removed: PrunedItem[] = [];
  // Containers first: a dangling image a stopped container was created from cannot go before it.
  for (const item of items) {
    try {
      if (item.kind === 'container') await docker.getContainer(item.id).remove({ force: false, v: true });
      else await docker.getImage(item.id).remove({ noprune: false });
      removed.push(item);
    } catch (error) {
      // Gone meanwhile (404) or still in use by a child image or container (409): left alone.
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw error;
    }
  }
  return removed;
}

/** `12.3 MiB` */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
