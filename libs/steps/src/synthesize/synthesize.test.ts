import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDockerClient, sanitizeNameComponent, taskContainerName, taskImageName } from '@datasmith/docker';
import { FixtureRepo } from '@datasmith/git/testing';
import { createMemoryLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import { describe, expect, it } from 'vitest';
import { benchmarkOutcomes, exactBenchRegex, parseBenchmarksJson } from './asv-results';
import { checkInstallScript } from './build-task';
import { readRepoFacts } from './facts';
import { parseToml, tomlGet } from './toml';
import { choosePythonVersion } from './python-versions';
import { readContextRegistry } from './registry';
import { planContextByRules } from './rules';
import { installModeOf, readFactsAt, synthesize, tasksFromRows } from './synthesize';
import { installScript } from './templates';
import { testIndex } from './testing/debian-index';
import { asvFixtureFiles } from './testing/asv-fixture';

function factsOf(files: Record<string, string>) {
  return readRepoFacts(Object.keys(files), async (p) => files[p] ?? null);
}

describe('synthesize rules (no engine)', () => {
  it('names images and containers as the original (reference §1.2)', () => {
    expect(taskImageName('Pandas-Dev', 'pandas', 'ABC123', 'final')).toBe('pandas-dev-pandas-abc123:final');
    expect(taskContainerName('_x', 'y', null, 'env')).toBe('x-y-env');
    expect(sanitizeNameComponent('__')).toBe('unknown');
    expect(taskContainerName('.a', 'b', null, 'probe')).toBe('a-b-probe');
  });

  it('reads a pyproject package with asv.conf.json at the root', async () => {
    const facts = await factsOf(asvFixtureFiles());
    expect(facts).toMatchObject({
      build_system: 'pyproject',
      build_backend: 'setuptools.build_meta',
      project_name: 'fastmath',
      import_name: 'fastmath',
      asv_config_path: 'asv.conf.json',
      asv_dir: '.',
      benchmark_dir: 'benchmarks',
      asv_pythons: ['3.9'],
      requires_python: '>=3.8',
      dependencies: ['numpy'],
      chosen_extras: ['test'],
      tests_dir: 'tests',
      package_root: '.',
    });
  });

  it('finds the asv config in a subfolder and resolves its repo and benchmark_dir', async () => {
    const facts = await factsOf(asvFixtureFiles({ asvDir: 'asv_bench', name: 'slowlib' }));
    expect(facts.asv_config_path).toBe('asv_bench/asv.conf.json');
    expect(facts.asv_dir).toBe('asv_bench');
    expect(facts.benchmark_dir).toBe('asv_bench/benchmarks');
    expect(facts.package_root).toBe('.');
    expect(facts.import_name).toBe('slowlib');
  });

  it.each([
    [
      'setup.py',
      {
        'setup.py':
          "from setuptools import setup\nsetup(name='legacy-pkg', install_requires=['numpy>=1.20', 'scipy'], extras_require={'test': ['pytest']}, python_requires='>=3.7')\n",
        'legacy_pkg/__init__.py': '',
      },
      'setup.py',
      'legacy_pkg',
    ],
    [
      'setup.cfg',
      {
        'setup.cfg':
          '[metadata]\nname = cfgpkg\n[options]\ninstall_requires =\n    numpy\n    pandas\n[options.extras_require]\nbench = asv\n',
        'src/cfgpkg/__init__.py': '',
      },
      'setup.cfg',
      'cfgpkg',
    ],
    [
      'meson',
      {
        'pyproject.toml':
          '[build-system]\nbuild-backend = "mesonpy"\nrequires = ["meson-python", "cython"]\n[project]\nname = "mesonpkg"\n',
        'meson.build': "project('x')\n",
        'mesonpkg/__init__.py': '',
      },
      'meson',
      'mesonpkg',
    ],
  ])('detects %s builds', async (_label, files, system, importName) => {
    const facts = await factsOf({ ...files, 'asv.conf.json': '{"version": 1}' });
    expect(facts.build_system).toBe(system);
    expect(facts.import_name).toBe(importName);
  });

  it('parses setup.py requirements and extras', async () => {
    const facts = await factsOf({
      'setup.py':
        "setup(name='legacy-pkg', install_requires=['numpy>=1.20', 'scipy'], extras_require={'test': ['pytest'], 'docs': ['sphinx']}, python_requires='>=3.7')",
      'asv.conf.json': '{}',
    });
    expect(facts.dependencies).toEqual(['numpy>=1.20', 'scipy']);
    expect(facts.extras).toEqual({ test: ['pytest'], docs: ['sphinx'] });
    expect(facts.chosen_extras).toEqual(['test']);
    expect(facts.requires_python).toBe('>=3.7');
  });

  it('reads pyproject files', () => {
    const toml = parseToml(`
[project]
name = "x" # comment
dependencies = [
  "numpy>=1.2",  # trailing comment
  'scipy',
]
[project.optional-dependencies]
test = ["pytest", "hypothesis"]
[tool.x]
inline = { a = "b" }
flag = true
`);
    expect(tomlGet(toml, 'project.name')).toBe('x');
    expect(tomlGet(toml, 'project.dependencies')).toEqual(['numpy>=1.2', 'scipy']);
    expect(tomlGet(toml, 'project.optional-dependencies.test')).toEqual(['pytest', 'hypothesis']);
    expect(tomlGet(toml, 'tool.x.inline')).toEqual({ a: 'b' });
    expect(tomlGet(toml, 'tool.x.flag')).toBe(true);
  });

  it('reads full TOML: a multi-line string that looks like a table does not open one', () => {
    const toml = parseToml(`
[project]
name = "x"
description = """
[project.optional-dependencies]
test = ["not-a-requirement"]
"""
dependencies = ["numpy>=1.2"]
[[tool.cibuildwheel.overrides]]
select = "*-musllinux*"
`);
    expect(tomlGet(toml, 'project.dependencies')).toEqual(['numpy>=1.2']);
    expect(tomlGet(toml, 'project.optional-dependencies')).toBeUndefined();
    expect(tomlGet(toml, 'tool.cibuildwheel.overrides')).toEqual([{ select: '*-musllinux*' }]);
  });

  it('reads a file that is not TOML as empty', () => {
    expect(parseToml('[project\nname = ')).toEqual({});
  });

  it.each([
    ['asv list, old commit', ['3.8', '3.9', '3.10'], null, '2021-06-01', '3.9'],
    ['asv list, recent commit', ['3.8', '3.9', '3.10'], null, '2024-06-01', '3.10'],
    ['no list: newest out 6 months before', [], null, '2024-03-01', '3.11'],
    ['requires-python upper bound', [], '>=3.8,<3.11', '2025-01-01', '3.10'],
    ['nothing released yet: oldest candidate', ['3.12'], null, '2020-01-01', '3.12'],
  ])('chooses the Python version: %s', (_label, asvPythons, requiresPython, date, expected) => {
    expect(choosePythonVersion({ asvPythons, requiresPython, commitDate: new Date(date) })).toBe(expected);
  });

  it('plans layered contexts: the dependency layer depends on dependencies only, and records Python versions', async () => {
    const facts = await factsOf(asvFixtureFiles({ dependencies: ['numpy', 'scipy'] }));
    const base = {
      ref: 'datasmith-base:abc',
      id: 'sha256:1',
      pythonVersion: '3.11',
      installedPackages: ['python3-numpy'],
      index: testIndex('bookworm'),
    };
    const plan = (sha: string) =>
      planContextByRules(
        { owner: 'o', repo: 'r', sha, facts, commitDate: new Date('2024-01-01'), base, online: false },
        'editable',
      );
    const a = plan('a'.repeat(40));
    const b = plan('b'.repeat(40));
    expect(a.deps_ref).toBe(b.deps_ref);
    expect(a.deps_ref).toMatch(/^o-r:env-[0-9a-f]{12}$/);
    expect(a.files['Dockerfile.deps']).toContain(
      'apt-get install -y --no-install-recommends python3-pytest python3-scipy python3-setuptools',
    );
    expect(a.files['Dockerfile.deps']).not.toContain('python3-numpy');
    expect(a.files['Dockerfile.deps']).toContain('python3 -m venv --system-site-packages /opt/venv');
    expect(a.base_release).toBe(null);
    expect(a.files.Dockerfile).toContain(`FROM ${a.deps_ref}`);
    expect(a.files['docker_build_pkg.sh']).toContain('pip install --no-build-isolation --no-index --no-deps');
    expect(a).toMatchObject({ python_requested: '3.9', python_used: '3.11' });
    expect(a.warnings.join('\n')).toContain('python_version_mismatch: requested 3.9');
    expect(checkInstallScript(a.files['docker_build_pkg.sh'] ?? '')).toBeNull();
    // A context reused for another commit (similar) keeps the install mode its script says.
    expect(installModeOf(a)).toBe('editable');
    expect(installModeOf({ ...a, strategy: 'similar', variant: `similar:${'a'.repeat(12)}` })).toBe('editable');
    expect(
      installModeOf({ ...a, variant: 'agent-1', files: { ...a.files, 'docker_build_pkg.sh': 'pip install .\n' } }),
    ).toBeNull();
  });

  it.each([
    ['empty', '  \n', 'empty'],
    ['fenced', '```bash\npip install .\n```\n', 'code fence'],
    ['no install', 'echo hello\n', 'installs nothing'],
    ['bad bash', 'pip install . && if then fi\n', 'not valid bash'],
  ])('rejects a %s install script', (_label, script, message) => {
    expect(checkInstallScript(script)).toContain(message);
  });

  it('renders an install script that falls back without extras', async () => {
    const facts = await factsOf(asvFixtureFiles());
    const script = installScript({ owner: 'o', repo: 'r', sha: 'c'.repeat(40), facts, online: true, mode: 'regular' });
    expect(script).toContain('EXTRAS="test"');
    expect(script).toContain('pip install --no-build-isolation $TARGET');
    expect(script).not.toContain('--no-index');
    expect(script).toContain('::import_name=fastmath::');
  });

  it('parses asv benchmark listings and result files (v2 columns and the old form)', () => {
    expect(parseBenchmarksJson('{"b.x": {}, "a.y": {}, "version": 2}')).toEqual(['a.y', 'b.x']);
    const v2 = JSON.stringify({
      result_columns: ['result', 'params', 'version'],
      results: { 'a.ok': [[0.1], [], 'v'], 'a.param': [[0.1, null], [['1', '2']], 'v'], 'a.fail': [null, [], 'v'] },
      version: 2,
    });
    const old = JSON.stringify({ results: { 'b.ok': { result: [1.5] } } });
    // As asv 0.6 writes a one-sample quick run: Python's non-finite floats in the statistics columns.
    const quick =
      '{"result_columns": ["result", "params", "stats_ci_99_a"], "results": {"q.ok": [[0.019, 0.6], [["1", "10"]], [-Infinity, -Infinity]], "q.nan": [[NaN], [], [Infinity]], "q.fail": [null, [], "x"]}, "version": 2}';
    expect(benchmarkOutcomes({ 'm/ba508836-existing-py.json': quick }, ['q.ok', 'q.nan', 'q.fail'])).toEqual({
      'q.ok': 'ok',
      'q.nan': 'failed',
      'q.fail': 'failed',
    });
    expect(
      benchmarkOutcomes({ 'm/abc-env.json': v2, 'm/old.json': old, 'm/machine.json': '{}' }, [
        'a.ok',
        'a.param',
        'a.fail',
        'b.ok',
        'c.missing',
      ]),
    ).toEqual({ 'a.ok': 'ok', 'a.param': 'failed', 'a.fail': 'failed', 'b.ok': 'ok', 'c.missing': 'missing' });
    const regex = exactBenchRegex(['a.b', 'c(d)']);
    expect(regex).toBe('^(a\\.b|c\\(d\\))(\\(.*\\))?$');
    // asv matches parameterized benchmarks as `name(p1, p2)` (asv/benchmarks.py).
    expect(new RegExp(regex).test('a.b(1, 2)')).toBe(true);
    expect(new RegExp(regex).test('a.b')).toBe(true);
    expect(new RegExp(regex).test('a.bc')).toBe(false);
  });
});

describe('synthesize bad input (no engine needed)', () => {
  it('fails rows per reason, keeps going, and counts them in the summary', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-synth-unit-'));
    const repo = new FixtureRepo(join(root, 'work'));
    const noAsv = repo.commit(
      { 'README.md': 'no asv yet\n', 'setup.py': 'setup()\n' },
      'start',
      '2024-01-01T00:00:00Z',
    );
    const good = repo.commit(asvFixtureFiles(), 'add package', '2024-01-02T00:00:00Z');
    repo.mirrorTo(join(root, 'store', 'demo-org', 'fastmath.git'));
    expect((await readFactsAt(join(root, 'store', 'demo-org', 'fastmath.git'), good)).asv_config_path).toBe(
      'asv.conf.json',
    );
    const row = (n: number, base: string | null) => ({
      repo_name: 'demo-org/fastmath',
      pr_number: n,
      sha: good,
      pr_base_sha: base,
      pr_merged_at: '2024-01-03T00:00:00Z',
    });
    const log = createMemoryLogger();
    const registryPath = join(root, 'registry.json');
    const out = await synthesize(
      {
        rows: [
          row(1, 'f'.repeat(40)),
          row(2, noAsv),
          row(3, good),
          row(4, null),
          { ...row(5, good), repo_name: 'demo-org/missing' },
        ],
      },
      // An engine that cannot be reached: a socket that does not exist.
      {
        docker: createDockerClient({ host: `unix://${join(root, 'no-docker.sock')}` }),
        store: new OfflineStore(join(root, 'store')),
        registryPath,
        log,
      },
      { asvSource: { kind: 'index', url: 'http://127.0.0.1:9/simple' } },
    );
    expect(out.engine.ok).toBe(false);
    expect(out.results.map((r) => [r.stage, r.reason, r.ok])).toEqual([
      ['input', 'unknown_sha', false],
      ['input', 'no_asv_config', false],
      ['engine', 'engine_unreachable', false],
      ['input', 'missing_base_sha', false],
      ['input', 'mirror_missing', false],
    ]);
    expect(out.summary).toEqual({
      kept: 0,
      dropped: 5,
      reasons: { unknown_sha: 1, no_asv_config: 1, engine_unreachable: 1, missing_base_sha: 1, mirror_missing: 1 },
    });
    expect(out.results[2]?.image_name).toBe(`demo-org-fastmath-${good}:final`);
    // Nothing was registered: engine failures are transient, input failures have no context.
    expect((await readContextRegistry(registryPath)).entries).toEqual({});
    expect(log.lines.some((l) => l.includes('engine_unreachable'))).toBe(true);
    expect(() => readFileSync(registryPath)).toThrow();
  });

  it('refuses at once, offline, when no asv source is configured', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-synth-unit-'));
    await expect(
      synthesize(
        { rows: [] },
        {
          docker: createDockerClient({ host: `unix://${join(root, 'no-docker.sock')}` }),
          store: new OfflineStore(join(root, 'store')),
          registryPath: join(root, 'registry.json'),
          log: createMemoryLogger(),
        },
      ),
    ).rejects.toThrow(/synthesize\.asvSource \(or DATASMITH_ASV_SOURCE\) is not set/);
  });

  it('groups rows into tasks, a rebase merge without a PR number included', () => {
    const row = (n: number | null, base: string) => ({
      repo_name: 'o/r',
      pr_number: n,
      sha: 'a'.repeat(40),
      pr_base_sha: base,
      pr_merged_at: '2024-01-01T00:00:00Z',
    });
    const tasks = tasksFromRows([row(null, 'b'.repeat(40)), row(7, 'b'.repeat(40)), row(null, 'c'.repeat(40))]);
    expect(tasks.map((t) => [t.sha?.[0], t.prNumbers])).toEqual([
      ['b', [7]],
      ['c', []],
    ]);
  });
});
