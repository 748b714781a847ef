import { describe, expect, it } from 'vitest';
import { chooseRelease, mapRequirements, markerApplies, parseRequirement, upstreamVersion } from './debian';
import { asvBenchmarkRequirements, parseAsvJson, readRepoFacts } from './facts';
import { testIndex } from './testing/debian-index';

const releases = [
  { release: 'bookworm', released: '2023-06-10', index: testIndex('bookworm') },
  { release: 'trixie', released: '2025-08-09', index: testIndex('trixie') },
];

describe('Debian mapping (dh-python table checked against the release index)', () => {
  it('reads upstream versions out of Debian versions', () => {
    expect(upstreamVersion('1:2.2.4+ds-1')).toBe('2.2.4');
    expect(upstreamVersion('1.8.5-2+b1')).toBe('1.8.5');
    expect(upstreamVersion('0.12.0-2~bpo12+1')).toBe('0.12.0');
    expect(upstreamVersion('3.0')).toBe('3.0');
  });

  it('splits requirements and evaluates markers for Linux CPython', () => {
    expect(parseRequirement('scikit_learn[alldeps] (>=1.0, <2) ; python_version >= "3.9"')).toEqual({
      text: 'scikit_learn[alldeps] (>=1.0, <2) ; python_version >= "3.9"',
      name: 'scikit-learn',
      specifier: '>=1.0,<2',
      marker: 'python_version >= "3.9"',
    });
    expect(parseRequirement('pkg @ https://example.org/pkg.whl')).toBeNull();
    expect(markerApplies('python_version < "3.8"', '3.11')).toBe(false);
    expect(markerApplies('python_version >= "3.10" and sys_platform == "linux"', '3.11')).toBe(true);
    expect(markerApplies('sys_platform == "win32" or (python_version < "3.12" and os_name == "posix")', '3.13')).toBe(
      false,
    );
    expect(markerApplies('extra == "test"', '3.11')).toBe(false);
  });

  it('maps through dh-python, then the python3-<name> convention, only when the release has the package', () => {
    const m = mapRequirements(
      [
        'numpy>=1.2',
        'Shapely',
        'scikit_learn',
        'toolz',
        'pyarrow; python_version>"3"',
        'alembic>=1.5.0',
        'numba; python_version<"3.8"',
      ],
      testIndex('bookworm'),
    );
    expect(m.packages).toEqual([
      'python3-alembic',
      'python3-numpy',
      'python3-shapely',
      'python3-sklearn',
      'python3-toolz',
    ]);
    expect(m.unmapped).toEqual(['pyarrow']);
    expect(m.unsatisfied).toEqual([]);
  });

  it('reports mapped packages whose version misses the specifier, and never maps the project itself', () => {
    const m = mapRequirements(['numpy>=1.26', 'pandas>=2', 'shapely>=2'], testIndex('bookworm'), ['Shapely']);
    expect(m.packages).toEqual(['python3-numpy', 'python3-pandas']);
    expect(m.unsatisfied.map((u) => `${u.name} ${u.version}`)).toEqual(['numpy 1.24.2', 'pandas 1.5.3']);
    expect(mapRequirements(['numpy>=1.26', 'pandas>=2'], testIndex('trixie')).unsatisfied).toEqual([]);
  });
});

describe('chooseRelease', () => {
  const choose = (input: Partial<Parameters<typeof chooseRelease>[1]> & { commitDate: Date }) =>
    chooseRelease(releases, { requiresPython: null, asvPythons: [], requirements: [], ...input }).release;

  it('gives a 2021 commit the older release (no numpy 2.2, no Python that did not exist yet)', () => {
    expect(choose({ commitDate: new Date('2021-05-01'), requirements: ['numpy>=1.17'] })).toBe('bookworm');
  });

  it('gives a 2024 commit the newer release only when its requirements need it', () => {
    expect(choose({ commitDate: new Date('2024-05-01'), requirements: ['numpy>=1.22'] })).toBe('bookworm');
    expect(choose({ commitDate: new Date('2024-05-01'), requirements: ['numpy>=1.26', 'pandas>=2'] })).toBe('trixie');
  });

  it('gives a 2025 commit the newer release, and obeys requires-python', () => {
    expect(choose({ commitDate: new Date('2025-06-01') })).toBe('trixie');
    expect(choose({ commitDate: new Date('2021-01-01'), requiresPython: '>=3.12' })).toBe('trixie');
    expect(choose({ commitDate: new Date('2026-01-01'), requiresPython: '>=3.9,<3.12' })).toBe('bookworm');
  });
});

describe('benchmark requirements of asv.conf.json', () => {
  it('reads the req form, the old flat form, include entries and pip installs of the commands', () => {
    expect(
      asvBenchmarkRequirements({ matrix: { req: { pandas: [''], numba: [], six: [null] }, env: { X: ['1'] } } }),
    ).toEqual(['pandas', 'numba']);
    expect(asvBenchmarkRequirements({ matrix: { numpy: ['1.24'], Cython: [], 'pytest-xdist': ['>=3'] } })).toEqual([
      'numpy==1.24',
      'Cython',
      'pytest-xdist>=3',
    ]);
    expect(
      asvBenchmarkRequirements({
        include: [
          { python: '3.9', numpy: '1.19.5', ephem: '' },
          { python: '3.9', req: { h5py: '' } },
        ],
        build_command: ['python -m pip install build', 'python -m build --wheel -o {build_cache_dir} {build_dir}'],
        install_command: ['in-dir={env_dir} python -m pip install {wheel_file} scipy>=1.8 -q'],
      }),
    ).toEqual(['numpy', 'ephem', 'h5py', 'build', 'scipy>=1.8']);
  });

  it('parses asv JSON with comments after values and trailing commas (json5, as asv)', () => {
    const conf = parseAsvJson('{\n "repo": "..", // up\n "branches": ["main"], // git\n "matrix": {},\n}\n');
    expect(conf).toEqual({ repo: '..', branches: ['main'], matrix: {} });
  });
});

describe('repository facts seen on real repositories', () => {
  const factsOf = (files: Record<string, string>) => readRepoFacts(Object.keys(files), async (p) => files[p] ?? null);

  it('takes the repository root when asv.conf.json names a URL as its repo, or a folder without build files', async () => {
    const url = await factsOf({
      'asv_benchmarking/asv.conf.json': '{"repo": "https://github.com/o/r.git", "benchmark_dir": "benchmarks"}',
      'pyproject.toml': '[project]\nname = "r"\n',
      'r/__init__.py': '',
    });
    expect(url).toMatchObject({
      package_root: '.',
      build_system: 'pyproject',
      benchmark_dir: 'asv_benchmarking/benchmarks',
    });
    const up = await factsOf({
      'benchmarks/asv.conf.json': '{"repo": "../", // up\n "benchmark_dir": "benchmarks",}',
      'setup.py': 'setup(name="p")\n',
      'p/__init__.py': '',
    });
    expect(up).toMatchObject({ package_root: '.', build_system: 'setup.py', benchmark_dir: 'benchmarks/benchmarks' });
  });

  it('reads setuptools-scm `version_file` as a need for setuptools-scm 8 (7.x rejects the key)', async () => {
    const facts = await factsOf({
      'asv.conf.json': '{}',
      'pyproject.toml':
        '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm[toml]>=6.2"]\n\n[project]\nname = "s"\n\n[tool.setuptools_scm]\nversion_file = "s/_version.py"\n',
      's/__init__.py': '',
    });
    expect(facts.build_requires).toEqual(['setuptools>=64', 'setuptools_scm>=8']);
    expect(facts.scm_version_file).toBe('s/_version.py');
    expect(mapRequirements(facts.build_requires, testIndex('bookworm')).packages).toEqual(['python3-setuptools']);
  });

  it('reads the test groups of PEP 735 [dependency-groups], include-group resolved, and test-min style extras', async () => {
    const facts = await factsOf({
      'asv.conf.json': '{}',
      'pyproject.toml': [
        '[project]',
        'name = "ann"',
        '',
        '[project.optional-dependencies]',
        'test-full = ["hypothesis"]',
        'doc = ["sphinx"]',
        '',
        '[dependency-groups]',
        'doc = ["sphinx>=9"]',
        'test = [',
        '    "fast-array-utils>=1.2.3",',
        '    { include-group = "test-min" },',
        ']',
        'test-min = [',
        '    "pytest",',
        '    "joblib",  # conftest imports it',
        ']',
        '',
      ].join('\n'),
      'ann/__init__.py': '',
    });
    expect(facts.group_requires).toEqual(['fast-array-utils>=1.2.3', 'pytest', 'joblib']);
    expect(facts.chosen_extras).toEqual(['test-full']);
  });
});
