import { stringify } from 'yaml';

/** One config of a Hub dataset: a name and its single train file. */
export interface CardConfig {
  name: string;
  /** `<config>/train-00000-of-00001.parquet` */
  path: string;
  rows: number;
  /** What the config holds, for the card's table. */
  description: string;
}

export interface DatasetCardOptions {
  /** `formulacode/formulacode-all`-style id used in the loading example. Default `<namespace>/<name>`. */
  repoId?: string;
  configs: readonly CardConfig[];
  /** Name of the default config. Default `default`. */
  defaultConfig?: string;
  /** Columns and their meaning, listed in the card. */
  columns?: ReadonlyArray<[string, string]>;
}

/** The file of a config: `<config>/train-00000-of-00001.parquet`. */
export function configDataPath(config: string): string {
  return `${config}/train-00000-of-00001.parquet`;
}

/** The Hub's size bucket for a row count (`n<1K`, `1K<n<10K`, …). */
export function sizeCategory(rows: number): string {
  if (rows < 1_000) return 'n<1K';
  if (rows < 10_000) return '1K<n<10K';
  if (rows < 100_000) return '10K<n<100K';
  if (rows < 1_000_000) return '100K<n<1M';
  return '1M<n<10M';
}

/**
 * The dataset card `README.md`: YAML front matter listing every config with its data file (the
 * layout the original published, reference §10) followed by a Markdown description. Deterministic:
 * the same configs give the same bytes.
 */
export function renderDatasetCard(options: DatasetCardOptions): string {
  const defaultConfig = options.defaultConfig ?? 'default';
  const total = options.configs.find((c) => c.name === defaultConfig)?.rows ?? 0;
  const months = options.configs.filter((c) => /^\d{4}-\d{2}$/.test(c.name));
  const frontMatter = {
    configs: options.configs.map((c) => ({
      config_name: c.name,
      data_files: [{ split: 'train', path: c.path }],
    })),
    default_config_name: defaultConfig,
    task_categories: ['text-generation'],
    tags: ['code', 'performance-optimization', 'benchmark'],
    language: ['en'],
    size_categories: [sizeCategory(total)],
  };
  const repoId = options.repoId ?? 'formulacode/formulacode-all';
  const table = [
    '| config | contents | rows |',
    '|---|---|---|',
    ...options.configs.map((c) => `| ${c.name} | ${c.description} | ${c.rows} |`),
  ];
  const columns = (options.columns ?? []).map(([name, text]) => `- \`${name}\`: ${text}`);
  return [
    '---',
    stringify(frontMatter, { lineWidth: 0 }).trimEnd(),
    '---',
    '',
    '# FormulaCode tasks',
    '',
    'Performance-optimisation tasks mined from merged pull requests of Python projects with ASV benchmarks.',
    'Each task is a repository at a base commit, the merged change that made it faster, a problem statement',
    'and a Docker image in which the repository builds and its benchmarks run at the base commit.',
    '',
    `${total} tasks in total, ${months.length} monthly config${months.length === 1 ? '' : 's'}.`,
    '',
    '## Configs',
    '',
    ...table,
    '',
    '## Loading',
    '',
    '```python',
    'from datasets import load_dataset',
    '',
    `ds = load_dataset("${repoId}", "${defaultConfig}")  # or a month such as "${months[0]?.name ?? '2024-01'}"`,
    '```',
    '',
    '## Columns',
    '',
    ...(columns.length ? columns : ['See the Parquet schema.']),
    '',
    'Task ids look like `pandas_dev-pandas_50643` (owner and repository split by the original heuristic, then the',
    'pull request number); `container_name` is `<owner>-<repo>-<base sha>:final` and `image_digest` pins the image.',
    '',
  ].join('\n');
}
