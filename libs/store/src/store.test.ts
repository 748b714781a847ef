import { describe, expect, it } from 'vitest';
import { parseRepoListCsv } from './store';

describe('parseRepoListCsv', () => {
  it('reads a headed list whose other columns hold quoted commas', () => {
    const text = 'repo_name,description,stars\nnumpy/numpy,"arrays, fast",30000\nhttps://github.com/a/b.git,"x",\n';
    expect(parseRepoListCsv(text, 'repos.csv')).toEqual([
      { repo_name: 'numpy/numpy', stars: 30000 },
      { repo_name: 'a/b', stars: null },
    ]);
  });

  it("reads the original's headerless one-column list, skipping comments and duplicates", () => {
    expect(parseRepoListCsv('# mine\nnumpy/numpy\nnumpy/numpy\nscipy/scipy\n', 'list.csv')).toEqual([
      { repo_name: 'numpy/numpy', stars: null },
      { repo_name: 'scipy/scipy', stars: null },
    ]);
  });

  it('names the file and line of a bad row', () => {
    expect(() => parseRepoListCsv('repo_name,stars\na/b,1\nc/d,many\n', 'repos.csv')).toThrow(
      /Invalid stars in repos\.csv:3: "many"/,
    );
    expect(() => parseRepoListCsv('repo_name\nnot a repo\n', 'repos.csv')).toThrow(/repos\.csv:2/);
  });
});
