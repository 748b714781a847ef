import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@datasmith/errors';
import type { RegistryEndpoint } from './reference';

/** Credentials for one registry. */
export interface RegistryCredentials {
  username: string;
  password: string;
  /** Where they came from, for messages (never the secret itself). */
  source: string;
}

/** The `authconfig` dockerode sends as `X-Registry-Auth`. */
export interface DockerAuthConfig {
  username?: string;
  password?: string;
  serveraddress: string;
}

export interface CredentialOptions {
  /** Explicit `--username` / `--password` (win over everything). */
  username?: string;
  password?: string;
  /** Environment: `DOCKERHUB_USERNAME` + `DOCKERHUB_TOKEN`/`DOCKERHUB_PASSWORD`, `DOCKER_CONFIG`, `HOME`. */
  env?: NodeJS.ProcessEnv;
  /** A Docker config file to read instead of `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfigFile?: string;
}

const DOCKER_HUB_KEYS = [
  'https://index.docker.io/v1/',
  'https://index.docker.io/v1',
  'index.docker.io',
  'docker.io',
  'https://registry-1.docker.io',
  'registry-1.docker.io',
];

/** The keys a Docker config's `auths` may use for a registry. */
function authKeys(registry: RegistryEndpoint): string[] {
  if (registry.dockerHub) return DOCKER_HUB_KEYS;
  return [registry.host, `http://${registry.host}`, `https://${registry.host}`, registry.apiBase];
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Reads credentials for `registry` from a Docker config file (base64 `user:pass` or fields); null if none. */
export function credentialsFromDockerConfig(registry: RegistryEndpoint, file: string): RegistryCredentials | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let config: DockerConfigFile;
  try {
    config = JSON.parse(text) as DockerConfigFile;
  } catch {
    throw new ConfigError(`Invalid Docker config ${file}: not JSON`, { file });
  }
  for (const key of authKeys(registry)) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.username && entry.password) {
      return { username: entry.username, password: entry.password, source: `${file} (${key})` };
    }
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: `${file} (${key})` };
      }
    }
  }
  return null;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function defaultDockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME ?? homedir(), '.docker', 'config.json');
}

/**
 * Credentials in the original's order: explicit options, then `DOCKERHUB_USERNAME` with
 * `DOCKERHUB_TOKEN` (or `DOCKERHUB_PASSWORD`), then the Docker config file. Null means anonymous.
 */
export function resolveCredentials(
  registry: RegistryEndpoint,
  options: CredentialOptions = {},
): RegistryCredentials | null {
  const env = options.env ?? process.env;
  if (options.username && options.password) {
    return { username: options.username, password: options.password, source: '--username/--password' };
  }
  const username = options.username ?? env.DOCKERHUB_USERNAME;
  const password = options.password ?? env.DOCKERHUB_TOKEN ?? env.DOCKERHUB_PASSWORD;
  if (username && password) {
    return {
      username,
      password,
      source: env.DOCKERHUB_TOKEN ? 'DOCKERHUB_USERNAME/DOCKERHUB_TOKEN' : 'DOCKERHUB_USERNAME/DOCKERHUB_PASSWORD',
    };
  }
  return credentialsFromDockerConfig(registry, options.dockerConfigFile ?? defaultDockerConfigFile(env));
}

/** The dockerode `authconfig` for a push to `registry` (anonymous when no credentials). */
export function dockerAuthConfig(
  registry: RegistryEndpoint,
  credentials: RegistryCredentials | null,
): DockerAuthConfig {
  const serveraddress = registry.dockerHub ? 'https://index.docker.io/v1/' : registry.host;
  return credentials
    ? { username: credentials.username, password: credentials.password, serveraddress }
    : { serveraddress };
}
