import { redactSecrets } from '@datasmith/errors';

/** The only way libraries print: injected, so tests capture it and the CLI redacts it. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ConsoleLoggerOptions {
  /** Print debug lines. Default false. */
  verbose?: boolean;
  /** Secret values to mask in every line, besides token-shaped strings. */
  secrets?: readonly string[];
  stream?: NodeJS.WritableStream;
}

/** A logger that writes redacted lines to stderr (stdout is kept for `--json` output). */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const secrets = options.secrets ?? [];
  const write = (prefix: string, message: string) => stream.write(`${prefix}${redactSecrets(message, secrets)}\n`);
  return {
    debug: (m) => {
      if (options.verbose) write('debug: ', m);
    },
    info: (m) => write('', m),
    warn: (m) => write('warning: ', m),
    error: (m) => write('error: ', m),
  };
}

/** A logger that keeps lines in memory (tests). */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug: ${m}`),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

/** A logger that prints nothing. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
