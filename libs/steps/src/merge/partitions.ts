import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type PartitionedStep, dataLayout, repoFromSlug } from '@datasmith/paths';

/** One partition file on disk. */
export interface PartitionFile {
  repo: string;
  /** `YYYY-MM` */
  month: string;
  path: string;
}

const MONTH_DIR = /^\d{4}-(0[1-9]|1[0-2])$/;
const SLUG_DIR = /^[A-Za-z0-9_.-]+__[A-Za-z0-9_.-]+$/;

/**
 * Every `<root>/<step>/<owner>__<name>/<YYYY-MM>/<table>.parquet` that exists, ordered by month
 * then repository (so a later month comes later). Other folders and files are ignored.
 */
export function findPartitionFiles(root: string, step: PartitionedStep, table: string): PartitionFile[] {
  const layout = dataLayout(root);
  const stepDir = join(root, step);
  if (!existsSync(stepDir)) return [];
  const out: PartitionFile[] = [];
  for (const slug of readdirSync(stepDir).sort()) {
    if (!SLUG_DIR.test(slug)) continue;
    const repo = repoFromSlug(slug);
    let months: string[];
    try {
      months = readdirSync(join(stepDir, slug));
    } catch {
      continue;
    }
    for (const month of months.sort()) {
      if (!MONTH_DIR.test(month)) continue;
      const path = layout.tablePath(step, repo, month, table);
      if (existsSync(path)) out.push({ repo, month, path });
    }
  }
  return out.sort((a, b) => (a.month === b.month ? (a.repo < b.repo ? -1 : 1) : a.month < b.month ? -1 : 1));
}
