import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { type DatasmithConfig, configPath, loadConfig } from '@datasmith/config';
import { ConfigError } from '@datasmith/errors';
import { parseRepoName } from '@datasmith/paths';
import { parseRepoListCsv } from '@datasmith/store';

/** What the plugin knows about the workspace: the chosen config and the repositories it names. */
export interface PluginWorkspace {
  /** The config file, workspace-relative with `/` (absolute when it lies outside the workspace). */
  configFile: string;
  /** True when {@link configFile} is inside the workspace, so an Nx `json` input can name it. */
  configInWorkspace: boolean;
  config: DatasmithConfig;
  /** `owner/name`, in list order, without duplicates. */
  repos: string[];
  /** The list file read (workspace-relative), or null for an inline list. */
  reposFile: string | null;
  /** The offline store as the commands receive it (workspace-relative or absolute), or null. */
  store: string | null;
  /** The output root, workspace-relative with `/` and no trailing slash (Nx caches only inside the workspace). */
  outputRoot: string;
}

/** `a\b/./c/` → `a/b/c`, relative to the workspace when inside it. */
function workspacePath(workspaceRoot: string, path: string): { path: string; inside: boolean } {
  const abs = resolve(workspaceRoot, path);
  const rel = relative(workspaceRoot, abs);
  const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  return { path: inside ? rel.split(sep).join('/') : abs, inside };
}

/**
 * Reads the config chosen by `DATASMITH_CONFIG` (default `datasmith.config.json`, relative to the
 * workspace) and the repository list it names. The list may be git-ignored and may not exist yet
 * (then there are no repositories). A `repos.parquet` list is read through the `repos.csv` that
 * scrape-repos writes beside it, because the plugin must stay free of DuckDB.
 */
export function readPluginWorkspace(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): PluginWorkspace {
  const file = configPath(workspaceRoot, env);
  const { config } = loadConfig(file);
  const configRef = workspacePath(workspaceRoot, file);

  const output = workspacePath(workspaceRoot, config.outputRoot);
  if (!output.inside) {
    throw new ConfigError(
      `Invalid config ${file}: outputRoot: ${JSON.stringify(config.outputRoot)} is outside the workspace; Nx caches only workspace files, so use a folder such as "data"`,
      { file },
    );
  }

  let repos: string[];
  let reposFile: string | null = null;
  // `datasmith update --repos FILE` (the original's flag) overrides the config's list.
  const repoList = env.DATASMITH_REPOS ? { file: env.DATASMITH_REPOS } : config.repos;
  if (Array.isArray(repoList)) {
    repos = repoList.map((name, i) => parseRepoName(name, `repos[${i}] in ${file}`).full);
  } else {
    const listed = repoList.file.endsWith('.parquet') ? repoList.file.replace(/\.parquet$/, '.csv') : repoList.file;
    reposFile = workspacePath(workspaceRoot, listed).path;
    const abs = resolve(workspaceRoot, listed);
    repos = existsSync(abs) ? parseRepoListCsv(readFileSync(abs, 'utf8'), reposFile).map((r) => r.repo_name) : [];
  }

  // GitHub names are case-insensitive: two spellings would give two projects writing one folder.
  const seen = new Set<string>();
  const unique = repos.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });

  return {
    configFile: configRef.path,
    configInWorkspace: configRef.inside,
    config,
    repos: unique,
    reposFile,
    store: config.source === 'store' && config.store ? workspacePath(workspaceRoot, config.store).path : null,
    outputRoot: output.path,
  };
}
