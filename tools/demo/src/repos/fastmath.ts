import type { RepoHistory } from '../history';
import { oneStep } from '../history';
import { code } from '../tree';

/**
 * acme/fastmath: NumPy numerics (rolling statistics, distances, 1-D signals). ASV at the root from
 * the first commit. Mostly squash merges, a few merge commits and rebase merges. Eleven PRs make
 * real speed-ups, each measured by a benchmark that exists at the PR's base.
 */

const STATS = 'fastmath/stats.py';
const LINALG = 'fastmath/linalg.py';
const SIGNAL = 'fastmath/signal.py';
const SPECIAL = 'fastmath/special.py';
const T_STATS = 'tests/test_stats.py';
const T_LINALG = 'tests/test_linalg.py';
const T_SIGNAL = 'tests/test_signal.py';
const T_SPECIAL = 'tests/test_special.py';
const B_STATS = 'benchmarks/bench_stats.py';
const B_LINALG = 'benchmarks/bench_linalg.py';
const B_SIGNAL = 'benchmarks/bench_signal.py';
const B_SPECIAL = 'benchmarks/bench_special.py';

const PYPROJECT = code`
  [build-system]
  requires = ["setuptools>=61"]
  build-backend = "setuptools.build_meta"

  [project]
  name = "fastmath"
  version = "0.1.0"
  description = "Small numerical helpers on top of NumPy"
  readme = "README.md"
  requires-python = ">=3.8"
  license = { text = "BSD-3-Clause" }
  dependencies = ["numpy>=1.22"]

  [tool.setuptools.packages.find]
  include = ["fastmath*"]
`;

const ASV_CONF = code`
  {
      "version": 1,
      "project": "fastmath",
      "project_url": "https://github.com/acme/fastmath",
      "repo": ".",
      "branches": ["main"],
      "dvcs": "git",
      "environment_type": "virtualenv",
      "install_command": ["in-dir={env_dir} python -mpip install {wheel_file}"],
      "build_command": ["python -m pip wheel --no-deps --no-build-isolation -w {build_cache_dir} {build_dir}"],
      "show_commit_url": "https://github.com/acme/fastmath/commit/",
      "pythons": ["3.11"],
      "matrix": {"req": {"numpy": [""]}},
      "benchmark_dir": "benchmarks",
      "env_dir": ".asv/env",
      "results_dir": ".asv/results",
      "html_dir": ".asv/html"
  }
`;

const STATS_V0 = code`
  """Descriptive and rolling statistics."""

  import numpy as np


  def mean(x):
      """Arithmetic mean of \`\`x\`\`."""
      x = np.asarray(x, dtype=float)
      if x.size == 0:
          raise ValueError("mean of an empty array")
      return float(x.sum() / x.size)


  def variance(x, ddof=0):
      """Variance of \`\`x\`\`; \`\`ddof\`\` is the delta degrees of freedom."""
      x = np.asarray(x, dtype=float)
      m = mean(x)
      return float(((x - m) ** 2).sum() / x.size)


  def rolling_mean(x, window):
      """Mean of every run of \`\`window\`\` consecutive values of \`\`x\`\` (the valid part only)."""
      x = np.asarray(x, dtype=float)
      if window < 1 or window > x.size:
          raise ValueError("window must be between 1 and len(x)")
      out = np.empty(x.size - window + 1)
      for i in range(out.size):
          out[i] = x[i:i + window].sum() / window
      return out


  def zscore(x):
      """Standard score of every value of \`\`x\`\`."""
      x = np.asarray(x, dtype=float)
      out = np.empty_like(x)
      for i in range(x.size):
          out[i] = (x[i] - x.mean()) / x.std()
      return out


  def percentiles(x, qs):
      """Percentiles of \`\`x\`\` for each \`\`q\`\` in \`\`qs\`\` (0-100), with linear interpolation."""
      x = np.asarray(x, dtype=float)
      out = []
      for q in qs:
          s = np.sort(x)
          pos = (s.size - 1) * q / 100.0
          lo = int(np.floor(pos))
          hi = min(lo + 1, s.size - 1)
          frac = pos - lo
          out.append(s[lo] * (1.0 - frac) + s[hi] * frac)
      return np.array(out)


  def histogram_counts(x, edges):
      """Number of values of \`\`x\`\` in each half-open bin \`\`[edges[i], edges[i + 1])\`\`."""
      x = np.asarray(x, dtype=float)
      edges = np.asarray(edges, dtype=float)
      counts = np.zeros(edges.size - 1, dtype=np.int64)
      for v in x:
          for i in range(edges.size - 1):
              if edges[i] <= v < edges[i + 1]:
                  counts[i] += 1
                  break
      return counts
`;

const LINALG_V0 = code`
  """Small dense linear-algebra helpers."""

  import math

  import numpy as np


  def pairwise_distances(X):
      """Euclidean distance between every pair of rows of \`\`X\`\`."""
      X = np.asarray(X, dtype=float)
      n = X.shape[0]
      out = np.zeros((n, n))
      for i in range(n):
          for j in range(n):
              out[i, j] = math.sqrt(((X[i] - X[j]) ** 2).sum())
      return out


  def normalize_rows(X):
      """Scale every row of \`\`X\`\` to unit Euclidean norm."""
      X = np.asarray(X, dtype=float)
      out = X.copy()
      for i in range(out.shape[0]):
          row = out[i].copy()
          out[i] = row / np.linalg.norm(row)
      return out
`;

const SIGNAL_V0 = code`
  """One-dimensional signal helpers."""

  import numpy as np


  def convolve1d(x, kernel):
      """Discrete convolution of \`\`x\`\` with \`\`kernel\`\`, valid part only (like \`\`mode="valid"\`\`)."""
      x = np.asarray(x, dtype=float)
      k = np.asarray(kernel, dtype=float)[::-1]
      n = x.size - k.size + 1
      if n < 1:
          raise ValueError("kernel is longer than the signal")
      out = np.zeros(n)
      for i in range(n):
          acc = 0.0
          for j in range(k.size):
              acc += x[i + j] * k[j]
          out[i] = acc
      return out


  def find_peaks(x):
      """Indices of strict local maxima of \`\`x\`\` (endpoints excluded)."""
      x = np.asarray(x, dtype=float)
      peaks = []
      for i in range(1, x.size - 1):
          if x[i - 1] < x[i] and x[i] > x[i + 1]:
              peaks.append(i)
      return np.array(peaks, dtype=np.intp)
`;

const TEST_STATS_V0 = code`
  import numpy as np

  from fastmath import stats


  def _raises(exc, fn, *args, **kwargs):
      try:
          fn(*args, **kwargs)
      except exc:
          return True
      return False


  def test_mean():
      assert stats.mean([1.0, 2.0, 3.0]) == 2.0
      assert _raises(ValueError, stats.mean, [])


  def test_variance():
      assert abs(stats.variance([1.0, 2.0, 3.0, 4.0]) - 1.25) < 1e-12


  def test_rolling_mean():
      out = stats.rolling_mean([1.0, 2.0, 3.0, 4.0, 5.0], 2)
      assert np.allclose(out, [1.5, 2.5, 3.5, 4.5])
      assert np.allclose(stats.rolling_mean([4.0, 2.0], 2), [3.0])
      assert _raises(ValueError, stats.rolling_mean, [1.0, 2.0], 3)


  def test_rolling_mean_matches_naive():
      x = np.random.default_rng(3).normal(size=500)
      expected = [x[i:i + 7].mean() for i in range(x.size - 6)]
      assert np.allclose(stats.rolling_mean(x, 7), expected)


  def test_zscore():
      x = np.array([1.0, 2.0, 3.0])
      z = stats.zscore(x)
      assert np.allclose(z, (x - 2.0) / np.std(x))
      assert abs(z.mean()) < 1e-12


  def test_percentiles():
      x = np.arange(11, dtype=float)
      assert np.allclose(stats.percentiles(x, [0, 50, 100]), [0.0, 5.0, 10.0])
      y = np.random.default_rng(4).normal(size=301)
      assert np.allclose(stats.percentiles(y, [5, 37.5, 90]), np.percentile(y, [5, 37.5, 90]))


  def test_histogram_counts():
      counts = stats.histogram_counts([0.1, 0.5, 0.5, 1.0, 2.5, -1.0, 3.0], [0.0, 1.0, 2.0, 3.0])
      assert counts.tolist() == [3, 1, 1]
      y = np.random.default_rng(5).uniform(0, 10, size=400)
      edges = np.linspace(0, 10, 11)
      assert stats.histogram_counts(y, edges).tolist() == np.histogram(y, edges)[0].tolist()
`;

const TEST_LINALG_V0 = code`
  import numpy as np

  from fastmath import linalg


  def test_pairwise_distances():
      X = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
      D = linalg.pairwise_distances(X)
      assert np.allclose(D, [[0.0, 5.0, 10.0], [5.0, 0.0, 5.0], [10.0, 5.0, 0.0]])


  def test_pairwise_distances_random():
      X = np.random.default_rng(6).normal(size=(20, 3))
      D = linalg.pairwise_distances(X)
      assert np.allclose(D, D.T)
      assert np.allclose(D[2, 7], np.linalg.norm(X[2] - X[7]))


  def test_normalize_rows():
      X = np.array([[3.0, 4.0], [1.0, 0.0]])
      assert np.allclose(linalg.normalize_rows(X), [[0.6, 0.8], [1.0, 0.0]])
`;

const TEST_SIGNAL_V0 = code`
  import numpy as np

  from fastmath import signal


  def test_convolve1d():
      assert np.allclose(signal.convolve1d([1.0, 2.0, 3.0], [1.0, 1.0]), [3.0, 5.0])
      x = np.random.default_rng(7).normal(size=200)
      k = np.array([0.2, 0.5, 0.3])
      assert np.allclose(signal.convolve1d(x, k), np.convolve(x, k, mode="valid"))


  def test_find_peaks():
      assert signal.find_peaks([0.0, 2.0, 1.0, 3.0, 1.0]).tolist() == [1, 3]
      assert signal.find_peaks([1.0, 1.0, 1.0]).tolist() == []
      assert signal.find_peaks([1.0]).tolist() == []
`;

const BENCH_STATS_V0 = code`
  import numpy as np

  from fastmath import stats


  class RollingMean:
      def setup(self):
          self.x = np.random.default_rng(0).normal(size=20_000)

      def time_rolling_mean(self):
          stats.rolling_mean(self.x, 100)


  class ZScore:
      def setup(self):
          self.x = np.random.default_rng(1).normal(size=2_000)

      def time_zscore(self):
          stats.zscore(self.x)
`;

const BENCH_SIGNAL_V0 = code`
  import numpy as np

  from fastmath import signal


  class Convolve1d:
      def setup(self):
          rng = np.random.default_rng(2)
          self.x = rng.normal(size=5_000)
          self.kernel = rng.uniform(size=31)

      def time_convolve1d(self):
          signal.convolve1d(self.x, self.kernel)
`;

const README = code`
  # fastmath

  Small numerical helpers on top of NumPy: rolling statistics, distances and 1-D signal tools.

  \`\`\`
  pip install fastmath
  \`\`\`

  \`\`\`python
  from fastmath import stats
  stats.rolling_mean([1, 2, 3, 4], 2)
  \`\`\`

  Run the benchmarks with \`asv run\`; the configuration is \`asv.conf.json\`.
`;

const CI_WORKFLOW = code`
  name: tests
  on: [push, pull_request]
  jobs:
    test:
      runs-on: ubuntu-latest
      strategy:
        matrix:
          python-version: ["3.9", "3.10", "3.11"]
      steps:
        - uses: actions/checkout@v4
        - uses: actions/setup-python@v5
          with:
            python-version: \${{ matrix.python-version }}
        - run: python -m pip install -e . pytest
        - run: python -m pytest tests
`;

/** The history of acme/fastmath. */
export const fastmathHistory: RepoHistory = {
  repo: 'acme/fastmath',
  defaultBranch: 'main',
  initial: {
    at: '2023-10-02T12:00:00Z',
    by: 'asouza',
    message: 'Initial commit',
    apply: (t) =>
      t.writeAll({
        '.gitignore': '__pycache__/\n*.egg-info/\n.asv/\nbuild/\n',
        LICENSE: 'BSD 3-Clause License\n\nCopyright (c) 2023, the fastmath developers\nAll rights reserved.\n',
        'README.md': README,
        'pyproject.toml': PYPROJECT,
        'asv.conf.json': ASV_CONF,
        'fastmath/__init__.py': code`
          """fastmath: small numerical helpers built on NumPy."""

          from . import linalg, signal, stats

          __version__ = "0.1.0"

          __all__ = ["linalg", "signal", "stats", "__version__"]
        `,
        [STATS]: STATS_V0,
        [LINALG]: LINALG_V0,
        [SIGNAL]: SIGNAL_V0,
        [T_STATS]: TEST_STATS_V0,
        [T_LINALG]: TEST_LINALG_V0,
        [T_SIGNAL]: TEST_SIGNAL_V0,
        'benchmarks/__init__.py': '',
        [B_STATS]: BENCH_STATS_V0,
        [B_SIGNAL]: BENCH_SIGNAL_V0,
        'docs/index.rst': 'fastmath\n========\n\n.. toctree::\n   :maxdepth: 1\n\n   api\n',
        'docs/api.rst': 'API\n===\n\n.. automodule:: fastmath.stats\n   :members:\n',
        '.github/workflows/tests.yml': CI_WORKFLOW,
      }),
  },
  direct: [
    {
      at: '2023-12-15T14:00:00Z',
      by: 'asouza',
      message: 'Release 0.2.0',
      tag: 'v0.2.0',
      apply: (t) => {
        t.replace('pyproject.toml', 'version = "0.1.0"', 'version = "0.2.0"');
        t.replace('fastmath/__init__.py', '__version__ = "0.1.0"', '__version__ = "0.2.0"');
        t.write('CHANGELOG.md', '# Changelog\n\n## 0.2.0\n\n- Add `gram_matrix` and `cumulative_max`.\n');
      },
    },
    {
      at: '2024-08-06T13:30:00Z',
      by: 'kwatanabe',
      message: 'Release 0.3.0',
      tag: 'v0.3.0',
      apply: (t) => {
        t.replace('pyproject.toml', 'version = "0.2.0"', 'version = "0.3.0"');
        t.replace('fastmath/__init__.py', '__version__ = "0.2.0"', '__version__ = "0.3.0"');
        t.replace(
          'CHANGELOG.md',
          '# Changelog\n',
          '# Changelog\n\n## 0.3.0\n\n- Many speed-ups; new special module.\n',
        );
      },
    },
    {
      at: '2024-12-18T10:00:00Z',
      by: 'asouza',
      message: 'Release 0.4.0',
      tag: 'v0.4.0',
      apply: (t) => {
        t.replace('pyproject.toml', 'version = "0.3.0"', 'version = "0.4.0"');
        t.replace('fastmath/__init__.py', '__version__ = "0.3.0"', '__version__ = "0.4.0"');
      },
    },
  ],
  pulls: {
    2: {
      author: 'lfischer',
      mergedBy: 'asouza',
      branch: 'gram-matrix',
      body: 'Adds `linalg.gram_matrix(X)`, the matrix of inner products between rows.',
      labels: ['enhancement'],
      steps: oneStep('Add gram_matrix', (t) => {
        t.setDef(
          LINALG,
          'gram_matrix',
          code`
            def gram_matrix(X):
                """Matrix of inner products between the rows of \`\`X\`\`."""
                X = np.asarray(X, dtype=float)
                n = X.shape[0]
                out = np.empty((n, n))
                for i in range(n):
                    for j in range(n):
                        out[i, j] = np.dot(X[i], X[j])
                return out
          `,
        );
        t.setDef(
          T_LINALG,
          'test_gram_matrix',
          code`
            def test_gram_matrix():
                X = np.random.default_rng(8).normal(size=(6, 4))
                assert np.allclose(linalg.gram_matrix(X), X @ X.T)
          `,
        );
      }),
    },
    4: {
      author: 'tokafor',
      mergedBy: 'asouza',
      branch: 'contributing',
      body: 'How to set up a development environment, run the tests and the benchmarks.',
      labels: ['documentation'],
      steps: oneStep('Add CONTRIBUTING.md', (t) => {
        t.write(
          'CONTRIBUTING.md',
          code`
            # Contributing

            1. \`pip install -e . pytest\`
            2. \`pytest tests\`
            3. \`asv run --python=same\` to run the benchmarks.
          `,
        );
      }),
    },
    6: {
      author: 'praman',
      mergedBy: 'kwatanabe',
      branch: 'cummax',
      body: 'Adds `signal.cumulative_max`, the running maximum of a signal.',
      steps: oneStep('Add cumulative_max', (t) => {
        t.setDef(
          SIGNAL,
          'cumulative_max',
          code`
            def cumulative_max(x):
                """Running maximum of \`\`x\`\` (\`\`x\`\` must not contain NaN)."""
                x = np.asarray(x, dtype=float)
                out = np.empty_like(x)
                current = -np.inf
                for i in range(x.size):
                    if x[i] > current:
                        current = x[i]
                    out[i] = current
                return out
          `,
        );
        t.setDef(
          T_SIGNAL,
          'test_cumulative_max',
          code`
            def test_cumulative_max():
                assert signal.cumulative_max([1.0, 3.0, 2.0, 5.0, 4.0]).tolist() == [1.0, 3.0, 3.0, 5.0, 5.0]
                assert signal.cumulative_max([]).tolist() == []
          `,
        );
      }),
    },
    8: {
      author: 'tokafor',
      mergedBy: 'asouza',
      branch: 'variance-ddof',
      body: 'The `ddof` argument of `variance` was accepted but ignored.\n\nCloses #7',
      labels: ['bug'],
      issue: {
        number: 7,
        title: 'variance() ignores the ddof argument',
        body: '`fastmath.stats.variance([1, 2, 3, 4], ddof=1)` returns 1.25, the same as with `ddof=0`. NumPy gives 1.6667.',
        by: 'opetrova',
        labels: ['bug'],
        comments: [
          { by: 'asouza', hoursAfterOpen: 5, body: 'Confirmed, the divisor is always `len(x)`. A PR is welcome.' },
          { by: 'tokafor', hoursAfterOpen: 30, body: "I'll take this one." },
        ],
        commentAfterMerge: { by: 'opetrova', body: 'Thanks for the quick fix!' },
      },
      steps: oneStep('Honour ddof in variance', (t) => {
        t.setDef(
          STATS,
          'variance',
          code`
            def variance(x, ddof=0):
                """Variance of \`\`x\`\`; \`\`ddof\`\` is the delta degrees of freedom."""
                x = np.asarray(x, dtype=float)
                if x.size <= ddof:
                    raise ValueError("ddof must be smaller than the number of values")
                m = mean(x)
                return float(((x - m) ** 2).sum() / (x.size - ddof))
          `,
        );
        t.setDef(
          T_STATS,
          'test_variance_ddof',
          code`
            def test_variance_ddof():
                x = [1.0, 2.0, 3.0, 4.0]
                assert abs(stats.variance(x, ddof=1) - np.var(x, ddof=1)) < 1e-12
                assert _raises(ValueError, stats.variance, [1.0], ddof=1)
          `,
        );
      }),
    },
    10: {
      author: 'lfischer',
      mergedBy: 'kwatanabe',
      branch: 'rolling-mean-cumsum',
      body: code`
        \`rolling_mean\` summed every window from scratch, which is O(n * window) and runs a Python
        loop over the output. This computes all windows from one cumulative sum instead.

        \`\`\`
        asv continuous main HEAD -b RollingMean
        before      after     ratio
        81.2±1ms    302±4μs   0.00  bench_stats.RollingMean.time_rolling_mean
        \`\`\`
      `,
      labels: ['performance'],
      steps: oneStep('Compute rolling_mean from a cumulative sum', (t) => {
        t.setDef(
          STATS,
          'rolling_mean',
          code`
            def rolling_mean(x, window):
                """Mean of every run of \`\`window\`\` consecutive values of \`\`x\`\` (the valid part only)."""
                x = np.asarray(x, dtype=float)
                if window < 1 or window > x.size:
                    raise ValueError("window must be between 1 and len(x)")
                csum = np.cumsum(np.concatenate(([0.0], x)))
                return (csum[window:] - csum[:-window]) / window
          `,
        );
      }),
    },
    11: {
      author: 'praman',
      mergedBy: 'asouza',
      branch: 'docs-rolling',
      body: 'A short guide to the rolling statistics, with pictures to come.',
      labels: ['documentation'],
      steps: oneStep('DOC: rolling statistics guide', (t) => {
        t.write(
          'docs/rolling.rst',
          code`
            Rolling statistics
            ==================

            \`\`rolling_mean(x, window)\`\` returns the mean of every run of \`\`window\`\` values.
            The output has \`\`len(x) - window + 1\`\` values.
          `,
        );
        t.replace('docs/index.rst', '   api\n', '   api\n   rolling\n');
      }),
    },
    12: {
      author: 'opetrova',
      mergedBy: 'kwatanabe',
      branch: 'weighted-mean',
      body: 'Adds `stats.weighted_mean(x, weights)`.',
      labels: ['enhancement'],
      steps: oneStep('Add weighted_mean', (t) => {
        t.setDef(
          STATS,
          'weighted_mean',
          code`
            def weighted_mean(x, weights):
                """Mean of \`\`x\`\` weighted by \`\`weights\`\`."""
                x = np.asarray(x, dtype=float)
                w = np.asarray(weights, dtype=float)
                if x.shape != w.shape:
                    raise ValueError("x and weights must have the same shape")
                total = w.sum()
                if total == 0:
                    raise ValueError("weights sum to zero")
                return float((x * w).sum() / total)
          `,
        );
        t.setDef(
          T_STATS,
          'test_weighted_mean',
          code`
            def test_weighted_mean():
                assert stats.weighted_mean([1.0, 3.0], [1.0, 3.0]) == 2.5
                assert _raises(ValueError, stats.weighted_mean, [1.0], [0.0])
          `,
        );
      }),
    },
    14: {
      author: 'asouza',
      mergedBy: 'kwatanabe',
      branch: 'tidy-errors',
      body: 'Two small commits that make the error messages of `stats` say what was wrong.',
      labels: ['maintenance'],
      steps: [
        {
          message: 'Consistent wording for empty-input errors',
          apply: (t) =>
            t.replace(
              STATS,
              'raise ValueError("mean of an empty array")',
              'raise ValueError("mean() needs at least one value")',
            ),
        },
        {
          message: 'Name the offending window in rolling_mean errors',
          apply: (t) =>
            t.replace(
              STATS,
              'raise ValueError("window must be between 1 and len(x)")',
              'raise ValueError(f"window={window} must be between 1 and len(x)={x.size}")',
            ),
        },
      ],
    },
    15: {
      author: 'kwatanabe',
      mergedBy: 'asouza',
      branch: 'bench-linalg',
      body: 'Benchmarks for the linalg module, so we can track the upcoming work on it.',
      steps: oneStep('BENCH: linalg benchmarks', (t) => {
        t.write(
          B_LINALG,
          code`
            import numpy as np

            from fastmath import linalg


            class PairwiseDistances:
                def setup(self):
                    self.X = np.random.default_rng(10).normal(size=(150, 3))

                def time_pairwise_distances(self):
                    linalg.pairwise_distances(self.X)


            class NormalizeRows:
                def setup(self):
                    self.X = np.random.default_rng(11).normal(size=(5_000, 8))

                def time_normalize_rows(self):
                    linalg.normalize_rows(self.X)


            class GramMatrix:
                def setup(self):
                    self.X = np.random.default_rng(12).normal(size=(150, 16))

                def time_gram_matrix(self):
                    linalg.gram_matrix(self.X)
          `,
        );
      }),
    },
    16: {
      author: 'staylor',
      mergedBy: 'asouza',
      branch: 'normalize-zero-rows',
      body: 'A row of zeros produced NaNs and a RuntimeWarning. Such rows now stay zero.',
      labels: ['bug'],
      steps: oneStep('Keep all-zero rows unchanged in normalize_rows', (t) => {
        t.setDef(
          LINALG,
          'normalize_rows',
          code`
            def normalize_rows(X):
                """Scale every row of \`\`X\`\` to unit Euclidean norm; all-zero rows stay zero."""
                X = np.asarray(X, dtype=float)
                out = X.copy()
                for i in range(out.shape[0]):
                    row = out[i].copy()
                    norm = np.linalg.norm(row)
                    out[i] = row / norm if norm > 0 else row
                return out
          `,
        );
        t.setDef(
          T_LINALG,
          'test_normalize_rows_zero_row',
          code`
            def test_normalize_rows_zero_row():
                out = linalg.normalize_rows([[0.0, 0.0], [0.0, 2.0]])
                assert out.tolist() == [[0.0, 0.0], [0.0, 1.0]]
          `,
        );
      }),
    },
    18: {
      author: 'wzhang',
      mergedBy: 'kwatanabe',
      branch: 'pairwise-broadcast',
      body: code`
        Replaces the double Python loop in \`pairwise_distances\` with NumPy broadcasting.
        For 150 points in 3-D this goes from ~120 ms to under 1 ms; memory is O(n² d), which is fine
        for the sizes this function is meant for.

        Closes #17
      `,
      labels: ['performance'],
      issue: {
        number: 17,
        title: 'pairwise_distances is very slow for a few hundred points',
        body: 'Computing distances between 400 points takes almost a second. scipy.spatial.distance.cdist takes a few milliseconds on the same data.',
        by: 'anwosu',
        labels: ['performance'],
        comments: [
          {
            by: 'kwatanabe',
            hoursAfterOpen: 20,
            body: 'The loop runs n² times in Python. Broadcasting should be enough here, we do not need scipy.',
          },
          { by: 'wzhang', hoursAfterOpen: 50, body: 'I can open a PR for this.' },
        ],
      },
      steps: oneStep('Compute pairwise distances with broadcasting', (t) => {
        t.setDef(
          LINALG,
          'pairwise_distances',
          code`
            def pairwise_distances(X):
                """Euclidean distance between every pair of rows of \`\`X\`\`."""
                X = np.asarray(X, dtype=float)
                diff = X[:, np.newaxis, :] - X[np.newaxis, :, :]
                return np.sqrt((diff ** 2).sum(axis=-1))
          `,
        );
        t.replace(LINALG, 'import math\n\n', '');
      }),
    },
    19: {
      author: 'tokafor',
      mergedBy: 'asouza',
      branch: 'ci-py312',
      body: null,
      labels: ['ci'],
      steps: oneStep('CI: add Python 3.12', (t) => {
        t.replace('.github/workflows/tests.yml', '"3.9", "3.10", "3.11"]', '"3.9", "3.10", "3.11", "3.12"]');
      }),
    },
    21: {
      author: 'praman',
      mergedBy: 'kwatanabe',
      branch: 'clip-outliers',
      body: 'Adds `stats.clip_outliers(x, k=3.0)` which clips values further than k standard deviations.',
      labels: ['enhancement'],
      steps: oneStep('Add clip_outliers', (t) => {
        t.setDef(
          STATS,
          'clip_outliers',
          code`
            def clip_outliers(x, k=3.0):
                """Clip values of \`\`x\`\` further than \`\`k\`\` standard deviations from the mean."""
                x = np.asarray(x, dtype=float)
                m = x.mean()
                s = x.std()
                return np.clip(x, m - k * s, m + k * s)
          `,
        );
        t.setDef(
          T_STATS,
          'test_clip_outliers',
          code`
            def test_clip_outliers():
                x = np.array([0.0] * 20 + [100.0])
                assert stats.clip_outliers(x).max() < 100.0
          `,
        );
      }),
    },
    22: {
      author: 'kwatanabe',
      mergedBy: 'asouza',
      branch: 'bench-percentiles',
      body: 'Benchmarks for `percentiles` and `histogram_counts`.',
      steps: oneStep('BENCH: percentiles and histogram_counts', (t) => {
        t.append(
          B_STATS,
          code`


            class Percentiles:
                def setup(self):
                    self.x = np.random.default_rng(13).normal(size=100_000)
                    self.qs = list(range(0, 101, 5))

                def time_percentiles(self):
                    stats.percentiles(self.x, self.qs)


            class HistogramCounts:
                def setup(self):
                    self.x = np.random.default_rng(14).uniform(0.0, 1.0, size=5_000)
                    self.edges = np.linspace(0.0, 1.0, 21)

                def time_histogram_counts(self):
                    stats.histogram_counts(self.x, self.edges)
          `,
        );
      }),
    },
    23: {
      author: 'lfischer',
      mergedBy: 'kwatanabe',
      branch: 'percentiles-sort-once',
      body: code`
        \`percentiles\` sorted the whole input again for every requested percentile. Sort once and
        compute all positions with array arithmetic. For 21 percentiles of 100k values this is about
        20x faster.
      `,
      labels: ['performance'],
      steps: oneStep('Sort once in percentiles', (t) => {
        t.setDef(
          STATS,
          'percentiles',
          code`
            def percentiles(x, qs):
                """Percentiles of \`\`x\`\` for each \`\`q\`\` in \`\`qs\`\` (0-100), with linear interpolation."""
                x = np.asarray(x, dtype=float)
                s = np.sort(x)
                q = np.asarray(qs, dtype=float)
                pos = (s.size - 1) * q / 100.0
                lo = np.floor(pos).astype(np.intp)
                hi = np.minimum(lo + 1, s.size - 1)
                frac = pos - lo
                return s[lo] * (1.0 - frac) + s[hi] * frac
          `,
        );
      }),
    },
    25: {
      author: 'anwosu',
      mergedBy: 'asouza',
      branch: 'cosine-similarity',
      body: 'Adds `linalg.cosine_similarity(a, b)`.',
      labels: ['enhancement'],
      steps: [
        {
          message: 'Add cosine_similarity',
          apply: (t) =>
            t.setDef(
              LINALG,
              'cosine_similarity',
              code`
                def cosine_similarity(a, b):
                    """Cosine of the angle between the vectors \`\`a\`\` and \`\`b\`\`."""
                    a = np.asarray(a, dtype=float)
                    b = np.asarray(b, dtype=float)
                    denom = np.linalg.norm(a) * np.linalg.norm(b)
                    if denom == 0:
                        raise ValueError("cosine similarity is undefined for zero vectors")
                    return float(a @ b / denom)
              `,
            ),
        },
        {
          message: 'Test cosine_similarity',
          apply: (t) =>
            t.setDef(
              T_LINALG,
              'test_cosine_similarity',
              code`
                def test_cosine_similarity():
                    assert abs(linalg.cosine_similarity([1.0, 0.0], [0.0, 2.0])) < 1e-12
                    assert abs(linalg.cosine_similarity([1.0, 1.0], [2.0, 2.0]) - 1.0) < 1e-12
              `,
            ),
        },
      ],
    },
    26: {
      author: 'opetrova',
      mergedBy: 'kwatanabe',
      branch: 'tst-percentiles',
      body: 'Edge cases: q=0 and q=100, a single value, unsorted input.',
      labels: ['tests'],
      steps: oneStep('TST: edge cases for percentiles', (t) => {
        t.setDef(
          T_STATS,
          'test_percentiles_edges',
          code`
            def test_percentiles_edges():
                x = [5.0, 1.0, 3.0]
                assert stats.percentiles(x, [0]).tolist() == [1.0]
                assert stats.percentiles(x, [100]).tolist() == [5.0]
                assert stats.percentiles([2.0], [0, 50, 100]).tolist() == [2.0, 2.0, 2.0]
          `,
        );
      }),
    },
    27: {
      author: 'wzhang',
      mergedBy: 'asouza',
      branch: 'histogram-bincount',
      body: code`
        Find each value's bin with \`np.searchsorted\` and count with \`np.bincount\` instead of scanning
        the edges for every value in Python. Values outside the edges are still ignored.
      `,
      steps: oneStep('Use np.bincount in histogram_counts', (t) => {
        t.setDef(
          STATS,
          'histogram_counts',
          code`
            def histogram_counts(x, edges):
                """Number of values of \`\`x\`\` in each half-open bin \`\`[edges[i], edges[i + 1])\`\`."""
                x = np.asarray(x, dtype=float)
                edges = np.asarray(edges, dtype=float)
                nbins = edges.size - 1
                idx = np.searchsorted(edges, x, side="right") - 1
                inside = (idx >= 0) & (idx < nbins)
                return np.bincount(idx[inside], minlength=nbins).astype(np.int64)
          `,
        );
      }),
    },
    29: {
      author: 'kwatanabe',
      mergedBy: 'asouza',
      branch: 'bench-signal',
      body: 'Benchmarks for `cumulative_max` and `find_peaks`.',
      steps: oneStep('BENCH: signal benchmarks', (t) => {
        t.append(
          B_SIGNAL,
          code`


            class CumulativeMax:
                def setup(self):
                    self.x = np.random.default_rng(15).normal(size=100_000)

                def time_cumulative_max(self):
                    signal.cumulative_max(self.x)


            class FindPeaks:
                def setup(self):
                    self.x = np.random.default_rng(16).normal(size=50_000)

                def time_find_peaks(self):
                    signal.find_peaks(self.x)
          `,
        );
      }),
    },
    30: {
      author: 'tokafor',
      mergedBy: 'kwatanabe',
      branch: 'special-module',
      body: 'A new `fastmath.special` module with `binomial(n, k)` and `log_factorial(n)`, with tests and a benchmark.',
      labels: ['enhancement'],
      steps: [
        {
          message: 'Add special.binomial',
          apply: (t) => {
            t.write(
              SPECIAL,
              code`
                """Special functions on integers."""


                def binomial(n, k):
                    """Binomial coefficient C(n, k), computed with Pascal's rule."""
                    if k < 0 or k > n:
                        return 0
                    if k == 0 or k == n:
                        return 1
                    return binomial(n - 1, k - 1) + binomial(n - 1, k)
              `,
            );
            t.replace(
              'fastmath/__init__.py',
              'from . import linalg, signal, stats',
              'from . import linalg, signal, special, stats',
            );
            t.replace('fastmath/__init__.py', '"signal", "stats"', '"signal", "special", "stats"');
            t.write(
              T_SPECIAL,
              code`
                from fastmath import special


                def test_binomial():
                    assert special.binomial(5, 2) == 10
                    assert special.binomial(10, 0) == 1
                    assert special.binomial(3, 4) == 0
              `,
            );
            t.write(
              B_SPECIAL,
              code`
                from fastmath import special


                class Binomial:
                    def time_binomial(self):
                        special.binomial(20, 10)
              `,
            );
          },
        },
        {
          message: 'Add special.log_factorial',
          apply: (t) => {
            t.replace(
              SPECIAL,
              '"""Special functions on integers."""\n',
              '"""Special functions on integers."""\n\nimport math\n',
            );
            t.setDef(
              SPECIAL,
              'log_factorial',
              code`
                def log_factorial(n):
                    """Natural logarithm of \`\`n!\`\`."""
                    if n < 0:
                        raise ValueError("n must be non-negative")
                    return math.lgamma(n + 1)
              `,
            );
            t.setDef(
              T_SPECIAL,
              'test_log_factorial',
              code`
                def test_log_factorial():
                    assert abs(special.log_factorial(5) - 4.787491742782046) < 1e-12
              `,
            );
          },
        },
      ],
    },
    31: {
      author: 'staylor',
      mergedBy: 'asouza',
      branch: 'clip-empty',
      body: 'clip_outliers([]) emitted "Mean of empty slice" warnings. Return an empty array instead.',
      labels: ['bug'],
      steps: oneStep('Handle empty input in clip_outliers', (t) => {
        t.replace(
          STATS,
          '    x = np.asarray(x, dtype=float)\n    m = x.mean()\n    s = x.std()\n',
          '    x = np.asarray(x, dtype=float)\n    if x.size == 0:\n        return x.copy()\n    m = x.mean()\n    s = x.std()\n',
        );
        t.setDef(
          T_STATS,
          'test_clip_outliers_empty',
          code`
            def test_clip_outliers_empty():
                assert stats.clip_outliers([]).size == 0
          `,
        );
      }),
    },
    33: {
      author: 'praman',
      mergedBy: 'kwatanabe',
      branch: 'cummax-inner-loop',
      body: 'The running maximum no longer walks the array element by element in Python; `np.maximum.accumulate` does the same in one call.',
      steps: oneStep('Rework the inner loop of cumulative_max', (t) => {
        t.setDef(
          SIGNAL,
          'cumulative_max',
          code`
            def cumulative_max(x):
                """Running maximum of \`\`x\`\` (\`\`x\`\` must not contain NaN)."""
                return np.maximum.accumulate(np.asarray(x, dtype=float))
          `,
        );
      }),
    },
    34: {
      author: 'tokafor',
      mergedBy: 'asouza',
      branch: 'docs-special',
      body: null,
      labels: ['documentation'],
      steps: oneStep('DOC: special module', (t) => {
        t.write(
          'docs/special.rst',
          'Special functions\n=================\n\n.. automodule:: fastmath.special\n   :members:\n',
        );
        t.replace('docs/index.rst', '   rolling\n', '   rolling\n   special\n');
      }),
    },
    35: {
      author: 'staylor',
      mergedBy: 'kwatanabe',
      branch: 'normalize-rows-vectorized',
      body: code`
        \`normalize_rows\` copied the input and then copied every row again before dividing it. Compute
        all row norms in one call and divide once; all-zero rows still stay zero.

        5000x8: 27 ms -> 0.2 ms.
      `,
      labels: ['performance'],
      steps: oneStep('Avoid per-row copies in normalize_rows', (t) => {
        t.setDef(
          LINALG,
          'normalize_rows',
          code`
            def normalize_rows(X):
                """Scale every row of \`\`X\`\` to unit Euclidean norm; all-zero rows stay zero."""
                X = np.asarray(X, dtype=float)
                norms = np.linalg.norm(X, axis=1, keepdims=True)
                norms[norms == 0] = 1.0
                return X / norms
          `,
        );
      }),
    },
    36: {
      author: 'opetrova',
      mergedBy: 'asouza',
      branch: 'geometric-mean',
      body: 'Adds `stats.geometric_mean`.',
      labels: ['enhancement'],
      steps: oneStep('Add geometric_mean', (t) => {
        t.setDef(
          STATS,
          'geometric_mean',
          code`
            def geometric_mean(x):
                """Geometric mean of the positive values \`\`x\`\`."""
                x = np.asarray(x, dtype=float)
                if x.size == 0 or (x <= 0).any():
                    raise ValueError("geometric_mean needs positive values")
                return float(np.exp(np.log(x).mean()))
          `,
        );
        t.setDef(
          T_STATS,
          'test_geometric_mean',
          code`
            def test_geometric_mean():
                assert abs(stats.geometric_mean([1.0, 4.0]) - 2.0) < 1e-12
                assert _raises(ValueError, stats.geometric_mean, [1.0, -1.0])
          `,
        );
      }),
    },
    38: {
      author: 'anwosu',
      mergedBy: 'kwatanabe',
      branch: 'example-rolling',
      body: 'A small script that plots a noisy signal and its rolling mean.',
      steps: oneStep('Add rolling statistics example', (t) => {
        t.write(
          'examples/rolling_demo.py',
          code`
            """Print a noisy signal next to its rolling mean."""

            import numpy as np

            from fastmath import stats

            x = np.sin(np.linspace(0, 6, 50)) + np.random.default_rng(0).normal(scale=0.2, size=50)
            for raw, smooth in zip(x[4:], stats.rolling_mean(x, 5)):
                print(f"{raw:+.3f} {smooth:+.3f}")
          `,
        );
      }),
    },
    39: {
      author: 'wzhang',
      mergedBy: 'asouza',
      branch: 'binomial-cache',
      body: code`
        \`binomial\` recomputes the same sub-problems exponentially often. Memoise it with
        \`functools.lru_cache\`; binomial(30, 15) now returns instantly instead of taking minutes.

        Closes #37
      `,
      labels: ['performance'],
      issue: {
        number: 37,
        title: 'binomial() takes seconds for n around 25',
        body: '`special.binomial(26, 13)` takes about 4 s here. Is that expected?',
        by: 'jberg',
        comments: [
          {
            by: 'tokafor',
            hoursAfterOpen: 3,
            body: 'It is the naive recursion, every call branches twice. We could cache the results.',
          },
        ],
      },
      steps: oneStep('Cache binomial coefficients', (t) => {
        t.replace(SPECIAL, 'import math\n', 'import functools\nimport math\n');
        t.replace(SPECIAL, 'def binomial(n, k):\n', '@functools.lru_cache(maxsize=None)\ndef binomial(n, k):\n');
      }),
    },
    40: {
      author: 'asouza',
      mergedBy: 'kwatanabe',
      branch: 'as-1d',
      body: 'Moves the repeated "convert to a float array and check it is 1-D" code into one private helper.',
      labels: ['maintenance'],
      steps: oneStep('Move input validation into _as_1d', (t) => {
        t.setDef(
          STATS,
          '_as_1d',
          code`
            def _as_1d(x, name="x"):
                """\`\`x\`\` as a 1-D float array; raises ValueError naming \`\`name\`\` otherwise."""
                arr = np.asarray(x, dtype=float)
                if arr.ndim != 1:
                    raise ValueError(f"{name} must be one-dimensional")
                return arr
          `,
        );
        t.replace(
          STATS,
          '    x = np.asarray(x, dtype=float)\n    w = np.asarray(weights, dtype=float)\n',
          '    x = _as_1d(x)\n    w = _as_1d(weights, "weights")\n',
        );
        t.replace(
          STATS,
          '    x = np.asarray(x, dtype=float)\n    if x.size == 0 or (x <= 0).any():\n',
          '    x = _as_1d(x)\n    if x.size == 0 or (x <= 0).any():\n',
        );
      }),
    },
    41: {
      author: 'jberg',
      mergedBy: 'asouza',
      branch: 'downsample',
      body: 'Adds `signal.downsample(x, factor)` (block averages).',
      labels: ['enhancement'],
      steps: oneStep('Add downsample', (t) => {
        t.setDef(
          SIGNAL,
          'downsample',
          code`
            def downsample(x, factor):
                """Average of every block of \`\`factor\`\` consecutive values of \`\`x\`\`."""
                x = np.asarray(x, dtype=float)
                if factor < 1:
                    raise ValueError("factor must be at least 1")
                n = x.size // factor
                return x[: n * factor].reshape(n, factor).mean(axis=1)
          `,
        );
        t.setDef(
          T_SIGNAL,
          'test_downsample',
          code`
            def test_downsample():
                assert signal.downsample([1.0, 3.0, 5.0, 7.0], 2).tolist() == [2.0, 6.0]
          `,
        );
      }),
    },
    42: {
      author: 'tokafor',
      mergedBy: 'kwatanabe',
      branch: 'pre-commit',
      body: 'Adds pre-commit with ruff and a lint job.',
      labels: ['ci'],
      steps: oneStep('CI: pre-commit hooks', (t) => {
        t.write(
          '.pre-commit-config.yaml',
          'repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.4.4\n    hooks:\n      - id: ruff\n',
        );
        t.write(
          '.github/workflows/lint.yml',
          'name: lint\non: [push, pull_request]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: pre-commit/action@v3.0.1\n',
        );
      }),
    },
    44: {
      author: 'lfischer',
      mergedBy: 'asouza',
      branch: 'convolve-numpy',
      body: code`
        The hand-written double loop in \`convolve1d\` is replaced by \`np.convolve(..., mode="valid")\`,
        which computes exactly the same thing in C.

        | size | before | after |
        |------|--------|-------|
        | 5000, k=31 | 61 ms | 40 µs |
      `,
      labels: ['performance'],
      steps: oneStep('Use np.convolve in convolve1d', (t) => {
        t.setDef(
          SIGNAL,
          'convolve1d',
          code`
            def convolve1d(x, kernel):
                """Discrete convolution of \`\`x\`\` with \`\`kernel\`\`, valid part only (like \`\`mode="valid"\`\`)."""
                x = np.asarray(x, dtype=float)
                kernel = np.asarray(kernel, dtype=float)
                if kernel.size > x.size:
                    raise ValueError("kernel is longer than the signal")
                return np.convolve(x, kernel, mode="valid")
          `,
        );
      }),
    },
    45: {
      author: 'kwatanabe',
      mergedBy: 'asouza',
      branch: 'docs-performance',
      body: 'A page explaining which functions are O(n) and which allocate temporaries.',
      labels: ['documentation'],
      steps: oneStep('Add performance docs', (t) => {
        t.write(
          'docs/performance.rst',
          code`
            Performance notes
            =================

            Most functions are vectorised and run in O(n). \`\`pairwise_distances\`\` allocates an
            (n, n, d) temporary; use it for a few thousand points at most.
          `,
        );
      }),
    },
    46: {
      author: 'jberg',
      mergedBy: 'kwatanabe',
      branch: 'iqr-describe',
      body: 'Adds `stats.iqr` and `stats.describe`.',
      labels: ['enhancement'],
      steps: [
        {
          message: 'Add iqr',
          apply: (t) =>
            t.setDef(
              STATS,
              'iqr',
              code`
                def iqr(x):
                    """Interquartile range of \`\`x\`\`."""
                    q1, q3 = percentiles(x, [25, 75])
                    return float(q3 - q1)
              `,
            ),
        },
        {
          message: 'Add describe',
          apply: (t) => {
            t.setDef(
              STATS,
              'describe',
              code`
                def describe(x):
                    """Count, mean, standard deviation, minimum and maximum of \`\`x\`\`."""
                    x = np.asarray(x, dtype=float)
                    return {
                        "count": int(x.size),
                        "mean": mean(x),
                        "std": float(x.std()),
                        "min": float(x.min()),
                        "max": float(x.max()),
                    }
              `,
            );
            t.setDef(
              T_STATS,
              'test_iqr_describe',
              code`
                def test_iqr_describe():
                    assert stats.iqr(np.arange(5.0)) == 2.0
                    assert stats.describe([1.0, 3.0])["mean"] == 2.0
              `,
            );
          },
        },
      ],
    },
    48: {
      author: 'anwosu',
      mergedBy: 'asouza',
      branch: 'downsample-partial',
      body: 'A trailing block shorter than `factor` was silently dropped. Average it too.',
      labels: ['bug'],
      steps: oneStep('Keep the trailing partial block in downsample', (t) => {
        t.replace(
          SIGNAL,
          '    n = x.size // factor\n    return x[: n * factor].reshape(n, factor).mean(axis=1)\n',
          '    n = x.size // factor\n    out = x[: n * factor].reshape(n, factor).mean(axis=1)\n    if x.size % factor:\n        out = np.append(out, x[n * factor:].mean())\n    return out\n',
        );
        t.setDef(
          T_SIGNAL,
          'test_downsample_partial_block',
          code`
            def test_downsample_partial_block():
                assert signal.downsample([1.0, 3.0, 5.0], 2).tolist() == [2.0, 5.0]
          `,
        );
      }),
    },
    49: {
      author: 'wzhang',
      mergedBy: 'kwatanabe',
      branch: 'find-peaks-vectorized',
      body: 'Compare each value with both neighbours using shifted views instead of a Python loop. Same output, including for arrays shorter than 3.',
      steps: oneStep('Vectorize find_peaks', (t) => {
        t.setDef(
          SIGNAL,
          'find_peaks',
          code`
            def find_peaks(x):
                """Indices of strict local maxima of \`\`x\`\` (endpoints excluded)."""
                x = np.asarray(x, dtype=float)
                if x.size < 3:
                    return np.array([], dtype=np.intp)
                mid = x[1:-1]
                return np.flatnonzero((x[:-2] < mid) & (mid > x[2:])) + 1
          `,
        );
      }),
    },
    50: {
      author: 'opetrova',
      mergedBy: 'asouza',
      branch: 'tst-special',
      body: 'More tests for binomial symmetry and log_factorial.',
      labels: ['tests'],
      steps: oneStep('TST: special module', (t) => {
        t.setDef(
          T_SPECIAL,
          'test_binomial_symmetry',
          code`
            def test_binomial_symmetry():
                for n in range(12):
                    for k in range(n + 1):
                        assert special.binomial(n, k) == special.binomial(n, n - k)
          `,
        );
      }),
    },
    52: {
      author: 'lfischer',
      mergedBy: 'asouza',
      branch: 'gram-matmul',
      body: 'PERF: `gram_matrix` is just `X @ X.T`; the explicit loop over pairs of rows calls `np.dot` n² times.',
      labels: ['performance'],
      steps: oneStep('Compute gram_matrix with one matrix product', (t) => {
        t.setDef(
          LINALG,
          'gram_matrix',
          code`
            def gram_matrix(X):
                """Matrix of inner products between the rows of \`\`X\`\`."""
                X = np.asarray(X, dtype=float)
                return X @ X.T
          `,
        );
      }),
    },
    54: {
      author: 'jberg',
      mergedBy: 'kwatanabe',
      branch: 'moving-median',
      body: 'Adds `signal.moving_median(x, window)`.',
      labels: ['enhancement'],
      steps: oneStep('Add moving_median', (t) => {
        t.setDef(
          SIGNAL,
          'moving_median',
          code`
            def moving_median(x, window):
                """Median of every run of \`\`window\`\` consecutive values of \`\`x\`\`."""
                x = np.asarray(x, dtype=float)
                if window < 1 or window > x.size:
                    raise ValueError("window must be between 1 and len(x)")
                return np.array([np.median(x[i:i + window]) for i in range(x.size - window + 1)])
          `,
        );
      }),
    },
    55: {
      author: 'praman',
      mergedBy: 'asouza',
      branch: 'zscore-hoist',
      body: code`
        \`zscore\` called \`x.mean()\` and \`x.std()\` inside the loop, once per element, which made it
        quadratic. Compute them once and use array arithmetic.

        Closes #53
      `,
      labels: ['performance'],
      issue: {
        number: 53,
        title: 'zscore hangs on large arrays',
        body: 'Calling `stats.zscore` on 100k values does not finish in a minute. Smaller inputs work.',
        by: 'staylor',
        comments: [
          {
            by: 'praman',
            hoursAfterOpen: 2,
            body: 'The mean and the std are recomputed for every element, so it is O(n²).',
          },
          { by: 'asouza', hoursAfterOpen: 26, body: 'Good catch. Would you send a fix?' },
        ],
      },
      steps: oneStep('Avoid recomputing mean and std in zscore', (t) => {
        t.setDef(
          STATS,
          'zscore',
          code`
            def zscore(x):
                """Standard score of every value of \`\`x\`\`."""
                x = np.asarray(x, dtype=float)
                return (x - x.mean()) / x.std()
          `,
        );
      }),
    },
    56: {
      author: 'tokafor',
      mergedBy: 'kwatanabe',
      branch: 'typos',
      body: null,
      labels: ['documentation'],
      steps: oneStep('Fix typos', (t) => {
        t.replace('README.md', 'Run the benchmarks with', 'Run the benchmarks (ASV) with');
        t.replace(
          'CHANGELOG.md',
          '- Many speed-ups; new special module.',
          '- Many speed-ups and a new `special` module.',
        );
      }),
    },
    57: {
      author: 'staylor',
      mergedBy: 'asouza',
      branch: 'py-typed',
      body: 'Ship a PEP 561 marker so type checkers use our annotations.',
      labels: ['typing'],
      steps: oneStep('Add py.typed', (t) => t.write('fastmath/py.typed', '')),
    },
    58: {
      author: 'asouza',
      mergedBy: 'kwatanabe',
      branch: 'fstrings',
      body: 'Error messages now include the values that were rejected.',
      labels: ['maintenance'],
      steps: [
        {
          message: 'Use f-strings in stats error messages',
          apply: (t) =>
            t.replace(
              STATS,
              'raise ValueError("x and weights must have the same shape")',
              'raise ValueError(f"x and weights must have the same shape, got {x.shape} and {w.shape}")',
            ),
        },
        {
          message: 'Use f-strings in signal error messages',
          apply: (t) =>
            t.replace(
              SIGNAL,
              'raise ValueError("factor must be at least 1")',
              'raise ValueError(f"factor must be at least 1, got {factor}")',
            ),
        },
      ],
    },
    59: {
      author: 'anwosu',
      mergedBy: 'asouza',
      branch: 'frobenius',
      body: 'Adds `linalg.frobenius_norm`.',
      labels: ['enhancement'],
      steps: oneStep('Add frobenius_norm', (t) => {
        t.setDef(
          LINALG,
          'frobenius_norm',
          code`
            def frobenius_norm(X):
                """Frobenius norm of the matrix \`\`X\`\`."""
                X = np.asarray(X, dtype=float)
                return float(np.sqrt((X ** 2).sum()))
          `,
        );
        t.setDef(
          T_LINALG,
          'test_frobenius_norm',
          code`
            def test_frobenius_norm():
                assert linalg.frobenius_norm([[3.0, 0.0], [0.0, 4.0]]) == 5.0
          `,
        );
      }),
    },
    60: {
      author: 'jberg',
      mergedBy: 'kwatanabe',
      branch: 'moving-median-docs-tests',
      body: 'Follow-up to #54: tests and a docs section.',
      steps: oneStep('Tests and docs for moving_median', (t) => {
        t.setDef(
          T_SIGNAL,
          'test_moving_median',
          code`
            def test_moving_median():
                assert signal.moving_median([1.0, 9.0, 2.0, 8.0], 3).tolist() == [2.0, 8.0]
          `,
        );
        t.write('docs/signal.rst', 'Signals\n=======\n\n``moving_median(x, window)`` is robust to single outliers.\n');
      }),
    },
    62: {
      author: 'staylor',
      mergedBy: 'asouza',
      branch: 'weighted-mean-negative',
      body: 'Negative weights make the result meaningless; reject them.',
      labels: ['bug'],
      steps: oneStep('weighted_mean must reject negative weights', (t) => {
        t.replace(
          STATS,
          '    total = w.sum()\n',
          '    if (w < 0).any():\n        raise ValueError("weights must be non-negative")\n    total = w.sum()\n',
        );
        t.setDef(
          T_STATS,
          'test_weighted_mean_negative',
          code`
            def test_weighted_mean_negative():
                assert _raises(ValueError, stats.weighted_mean, [1.0, 2.0], [1.0, -1.0])
          `,
        );
      }),
    },
    63: {
      author: 'tokafor',
      mergedBy: 'asouza',
      branch: 'pyproject-metadata',
      body: 'Classifiers and project URLs for PyPI.',
      labels: ['maintenance'],
      steps: oneStep('Update pyproject metadata', (t) => {
        t.replace(
          'pyproject.toml',
          'dependencies = ["numpy>=1.22"]\n',
          'dependencies = ["numpy>=1.22"]\nclassifiers = ["Programming Language :: Python :: 3", "License :: OSI Approved :: BSD License"]\n\n[project.urls]\nHomepage = "https://github.com/acme/fastmath"\n',
        );
      }),
    },
    64: {
      author: 'opetrova',
      mergedBy: 'asouza',
      branch: 'zscore-ddof',
      body: 'Lets callers use the sample standard deviation.',
      labels: ['enhancement'],
      steps: oneStep('Accept ddof in zscore', (t) => {
        t.setDef(
          STATS,
          'zscore',
          code`
            def zscore(x, ddof=0):
                """Standard score of every value of \`\`x\`\`; \`\`ddof\`\` as in :func:\`variance\`."""
                x = np.asarray(x, dtype=float)
                return (x - x.mean()) / x.std(ddof=ddof)
          `,
        );
        t.setDef(
          T_STATS,
          'test_zscore_ddof',
          code`
            def test_zscore_ddof():
                x = np.array([1.0, 2.0, 3.0, 4.0])
                assert np.allclose(stats.zscore(x, ddof=1), (x - 2.5) / np.std(x, ddof=1))
          `,
        );
      }),
    },
    65: {
      author: 'staylor',
      mergedBy: 'kwatanabe',
      branch: 'typing-linalg',
      body: 'Annotate the public functions of `fastmath.linalg` with `numpy.typing.ArrayLike`.',
      labels: ['typing'],
      steps: oneStep('Add type hints to fastmath.linalg', (t) => {
        t.replace(LINALG, 'import numpy as np\n', 'import numpy as np\nfrom numpy.typing import ArrayLike\n');
        t.replace(LINALG, 'def pairwise_distances(X):', 'def pairwise_distances(X: ArrayLike) -> np.ndarray:');
        t.replace(LINALG, 'def normalize_rows(X):', 'def normalize_rows(X: ArrayLike) -> np.ndarray:');
        t.replace(LINALG, 'def gram_matrix(X):', 'def gram_matrix(X: ArrayLike) -> np.ndarray:');
        t.replace(
          LINALG,
          'def cosine_similarity(a, b):',
          'def cosine_similarity(a: ArrayLike, b: ArrayLike) -> float:',
        );
        t.replace(LINALG, 'def frobenius_norm(X):', 'def frobenius_norm(X: ArrayLike) -> float:');
      }),
    },
    66: {
      author: 'tokafor',
      mergedBy: 'asouza',
      branch: 'ci-pip-cache',
      body: 'Use the built-in pip cache of actions/setup-python to save a minute per job.',
      labels: ['ci'],
      steps: oneStep('CI: cache pip downloads', (t) => {
        t.replace(
          '.github/workflows/tests.yml',
          `          python-version: \${{ matrix.python-version }}\n`,
          `          python-version: \${{ matrix.python-version }}\n          cache: pip\n`,
        );
      }),
    },
    68: {
      author: 'jberg',
      mergedBy: 'asouza',
      branch: 'ema',
      body: 'Adds `signal.exponential_moving_average(x, alpha)`.',
      labels: ['enhancement'],
      steps: oneStep('Add exponential_moving_average', (t) => {
        t.setDef(
          SIGNAL,
          'exponential_moving_average',
          code`
            def exponential_moving_average(x, alpha):
                """Exponentially weighted moving average with smoothing factor \`\`alpha\`\` in (0, 1]."""
                x = np.asarray(x, dtype=float)
                if not 0 < alpha <= 1:
                    raise ValueError("alpha must be in (0, 1]")
                out = np.empty_like(x)
                acc = 0.0
                for i, v in enumerate(x):
                    acc = v if i == 0 else alpha * v + (1 - alpha) * acc
                    out[i] = acc
                return out
          `,
        );
        t.setDef(
          T_SIGNAL,
          'test_exponential_moving_average',
          code`
            def test_exponential_moving_average():
                assert np.allclose(signal.exponential_moving_average([1.0, 3.0], 0.5), [1.0, 2.0])
          `,
        );
      }),
    },
    69: {
      author: 'praman',
      mergedBy: 'kwatanabe',
      branch: 'docstring-examples',
      body: 'Doctest-style examples in the docstrings of `convolve1d` and `find_peaks`.',
      labels: ['documentation'],
      steps: oneStep('Add docstring examples to signal', (t) => {
        t.replace(
          SIGNAL,
          '    """Discrete convolution of ``x`` with ``kernel``, valid part only (like ``mode="valid"``)."""\n',
          '    """Discrete convolution of ``x`` with ``kernel``, valid part only (like ``mode="valid"``).\n\n    >>> convolve1d([1.0, 2.0, 3.0], [1.0, 1.0])\n    array([3., 5.])\n    """\n',
        );
        t.replace(
          SIGNAL,
          '    """Indices of strict local maxima of ``x`` (endpoints excluded)."""\n',
          '    """Indices of strict local maxima of ``x`` (endpoints excluded).\n\n    >>> find_peaks([0.0, 2.0, 1.0, 3.0, 1.0])\n    array([1, 3])\n    """\n',
        );
      }),
    },
    70: {
      author: 'opetrova',
      mergedBy: 'asouza',
      branch: 'binomial-types',
      body: '`binomial(5.5, 2)` recursed until it hit the recursion limit. Raise a TypeError up front.',
      labels: ['bug'],
      steps: oneStep('Raise TypeError for non-integer binomial arguments', (t) => {
        t.replace(
          SPECIAL,
          '    if k < 0 or k > n:\n        return 0\n',
          '    if int(n) != n or int(k) != k:\n        raise TypeError("binomial() needs integer arguments")\n    if k < 0 or k > n:\n        return 0\n',
        );
        t.setDef(
          T_SPECIAL,
          'test_binomial_rejects_floats',
          code`
            def test_binomial_rejects_floats():
                try:
                    special.binomial(5.5, 2)
                except TypeError:
                    return
                raise AssertionError("expected TypeError")
          `,
        );
      }),
    },
    71: {
      author: 'kwatanabe',
      mergedBy: 'asouza',
      branch: 'drop-py38',
      body: 'Python 3.8 is end-of-life. Require 3.9 and stop testing 3.8-only code paths.',
      labels: ['maintenance'],
      steps: oneStep('Drop Python 3.8', (t) => {
        t.replace('pyproject.toml', 'requires-python = ">=3.8"', 'requires-python = ">=3.9"');
        t.replace(
          '.github/workflows/tests.yml',
          'runs-on: ubuntu-latest\n    strategy:',
          'runs-on: ubuntu-latest\n    timeout-minutes: 20\n    strategy:',
        );
      }),
    },
    72: {
      author: 'asouza',
      mergedBy: 'kwatanabe',
      branch: 'changelog-0.4',
      body: null,
      labels: ['documentation'],
      steps: oneStep('Update CHANGELOG for 0.4.0', (t) => {
        t.replace(
          'CHANGELOG.md',
          '# Changelog\n',
          '# Changelog\n\n## 0.4.0\n\n- `zscore` accepts `ddof`; new `frobenius_norm` and `exponential_moving_average`.\n',
        );
      }),
    },
  },
};
