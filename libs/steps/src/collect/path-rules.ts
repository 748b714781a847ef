import type { DropReason } from '@datasmith/tables';

/** The kind of a changed path: code, or one of the non-code kinds that alone never make a task. */
export type PathKind = 'code' | 'docs' | 'tests' | 'benchmarks' | 'ci' | 'examples';

const DIR_KINDS: Record<string, PathKind> = {
  doc: 'docs',
  docs: 'docs',
  test: 'tests',
  tests: 'tests',
  benchmark: 'benchmarks',
  benchmarks: 'benchmarks',
  example: 'examples',
  examples: 'examples',
  '.github': 'ci',
  '.circleci': 'ci',
};

const CI_FILES = new Set(['azure-pipelines.yml', '.pre-commit-config.yaml', 'tox.ini']);

/**
 * Classifies one changed path (spec §6 Filtering): non-code only when it lies under a
 * test(s)/doc(s)/example(s)/benchmark(s)/.github/.circleci directory or is a doc or CI file.
 * `__init__.py`, `pyproject.toml`, `setup.py`, `setup.cfg`, `meson.build` and build folders are code.
 */
export function classifyPath(path: string): PathKind {
  const parts = path.split('/');
  const file = parts[parts.length - 1] ?? '';
  for (const dir of parts.slice(0, -1)) {
    const kind = DIR_KINDS[dir.toLowerCase()];
    if (kind) return kind;
  }
  const lower = file.toLowerCase();
  if (CI_FILES.has(lower)) return 'ci';
  if (lower.endsWith('.md') || lower.endsWith('.rst')) return 'docs';
  if (/^requirements-docs.*\.txt$/.test(lower) || file === 'MANIFEST.in' || /^changelog/i.test(file)) return 'docs';
  return 'code';
}

const ONLY_REASON: Record<Exclude<PathKind, 'code'>, DropReason> = {
  docs: 'docs_only',
  tests: 'tests_only',
  benchmarks: 'benchmarks_only',
  ci: 'ci_only',
  examples: 'examples_only',
};

/** The drop reason for a set of changed paths, or null when at least one path is code. */
export function nonCodeDropReason(paths: readonly string[]): DropReason | null {
  if (paths.length === 0) return 'empty_change';
  const kinds = new Set<PathKind>();
  for (const path of paths) {
    const kind = classifyPath(path);
    if (kind === 'code') return null;
    kinds.add(kind);
  }
  if (kinds.size === 1) return ONLY_REASON[[...kinds][0] as Exclude<PathKind, 'code'>];
  return 'non_code_only';
}

/** True for a file name that marks an ASV configuration (`asv.conf.json`, `asv.ci.conf.json`, ...). */
export function isAsvConfig(path: string): boolean {
  const file = path.slice(path.lastIndexOf('/') + 1);
  return /^asv\..*\.json$/.test(file) || file === 'asv.json';
}
