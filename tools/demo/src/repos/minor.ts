import type { RepoHistory } from '../history';
import { code } from '../tree';

/**
 * Small repositories that exist only for scrape-repos: a fork, an archived repository, one below
 * the star threshold and one whose ASV configuration was removed before its head. They have a
 * couple of direct commits and no PRs.
 */

function tinyPackage(name: string, withAsv: boolean): Record<string, string> {
  const files: Record<string, string> = {
    'README.md': `# ${name}\n`,
    'setup.py': `from setuptools import setup\n\nsetup(name="${name}", version="0.1", packages=["${name}"])\n`,
    [`${name}/__init__.py`]: `"""${name}."""\n\n__version__ = "0.1"\n`,
  };
  if (withAsv) {
    files['asv.conf.json'] = code`
      {
          "version": 1,
          "project": "${name}",
          "repo": ".",
          "environment_type": "virtualenv",
          "benchmark_dir": "benchmarks"
      }
    `;
    files['benchmarks/__init__.py'] = '';
    files['benchmarks/bench_import.py'] = `def time_import():\n    import ${name}  # noqa: F401\n`;
  }
  return files;
}

function tinyHistory(repo: string, name: string, at: string, by: RepoHistory['initial']['by']): RepoHistory {
  return {
    repo,
    defaultBranch: 'main',
    initial: { at, by, message: 'Initial commit', apply: (t) => t.writeAll(tinyPackage(name, true)) },
    direct: [],
    pulls: {},
  };
}

/** A fork of acme/fastmath (scrape-repos: repo_fork). */
export const forkHistory: RepoHistory = tinyHistory('mlopez/fastmath', 'fastmath', '2024-02-10T10:00:00Z', 'tokafor');
/** An archived repository (scrape-repos: repo_archived). */
export const archivedHistory: RepoHistory = tinyHistory(
  'oldlab/legacyplot',
  'legacyplot',
  '2021-05-03T10:00:00Z',
  'jberg',
);
/** A repository with 120 stars (scrape-repos: repo_below_min_stars). */
export const smallHistory: RepoHistory = tinyHistory('tinyco/smallsort', 'smallsort', '2023-06-01T10:00:00Z', 'wzhang');

/** ASV was configured once and removed later: no asv.*.json at the head of the default branch. */
export const noAsvHistory: RepoHistory = {
  repo: 'plainco/noasv',
  defaultBranch: 'main',
  initial: {
    at: '2023-03-01T10:00:00Z',
    by: 'dcohen',
    message: 'Initial commit',
    apply: (t) => t.writeAll(tinyPackage('noasv', true)),
  },
  direct: [
    {
      at: '2023-09-15T10:00:00Z',
      by: 'dcohen',
      message: 'Move benchmarks to a separate repository',
      apply: (t) => {
        t.delete('asv.conf.json');
        t.delete('benchmarks/__init__.py');
        t.delete('benchmarks/bench_import.py');
      },
    },
  ],
  pulls: {},
};
