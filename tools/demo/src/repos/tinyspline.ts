import type { RepoHistory } from '../history';
import { oneStep } from '../history';
import { code } from '../tree';

/**
 * quietlabs/tinyspline: 1-D interpolation. Squash merges. Stored as an "imperfect mirror": loose
 * objects, with the blob of `tinyspline/boundary.py` as added by the last PR (#10) deleted, so the
 * trees stay readable but that PR's diff cannot be computed (collect: patch_unavailable). Every
 * earlier commit is complete, so the perf PR (#5) can still be built and measured.
 */

const LINEAR = 'tinyspline/linear.py';
const T_LINEAR = 'tests/test_linear.py';

/** The files of the initial commit. */
const INITIAL_FILES: Readonly<Record<string, string>> = {
  'README.md': '# tinyspline\n\nPiecewise-linear and cubic Hermite interpolation with NumPy.\n',
  'pyproject.toml': code`
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "tinyspline"
    version = "0.1.0"
    requires-python = ">=3.9"
    dependencies = ["numpy"]
  `,
  'asv.conf.json': code`
    {
        "version": 1,
        "project": "tinyspline",
        "repo": ".",
        "branches": ["main"],
        "environment_type": "virtualenv",
        "benchmark_dir": "benchmarks",
        "env_dir": ".asv/env",
        "results_dir": ".asv/results",
        "html_dir": ".asv/html"
    }
  `,
  'tinyspline/__init__.py': '"""tinyspline."""\n\nfrom .linear import interp_linear\n\n__all__ = ["interp_linear"]\n',
  [LINEAR]: code`
    """Piecewise-linear interpolation."""

    import numpy as np


    def interp_linear(xk, yk, xs):
        """Values at \`\`xs\`\` of the piecewise-linear function through (xk[i], yk[i]); xk increasing.

        Outside [xk[0], xk[-1]] the end values are held constant.
        """
        xk = np.asarray(xk, dtype=float)
        yk = np.asarray(yk, dtype=float)
        out = np.empty(len(xs))
        for j, x in enumerate(xs):
            if x <= xk[0]:
                out[j] = yk[0]
            elif x >= xk[-1]:
                out[j] = yk[-1]
            else:
                i = 0
                while xk[i + 1] < x:
                    i += 1
                t = (x - xk[i]) / (xk[i + 1] - xk[i])
                out[j] = yk[i] + t * (yk[i + 1] - yk[i])
        return out
  `,
  [T_LINEAR]: code`
    import numpy as np

    from tinyspline import interp_linear


    def test_interp_linear():
        assert interp_linear([0.0, 1.0, 3.0], [0.0, 2.0, 0.0], [0.5, 1.0, 2.0, -1.0, 5.0]).tolist() == [1.0, 2.0, 1.0, 0.0, 0.0]


    def test_matches_numpy():
        rng = np.random.default_rng(0)
        xk = np.sort(rng.uniform(0, 10, size=30))
        yk = rng.normal(size=30)
        xs = rng.uniform(-1, 11, size=200)
        assert np.allclose(interp_linear(xk, yk, xs), np.interp(xs, xk, yk))
  `,
  'benchmarks/__init__.py': '',
  'benchmarks/bench_interp.py': code`
    import numpy as np

    from tinyspline import interp_linear


    class InterpLinear:
        def setup(self):
            rng = np.random.default_rng(1)
            self.xk = np.linspace(0.0, 100.0, 200)
            self.yk = rng.normal(size=200)
            self.xs = rng.uniform(0.0, 100.0, size=2_000)

        def time_interp_linear(self):
            interp_linear(self.xk, self.yk, self.xs)
  `,
};

/** The history of quietlabs/tinyspline. */
export const tinysplineHistory: RepoHistory = {
  repo: 'quietlabs/tinyspline',
  defaultBranch: 'main',
  initial: {
    at: '2023-11-06T09:00:00Z',
    by: 'erossi',
    message: 'Initial commit',
    apply: (t) => t.writeAll(INITIAL_FILES),
  },
  direct: [],
  pulls: {
    2: {
      author: 'anwosu',
      mergedBy: 'erossi',
      branch: 'hermite',
      body: 'Cubic Hermite interpolation with finite-difference slopes.',
      steps: oneStep('Add cubic Hermite interpolation', (t) => {
        t.write(
          'tinyspline/hermite.py',
          code`
            """Cubic Hermite interpolation."""

            import numpy as np


            def interp_hermite(xk, yk, xs):
                """Cubic Hermite interpolation through (xk[i], yk[i]) with finite-difference slopes."""
                xk = np.asarray(xk, dtype=float)
                yk = np.asarray(yk, dtype=float)
                xs = np.clip(np.asarray(xs, dtype=float), xk[0], xk[-1])
                m = np.gradient(yk, xk)
                i = np.clip(np.searchsorted(xk, xs) - 1, 0, xk.size - 2)
                h = xk[i + 1] - xk[i]
                t = (xs - xk[i]) / h
                h00 = 2 * t**3 - 3 * t**2 + 1
                h10 = t**3 - 2 * t**2 + t
                h01 = -2 * t**3 + 3 * t**2
                h11 = t**3 - t**2
                return h00 * yk[i] + h10 * h * m[i] + h01 * yk[i + 1] + h11 * h * m[i + 1]
          `,
        );
        t.write(
          'tests/test_hermite.py',
          code`
            import numpy as np

            from tinyspline.hermite import interp_hermite


            def test_hermite_reproduces_lines():
                xk = np.array([0.0, 1.0, 2.0, 4.0])
                assert np.allclose(interp_hermite(xk, 3 * xk + 1, [0.5, 3.0]), [2.5, 10.0])
          `,
        );
      }),
    },
    3: {
      author: 'erossi',
      mergedBy: 'erossi',
      branch: 'readme-usage',
      body: null,
      steps: oneStep('docs: usage examples in README', (t) => {
        t.append(
          'README.md',
          '\n```python\nfrom tinyspline import interp_linear\ninterp_linear([0, 1], [0, 2], [0.5])\n```\n',
        );
      }),
    },
    5: {
      author: 'anwosu',
      mergedBy: 'erossi',
      branch: 'searchsorted',
      body: code`
        Find the interval of every query point at once with \`np.searchsorted\` instead of walking the
        knots from the start for each point (O(n*k) in Python). Results are identical.

        Closes #4
      `,
      labels: ['performance'],
      issue: {
        number: 4,
        title: 'interp_linear is slow with many knots',
        body: 'With 10k knots and 100k points it takes minutes; np.interp takes milliseconds.',
        by: 'jberg',
        comments: [
          { by: 'erossi', hoursAfterOpen: 12, body: 'The interval search is linear. searchsorted would fix it.' },
        ],
      },
      steps: oneStep('Locate intervals with np.searchsorted', (t) => {
        t.replace(
          LINEAR,
          code`
            out = np.empty(len(xs))
                for j, x in enumerate(xs):
                    if x <= xk[0]:
                        out[j] = yk[0]
                    elif x >= xk[-1]:
                        out[j] = yk[-1]
                    else:
                        i = 0
                        while xk[i + 1] < x:
                            i += 1
                        t = (x - xk[i]) / (xk[i + 1] - xk[i])
                        out[j] = yk[i] + t * (yk[i + 1] - yk[i])
                return out
          `,
          code`
            xs = np.asarray(xs, dtype=float)
                if xk.size == 1:
                    return np.full(xs.shape, yk[0])
                i = np.clip(np.searchsorted(xk, xs, side="left") - 1, 0, xk.size - 2)
                t = (xs - xk[i]) / (xk[i + 1] - xk[i])
                out = yk[i] + t * (yk[i + 1] - yk[i])
                out[xs <= xk[0]] = yk[0]
                out[xs >= xk[-1]] = yk[-1]
                return out
          `,
        );
      }),
    },
    6: {
      author: 'jberg',
      mergedBy: 'erossi',
      branch: 'validate-knots',
      body: 'Unsorted knots silently gave wrong values.',
      labels: ['bug'],
      steps: oneStep('Validate that knots are increasing', (t) => {
        t.replace(
          LINEAR,
          '    yk = np.asarray(yk, dtype=float)\n',
          '    yk = np.asarray(yk, dtype=float)\n    if np.any(np.diff(xk) <= 0):\n        raise ValueError("xk must be strictly increasing")\n',
        );
        t.setDef(
          T_LINEAR,
          'test_rejects_unsorted_knots',
          code`
            def test_rejects_unsorted_knots():
                try:
                    interp_linear([1.0, 0.0], [0.0, 1.0], [0.5])
                except ValueError:
                    return
                raise AssertionError("expected ValueError")
          `,
        );
      }),
    },
    7: {
      author: 'anwosu',
      mergedBy: 'erossi',
      branch: 'tests-extrapolation',
      body: null,
      steps: oneStep('Add tests for extrapolation', (t) => {
        t.setDef(
          T_LINEAR,
          'test_holds_end_values',
          code`
            def test_holds_end_values():
                assert interp_linear([0.0, 1.0], [5.0, 7.0], [-10.0, 10.0]).tolist() == [5.0, 7.0]
          `,
        );
      }),
    },
    8: {
      author: 'erossi',
      mergedBy: 'erossi',
      branch: 'derivative',
      body: 'Slope of the piecewise-linear interpolant.',
      steps: oneStep('Add derivative evaluation', (t) => {
        t.setDef(
          LINEAR,
          'derivative_linear',
          code`
            def derivative_linear(xk, yk, xs):
                """Slope of the piecewise-linear interpolant at \`\`xs\`\` (0 outside the knots)."""
                xk = np.asarray(xk, dtype=float)
                yk = np.asarray(yk, dtype=float)
                xs = np.asarray(xs, dtype=float)
                slopes = np.diff(yk) / np.diff(xk)
                i = np.clip(np.searchsorted(xk, xs, side="right") - 1, 0, xk.size - 2)
                out = slopes[i]
                out[(xs < xk[0]) | (xs > xk[-1])] = 0.0
                return out
          `,
        );
      }),
    },
    9: {
      author: 'anwosu',
      mergedBy: 'erossi',
      branch: 'ci',
      body: null,
      steps: oneStep('ci: add workflow', (t) => {
        t.write(
          '.github/workflows/test.yml',
          'name: test\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: pip install -e . pytest && pytest\n',
        );
      }),
    },
    10: {
      author: 'jberg',
      mergedBy: 'erossi',
      branch: 'clamped',
      body: 'Clamped end conditions: prescribe the slopes at both ends.',
      steps: oneStep('Add clamped boundary conditions', (t) => {
        t.write(
          'tinyspline/boundary.py',
          code`
            """Boundary conditions for cubic interpolation (clamped ends)."""

            import numpy as np


            def clamped_slopes(xk, yk, left, right):
                """Finite-difference slopes at the knots with the end slopes set to \`\`left\`\` and \`\`right\`\`."""
                m = np.gradient(np.asarray(yk, dtype=float), np.asarray(xk, dtype=float))
                m[0], m[-1] = left, right
                return m
          `,
        );
      }),
    },
  },
};
