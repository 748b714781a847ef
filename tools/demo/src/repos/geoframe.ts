import type { RepoHistory } from '../history';
import { oneStep } from '../history';
import type { DemoTree } from '../tree';
import { code } from '../tree';

/**
 * gridlab/geoframe: a tiny NumPy table (`Frame`) plus geometry and a grid index. Merge commits and
 * rebase merges. ASV lives in `asv_bench/asv.conf.json` with `benchmark_dir: "benchmarks"`
 * relative to it (as pandas does). A `maintenance/1.x` branch receives a backport PR (#19) that
 * is never on main's first-parent line. PR #24 lands a change already pushed directly (empty
 * merge). Nine PRs make real speed-ups. Stored as a symlinked mirror.
 */

const FRAME = 'geoframe/frame.py';
const GEOMETRY = 'geoframe/geometry.py';
const INDEX = 'geoframe/index.py';
const IO = 'geoframe/io.py';
const INIT = 'geoframe/__init__.py';
const T_FRAME = 'tests/test_frame.py';
const T_GEOMETRY = 'tests/test_geometry.py';
const T_INDEX = 'tests/test_index.py';
const T_IO = 'tests/test_io.py';
const BENCH = 'asv_bench/benchmarks';

const FRAME_V0 = code`
  """A minimal column-oriented table backed by NumPy arrays."""

  import numpy as np


  class Frame:
      """Named columns of equal length."""

      def __init__(self, columns):
          self._columns = {name: np.asarray(values) for name, values in columns.items()}
          lengths = {len(values) for values in self._columns.values()}
          if len(lengths) > 1:
              raise ValueError("all columns must have the same length")

      def __len__(self):
          for values in self._columns.values():
              return len(values)
          return 0

      def columns(self):
          """Column names, in insertion order."""
          return list(self._columns)

      def column(self, name):
          """The values of column \`\`name\`\`."""
          if name not in self._columns:
              raise KeyError(f"unknown colum {name!r}")
          return self._columns[name]

      def head(self, n=5):
          """The first \`\`n\`\` rows."""
          return self.take(list(range(n)))

      def filter(self, mask):
          """Rows where \`\`mask\`\` is true."""
          mask = np.asarray(mask, dtype=bool)
          return Frame({name: values[mask] for name, values in self._columns.items()})

      def take(self, indices):
          """Rows at \`\`indices\`\`, in that order."""
          out = {}
          for name, values in self._columns.items():
              out[name] = np.array([values[i] for i in indices], dtype=values.dtype)
          return Frame(out)

      def sort_by(self, name):
          """Rows ordered by column \`\`name\`\` (stable)."""
          values = self.column(name)
          order = sorted(range(len(values)), key=lambda i: values[i])
          return self.take(order)

      def groupby_sum(self, key, value):
          """Sum (as floats) of column \`\`value\`\` for each distinct value of column \`\`key\`\`, keys sorted."""
          keys = self.column(key)
          values = self.column(value)
          totals = {}
          for k, v in zip(keys.tolist(), values.tolist()):
              totals[k] = totals.get(k, 0.0) + v
          ordered = sorted(totals)
          return Frame({key: np.array(ordered), value: np.array([totals[k] for k in ordered], dtype=float)})
`;

const GEOMETRY_V0 = code`
  """Planar and spherical geometry on coordinate arrays."""

  import math

  import numpy as np

  EARTH_RADIUS_KM = 6371.0088


  def polygon_area(xs, ys):
      """Area of the simple polygon with vertices (xs[i], ys[i]) (shoelace formula)."""
      n = len(xs)
      total = 0.0
      for i in range(n):
          j = (i + 1) % n
          total += xs[i] * ys[j] - xs[j] * ys[i]
      return abs(total) / 2.0


  def haversine(lat1, lon1, lat2, lon2):
      """Great-circle distances in km between (lat1, lon1) and (lat2, lon2), element-wise, in degrees."""
      out = np.empty(len(lat1))
      for i in range(len(lat1)):
          p1, p2 = math.radians(lat1[i]), math.radians(lat2[i])
          dp = p2 - p1
          dl = math.radians(lon2[i] - lon1[i])
          a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
          out[i] = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
      return out


  def points_in_bbox(xs, ys, bbox):
      """Boolean mask of the points inside \`\`bbox = (xmin, ymin, xmax, ymax)\`\` (edges included)."""
      xmin, ymin, xmax, ymax = bbox
      mask = np.zeros(len(xs), dtype=bool)
      for i in range(len(xs)):
          mask[i] = xmin <= xs[i] <= xmax and ymin <= ys[i] <= ymax
      return mask


  def centroid(xs, ys):
      """Centroid (mean point) of the points (xs[i], ys[i])."""
      sx = 0.0
      sy = 0.0
      for x, y in zip(xs, ys):
          sx += x
          sy += y
      return sx / len(xs), sy / len(ys)
`;

const TEST_FRAME_V0 = code`
  import numpy as np

  from geoframe import Frame


  def _frame():
      return Frame({"k": [2, 1, 2, 3], "v": [1.0, 2.0, 3.0, 4.0]})


  def test_basics():
      f = _frame()
      assert len(f) == 4
      assert f.column("v").tolist() == [1.0, 2.0, 3.0, 4.0]


  def test_unknown_column():
      try:
          _frame().column("nope")
      except KeyError:
          return
      raise AssertionError("expected KeyError")


  def test_filter_take():
      f = _frame()
      assert f.filter([True, False, True, False]).column("v").tolist() == [1.0, 3.0]
      assert f.take([3, 0]).column("k").tolist() == [3, 2]
      assert f.take([]).column("k").dtype == f.column("k").dtype
      assert f.head(2).column("k").tolist() == [2, 1]


  def test_sort_by():
      f = _frame()
      assert f.sort_by("k").column("v").tolist() == [2.0, 1.0, 3.0, 4.0]
      rng = np.random.default_rng(1)
      g = Frame({"x": rng.integers(0, 5, size=50), "i": np.arange(50)})
      s = g.sort_by("x")
      assert s.column("x").tolist() == sorted(g.column("x").tolist())
      pairs = list(zip(s.column("x").tolist(), s.column("i").tolist()))
      assert pairs == sorted(pairs)


  def test_groupby_sum():
      g = _frame().groupby_sum("k", "v")
      assert g.column("k").tolist() == [1, 2, 3]
      assert g.column("v").tolist() == [2.0, 4.0, 4.0]


  def test_groupby_sum_random():
      rng = np.random.default_rng(0)
      keys = rng.integers(0, 20, size=500)
      values = rng.normal(size=500)
      g = Frame({"k": keys, "v": values}).groupby_sum("k", "v")
      for k, total in zip(g.column("k").tolist(), g.column("v").tolist()):
          assert abs(total - values[keys == k].sum()) < 1e-9
`;

const TEST_GEOMETRY_V0 = code`
  import numpy as np

  from geoframe import geometry


  def test_polygon_area():
      assert geometry.polygon_area([0.0, 2.0, 2.0, 0.0], [0.0, 0.0, 1.0, 1.0]) == 2.0
      theta = np.linspace(0, 2 * np.pi, 1000, endpoint=False)
      assert abs(geometry.polygon_area(np.cos(theta), np.sin(theta)) - np.pi) < 1e-4


  def test_haversine():
      d = geometry.haversine([0.0, 10.0], [0.0, 20.0], [0.0, 10.0], [1.0, 20.0])
      assert abs(d[0] - 111.19508) < 1e-3
      assert abs(d[1]) < 1e-9


  def test_points_in_bbox():
      mask = geometry.points_in_bbox([0.0, 1.0, 2.0, 2.0], [0.0, 1.0, 5.0, 2.0], (0.5, 0.5, 2.0, 2.0))
      assert mask.tolist() == [False, True, False, True]


  def test_centroid():
      cx, cy = geometry.centroid([0.0, 2.0, 4.0], [1.0, 1.0, 4.0])
      assert abs(cx - 2.0) < 1e-12 and abs(cy - 2.0) < 1e-12
`;

const BENCH_FRAME = code`
  import numpy as np

  from geoframe import Frame


  def _frame(n, seed):
      rng = np.random.default_rng(seed)
      return Frame(
          {
              "key": rng.integers(0, 1_000, size=n),
              "value": rng.normal(size=n),
              "other": rng.uniform(size=n),
          }
      )


  class Take:
      def setup(self):
          self.frame = _frame(20_000, 0)
          self.indices = np.random.default_rng(1).permutation(20_000).tolist()

      def time_take(self):
          self.frame.take(self.indices)


  class SortBy:
      def setup(self):
          self.frame = _frame(20_000, 2)

      def time_sort_by(self):
          self.frame.sort_by("value")


  class GroupbySum:
      def setup(self):
          self.frame = _frame(100_000, 3)

      def time_groupby_sum(self):
          self.frame.groupby_sum("key", "value")
`;

const BENCH_GEOMETRY = code`
  import numpy as np

  from geoframe import geometry


  class PolygonArea:
      def setup(self):
          theta = np.linspace(0, 2 * np.pi, 20_000, endpoint=False)
          self.xs = np.cos(theta)
          self.ys = np.sin(theta)

      def time_polygon_area(self):
          geometry.polygon_area(self.xs, self.ys)


  class Haversine:
      def setup(self):
          rng = np.random.default_rng(4)
          self.lat1, self.lat2 = rng.uniform(-80, 80, size=(2, 20_000))
          self.lon1, self.lon2 = rng.uniform(-180, 180, size=(2, 20_000))

      def time_haversine(self):
          geometry.haversine(self.lat1, self.lon1, self.lat2, self.lon2)


  class PointsInBbox:
      def setup(self):
          rng = np.random.default_rng(5)
          self.xs, self.ys = rng.uniform(0, 100, size=(2, 50_000))

      def time_points_in_bbox(self):
          geometry.points_in_bbox(self.xs, self.ys, (10.0, 10.0, 60.0, 40.0))


  class Centroid:
      def setup(self):
          rng = np.random.default_rng(6)
          self.xs, self.ys = rng.normal(size=(2, 100_000))

      def time_centroid(self):
          geometry.centroid(self.xs, self.ys)
`;

const ASV_CONF = code`
  {
      // The configuration lives in asv_bench/, as in pandas: paths are relative to this file.
      "version": 1,
      "project": "geoframe",
      "project_url": "https://github.com/gridlab/geoframe",
      "repo": "..",
      "branches": ["main"],
      "environment_type": "virtualenv",
      "pythons": ["3.11"],
      "matrix": {"numpy": []},
      "benchmark_dir": "benchmarks",
      "env_dir": "env",
      "results_dir": "results",
      "html_dir": "html",
      "build_cache_size": 8
  }
`;

function bumpVersion(t: DemoTree, from: string, to: string): void {
  t.replace('pyproject.toml', `version = "${from}"`, `version = "${to}"`);
  t.replace(INIT, `__version__ = "${from}"`, `__version__ = "${to}"`);
}

const HEAD_FIX = (t: DemoTree): void => {
  t.setMethod(
    FRAME,
    'Frame',
    'head',
    code`
      def head(self, n=5):
          """The first \`\`n\`\` rows (all rows when there are fewer)."""
          return self.take(list(range(min(n, len(self)))))
    `,
  );
  t.setDef(
    T_FRAME,
    'test_head_longer_than_frame',
    code`
      def test_head_longer_than_frame():
          assert len(_frame().head(10)) == 4
    `,
  );
};

/** Idempotent on purpose: PR #24 lands after the same fix was pushed directly. */
const TYPO_FIX = (t: DemoTree): void => {
  t.write(FRAME, t.read(FRAME).replace('unknown colum {name!r}', 'unknown column {name!r}'));
};

/** The history of gridlab/geoframe (main and maintenance/1.x). */
export const geoframeHistory: RepoHistory = {
  repo: 'gridlab/geoframe',
  defaultBranch: 'main',
  initial: {
    at: '2023-08-21T14:00:00Z',
    by: 'mjohnson',
    message: 'geoframe: first public version',
    apply: (t) =>
      t.writeAll({
        '.gitignore': '__pycache__/\n*.egg-info/\nasv_bench/env/\nasv_bench/results/\nasv_bench/html/\n',
        LICENSE: 'BSD 3-Clause License\n\nCopyright (c) 2023, GridLab\n',
        'README.md': code`
          # geoframe

          Small tables and geometry on NumPy arrays.

          Benchmarks: \`cd asv_bench && asv run\`.
        `,
        'pyproject.toml': code`
          [build-system]
          requires = ["setuptools>=61", "wheel"]
          build-backend = "setuptools.build_meta"

          [project]
          name = "geoframe"
          version = "0.9.0"
          description = "Small tables and geometry on NumPy arrays"
          requires-python = ">=3.9"
          dependencies = ["numpy>=1.21"]

          [tool.setuptools]
          packages = ["geoframe"]
        `,
        [INIT]: code`
          """geoframe: small tables and geometry on NumPy arrays."""

          from . import geometry
          from .frame import Frame

          __version__ = "0.9.0"
        `,
        [FRAME]: FRAME_V0,
        [GEOMETRY]: GEOMETRY_V0,
        [T_FRAME]: TEST_FRAME_V0,
        [T_GEOMETRY]: TEST_GEOMETRY_V0,
        'asv_bench/asv.conf.json': ASV_CONF,
        [`${BENCH}/__init__.py`]: '',
        [`${BENCH}/bench_frame.py`]: BENCH_FRAME,
        [`${BENCH}/bench_geometry.py`]: BENCH_GEOMETRY,
        'docs/index.md': '# geoframe\n\n- [API](api.md)\n',
        'docs/api.md': '# API\n\n`Frame`, `geometry`.\n',
        '.github/workflows/ci.yml':
          'name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n        with:\n          python-version: "3.11"\n      - run: pip install -e . pytest && pytest\n',
      }),
  },
  direct: [
    {
      at: '2023-12-14T20:00:00Z',
      by: 'mjohnson',
      message: 'Release 1.0.0',
      label: 'release-1.0.0',
      tag: 'v1.0.0',
      apply: (t) => bumpVersion(t, '0.9.0', '1.0.0'),
    },
    {
      at: '2024-03-20T15:00:00Z',
      by: 'mjohnson',
      message: 'Release 1.0.1',
      branch: 'maintenance/1.x',
      tag: 'v1.0.1',
      apply: (t) => bumpVersion(t, '1.0.0', '1.0.1'),
    },
    {
      at: '2024-04-17T08:00:00Z',
      by: 'praman',
      message: 'Fix typo in the unknown-column error\n\n(cherry picked from PR #24)',
      label: 'typo-hotfix',
      apply: TYPO_FIX,
    },
    {
      at: '2024-05-29T12:00:00Z',
      by: 'mjohnson',
      message: 'Release 1.1.0',
      tag: 'v1.1.0',
      apply: (t) => bumpVersion(t, '1.0.0', '1.1.0'),
    },
    {
      at: '2024-08-14T12:00:00Z',
      by: 'praman',
      message: 'Release 1.2.0',
      tag: 'v1.2.0',
      apply: (t) => bumpVersion(t, '1.1.0', '1.2.0'),
    },
    {
      at: '2024-12-19T12:00:00Z',
      by: 'mjohnson',
      message: 'Release 1.3.0',
      tag: 'v1.3.0',
      apply: (t) => bumpVersion(t, '1.2.0', '1.3.0'),
    },
  ],
  branches: [{ name: 'maintenance/1.x', fromLabel: 'release-1.0.0' }],
  pulls: {
    2: {
      author: 'tokafor',
      mergedBy: 'mjohnson',
      branch: 'nearest',
      body: 'Adds `geometry.nearest(xs, ys, qx, qy)`: index of the nearest point for each query.',
      steps: oneStep('Add nearest()', (t) => {
        t.setDef(
          GEOMETRY,
          'nearest',
          code`
            def nearest(xs, ys, qx, qy):
                """Index of the point (xs[i], ys[i]) nearest to each query (qx[j], qy[j]); xs must not be empty."""
                out = np.empty(len(qx), dtype=np.intp)
                for j in range(len(qx)):
                    best, best_d = -1, math.inf
                    for i in range(len(xs)):
                        d = math.hypot(xs[i] - qx[j], ys[i] - qy[j])
                        if d < best_d:
                            best, best_d = i, d
                    out[j] = best
                return out
          `,
        );
        t.setDef(
          T_GEOMETRY,
          'test_nearest',
          code`
            def test_nearest():
                assert geometry.nearest([0.0, 10.0], [0.0, 0.0], [1.0, 9.0], [0.0, 1.0]).tolist() == [0, 1]
                rng = np.random.default_rng(2)
                xs, ys, qx, qy = rng.uniform(size=(4, 30))
                brute = [int(np.argmin((xs - a) ** 2 + (ys - b) ** 2)) for a, b in zip(qx, qy)]
                assert geometry.nearest(xs, ys, qx, qy).tolist() == brute
          `,
        );
      }),
    },
    4: {
      author: 'jberg',
      mergedBy: 'praman',
      branch: 'grid-index',
      body: 'A uniform grid index for rectangle queries over many points.',
      steps: oneStep('Add GridIndex', (t) => {
        t.write(
          INDEX,
          code`
            """A uniform-grid spatial index for rectangle queries."""

            import numpy as np


            class GridIndex:
                """Buckets points into square cells of side \`\`cell\`\`."""

                def __init__(self, xs, ys, cell=1.0):
                    self.xs = np.asarray(xs, dtype=float)
                    self.ys = np.asarray(ys, dtype=float)
                    self.cell = float(cell)
                    self.cells = {}
                    for i, (x, y) in enumerate(zip(self.xs.tolist(), self.ys.tolist())):
                        key = (int(x // self.cell), int(y // self.cell))
                        self.cells.setdefault(key, []).append(i)

                def query(self, bbox):
                    """Sorted indices of the points inside \`\`bbox = (xmin, ymin, xmax, ymax)\`\` (edges included)."""
                    xmin, ymin, xmax, ymax = bbox
                    hits = []
                    for i in range(len(self.xs)):
                        if xmin <= self.xs[i] <= xmax and ymin <= self.ys[i] <= ymax:
                            hits.append(i)
                    return hits
          `,
        );
        t.replace(INIT, 'from . import geometry\n', 'from . import geometry, index\n');
        t.write(
          T_INDEX,
          code`
            import numpy as np

            from geoframe.index import GridIndex


            def test_query():
                idx = GridIndex([0.5, 1.5, 2.5, -0.5], [0.5, 1.5, 2.5, 0.5], cell=1.0)
                assert idx.query((0.0, 0.0, 2.0, 2.0)) == [0, 1]
                assert idx.query((-1.0, 0.0, 0.5, 0.5)) == [0, 3]


            def test_query_random():
                rng = np.random.default_rng(3)
                xs, ys = rng.uniform(-10, 10, size=(2, 500))
                idx = GridIndex(xs, ys, cell=1.5)
                bbox = (-3.0, -2.0, 4.0, 1.0)
                expected = [i for i in range(500) if -3.0 <= xs[i] <= 4.0 and -2.0 <= ys[i] <= 1.0]
                assert idx.query(bbox) == expected
          `,
        );
      }),
    },
    6: {
      author: 'anwosu',
      mergedBy: 'mjohnson',
      branch: 'csv-text',
      body: 'Read and write frames as CSV text.',
      steps: oneStep('Add read_csv_text and to_csv_text', (t) => {
        t.write(
          IO,
          code`
            """Reading and writing frames as CSV text."""

            import numpy as np

            from .frame import Frame


            def read_csv_text(text):
                """A Frame from CSV text with a header row; numeric columns become floats."""
                lines = [line for line in text.strip().splitlines() if line]
                header = [h.strip() for h in lines[0].split(",")]
                rows = [[cell.strip() for cell in line.split(",")] for line in lines[1:]]
                columns = {}
                for j, name in enumerate(header):
                    values = [row[j] for row in rows]
                    try:
                        columns[name] = np.array([float(v) for v in values])
                    except ValueError:
                        columns[name] = np.array(values)
                return Frame(columns)


            def to_csv_text(frame):
                """CSV text with a header row."""
                names = frame.columns()
                lines = [",".join(names)]
                for i in range(len(frame)):
                    lines.append(",".join(str(frame.column(n)[i]) for n in names))
                return "\n".join(lines) + "\n"
          `,
        );
        t.replace(INIT, 'from . import geometry, index\n', 'from . import geometry, index, io\n');
        t.write(
          T_IO,
          code`
            from geoframe import io


            def test_round_trip():
                frame = io.read_csv_text("city,pop\nOslo,0.7\nLima,10.0\n")
                assert frame.column("city").tolist() == ["Oslo", "Lima"]
                assert frame.column("pop").tolist() == [0.7, 10.0]
                assert io.to_csv_text(frame) == "city,pop\nOslo,0.7\nLima,10.0\n"
          `,
        );
      }),
    },
    8: {
      author: 'wzhang',
      mergedBy: 'mjohnson',
      branch: 'vectorise-haversine',
      body: code`
        \`haversine\` looped over the points in Python calling \`math\` functions on NumPy scalars. The
        same formula on whole arrays is ~100x faster for 20k pairs (63 ms -> 0.6 ms).
      `,
      labels: ['performance'],
      steps: oneStep('perf: vectorise haversine', (t) => {
        t.setDef(
          GEOMETRY,
          'haversine',
          code`
            def haversine(lat1, lon1, lat2, lon2):
                """Great-circle distances in km between (lat1, lon1) and (lat2, lon2), element-wise, in degrees."""
                lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
                a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
                return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
          `,
        );
      }),
    },
    9: {
      author: 'anwosu',
      mergedBy: 'praman',
      branch: 'docs-getting-started',
      body: null,
      labels: ['docs'],
      steps: oneStep('docs: getting started', (t) => {
        t.write(
          'docs/getting_started.md',
          '# Getting started\n\n```python\nfrom geoframe import Frame\nFrame({"a": [1, 2]})\n```\n',
        );
        t.replace('docs/index.md', '- [API](api.md)\n', '- [Getting started](getting_started.md)\n- [API](api.md)\n');
      }),
    },
    10: {
      author: 'asouza',
      mergedBy: 'mjohnson',
      branch: 'describe',
      body: 'Summary statistics of the numeric columns.',
      labels: ['enhancement'],
      steps: [
        {
          message: 'Add Frame.describe',
          apply: (t) =>
            t.setMethod(
              FRAME,
              'Frame',
              'describe',
              code`
                def describe(self):
                    """Mean, minimum and maximum of every non-empty numeric column."""
                    out = {}
                    for name, values in self._columns.items():
                        if np.issubdtype(values.dtype, np.number) and len(values):
                            out[name] = {"mean": float(values.mean()), "min": float(values.min()), "max": float(values.max())}
                    return out
              `,
            ),
        },
        {
          message: 'Test Frame.describe',
          apply: (t) =>
            t.setDef(
              T_FRAME,
              'test_describe',
              code`
                def test_describe():
                    d = _frame().describe()
                    assert d["v"] == {"mean": 2.5, "min": 1.0, "max": 4.0}
              `,
            ),
        },
      ],
    },
    12: {
      author: 'jberg',
      mergedBy: 'praman',
      branch: 'head-short-frame',
      body: '`head(n)` raised IndexError when n exceeded the number of rows.\n\nFixes #11',
      labels: ['bug'],
      issue: {
        number: 11,
        title: 'Frame.head(10) fails on a 3-row frame',
        body: 'IndexError: index 3 is out of bounds for axis 0 with size 3',
        by: 'staylor',
        labels: ['bug'],
        comments: [{ by: 'mjohnson', hoursAfterOpen: 6, body: 'pandas returns all rows in that case, we should too.' }],
      },
      steps: oneStep('Clamp n in Frame.head', HEAD_FIX),
    },
    13: {
      author: 'tokafor',
      mergedBy: 'mjohnson',
      branch: 'groupby-bincount',
      body: code`
        Replaces the Python dict accumulation in \`groupby_sum\` by \`np.unique(..., return_inverse=True)\`
        and a weighted \`np.bincount\`. Results are identical (same summation order).

        Closes #7
      `,
      labels: ['performance'],
      issue: {
        number: 7,
        title: 'groupby_sum is slow on large frames',
        body: 'A groupby over 5 million rows takes ~2 s, most of it in `tolist()` and the dict loop.',
        by: 'praman',
        openedDaysBeforePull: 40,
        comments: [
          {
            by: 'tokafor',
            hoursAfterOpen: 48,
            body: 'np.unique + np.bincount should handle this without a Python loop.',
          },
          { by: 'praman', hoursAfterOpen: 60, body: 'Sounds good, keys must stay sorted.' },
        ],
      },
      steps: oneStep('Speed up groupby_sum with np.unique and np.bincount', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'groupby_sum',
          code`
            def groupby_sum(self, key, value):
                """Sum (as floats) of column \`\`value\`\` for each distinct value of column \`\`key\`\`, keys sorted."""
                keys = self.column(key)
                values = np.asarray(self.column(value), dtype=float)
                uniques, inverse = np.unique(keys, return_inverse=True)
                totals = np.bincount(inverse.ravel(), weights=values, minlength=uniques.size)
                return Frame({key: uniques, value: totals})
          `,
        );
      }),
    },
    14: {
      author: 'anwosu',
      mergedBy: 'praman',
      branch: 'ci-coverage',
      body: null,
      labels: ['ci'],
      steps: oneStep('ci: upload coverage', (t) => {
        t.replace(
          '.github/workflows/ci.yml',
          '      - run: pip install -e . pytest && pytest\n',
          '      - run: pip install -e . pytest pytest-cov && pytest --cov=geoframe\n      - uses: codecov/codecov-action@v4\n',
        );
      }),
    },
    15: {
      author: 'asouza',
      mergedBy: 'mjohnson',
      branch: 'rename',
      body: 'Adds `Frame.rename(mapping)`.',
      labels: ['enhancement'],
      steps: oneStep('Add Frame.rename', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'rename',
          code`
            def rename(self, mapping):
                """A Frame with columns renamed by \`\`mapping\`\` (old name -> new name)."""
                return Frame({mapping.get(name, name): values for name, values in self._columns.items()})
          `,
        );
        t.setDef(
          T_FRAME,
          'test_rename',
          code`
            def test_rename():
                assert _frame().rename({"k": "key"}).column("key").tolist() == [2, 1, 2, 3]
          `,
        );
      }),
    },
    16: {
      author: 'praman',
      mergedBy: 'mjohnson',
      branch: 'bench-index',
      body: 'Benchmarks for `nearest` and `GridIndex.query`.',
      labels: ['benchmarks'],
      steps: oneStep('bench: nearest and GridIndex', (t) => {
        t.write(
          `${BENCH}/bench_index.py`,
          code`
            import numpy as np

            from geoframe import geometry
            from geoframe.index import GridIndex


            class Nearest:
                def setup(self):
                    rng = np.random.default_rng(7)
                    self.xs, self.ys = rng.uniform(0, 100, size=(2, 1_000))
                    self.qx, self.qy = rng.uniform(0, 100, size=(2, 100))

                def time_nearest(self):
                    geometry.nearest(self.xs, self.ys, self.qx, self.qy)


            class GridIndexQuery:
                def setup(self):
                    rng = np.random.default_rng(8)
                    xs, ys = rng.uniform(0, 100, size=(2, 50_000))
                    self.index = GridIndex(xs, ys, cell=2.0)

                def time_query(self):
                    self.index.query((40.0, 40.0, 45.0, 45.0))
          `,
        );
      }),
    },
    17: {
      author: 'jberg',
      mergedBy: 'praman',
      branch: 'shoelace-numpy',
      body: 'Computes the shoelace sum from element-wise products of the coordinate arrays and their rolled copies.',
      steps: oneStep('Shoelace formula without the Python loop', (t) => {
        t.setDef(
          GEOMETRY,
          'polygon_area',
          code`
            def polygon_area(xs, ys):
                """Area of the simple polygon with vertices (xs[i], ys[i]) (shoelace formula)."""
                xs = np.asarray(xs, dtype=float)
                ys = np.asarray(ys, dtype=float)
                twice = (xs * np.roll(ys, -1)).sum() - (np.roll(xs, -1) * ys).sum()
                return float(abs(twice) / 2.0)
          `,
        );
      }),
    },
    18: {
      author: 'anwosu',
      mergedBy: 'mjohnson',
      branch: 'tests-csv-text',
      body: null,
      labels: ['tests'],
      steps: oneStep('tests: text columns in read_csv_text', (t) => {
        t.setDef(
          T_IO,
          'test_text_column',
          code`
            def test_text_column():
                frame = io.read_csv_text("a,b\nx,1\ny,z\n")
                assert frame.column("b").tolist() == ["1", "z"]
          `,
        );
      }),
    },
    19: {
      author: 'jberg',
      mergedBy: 'mjohnson',
      branch: 'backport-head-fix',
      body: 'Backport of #12 to the 1.x maintenance branch.',
      labels: ['bug', 'backport'],
      steps: oneStep('Clamp n in Frame.head (backport)', HEAD_FIX),
    },
    20: {
      author: 'wzhang',
      mergedBy: 'praman',
      branch: 'assign',
      body: 'Adds `Frame.assign(**columns)`.',
      labels: ['enhancement'],
      steps: oneStep('Add Frame.assign', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'assign',
          code`
            def assign(self, **columns):
                """A Frame with columns added or replaced."""
                merged = dict(self._columns)
                merged.update(columns)
                return Frame(merged)
          `,
        );
        t.setDef(
          T_FRAME,
          'test_assign',
          code`
            def test_assign():
                f = _frame().assign(w=[0, 0, 0, 1])
                assert f.column("w").tolist() == [0, 0, 0, 1]
          `,
        );
      }),
    },
    21: {
      author: 'tokafor',
      mergedBy: 'mjohnson',
      branch: 'take-fancy-indexing',
      body: code`
        \`take\` converted every column to a Python list of scalars and back to an array. Index the
        arrays directly with an integer array instead (no copy through Python objects).
      `,
      labels: ['performance'],
      steps: oneStep('perf: avoid the list round-trip in Frame.take', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'take',
          code`
            def take(self, indices):
                """Rows at \`\`indices\`\`, in that order."""
                indices = np.asarray(indices, dtype=np.intp)
                return Frame({name: values[indices] for name, values in self._columns.items()})
          `,
        );
      }),
    },
    22: {
      author: 'asouza',
      mergedBy: 'praman',
      branch: 'records',
      body: 'Conversion from and to a list of dicts.',
      labels: ['enhancement'],
      steps: [
        {
          message: 'Add Frame.to_records',
          apply: (t) =>
            t.setMethod(
              FRAME,
              'Frame',
              'to_records',
              code`
                def to_records(self):
                    """Rows as a list of dicts."""
                    names = list(self._columns)
                    return [dict(zip(names, row)) for row in zip(*(self._columns[n].tolist() for n in names))]
              `,
            ),
        },
        {
          message: 'Add Frame.from_records',
          apply: (t) =>
            t.setMethod(
              FRAME,
              'Frame',
              'from_records',
              code`
                @classmethod
                def from_records(cls, records):
                    """A Frame from a list of dicts with the same keys."""
                    if not records:
                        return cls({})
                    names = list(records[0])
                    return cls({n: [r[n] for r in records] for n in names})
              `,
            ),
        },
        {
          message: 'Test records round trip',
          apply: (t) =>
            t.setDef(
              T_FRAME,
              'test_records_round_trip',
              code`
                def test_records_round_trip():
                    records = _frame().to_records()
                    assert records[0] == {"k": 2, "v": 1.0}
                    assert Frame.from_records(records).to_records() == records
              `,
            ),
        },
      ],
    },
    23: {
      author: 'praman',
      mergedBy: 'mjohnson',
      branch: 'docs-coordinates',
      body: 'Longitude first or latitude first? Document it.',
      labels: ['docs'],
      steps: oneStep('docs: coordinate conventions', (t) => {
        t.write(
          'docs/coordinates.md',
          '# Coordinates\n\nPlanar functions take `xs, ys`; spherical ones take degrees, latitude first.\n',
        );
      }),
    },
    24: {
      author: 'anwosu',
      mergedBy: 'mjohnson',
      branch: 'typo-unknown-column',
      body: '"unknown colum" -> "unknown column".',
      forkBefore: 'typo-hotfix',
      steps: oneStep('Fix typo in error message for unknown column', TYPO_FIX),
    },
    25: {
      author: 'jberg',
      mergedBy: 'praman',
      branch: 'grid-query',
      body: 'Use the cells that the index already builds: only look at the cells that overlap the box.',
      steps: oneStep('Rework GridIndex.query', (t) => {
        t.setMethod(
          INDEX,
          'GridIndex',
          'query',
          code`
            def query(self, bbox):
                """Sorted indices of the points inside \`\`bbox = (xmin, ymin, xmax, ymax)\`\` (edges included)."""
                xmin, ymin, xmax, ymax = bbox
                hits = []
                for cx in range(int(xmin // self.cell), int(xmax // self.cell) + 1):
                    for cy in range(int(ymin // self.cell), int(ymax // self.cell) + 1):
                        for i in self.cells.get((cx, cy), ()):
                            if xmin <= self.xs[i] <= xmax and ymin <= self.ys[i] <= ymax:
                                hits.append(i)
                return sorted(hits)
          `,
        );
      }),
    },
    26: {
      author: 'anwosu',
      mergedBy: 'mjohnson',
      branch: 'ci-pin-actions',
      body: 'Pin third-party actions to commit SHAs.',
      labels: ['ci'],
      steps: oneStep('ci: pin actions', (t) => {
        t.replace(
          '.github/workflows/ci.yml',
          'codecov/codecov-action@v4',
          'codecov/codecov-action@e28ff129e5465c2c0dcc6f003fc735cb6ae0c673',
        );
      }),
    },
    27: {
      author: 'wzhang',
      mergedBy: 'praman',
      branch: 'bbox-of',
      body: 'Adds `geometry.bbox_of(xs, ys)`.',
      labels: ['enhancement'],
      steps: [
        {
          message: 'Add bbox_of',
          apply: (t) =>
            t.setDef(
              GEOMETRY,
              'bbox_of',
              code`
                def bbox_of(xs, ys):
                    """Bounding box (xmin, ymin, xmax, ymax) of the points."""
                    xs = np.asarray(xs, dtype=float)
                    ys = np.asarray(ys, dtype=float)
                    if xs.size == 0:
                        raise ValueError("bbox_of needs at least one point")
                    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())
              `,
            ),
        },
        {
          message: 'Test bbox_of',
          apply: (t) =>
            t.setDef(
              T_GEOMETRY,
              'test_bbox_of',
              code`
                def test_bbox_of():
                    assert geometry.bbox_of([1.0, -2.0], [3.0, 0.5]) == (-2.0, 0.5, 1.0, 3.0)
              `,
            ),
        },
      ],
    },
    28: {
      author: 'tokafor',
      mergedBy: 'mjohnson',
      branch: 'argsort',
      body: 'Sorting row numbers in Python with a key that indexes a NumPy array is slow; `np.argsort(kind="stable")` gives the same order.',
      labels: ['performance'],
      steps: oneStep('Sort with np.argsort in Frame.sort_by', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'sort_by',
          code`
            def sort_by(self, name):
                """Rows ordered by column \`\`name\`\` (stable)."""
                values = self.column(name)
                return self.take(np.argsort(values, kind="stable"))
          `,
        );
      }),
    },
    29: {
      author: 'anwosu',
      mergedBy: 'praman',
      branch: 'example-cities',
      body: null,
      steps: oneStep('examples: city distances', (t) => {
        t.write(
          'examples/city_distances.py',
          code`
            """Distances between a few cities."""

            from geoframe import geometry

            CITIES = {"Lagos": (6.52, 3.38), "Oslo": (59.91, 10.75), "Lima": (-12.05, -77.04)}
            names = list(CITIES)
            lat = [CITIES[n][0] for n in names]
            lon = [CITIES[n][1] for n in names]
            for i, name in enumerate(names):
                j = (i + 1) % len(names)
                d = geometry.haversine([lat[i]], [lon[i]], [lat[j]], [lon[j]])[0]
                print(f"{name} -> {names[j]}: {d:.0f} km")
          `,
        );
      }),
    },
    30: {
      author: 'praman',
      mergedBy: 'mjohnson',
      branch: 'nearest-vectorised',
      body: code`
        For each block of 256 queries, compute squared distances to all points at once and take the
        argmin. Same tie-breaking (first minimum) as the loop.

        Closes #5
      `,
      labels: ['performance'],
      issue: {
        number: 5,
        title: 'nearest() is slow for many query points',
        body: 'Matching 10k GPS fixes against 2k stations takes minutes.',
        by: 'anwosu',
        openedDaysBeforePull: 200,
        comments: [
          {
            by: 'mjohnson',
            hoursAfterOpen: 10,
            body: 'The double loop is the problem; a blocked vectorised version would be fine.',
          },
          { by: 'praman', hoursAfterOpen: 2000, body: 'Picking this up.' },
        ],
      },
      steps: oneStep('Vectorised nearest-point search', (t) => {
        t.setDef(
          GEOMETRY,
          'nearest',
          code`
            def nearest(xs, ys, qx, qy):
                """Index of the point (xs[i], ys[i]) nearest to each query (qx[j], qy[j]); xs must not be empty."""
                xs = np.asarray(xs, dtype=float)
                ys = np.asarray(ys, dtype=float)
                qx = np.asarray(qx, dtype=float)
                qy = np.asarray(qy, dtype=float)
                out = np.empty(qx.size, dtype=np.intp)
                for start in range(0, qx.size, 256):
                    stop = start + 256
                    d2 = (xs[None, :] - qx[start:stop, None]) ** 2 + (ys[None, :] - qy[start:stop, None]) ** 2
                    out[start:stop] = np.argmin(d2, axis=1)
                return out
          `,
        );
        t.replace(GEOMETRY, 'import math\n\n', '');
      }),
    },
    32: {
      author: 'wzhang',
      mergedBy: 'praman',
      branch: 'dropna',
      body: 'Adds `Frame.dropna()`.',
      labels: ['enhancement'],
      steps: oneStep('Add Frame.dropna', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'dropna',
          code`
            def dropna(self):
                """Rows without NaN in any floating-point column."""
                mask = np.ones(len(self), dtype=bool)
                for values in self._columns.values():
                    if np.issubdtype(values.dtype, np.floating):
                        mask &= ~np.isnan(values)
                return self.filter(mask)
          `,
        );
        t.setDef(
          T_FRAME,
          'test_dropna',
          code`
            def test_dropna():
                f = Frame({"a": [1.0, float("nan"), 3.0], "b": [1, 2, 3]})
                assert f.dropna().column("b").tolist() == [1, 3]
          `,
        );
      }),
    },
    33: {
      author: 'praman',
      mergedBy: 'mjohnson',
      branch: 'bench-filter',
      body: null,
      labels: ['benchmarks'],
      steps: oneStep('bench: Frame.filter', (t) => {
        t.append(
          `${BENCH}/bench_frame.py`,
          '\n\nclass Filter:\n    def setup(self):\n        self.frame = _frame(100_000, 9)\n        self.mask = self.frame.column("value") > 0\n\n    def time_filter(self):\n        self.frame.filter(self.mask)\n',
        );
      }),
    },
    34: {
      author: 'asouza',
      mergedBy: 'praman',
      branch: 'centroid-mean',
      body: 'Use `mean()` of the coordinate arrays instead of summing in a Python loop.',
      steps: oneStep('Compute centroids without a Python loop', (t) => {
        t.setDef(
          GEOMETRY,
          'centroid',
          code`
            def centroid(xs, ys):
                """Centroid (mean point) of the points (xs[i], ys[i])."""
                xs = np.asarray(xs, dtype=float)
                ys = np.asarray(ys, dtype=float)
                return float(xs.mean()), float(ys.mean())
          `,
        );
      }),
    },
    35: {
      author: 'mjohnson',
      mergedBy: 'praman',
      branch: 'column-validation',
      body: 'One helper raises the unknown-column error everywhere.',
      labels: ['maintenance'],
      steps: [
        {
          message: 'Add Frame._require',
          apply: (t) => {
            t.setMethod(
              FRAME,
              'Frame',
              '_require',
              code`
                def _require(self, name):
                    if name not in self._columns:
                        raise KeyError(f"unknown column {name!r}")
              `,
            );
            t.replace(
              FRAME,
              '        if name not in self._columns:\n            raise KeyError(f"unknown column {name!r}")\n        return self._columns[name]\n',
              '        self._require(name)\n        return self._columns[name]\n',
            );
          },
        },
        {
          message: 'Validate rename keys with _require',
          apply: (t) =>
            t.replace(
              FRAME,
              '        return Frame({mapping.get(name, name): values',
              '        for old in mapping:\n            self._require(old)\n        return Frame({mapping.get(name, name): values',
            ),
        },
      ],
    },
    36: {
      author: 'praman',
      mergedBy: 'mjohnson',
      branch: 'changelog-1.2',
      body: null,
      labels: ['docs'],
      steps: oneStep('docs: changelog for 1.2', (t) => {
        t.write(
          'CHANGELOG.md',
          '# Changelog\n\n## 1.2.0\n\n- Faster haversine, groupby_sum, polygon_area, take, sort_by, nearest, centroid.\n',
        );
      }),
    },
    37: {
      author: 'jberg',
      mergedBy: 'praman',
      branch: 'bbox-mask',
      body: 'Build the mask with four vectorised comparisons.',
      labels: ['performance'],
      steps: oneStep('Boolean mask for points_in_bbox', (t) => {
        t.setDef(
          GEOMETRY,
          'points_in_bbox',
          code`
            def points_in_bbox(xs, ys, bbox):
                """Boolean mask of the points inside \`\`bbox = (xmin, ymin, xmax, ymax)\`\` (edges included)."""
                xmin, ymin, xmax, ymax = bbox
                xs = np.asarray(xs, dtype=float)
                ys = np.asarray(ys, dtype=float)
                return (xs >= xmin) & (xs <= xmax) & (ys >= ymin) & (ys <= ymax)
          `,
        );
      }),
    },
    38: {
      author: 'wzhang',
      mergedBy: 'mjohnson',
      branch: 'haversine-matrix',
      body: 'Adds `geometry.haversine_matrix(lat, lon)`.',
      labels: ['enhancement'],
      steps: oneStep('Add haversine_matrix', (t) => {
        t.setDef(
          GEOMETRY,
          'haversine_matrix',
          code`
            def haversine_matrix(lat, lon):
                """Great-circle distances in km between every pair of points (degrees)."""
                lat = np.radians(np.asarray(lat, dtype=float))
                lon = np.radians(np.asarray(lon, dtype=float))
                dlat = lat[:, None] - lat[None, :]
                dlon = lon[:, None] - lon[None, :]
                a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
                return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
          `,
        );
        t.setDef(
          T_GEOMETRY,
          'test_haversine_matrix',
          code`
            def test_haversine_matrix():
                m = geometry.haversine_matrix([0.0, 0.0], [0.0, 1.0])
                assert abs(m[0, 1] - 111.19508) < 1e-3 and m[0, 0] == 0.0
          `,
        );
      }),
    },
    39: {
      author: 'anwosu',
      mergedBy: 'praman',
      branch: 'csv-blank-lines',
      body: 'A line with only spaces produced a row with a single empty cell and an IndexError.',
      labels: ['bug'],
      steps: oneStep('Ignore whitespace-only lines in read_csv_text', (t) => {
        t.replace(IO, 'text.strip().splitlines() if line]', 'text.strip().splitlines() if line.strip()]');
        t.setDef(
          T_IO,
          'test_blank_lines',
          code`
            def test_blank_lines():
                frame = io.read_csv_text("a\n1\n   \n2\n")
                assert frame.column("a").tolist() == [1.0, 2.0]
          `,
        );
      }),
    },
    40: {
      author: 'jberg',
      mergedBy: 'mjohnson',
      branch: 'tests-grid-bounds',
      body: null,
      labels: ['tests'],
      steps: oneStep('tests: GridIndex box edges', (t) => {
        t.setDef(
          T_INDEX,
          'test_query_edges',
          code`
            def test_query_edges():
                idx = GridIndex([2.0, 4.0], [2.0, 4.0], cell=2.0)
                assert idx.query((2.0, 2.0, 4.0, 4.0)) == [0, 1]
          `,
        );
      }),
    },
    41: {
      author: 'tokafor',
      mergedBy: 'praman',
      branch: 'typing-geometry',
      body: 'Type hints for the geometry module.',
      labels: ['typing'],
      steps: [
        {
          message: 'Annotate polygon_area and haversine',
          apply: (t) => {
            t.replace(
              GEOMETRY,
              'import numpy as np\n',
              'from typing import Tuple\n\nimport numpy as np\nfrom numpy.typing import ArrayLike\n',
            );
            t.replace(
              GEOMETRY,
              'def polygon_area(xs, ys):',
              'def polygon_area(xs: ArrayLike, ys: ArrayLike) -> float:',
            );
            t.replace(
              GEOMETRY,
              'def haversine(lat1, lon1, lat2, lon2):',
              'def haversine(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:',
            );
          },
        },
        {
          message: 'Annotate the remaining geometry functions',
          apply: (t) => {
            t.replace(
              GEOMETRY,
              'def points_in_bbox(xs, ys, bbox):',
              'def points_in_bbox(xs: ArrayLike, ys: ArrayLike, bbox: Tuple[float, float, float, float]) -> np.ndarray:',
            );
            t.replace(
              GEOMETRY,
              'def centroid(xs, ys):',
              'def centroid(xs: ArrayLike, ys: ArrayLike) -> Tuple[float, float]:',
            );
            t.replace(
              GEOMETRY,
              'def nearest(xs, ys, qx, qy):',
              'def nearest(xs: ArrayLike, ys: ArrayLike, qx: ArrayLike, qy: ArrayLike) -> np.ndarray:',
            );
            t.replace(
              GEOMETRY,
              'def bbox_of(xs, ys):',
              'def bbox_of(xs: ArrayLike, ys: ArrayLike) -> Tuple[float, float, float, float]:',
            );
          },
        },
      ],
    },
    42: {
      author: 'asouza',
      mergedBy: 'mjohnson',
      branch: 'concat',
      body: 'Adds `geoframe.frame.concat(frames)`.',
      labels: ['enhancement'],
      steps: oneStep('Add concat', (t) => {
        t.setDef(
          FRAME,
          'concat',
          code`
            def concat(frames):
                """Rows of all \`\`frames\`\` (same columns, in order) stacked."""
                frames = list(frames)
                if not frames:
                    return Frame({})
                names = frames[0].columns()
                return Frame({n: np.concatenate([f.column(n) for f in frames]) for n in names})
          `,
        );
        t.replace(INIT, 'from .frame import Frame\n', 'from .frame import Frame, concat\n');
        t.setDef(
          T_FRAME,
          'test_concat',
          code`
            def test_concat():
                from geoframe import concat

                assert len(concat([_frame(), _frame()])) == 8
          `,
        );
      }),
    },
    43: {
      author: 'praman',
      mergedBy: 'mjohnson',
      branch: 'docs-ci',
      body: 'Build the docs in CI.',
      steps: oneStep('Build docs in CI', (t) => {
        t.write(
          '.github/workflows/docs.yml',
          'name: docs\non: [push]\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: pip install mkdocs && mkdocs build\n',
        );
        t.write('docs/mkdocs.yml', 'site_name: geoframe\ndocs_dir: .\n');
      }),
    },
    44: {
      author: 'jberg',
      mergedBy: 'praman',
      branch: 'grid-count',
      body: 'Adds `GridIndex.count(bbox)`.',
      labels: ['enhancement'],
      steps: oneStep('Add GridIndex.count', (t) => {
        t.setMethod(
          INDEX,
          'GridIndex',
          'count',
          code`
            def count(self, bbox):
                """Number of points inside \`\`bbox\`\`."""
                return len(self.query(bbox))
          `,
        );
      }),
    },
    45: {
      author: 'mjohnson',
      mergedBy: 'praman',
      branch: 'names-property',
      body: '`Frame.names` is a property like in other libraries; `columns()` keeps working with a DeprecationWarning.',
      labels: ['maintenance'],
      steps: oneStep('Deprecate Frame.columns() in favour of Frame.names', (t) => {
        t.replace(
          FRAME,
          '"""A minimal column-oriented table backed by NumPy arrays."""\n\nimport numpy as np\n',
          '"""A minimal column-oriented table backed by NumPy arrays."""\n\nimport warnings\n\nimport numpy as np\n',
        );
        t.setMethod(
          FRAME,
          'Frame',
          'columns',
          code`
            def columns(self):
                """Deprecated: use :attr:\`names\`."""
                warnings.warn("Frame.columns() is deprecated, use Frame.names", DeprecationWarning, stacklevel=2)
                return self.names
          `,
        );
        t.setMethod(
          FRAME,
          'Frame',
          'names',
          code`
            @property
            def names(self):
                """Column names, in insertion order."""
                return list(self._columns)
          `,
        );
        t.replace(FRAME, '    names = frames[0].columns()\n', '    names = frames[0].names\n');
        t.replace(IO, '    names = frame.columns()\n', '    names = frame.names\n');
      }),
    },
    46: {
      author: 'wzhang',
      mergedBy: 'mjohnson',
      branch: 'signed-area',
      body: 'With `signed=True`, counter-clockwise rings have a positive area.',
      labels: ['enhancement'],
      steps: oneStep('Return signed area from polygon_area with signed=True', (t) => {
        t.replace(
          GEOMETRY,
          'def polygon_area(xs: ArrayLike, ys: ArrayLike) -> float:',
          'def polygon_area(xs: ArrayLike, ys: ArrayLike, signed: bool = False) -> float:',
        );
        t.replace(
          GEOMETRY,
          '    return float(abs(twice) / 2.0)\n',
          '    area = float(twice / 2.0)\n    return area if signed else abs(area)\n',
        );
        t.setDef(
          T_GEOMETRY,
          'test_signed_area',
          code`
            def test_signed_area():
                assert geometry.polygon_area([0.0, 0.0, 1.0], [0.0, 1.0, 0.0], signed=True) == -0.5
          `,
        );
      }),
    },
    47: {
      author: 'tokafor',
      mergedBy: 'praman',
      branch: 'docs-performance',
      body: null,
      labels: ['docs'],
      steps: oneStep('docs: performance tips', (t) => {
        t.write('docs/performance.md', '# Performance tips\n\nBuild a `GridIndex` once and query it many times.\n');
      }),
    },
    48: {
      author: 'staylor',
      mergedBy: 'mjohnson',
      branch: 'mask-length',
      body: 'A mask of the wrong length raised a confusing IndexError from NumPy.',
      labels: ['bug'],
      steps: oneStep('Raise a clear error for a mask of the wrong length', (t) => {
        t.replace(
          FRAME,
          '        mask = np.asarray(mask, dtype=bool)\n',
          '        mask = np.asarray(mask, dtype=bool)\n        if mask.shape != (len(self),):\n            raise ValueError(f"mask has {mask.size} values for {len(self)} rows")\n',
        );
      }),
    },
    49: {
      author: 'asouza',
      mergedBy: 'praman',
      branch: 'sort-descending',
      body: 'Adds `ascending=False` to `sort_by`.',
      labels: ['enhancement'],
      steps: oneStep('Support ascending=False in sort_by', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'sort_by',
          code`
            def sort_by(self, name, ascending=True):
                """Rows ordered by column \`\`name\`\` (stable for ascending numeric keys)."""
                values = self.column(name)
                if ascending:
                    return self.take(np.argsort(values, kind="stable"))
                if np.issubdtype(values.dtype, np.number):
                    return self.take(np.argsort(-values, kind="stable"))
                return self.take(np.argsort(values, kind="stable")[::-1])
          `,
        );
        t.setDef(
          T_FRAME,
          'test_sort_descending',
          code`
            def test_sort_descending():
                assert _frame().sort_by("v", ascending=False).column("v").tolist() == [4.0, 3.0, 2.0, 1.0]
          `,
        );
      }),
    },
    50: {
      author: 'wzhang',
      mergedBy: 'mjohnson',
      branch: 'unique',
      body: null,
      labels: ['enhancement'],
      steps: oneStep('Add Frame.unique', (t) => {
        t.setMethod(
          FRAME,
          'Frame',
          'unique',
          code`
            def unique(self, name):
                """Sorted distinct values of column \`\`name\`\`."""
                return np.unique(self.column(name))
          `,
        );
      }),
    },
    51: {
      author: 'mjohnson',
      mergedBy: 'praman',
      branch: 'validation-module',
      body: 'Moves length validation out of `frame.py`.',
      labels: ['maintenance'],
      steps: [
        {
          message: 'Add geoframe._validation',
          apply: (t) => {
            t.write(
              'geoframe/_validation.py',
              code`
                """Input validation shared by geoframe modules."""


                def check_same_length(columns):
                    """Raises ValueError unless every column has the same length."""
                    lengths = {len(values) for values in columns.values()}
                    if len(lengths) > 1:
                        raise ValueError("all columns must have the same length")
              `,
            );
            t.replace(
              FRAME,
              'import numpy as np\n',
              'import numpy as np\n\nfrom ._validation import check_same_length\n',
            );
            t.replace(
              FRAME,
              '        lengths = {len(values) for values in self._columns.values()}\n        if len(lengths) > 1:\n            raise ValueError("all columns must have the same length")\n',
              '        check_same_length(self._columns)\n',
            );
          },
        },
        {
          message: 'Test check_same_length',
          apply: (t) =>
            t.write(
              'tests/test_validation.py',
              code`
                from geoframe._validation import check_same_length


                def test_check_same_length():
                    check_same_length({"a": [1], "b": [2]})
                    try:
                        check_same_length({"a": [1], "b": []})
                    except ValueError:
                        return
                    raise AssertionError("expected ValueError")
              `,
            ),
        },
      ],
    },
    52: {
      author: 'anwosu',
      mergedBy: 'mjohnson',
      branch: 'ci-py313',
      body: null,
      labels: ['ci'],
      steps: oneStep('ci: Python 3.13', (t) => {
        t.replace('.github/workflows/ci.yml', 'python-version: "3.11"', 'python-version: "3.13"');
      }),
    },
    53: {
      author: 'mjohnson',
      mergedBy: 'praman',
      branch: 'start-1.4',
      body: null,
      steps: oneStep('Start 1.4.0 development', (t) => bumpVersion(t, '1.3.0', '1.4.0.dev0')),
    },
  },
};
