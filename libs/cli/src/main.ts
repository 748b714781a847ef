import { Command, CommanderError } from 'commander';
import { isDatasmithError, redactSecrets } from '@datasmith/errors';
import { registerCommands } from './commands/index';
import { type GlobalOptions, createContext } from './context';

/** Builds the `datasmith` program; each command module adds itself. */
export function buildProgram(): Command {
  const program = new Command('datasmith')
    .description('Turn the history of Python projects with ASV benchmarks into performance-optimization tasks.')
    .option('--verbose', 'print debug lines and stack traces')
    .option('--tokens-env <file>', 'environment file with tokens (original names)', 'tokens.env')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program, () => createContext(program.opts<GlobalOptions>()));
  return program;
}

/** Runs the CLI and returns the exit code. The only place that decides exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const command = program.args[0] ?? '';
    const verbose = program.opts<GlobalOptions>().verbose;
    if (isDatasmithError(error)) {
      process.stderr.write(`datasmith ${command}: ${redactSecrets(error.message)}\n`);
      if (verbose && error.stack) process.stderr.write(`${redactSecrets(error.stack)}\n`);
      return error.exitCode ?? 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `datasmith ${command}: internal error: ${redactSecrets(message.split('\n')[0] ?? '')} (this should never happen; please open an issue with --verbose output)\n`,
    );
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${redactSecrets(error.stack)}\n`);
    return 70;
  }
}
