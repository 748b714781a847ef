import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoStore } from '@datasmith/memo';
import { monthRange } from '@datasmith/paths';
import { silentLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import type { CommitRow } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CASES, DEMO_REPOS } from '../../../../tools/demo/src/cases';
import { generateDemoStore } from '../../../../tools/demo/src/generate';
import { scrapeRepos } from '../scrape-repos/scrape-repos';
import { collect } from './collect';

/** collect and scrape-repos over the demo store, month by month, against the labels of tools/demo. */
let dir: string;
const byMonth = new Map<string, CommitRow[]>();
let store: OfflineStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-demo-collect-'));
  await generateDemoStore(join(dir, 'store'));
  store = new OfflineStore(join(dir, 'store'));
  const repos = [...new Set(DEMO_CASES.map((c) => c.repo))];
  const memo = new MemoStore({ root: join(dir, 'memo') });
  for (const month of monthRange('2023-09', '2024-12')) {
    const result = await collect({ repos, window: month }, { store, memo, log: silentLogger });
    expect(result.failures).toEqual([]);
    byMonth.set(month.key, result.rows);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('collect on the demo store', () => {
  it('finds every labelled PR exactly once, in its UTC month, with the intended style and outcome', () => {
    const seen = new Map<string, { month: string; row: CommitRow }>();
    for (const [month, rows] of byMonth) {
      for (const row of rows) {
        const key = `${row.repo_name}#${row.pr_number}`;
        expect(seen.has(key), `${key} counted twice`).toBe(false);
        seen.set(key, { month, row });
      }
    }
    const mismatches: string[] = [];
    for (const c of DEMO_CASES) {
      const found = seen.get(`${c.repo}#${c.number}`);
      if (!found) {
        mismatches.push(`${c.repo}#${c.number}: missing`);
        continue;
      }
      const { month, row } = found;
      const got = [month, row.merge_style, row.kept, row.drop_reason, row.pr_merged_at];
      const want = [c.month, c.style, c.expected.collect.kept, c.expected.collect.dropReason, c.mergedAt];
      if (JSON.stringify(got) !== JSON.stringify(want))
        mismatches.push(`${c.repo}#${c.number}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    expect(mismatches).toEqual([]);
    expect(seen.size).toBe(DEMO_CASES.length);
    expect(byMonth.get('2024-08')).toEqual([]);
  });

  it('scrape-repos keeps and drops the demo repositories as intended', async () => {
    const rows = await scrapeRepos({ minStars: 500, maxRepos: 150 }, { store, log: silentLogger });
    const got = Object.fromEntries(rows.map((r) => [r.repo_name, r.drop_reason]));
    const want = Object.fromEntries(DEMO_REPOS.map((r) => [r.name, r.expected.scrape.dropReason]));
    expect(got).toEqual(want);
  });
});
