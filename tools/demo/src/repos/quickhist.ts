import type { RepoHistory } from '../history';
import { oneStep } from '../history';
import { code } from '../tree';

/**
 * solo-dev/quickhist: a one-person histogram package. The store has its mirror but no repo.json
 * and only its name in repos.csv: stars unknown, so scrape-repos must keep it, and collect must
 * take the default branch from the mirror's HEAD. One perf PR (#2).
 */

const CORE = 'quickhist/core.py';
const T_CORE = 'tests/test_core.py';

/** The history of solo-dev/quickhist. */
export const quickhistHistory: RepoHistory = {
  repo: 'solo-dev/quickhist',
  defaultBranch: 'main',
  initial: {
    at: '2023-12-01T18:00:00Z',
    by: 'nhaddad',
    message: 'first version',
    apply: (t) =>
      t.writeAll({
        'README.md': '# quickhist\n\nFixed-width histograms.\n',
        'setup.py': code`
          from setuptools import setup

          setup(name="quickhist", version="0.1", packages=["quickhist"])
        `,
        'asv.conf.json': code`
          {
              "version": 1,
              "project": "quickhist",
              "repo": ".",
              "environment_type": "virtualenv",
              "benchmark_dir": "benchmarks",
              "matrix": {"req": {"numpy": [""]}}
          }
        `,
        'quickhist/__init__.py': 'from .core import bin_counts\n',
        [CORE]: code`
          """Fixed-width histograms."""


          def bin_counts(values, nbins, lo, hi):
              """Counts of \`\`values\`\` in \`\`nbins\`\` equal-width bins over [lo, hi); other values are ignored."""
              counts = [0] * nbins
              width = (hi - lo) / nbins
              for v in values:
                  if lo <= v < hi:
                      counts[min(int((v - lo) / width), nbins - 1)] += 1
              return counts
        `,
        [T_CORE]: code`
          from quickhist import bin_counts


          def test_bin_counts():
              assert bin_counts([0.0, 0.5, 1.5, 2.0, -1.0, 1.99], 2, 0.0, 2.0) == [2, 2]
              assert bin_counts([], 3, 0.0, 1.0) == [0, 0, 0]
        `,
        'benchmarks/__init__.py': '',
        'benchmarks/bench_core.py': code`
          import random

          from quickhist import bin_counts


          class BinCounts:
              def setup(self):
                  rng = random.Random(0)
                  self.values = [rng.uniform(-1.0, 11.0) for _ in range(100_000)]

              def time_bin_counts(self):
                  bin_counts(self.values, 50, 0.0, 10.0)
        `,
      }),
  },
  direct: [],
  pulls: {
    1: {
      author: 'nhaddad',
      mergedBy: 'nhaddad',
      branch: 'cumulative',
      body: null,
      steps: oneStep('Add cumulative histogram', (t) => {
        t.ensureImport(CORE, 'import itertools');
        t.setDef(
          CORE,
          'cumulative_counts',
          code`
            def cumulative_counts(values, nbins, lo, hi):
                """Running totals of :func:\`bin_counts\`."""
                return list(itertools.accumulate(bin_counts(values, nbins, lo, hi)))
          `,
        );
        t.setDef(
          T_CORE,
          'test_cumulative_counts',
          code`
            def test_cumulative_counts():
                from quickhist.core import cumulative_counts

                assert cumulative_counts([0.1, 0.2, 0.7], 2, 0.0, 1.0) == [2, 3]
          `,
        );
      }),
    },
    2: {
      author: 'staylor',
      mergedBy: 'nhaddad',
      branch: 'numpy-bins',
      body: 'Computes all bin indices at once with NumPy and counts them with `np.bincount`; about 5x faster for 100k values.',
      labels: ['performance'],
      steps: oneStep('Compute bin indices with numpy', (t) => {
        t.replace(CORE, 'import itertools\n', 'import itertools\n\nimport numpy as np\n');
        t.setDef(
          CORE,
          'bin_counts',
          code`
            def bin_counts(values, nbins, lo, hi):
                """Counts of \`\`values\`\` in \`\`nbins\`\` equal-width bins over [lo, hi); other values are ignored."""
                v = np.asarray(values, dtype=float)
                v = v[(v >= lo) & (v < hi)]
                idx = np.minimum(((v - lo) / ((hi - lo) / nbins)).astype(np.intp), nbins - 1)
                return np.bincount(idx, minlength=nbins).tolist()
          `,
        );
        t.replace('setup.py', 'packages=["quickhist"])', 'packages=["quickhist"], install_requires=["numpy"])');
      }),
    },
    4: {
      author: 'nhaddad',
      mergedBy: 'nhaddad',
      branch: 'readme-install',
      body: null,
      steps: oneStep('README: installation notes', (t) => t.append('README.md', '\n    pip install quickhist\n')),
    },
    5: {
      author: 'staylor',
      mergedBy: 'nhaddad',
      branch: 'nbins-check',
      body: '`bin_counts(x, 0, ...)` raised ZeroDivisionError.',
      steps: oneStep('Raise ValueError for nbins < 1', (t) => {
        t.replace(
          CORE,
          '    v = np.asarray(values, dtype=float)\n',
          '    if nbins < 1:\n        raise ValueError("nbins must be at least 1")\n    v = np.asarray(values, dtype=float)\n',
        );
      }),
    },
    6: {
      author: 'nhaddad',
      mergedBy: 'nhaddad',
      branch: 'render',
      body: 'Text rendering for terminals.',
      steps: oneStep('Add text rendering of histograms', (t) => {
        t.setDef(
          CORE,
          'render',
          code`
            def render(counts, width=40):
                """One line of '#' per bin, scaled so the largest bin is \`\`width\`\` characters."""
                top = max(counts) if counts else 0
                return ["#" * (round(c * width / top) if top else 0) for c in counts]
          `,
        );
        t.setDef(
          T_CORE,
          'test_render',
          code`
            def test_render():
                from quickhist.core import render

                assert render([1, 2], width=4) == ["##", "####"]
          `,
        );
      }),
    },
  },
};
