import { describe, expect, it } from 'vitest';
import { originalCrudeFilter, originalMessageFilter } from './original-filter';

describe("the original's keyword filter (baseline)", () => {
  it('keeps positives first, drops negatives, keeps what is ambiguous, drops empty messages', () => {
    expect(originalMessageFilter('Merge pull request #1 from a/speed-up-x\n\nFix docs')).toBe(true);
    expect(originalMessageFilter('DOC: fix a typo')).toBe(false);
    expect(originalMessageFilter('Revert "ENH: add x"')).toBe(false);
    expect(originalMessageFilter('Bump numpy from 1.0 to 2.0')).toBe(false);
    expect(originalMessageFilter('ENH: add a keyword to unique')).toBe(true);
    expect(originalMessageFilter('Add cached lookup')).toBe(true);
    expect(originalMessageFilter('')).toBe(false);
  });

  it('applies the size limits', () => {
    const row = { message: 'Faster x', total_additions: 3, total_deletions: 1, n_files_changed: 1, n_patch_tokens: 50 };
    expect(originalCrudeFilter(row)).toBe(true);
    expect(originalCrudeFilter({ ...row, n_patch_tokens: 4 })).toBe(false);
    expect(originalCrudeFilter({ ...row, n_patch_tokens: 16_000 })).toBe(false);
    expect(originalCrudeFilter({ ...row, n_files_changed: 500 })).toBe(false);
    expect(originalCrudeFilter({ ...row, total_additions: 39_999 })).toBe(false);
  });
});
