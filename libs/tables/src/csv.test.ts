import { InputError } from '@datasmith/errors';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';

describe('parseCsv', () => {
  it('reads quoted cells with commas, CRLF, a BOM, comments and blank lines, with their lines', () => {
    const text = '\uFEFFrepo_name,description\r\n# a comment\r\n\r\na/b,"fast, small"\r\n"c/d" , plain\r\n';
    expect(parseCsv(text, 'repos.csv')).toEqual([
      { line: 1, cells: ['repo_name', 'description'] },
      { line: 4, cells: ['a/b', 'fast, small'] },
      { line: 5, cells: ['c/d', 'plain'] },
    ]);
  });

  it('keeps a # inside a cell', () => {
    expect(parseCsv('a,b#c\n', 'f.csv')).toEqual([{ line: 1, cells: ['a', 'b#c'] }]);
  });

  it('names the file on malformed quoting', () => {
    expect(() => parseCsv('a,"b\nc,d\n', 'bad.csv')).toThrow(InputError);
    expect(() => parseCsv('a,"b\nc,d\n', 'bad.csv')).toThrow(/Invalid CSV bad\.csv/);
  });
});
