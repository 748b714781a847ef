import { silentLogger } from '@datasmith/progress';
import { describe, expect, it } from 'vitest';
import { commitRow, makePatch } from './fixtures';
import { prepare } from './prepare';
import { type RankItem, rankByMonth } from './rank';

const item = (over: Partial<RankItem>): RankItem => ({
  month: '2024-03',
  score: 0,
  eligible: true,
  strong: false,
  key: 'k',
  ...over,
});

describe('rankByMonth', () => {
  it('passes the top floor(share × merged) of each month; ineligible rows count but never pass', () => {
    const items = [
      item({ key: 'a', score: 3 }),
      item({ key: 'b', score: 5, eligible: false }),
      item({ key: 'c', score: 1 }),
      item({ key: 'd', score: 2 }),
      item({ key: 'e', score: -1 }),
      item({ key: 'f', score: 4, month: '2024-04' }),
      item({ key: 'g', score: 9, month: '2024-04', eligible: false }),
    ];
    const places = rankByMonth(items, 0.4);
    // March: 5 merged → budget 2 among the eligible a(3), d(2), c(1), e(-1); b is dropped upstream.
    expect(places.map((p) => p.selected)).toEqual([true, false, false, true, false, false, false]);
    expect(places.map((p) => p.rank)).toEqual([1, null, 3, 2, 4, 1, null]);
    expect(places[0]).toMatchObject({ budget: 2, merged: 5, month: '2024-03' });
    // April: 2 merged → budget floor(0.8) = 0: nothing passes by rank.
    expect(places[5]).toMatchObject({ budget: 0, merged: 2, selected: false });
  });

  it('passes a performance headline whatever its rank, and breaks ties by key, not by row order', () => {
    const items = [
      item({ key: 'z', score: 1 }),
      item({ key: 'y', score: 1 }),
      item({ key: 'x', score: -5, strong: true }),
    ];
    const places = rankByMonth(items, 0.34);
    // Budget floor(0.34 × 3) = 1: y wins the tie with z by key; x passes by its headline.
    expect(places.map((p) => p.selected)).toEqual([false, true, true]);
    expect(rankByMonth([...items].reverse(), 0.34).map((p) => p.rank)).toEqual([3, 1, 2]);
    expect(places.map((p) => p.rank)).toEqual([2, 1, 3]);
  });
});

describe('prepare in rank mode (the default)', () => {
  it("ranks each month's rows by the learned score and explains the rank", async () => {
    const code = (lines: string[]) => makePatch({ 'pkg/core.py': { add: lines, remove: ['x = 0'] } });
    const rows = [
      commitRow({
        sha: 'a'.repeat(40),
        pr_number: 1,
        pr_title: 'Use a dict lookup instead of scanning the list',
        message: 'Use a dict lookup instead of scanning the list (#1)',
        patch: code(['# avoid the quadratic scan: cache the index', 'index = {k: i for i, k in enumerate(keys)}']),
      }),
      commitRow({
        sha: 'b'.repeat(40),
        pr_number: 2,
        pr_title: 'Add a keyword argument',
        message: 'Add a keyword argument (#2)',
        patch: code(['def f(x, y=None):', '    return x']),
      }),
      commitRow({
        sha: 'c'.repeat(40),
        pr_number: 3,
        pr_title: 'DOC: fix a typo',
        message: 'DOC: fix a typo (#3)',
        patch: code(['# the answer']),
      }),
    ];
    const { rows: out } = await prepare({ rows, options: { gateShare: 0.34 } }, { log: silentLogger });
    expect(out.map((r) => r.is_perf_candidate)).toEqual([true, false, false]);
    expect(out[0]?.perf_gate_explanation).toMatch(
      /^gate pass \(rank 1 in 2024-05, top 1 of 3 merged pass; learned-\d+ log-odds /,
    );
    expect(out[1]).toMatchObject({ kept: false, drop_reason: 'not_perf_candidate' });
    expect(out[1]?.perf_gate_explanation).toMatch(/^gate fail \(rank [23] in 2024-05, top 1 of 3 merged pass;/);
    // A month of its own: the same row ranks alone, and floor(0.34 × 1) = 0 lets nothing through by rank.
    const alone = await prepare(
      { rows: [rows[0] as (typeof rows)[number]], options: { gateShare: 0.34 } },
      { log: silentLogger },
    );
    expect(alone.rows[0]?.is_perf_candidate).toBe(false);
  });
});

describe('rank gate partitions', () => {
  it('gives the same rows for a whole window as for each month prepared on its own (what Nx runs)', async () => {
    const code = (line: string) => makePatch({ 'pkg/core.py': { add: [line, 'y = 1'], remove: ['x = 0'] } });
    const titles = ['Use a cache for the lookup', 'Add an option', 'Avoid a copy in the loop', 'Refactor names'];
    const rows = ['2024-03', '2024-04'].flatMap((month, m) =>
      titles.map((title, i) =>
        commitRow({
          pr_number: 10 * (m + 1) + i,
          pr_title: title,
          message: `${title} (#${10 * (m + 1) + i})`,
          pr_merged_at: `${month}-1${i}T08:00:00Z`,
          patch: code(i % 2 === 0 ? '# avoid the copy: cache it' : 'def f(x): return x'),
        }),
      ),
    );
    const options = { gateShare: 0.5 };
    const whole = (await prepare({ rows, options }, { log: silentLogger })).rows;
    const perMonth = [
      ...(await prepare({ rows: rows.slice(0, 4), options }, { log: silentLogger })).rows,
      ...(await prepare({ rows: rows.slice(4), options }, { log: silentLogger })).rows,
    ];
    expect(perMonth).toEqual(whole);
    expect(whole.filter((r) => r.is_perf_candidate)).toHaveLength(4);
  });
});
