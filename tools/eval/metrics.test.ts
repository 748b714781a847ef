import { describe, expect, it } from 'vitest';
import { type EvalRow, formatTable, labelKey, missedFloors, parseLabels, splitMetrics } from './metrics';

const sha = (n: number) => n.toString(16).padStart(40, '0');
const csv = [
  'repo_name,pr_number,landed_sha,landed_at,label,source',
  `o/r,1,${sha(1)},2024-01-02T00:00:00Z,perf,release notes performance section, or fragment`,
  `o/r,2,${sha(2)},2024-01-03T00:00:00Z,perf,fragment`,
  `o/r,3,${sha(3)},2024-01-04T00:00:00Z,not_perf,changelog fragment: typing`,
].join('\n');

const row = (pr: number, gate: boolean, rules: boolean): EvalRow => ({
  repo_name: 'o/r',
  pr_number: pr,
  sha: sha(pr),
  pr_merged_at: '2024-01-02T00:00:00Z',
  is_perf_candidate: gate,
  flagged: { rules },
});

describe('eval metrics', () => {
  it('parses labels, keeping commas of the last column', () => {
    const labels = parseLabels(csv);
    expect(labels).toHaveLength(3);
    expect(labels[0]?.source).toBe('release notes performance section, or fragment');
  });

  it('names missing label columns and bad values in one line', () => {
    expect(() => parseLabels('repo_name,pr_number\no/r,1', 'x.csv')).toThrow(
      'Invalid labels: x.csv is missing column(s) landed_sha, landed_at, label, source',
    );
    expect(() => parseLabels(csv.replace('not_perf', 'maybe'), 'x.csv')).toThrow(/^Invalid labels: x\.csv:4, label:/);
  });

  it('computes recall over labelled perf PRs and rates over all merged PRs, and checks the floors', () => {
    const labels = new Map(parseLabels(csv).map((l) => [labelKey(l.repo_name, l.pr_number), l]));
    // 20 merged PRs: perf #1 gated and flagged, perf #2 gated only, not_perf #3 gated and flagged, 17 unlabelled.
    const rows = [row(1, true, true), row(2, true, false), row(3, true, true)];
    for (let pr = 10; pr < 27; pr++) rows.push(row(pr, pr < 12, false));
    const m = splitMetrics('all', rows, labels, ['rules']);
    expect(m).toMatchObject({ merged: 20, labelledPerf: 2, labelledNotPerf: 1, gatePassed: 5, gateRecall: 1 });
    expect(m.gatePassRate).toBeCloseTo(0.25);
    expect(m.backends.rules).toMatchObject({
      flagged: 2,
      flaggedPerf: 1,
      recall: 0.5,
      precision: 0.5,
      flaggedShare: 0.1,
    });
    expect(missedFloors(m)).toEqual(['all: rules recall 50.0% < 75.0%']);
    expect(formatTable([m], ['rules'])).toMatch(/all\s+20\s+2\s+1\s+100\.0% \(2\/2\)\s+25\.0% \(5\)\s+50\.0% \(1\/2\)/);
  });
});
