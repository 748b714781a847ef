import { readFileSync } from 'node:fs';
import { ConfigError } from '@datasmith/errors';

/** Variables the original datasmith read from tokens.env; the same names work here. */
export const KNOWN_ENV_VARS = [
  'GH_TOKEN',
  'GH_TOKEN2',
  'GH_TOKENs',
  'GH_TOKENS',
  'CODECOV_TOKEN',
  'CACHE_LOCATION',
  'BACKUP_DIR',
  'DSPY_MODEL_NAME',
  'DSPY_URL',
  'DSPY_API_KEY',
  'DSPY_TEMPERATURE',
  'DSPY_MAX_TOKENS',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_MODEL',
  'DOCKERHUB_NAMESPACE',
  'DOCKERHUB_USERNAME',
  'DOCKERHUB_TOKEN',
  'DOCKERHUB_PASSWORD',
  'HF_TOKEN',
  'DOCKER_NETWORK_MODE',
  'DATASMITH_BASE_IMAGE',
] as const;

/** Parses `KEY=VALUE` lines: comments, `export`, single/double quotes and trailing `# comments`. */
export function parseEnvFile(text: string, file = 'tokens.env'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new ConfigError(`Invalid line in ${file}:${i + 1}: expected KEY=VALUE`, { file });
    const key = match[1] as string;
    let value = (match[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.indexOf(quote, 1) > 0) {
      value = value.slice(1, value.indexOf(quote, 1));
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    out[key] = value;
  }
  return out;
}

/**
 * Loads tokens.env into a new environment: the process environment wins over the file, as with the
 * original's `setup_environment()`. A missing file is not an error.
 */
export function loadTokensEnv(file: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { ...env };
  }
  return { ...parseEnvFile(text, file), ...env };
}

/** Every GitHub token named by GH_TOKENS, GH_TOKENs (comma lists), GH_TOKEN and GH_TOKEN2, deduplicated. */
export function githubTokens(env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  for (const key of ['GH_TOKENS', 'GH_TOKENs', 'GH_TOKEN', 'GH_TOKEN2']) {
    for (const part of (env[key] ?? '').split(',')) {
      const token = part.trim();
      if (token && !found.includes(token)) found.push(token);
    }
  }
  return found;
}

/** Secret values present in an environment, for redaction. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const keys = Object.keys(env).filter((k) => /TOKEN|API_KEY|PASSWORD|SECRET/i.test(k));
  return [...new Set([...githubTokens(env), ...keys.map((k) => env[k] ?? '')])].filter((v) => v.length >= 4);
}
