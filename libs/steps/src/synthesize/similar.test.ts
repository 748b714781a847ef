import { describe, expect, it } from 'vitest';
import { type BuildContext, type RegistryEntry, SYNTHESIZE_CODE_VERSION } from './context';
import { importRegistryV2 } from './registry-v2';
import { contextFromSimilar, limitPerRepo, nearestLegacyContext, similarCandidates } from './similar';

function entry(repo: string, sha: string, date: number, overrides: Partial<RegistryEntry> = {}): RegistryEntry {
  return {
    context: {
      owner: 'o',
      repo,
      sha,
      strategy: 'rules',
      variant: 'editable',
      deps_ref: `o-${repo}:env-1`,
      env: {},
      files: { 'docker_build_pkg.sh': `pip install -e . # ${sha}\n`, Dockerfile: `FROM o-${repo}:env-1\n# ${sha}\n` },
      warnings: [],
      code_version: SYNTHESIZE_CODE_VERSION,
    } as unknown as BuildContext,
    status: 'validated',
    commit_date: date,
    ...overrides,
  } as RegistryEntry;
}

describe('similar contexts (reference §7.8 get_similar)', () => {
  const sha = (c: string) => c.repeat(40);
  const entries: Record<string, RegistryEntry> = {
    a: entry('r', sha('a'), 1000),
    b: entry('r', sha('b'), 1900),
    c: entry('r', sha('c'), 2100),
    d: entry('r', sha('d'), 5000),
    self: entry('r', sha('e'), 2000),
    other: entry('other', sha('f'), 2000),
    failed: entry('r', sha('1'), 2000, { status: 'failed' }),
    old: entry('r', sha('2'), 2000, { context: { ...entry('r', sha('2'), 0).context, code_version: 'synthesize-0' } }),
  };
  const task = { owner: 'o', repo: 'r', sha: sha('e'), commitDate: 2000 };

  it('orders validated contexts of the same repository by commit date distance, ties by sha, at most max', () => {
    const got = similarCandidates(entries, task, (e) => e.commit_date ?? 0, 5);
    expect(got.map((c) => [c.entry.context.sha[0], c.distance])).toEqual([
      ['b', 100],
      ['c', 100],
      ['a', 1000],
      ['d', 3000],
    ]);
    expect(similarCandidates(entries, task, (e) => e.commit_date ?? 0, 2)).toHaveLength(2);
    expect(similarCandidates(entries, task, (e) => e.commit_date ?? 0, 0)).toEqual([]);
  });

  it('moves a context to the task commit: same deps layer and script, own commit layer and facts', () => {
    const moved = contextFromSimilar(entries.b?.context as BuildContext, {
      sha: sha('e'),
      facts: { import_name: 'x' } as unknown as BuildContext['facts'],
    });
    expect(moved).toMatchObject({ sha: sha('e'), strategy: 'similar', variant: `similar:${'b'.repeat(12)}` });
    expect(moved.deps_ref).toBe('o-r:env-1');
    expect(moved.files['docker_build_pkg.sh']).toBe(entries.b?.context.files['docker_build_pkg.sh']);
    expect(moved.files.Dockerfile).toContain(`datasmith.sha="${sha('e')}"`);
    expect(moved.files.Dockerfile).toContain('FROM o-r:env-1');
    expect(moved.facts.import_name).toBe('x');
  });

  it('--limit-per-repo keeps N tasks per repository, the same ones every time', () => {
    const tasks = ['a', 'b', 'c', 'd'].flatMap((c) =>
      ['r1', 'r2'].map((repoName) => ({ repoName, sha: sha(c), landedSha: sha(c) })),
    );
    const one = limitPerRepo(tasks, 2);
    expect(one).toHaveLength(4);
    expect(one.filter((t) => t.repoName === 'r1')).toHaveLength(2);
    expect(
      limitPerRepo([...tasks].reverse(), 2)
        .map((t) => `${t.repoName}${t.sha[0]}`)
        .sort(),
    ).toEqual(one.map((t) => `${t.repoName}${t.sha[0]}`).sort());
    expect(limitPerRepo(tasks, -1)).toHaveLength(8);
    expect(limitPerRepo(tasks, 0)).toEqual([]);
  });

  it('the nearest imported context of the repository is the hint; a repository-level one only as fallback', async () => {
    const { REGISTRY_V2_FIXTURES_DIR } = await import('./testing/asv-fixture');
    const { readFileSync } = await import('node:fs');
    const raw = JSON.parse(readFileSync(`${REGISTRY_V2_FIXTURES_DIR}registry-v2.json`, 'utf8'));
    const { legacy } = importRegistryV2(raw);
    const near = nearestLegacyContext(legacy.contexts, { owner: 'NCAR', repo: 'geocat-comp', commitDate: 1754000100 });
    expect(near?.task.sha).toBe('0123456789abcdef0123456789abcdef01234567');
    const pandas = nearestLegacyContext(legacy.contexts, { owner: 'pandas-dev', repo: 'pandas', commitDate: 1 });
    expect(pandas?.task.sha).toBeNull();
    expect(nearestLegacyContext(legacy.contexts, { owner: 'x', repo: 'y', commitDate: 1 })).toBeNull();
  });
});
