import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type DatasmithConfig, type LoadedConfig, configPath, loadConfig, secretValues } from '@datasmith/config';
import { redactSecrets, redactUrl } from '@datasmith/errors';
import { parseRepoName } from '@datasmith/paths';
import { parseRepoListCsv } from '@datasmith/store';

/** The config file a command uses: `--config`, else `DATASMITH_CONFIG`, else `datasmith.config.json`. */
export function chosenConfigFile(cwd: string, env: NodeJS.ProcessEnv, flag?: string): string {
  if (flag) return isAbsolute(flag) ? flag : resolve(cwd, flag);
  return configPath(cwd, env);
}

/** Loads the chosen config (throws ConfigError). */
export function loadChosenConfig(cwd: string, env: NodeJS.ProcessEnv, flag?: string): LoadedConfig {
  return loadConfig(chosenConfigFile(cwd, env, flag));
}

/** The repository list the Nx graph is built from, or null when its file does not exist yet. */
export interface ListedRepos {
  /** `owner/name`, deduplicated case-insensitively; null when the list file is missing. */
  repos: string[] | null;
  /** Where the list came from, for messages: `inline`, a file, or `DATASMITH_REPOS=<file>`. */
  source: string;
}

/**
 * The repositories of the graph, read as the Nx plugin reads them: `DATASMITH_REPOS` (set by
 * `datasmith update --repos`) over the config's list; a `repos.parquet` list is read through the
 * `repos.csv` scrape-repos writes beside it.
 */
export function listedRepos(cwd: string, config: DatasmithConfig, env: NodeJS.ProcessEnv): ListedRepos {
  const list = env.DATASMITH_REPOS ? { file: env.DATASMITH_REPOS } : config.repos;
  if (Array.isArray(list)) {
    return { repos: dedupe(list.map((name, i) => parseRepoName(name, `repos[${i}]`).full)), source: 'inline' };
  }
  const file = list.file.endsWith('.parquet') ? list.file.replace(/\.parquet$/, '.csv') : list.file;
  const abs = resolve(cwd, file);
  const source = env.DATASMITH_REPOS ? `DATASMITH_REPOS=${file}` : file;
  if (!existsSync(abs)) return { repos: null, source };
  return { repos: dedupe(parseRepoListCsv(readFileSync(abs, 'utf8'), file).map((r) => r.repo_name)), source };
}

function dedupe(repos: string[]): string[] {
  const seen = new Set<string>();
  return repos.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Variables shown by `config print` besides the original's names. */
const SHOWN_ENV = [
  'GITHUB_API_URL',
  'HF_ENDPOINT',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'NX_CACHE_DIRECTORY',
  'NX_SELF_HOSTED_REMOTE_CACHE_SERVER',
];

/** True for a variable whose value is a secret (the names secretValues redacts). */
export function isSecretName(name: string): boolean {
  return /TOKEN|API_KEY|PASSWORD|SECRET|ACCESS_KEY/i.test(name);
}

/**
 * The environment as `config print` shows it: every variable datasmith reads that is set, secrets
 * replaced by `***` (only whether they are set shows), URLs without credentials.
 */
export function shownEnvironment(env: NodeJS.ProcessEnv, known: readonly string[]): Record<string, string> {
  const names = [
    ...new Set([...known, ...SHOWN_ENV, ...Object.keys(env).filter((k) => k.startsWith('DATASMITH_'))]),
  ].sort();
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    out[name] = isSecretName(name) ? '***' : /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactUrl(value) : value;
  }
  return out;
}

/** Text safe to print: every secret value of `env` and every token-looking string replaced. */
export function redactForPrint(text: string, env: NodeJS.ProcessEnv): string {
  return redactSecrets(text, secretValues(env));
}
