import { Command, CommanderError } from 'commander';
import { isDatasmithError, redactSecrets } from '@datasmith/errors';
import { COMMAND_NAMES, registerCommands } from './commands/index';
import { type GlobalOptions, createContext } from './context';

/**
 * Builds the `datasmith` program; each command module adds itself. Given the arguments, only the
 * command they run is loaded (see {@link commandsToLoad}).
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('datasmith')
    .description('Turn the history of Python projects with ASV benchmarks into performance-optimization tasks.')
    .option('--verbose', 'print debug lines and stack traces')
    .option('--tokens-env <file>', 'environment file with tokens (original names)', 'tokens.env')
    .showHelpAfterError()
    .exitOverride();
  const names = argv === undefined ? COMMAND_NAMES : commandsToLoad(program, argv);
  await registerCommands(program, () => createContext(program.opts<GlobalOptions>()), names);
  return program;
}

/**
 * The commands to register for `argv`: only the one it runs when its first word after the global
 * options names a command, else all of them, so that the full help, `help <command>` and
 * commander's errors and suggestions for an unknown command or option are unchanged.
 */
export function commandsToLoad(program: Command, argv: readonly string[]): readonly string[] {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return COMMAND_NAMES.includes(arg) ? [arg] : COMMAND_NAMES;
    const [flag, inlineValue] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const option = program.options.find((o) => o.long === flag || o.short === flag);
    if (!option) return COMMAND_NAMES;
    // A global option's value is the next word (commander takes an optional one unless it looks like a flag).
    const next = argv[i + 1];
    if (
      inlineValue === undefined &&
      (option.required || (option.optional && next !== undefined && !next.startsWith('-')))
    )
      i++;
  }
  return COMMAND_NAMES;
}

/** Runs the CLI and returns the exit code. The only place that decides exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
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
