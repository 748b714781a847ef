import { type DebianIndex, parseDhPythonFallback, parsePackageIndex } from '../debian';

/** TEST-ONLY: a few lines of dh-python's cpython3_fallback, in its own format. */
export const TEST_FALLBACK = `numpy python3-numpy
scikit_learn python3-sklearn
Shapely python3-shapely
setuptools python3-setuptools
alembic python3-alembic
pytest python3-pytest
wheel python3-wheel
pandas python3-pandas
scipy python3-scipy
`;

const VERSIONS = {
  bookworm: {
    python: '3.11',
    packages: {
      'python3-numpy': '1:1.24.2-1+deb12u1',
      'python3-scipy': '1.10.1-2',
      'python3-pandas': '1.5.3+dfsg-2',
      'python3-setuptools': '66.1.1-1',
      'python3-wheel': '0.38.4-2',
      'python3-pytest': '7.2.1-2',
      'python3-alembic': '1.8.1-2',
      'python3-shapely': '1.8.5-2+b1',
      'python3-sklearn': '1.2.1+dfsg-1',
      'python3-toolz': '0.12.0-2',
    },
  },
  trixie: {
    python: '3.13',
    packages: {
      'python3-numpy': '1:2.2.4+ds-1',
      'python3-scipy': '1.15.2-1',
      'python3-pandas': '2.2.3+dfsg-5',
      'python3-setuptools': '78.1.1-0.1',
      'python3-wheel': '0.46.1-2',
      'python3-pytest': '8.3.5-2',
      'python3-alembic': '1.14.1-1',
      'python3-shapely': '2.1.0-1',
      'python3-sklearn': '1.6.1+dfsg-1',
      'python3-toolz': '1.0.0-2',
    },
  },
} as const;

/** TEST-ONLY: the index of a release as resolveBase reads it from a base image, with real versions of a few packages. */
export function testIndex(release: keyof typeof VERSIONS): DebianIndex {
  const v = VERSIONS[release];
  return {
    release,
    pythonVersion: v.python,
    versions: parsePackageIndex(
      Object.entries(v.packages)
        .map(([p, ver]) => `${p}\t${ver}`)
        .join('\n'),
    ),
    fallback: parseDhPythonFallback(TEST_FALLBACK),
  };
}
