import { createMemoryLogger } from '@datasmith/progress';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from './client';
import { searchCodeRepositories } from './search';
import { type FakeGitHub, type FakeRepositorySpec, startFakeGitHub } from './testing/fake-github';

const TOKEN = `ghp_${'Srch1234'.repeat(5)}`;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function repositories(count: number, size: (i: number) => number): FakeRepositorySpec[] {
  return Array.from({ length: count }, (_, i) => ({
    full_name: `org${i % 7}/pkg-${i}`,
    stargazers_count: i,
    files: [
      { path: i % 5 === 0 ? 'benchmarks/asv.conf.json' : 'asv.conf.json', size: size(i) },
      { path: 'setup.py', size: 100 },
    ],
  }));
}

async function setup(repos: FakeRepositorySpec[]) {
  fake = await startFakeGitHub({ repositories: repos, rateLimit: { code_search: 10_000 } });
  const log = createMemoryLogger();
  const github = createGitHubClient({ baseUrl: fake.url, tokens: [TOKEN], log, policy: { unitMs: 1 } });
  return { fake, github, log };
}

describe('searchCodeRepositories', () => {
  it('pages one query with Link headers when it fits under the 1000-result cap', async () => {
    const { fake, github } = await setup(repositories(250, (i) => 300 + i));
    const result = await searchCodeRepositories(github);
    expect(result.repositories.size).toBe(250);
    expect(result.queries).toEqual(['filename:asv.conf.json']);
    expect(result.repositories.get('org0/pkg-0')).toEqual(['benchmarks/asv.conf.json']);
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/search/code?q=filename%3Aasv.conf.json&per_page=100',
      '/search/code?q=filename%3Aasv.conf.json&per_page=100&page=2',
      '/search/code?q=filename%3Aasv.conf.json&per_page=100&page=3',
    ]);
  });

  it('splits a query over the cap by file size until every part fits, and finds every repository', async () => {
    const { fake, github } = await setup(repositories(2600, (i) => 200 + ((i * 37) % 3000)));
    const result = await searchCodeRepositories(github);
    expect(result.repositories.size).toBe(2600);
    expect(result.capped).toEqual([]);
    expect(result.queries[0]).toBe('filename:asv.conf.json');
    expect(result.queries.slice(1).every((q) => /size:(\d+\.\.\d+|>=\d+)$/.test(q))).toBe(true);
    expect(fake.requests.every((r) => r.status === 200)).toBe(true);
    // no page past the cap was ever asked for
    expect(fake.requests.some((r) => /page=(1[1-9]|[2-9]\d)/.test(r.path))).toBe(false);
  });

  it('records a query that stays over the cap at one byte, with a warning, instead of looping', async () => {
    const { github, log } = await setup(repositories(1200, () => 512));
    const result = await searchCodeRepositories(github);
    expect(result.capped).toEqual(['filename:asv.conf.json size:512..512']);
    expect(result.repositories.size).toBe(1000);
    expect(log.lines.some((l) => /has 1200 results; only the first 1000/.test(l))).toBe(true);
  });
});
