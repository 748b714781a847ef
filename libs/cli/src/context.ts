import { resolve } from 'node:path';
import { loadTokensEnv, secretValues } from '@datasmith/config';
import { type Logger, createConsoleLogger } from '@datasmith/progress';

/** What every command receives: the environment (tokens.env merged), a redacting logger and stdout. */
export interface CommandContext {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Writes machine-readable or final output to stdout. */
  print(text: string): void;
  /** The workspace (current directory). */
  cwd: string;
  verbose: boolean;
}

export interface GlobalOptions {
  verbose?: boolean;
  tokensEnv?: string;
}

/** Builds the context once per invocation. */
export function createContext(options: GlobalOptions): CommandContext {
  const cwd = process.cwd();
  const env = loadTokensEnv(resolve(cwd, options.tokensEnv ?? process.env.DATASMITH_TOKENS_ENV ?? 'tokens.env'));
  const verbose = Boolean(options.verbose);
  const log = createConsoleLogger({ verbose, secrets: secretValues(env) });
  return { env, log, cwd, verbose, print: (text) => process.stdout.write(`${text}\n`) };
}
