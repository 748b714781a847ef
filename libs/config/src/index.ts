export type { DatasmithConfig, DatasmithConfigInput, LoadedConfig } from './config';
export { DatasmithConfigSchema, parseConfig, loadConfig, configPath, resolveFromWorkspace } from './config';
export { KNOWN_ENV_VARS, parseEnvFile, loadTokensEnv, githubTokens, secretValues } from './tokens';
