import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from './log';
import { createProgress, formatProgress, formatSummary, summarizeRows } from './progress';

describe('progress', () => {
  it('formats count, rate and ETA', () => {
    expect(formatProgress('collect', 10, 40, 5000)).toBe('collect 10/40 (25%) 2.0/s ETA 15s');
    expect(formatProgress('collect', 0, 40, 0)).toBe('collect 0/40 (0%) 0.0/s ETA ?');
    expect(formatProgress('scan', 300, undefined, 10_000)).toBe('scan 300 30/s');
  });

  it('prints plain lines at most every interval, then a final line', () => {
    let t = 0;
    const log = createMemoryLogger();
    const p = createProgress({ label: 'x', total: 4, log, intervalMs: 1000, now: () => t });
    t = 500;
    p.tick();
    t = 1500;
    p.tick();
    t = 1600;
    p.tick();
    t = 2000;
    p.tick();
    p.done();
    expect(log.lines).toEqual(['x 2/4 (50%) 1.3/s ETA 2s', 'x 4/4 (100%) 2.0/s ETA 0s done in 2s']);
  });

  it('summarises kept and dropped rows by reason', () => {
    const summary = summarizeRows([
      { kept: true, drop_reason: null },
      { kept: false, drop_reason: 'docs_only' },
      { kept: false, drop_reason: 'no_asv_at_base' },
      { kept: false, drop_reason: 'docs_only' },
    ]);
    expect(formatSummary(summary)).toBe('kept 1, dropped 3 (docs_only: 2, no_asv_at_base: 1)');
    expect(formatSummary({ kept: 0, dropped: 0, reasons: {} })).toBe('kept 0, dropped 0');
  });
});
