import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeImageQuietly } from '@datasmith/docker';
import { dockerTestEngine, testOnlyAsvSource } from '@datasmith/docker/testing';
import { FixtureRepo } from '@datasmith/git/testing';
import { createMemoryLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import type { SynthesisResult, SynthesizeInputRow } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizeOptions, synthesize } from './synthesize';
import { asvFixtureFiles } from './testing/asv-fixture';

const engine = await dockerTestEngine();
const docker = engine.docker;

function rowFor(name: string, sha: string, n: number): SynthesizeInputRow {
  return { repo_name: `demo-org/${name}`, pr_number: n, sha, pr_base_sha: sha, pr_merged_at: '2025-02-01T00:00:00Z' };
}

/** The fixture package with its pyproject edited (`[project]` keys) and files added or replaced. */
function variant(name: string, project: Record<string, string>, files: Record<string, string> = {}) {
  const base = asvFixtureFiles({ name });
  let pyproject = base['pyproject.toml'] as string;
  for (const [key, value] of Object.entries(project)) {
    pyproject = new RegExp(`^${key} = .*$`, 'm').test(pyproject)
      ? pyproject.replace(new RegExp(`^${key} = .*$`, 'm'), `${key} = ${value}`)
      : pyproject.replace('[project]\n', `[project]\n${key} = ${value}\n`);
  }
  return { ...base, 'pyproject.toml': pyproject, ...files };
}

describe.skipIf(!engine.ok)(`offline bases with real asv, per Debian release ${engine.skipReason}`, () => {
  let root: string;
  const made: string[] = [];
  const timings: Record<string, number> = {};

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ds-offline-bases-'));
  });
  afterAll(async () => {
    for (const ref of made) await removeImageQuietly(docker, ref, { force: true });
    console.log(`offline bases docker timings (s): ${JSON.stringify(timings)}`);
  });

  const run = async (name: string, commits: Record<string, string>[], options: SynthesizeOptions) => {
    const repo = new FixtureRepo(join(root, `work-${name}`));
    const shas = commits.map((files, i) => repo.commit(files, `commit ${i}`, `2025-01-0${i + 1}T00:00:00Z`));
    repo.mirrorTo(join(root, 'store', 'demo-org', `${name}.git`));
    const t = Date.now();
    const out = await synthesize(
      { rows: shas.map((sha, i) => rowFor(name, sha, i + 1)) },
      {
        docker,
        store: new OfflineStore(join(root, 'store')),
        registryPath: join(root, `${name}-registry.json`),
        log: createMemoryLogger(),
      },
      { asvSource: testOnlyAsvSource(), maxSimilarCandidates: 0, ...options },
    );
    timings[name] = (Date.now() - t) / 1000;
    for (const r of out.results) if (r.ok) made.push(r.image_name);
    const bySha = new Map(out.results.map((r) => [r.sha, r]));
    return shas.map((sha) => bySha.get(sha) as SynthesisResult);
  };

  it('installs a PEP 639 project on Debian 12 from its source folder; a classic one stays editable', async () => {
    const [pep639, classic] = await run(
      'licensed',
      [
        variant('licensed', { license: '"BSD-3-Clause"', 'license-files': '["LICENSE"]' }, { LICENSE: 'BSD\n' }),
        variant('licensed', { license: '{ text = "BSD-3-Clause" }' }),
      ],
      { releases: ['bookworm'] },
    );
    expect(pep639, pep639?.stderr_tail).toMatchObject({
      ok: true,
      install_mode: 'source',
      base_release: 'bookworm',
      python_used: '3.11',
      asv_version: '0.6.4',
    });
    // setuptools 66 cannot read the license string: editable and regular fail first.
    expect(pep639?.attempts.map((a) => [a.variant, a.reason])).toEqual([
      ['editable', 'install_failed'],
      ['regular', 'install_failed'],
      ['source', null],
    ]);
    expect(classic, classic?.stderr_tail).toMatchObject({
      ok: true,
      install_mode: 'editable',
      base_release: 'bookworm',
    });
  });

  it('chooses Debian 13 (Python 3.13, asv 0.6.6) for a project that requires Python 3.12', async () => {
    const [modern] = await run('modern', [variant('modern', { 'requires-python': '">=3.12"' })], {});
    expect(modern, modern?.stderr_tail).toMatchObject({
      ok: true,
      base_release: 'trixie',
      python_used: '3.13',
      asv_version: '0.6.6',
      install_mode: 'editable',
    });
    expect(modern?.warnings.join('\n')).toMatch(
      /base_release: trixie \(penalties: bookworm 100\d.*python 3.11 outside requires-python >=3.12/,
    );
  });

  it('runs the importable part of a suite offline, and says network_required when nothing imports', async () => {
    const remote =
      'import urllib.request\n\nDATA = urllib.request.urlopen("http://data.example.invalid/table.csv").read()\n\n\ndef time_remote():\n    len(DATA)\n';
    const asvWithMatrix = (asvFixtureFiles({ name: 'suite' })['asv.conf.json'] as string).replace(
      '"benchmark_dir": "benchmarks"',
      '"benchmark_dir": "benchmarks",\n    "matrix": {"req": {"toolz": [""]}, "env": {"SUITE_MODE": ["fast", "slow"]}}',
    );
    // The benchmark needs the matrix's environment variable (first value), as asv would set it.
    const core =
      'import os\nimport toolz\nfrom suite import total\n\n\ndef time_total():\n    assert os.environ["SUITE_MODE"] == "fast"\n    total(toolz.take(100, range(1000)))\n';
    const [partial, none] = await run(
      'suite',
      [
        variant(
          'suite',
          {},
          {
            'asv.conf.json': asvWithMatrix,
            'benchmarks/bench_core.py': core,
            'benchmarks/bench_remote.py': remote,
          },
        ),
        { 'benchmarks/bench_core.py': remote },
      ],
      { releases: ['bookworm'] },
    );
    // bench_core imports toolz, which only the asv matrix declares: it is installed from Debian; it
    // runs (a result, not a failure) only with SUITE_MODE from the matrix's env.
    expect(partial, partial?.stderr_tail).toMatchObject({ ok: true, benchmarks: ['bench_core.time_total'] });
    expect(partial?.benchmarks_excluded).toEqual([
      { module: 'benchmarks.bench_remote', error: expect.stringMatching(/URLError|gaierror|resolution/) },
    ]);
    expect(none, none?.stderr_tail).toMatchObject({ ok: false, stage: 'discover', reason: 'network_required' });
  });

  it('says dependency_unavailable when the import fails on a requirement Debian does not package', async () => {
    const [missing] = await run(
      'needy',
      [
        variant(
          'needy',
          { dependencies: '["numpy", "definitely-not-in-debian"]' },
          {
            'needy/__init__.py': 'import definitely_not_in_debian\nfrom .core import scale, total\n',
          },
        ),
      ],
      { releases: ['bookworm'], maxAttempts: 1 },
    );
    expect(missing, missing?.stderr_tail).toMatchObject({
      ok: false,
      stage: 'import',
      reason: 'dependency_unavailable',
    });
    expect(missing?.warnings.join('\n')).toContain(
      'unmapped_dependency: no Debian package in bookworm for definitely-not-in-debian',
    );
  });

  it('collects tests without addopts that name a missing plugin; a suite that collects nothing fails', async () => {
    const [addopts, broken] = await run(
      'collects',
      [
        variant(
          'collects',
          {},
          {
            'pytest.ini': '[pytest]\naddopts = --cov=collects --cov-report=term\n',
          },
        ),
        { 'tests/test_core.py': 'import module_nobody_ships\n\n\ndef test_x():\n    pass\n' },
      ],
      { releases: ['bookworm'], maxAttempts: 1 },
    );
    expect(addopts, addopts?.stderr_tail).toMatchObject({ ok: true });
    expect(addopts?.warnings.join('\n')).toContain('tests_collect_errors: collected without the project addopts');
    expect(broken, broken?.stderr_tail).toMatchObject({ ok: false, stage: 'tests', reason: 'tests_collect_failed' });
  });

  it('collects the tests of a regular (meson) install against what was built, not the source tree', async () => {
    const files = asvFixtureFiles({ name: 'genpkg', asvDir: 'asv_bench' });
    const [built] = await run(
      'genpkg',
      [
        {
          ...files,
          'pyproject.toml':
            '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n\n[project]\nname = "genpkg"\nversion = "0.1.0"\ndependencies = ["numpy"]\n',
          'meson.build': [
            "project('genpkg', version: '0.1.0')",
            "py = import('python').find_installation(pure: false)",
            "py.install_sources(['genpkg/__init__.py', 'genpkg/core.py'], subdir: 'genpkg')",
            "configure_file(output: '_generated.py', command: [py, '-c', 'print(\"VALUE = 42\")'], capture: true,",
            "  install: true, install_dir: py.get_install_dir() / 'genpkg')",
            '',
          ].join('\n'),
          // Only the build writes _generated.py: the source tree's package cannot import.
          'genpkg/__init__.py': 'from ._generated import VALUE\nfrom .core import scale, total\n',
          'tests/test_core.py':
            'from genpkg import VALUE, total\n\n\ndef test_total():\n    assert VALUE == 42 and total([1, 2]) == 3\n',
        },
      ],
      { releases: ['bookworm'] },
    );
    expect(built, built?.stderr_tail).toMatchObject({ ok: true, install_mode: 'regular' });
    expect(built?.warnings.join('\n')).not.toContain('tests_collect_errors');
  });

  it('collects tests shipped inside a regular (meson) package from the installed copy, as dipy ships them', async () => {
    const {
      'tests/__init__.py': _init,
      'tests/test_core.py': _test,
      ...files
    } = asvFixtureFiles({
      name: 'inpkg',
      asvDir: 'asv_bench',
    });
    const [built] = await run(
      'inpkg',
      [
        {
          ...files,
          'pyproject.toml':
            '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n\n[project]\nname = "inpkg"\nversion = "0.1.0"\ndependencies = ["numpy"]\n',
          'meson.build': [
            "project('inpkg', version: '0.1.0')",
            "py = import('python').find_installation(pure: false)",
            "py.install_sources(['inpkg/__init__.py', 'inpkg/core.py', 'inpkg/conftest.py'], subdir: 'inpkg')",
            "py.install_sources(['inpkg/tests/__init__.py', 'inpkg/tests/test_core.py'], subdir: 'inpkg/tests')",
            "configure_file(output: '_generated.py', command: [py, '-c', 'print(\"VALUE = 42\")'], capture: true,",
            "  install: true, install_dir: py.get_install_dir() / 'inpkg')",
            '',
          ].join('\n'),
          'inpkg/__init__.py': 'from ._generated import VALUE\nfrom .core import scale, total\n',
          // As dipy/conftest.py: a conftest inside the package makes pytest import the package first.
          'inpkg/conftest.py': 'import inpkg  # noqa: F401\n',
          'inpkg/tests/__init__.py': '',
          'inpkg/tests/test_core.py':
            'from inpkg import VALUE, total\n\n\ndef test_total():\n    assert VALUE == 42 and total([1, 2]) == 3\n',
        },
      ],
      { releases: ['bookworm'] },
    );
    expect(built, built?.stderr_tail).toMatchObject({ ok: true, install_mode: 'regular' });
    expect(built?.warnings.join('\n')).not.toContain('tests_collect_errors');
  });

  it('tries further quick-run batches when benchmarks download data in setup; network_required when none runs', async () => {
    const remote =
      'import urllib.request\n\n\nclass Remote:\n    def setup(self):\n        self.data = urllib.request.urlopen("http://data.example.invalid/x.csv").read()\n\n    def time_len(self):\n        len(self.data)\n';
    const local = 'from later import total\n\n\nclass Local:\n    def time_total(self):\n        total(range(100))\n';
    const { 'benchmarks/bench_core.py': _core, ...files } = asvFixtureFiles({ name: 'later' });
    const [third, none] = await run(
      'later',
      [
        { ...files, 'benchmarks/bench_a.py': remote, 'benchmarks/bench_b.py': remote, 'benchmarks/bench_c.py': local },
        { 'benchmarks/bench_c.py': remote },
      ],
      { releases: ['bookworm'], maxAttempts: 1, validation: { quickCount: 1 } },
    );
    expect(third, third?.stderr_tail).toMatchObject({ ok: true });
    expect(third?.warnings.join('\n')).toContain(
      'quick_benchmark_failed: bench_a.Remote.time_len failed, bench_b.Remote.time_len failed',
    );
    expect(none, none?.stderr_tail).toMatchObject({ ok: false, stage: 'benchmark', reason: 'network_required' });
  });

  it('says submodule_unavailable when the build needs a submodule the store does not hold', async () => {
    const repo = new FixtureRepo(join(root, 'work-vendored'));
    const files = asvFixtureFiles({ name: 'vendored' });
    repo.commit(
      {
        ...files,
        '.gitmodules': '[submodule "vendored/lib"]\n\tpath = vendored/lib\n\turl = https://github.com/nobody/lib.git\n',
        // The build reads a file of the submodule, as numpy's reads its vendored meson.
        'setup.py': 'from setuptools import setup\n\nopen("vendored/lib/VERSION").read()\nsetup()\n',
      },
      'vendor a library',
      '2025-01-01T00:00:00Z',
    );
    repo.git(['update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},vendored/lib`]);
    repo.git(['commit', '-q', '-m', 'pin the submodule'], '2025-01-02T00:00:00Z');
    const sha = repo.git(['rev-parse', 'HEAD']).trim();
    repo.mirrorTo(join(root, 'store', 'demo-org', 'vendored.git'));
    const out = await synthesize(
      { rows: [rowFor('vendored', sha, 1)] },
      {
        docker,
        store: new OfflineStore(join(root, 'store')),
        registryPath: join(root, 'vendored-registry.json'),
        log: createMemoryLogger(),
      },
      { asvSource: testOnlyAsvSource(), releases: ['bookworm'], maxAttempts: 2 },
    );
    const r = out.results[0] as SynthesisResult;
    expect(r, r.stderr_tail).toMatchObject({ ok: false, stage: 'build', reason: 'submodule_unavailable' });
    expect(r.warnings.join('\n')).toContain(
      'submodule_unavailable: vendored/lib (https://github.com/nobody/lib.git) has no mirror in the store',
    );
  });
});
