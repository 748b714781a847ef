import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from './commands/index';
import { buildProgram, commandsToLoad } from './main';

const names = (program: Command) => program.commands.map((command) => command.name());

describe('which commands a start loads', () => {
  // commandsToLoad reads only the program's global options.
  let bare: Command;

  beforeAll(async () => {
    bare = await buildProgram();
  });

  it('loads only the command argv runs, after any global options', () => {
    expect(commandsToLoad(bare, ['prepare', '--in', 'commits.parquet'])).toEqual(['prepare']);
    expect(commandsToLoad(bare, ['--verbose', 'classify', '--help'])).toEqual(['classify']);
    expect(commandsToLoad(bare, ['--tokens-env', 'prepare', 'collect'])).toEqual(['collect']);
    expect(commandsToLoad(bare, ['--tokens-env=my.env', 'config', 'print'])).toEqual(['config']);
  });

  it('loads every command for the full help, `help <command>`, an unknown command or option', () => {
    for (const argv of [[], ['--help'], ['-h'], ['help', 'prepare'], ['prep'], ['--bogus', 'prepare'], ['--verbose']]) {
      expect(commandsToLoad(bare, argv), argv.join(' ')).toEqual(COMMAND_NAMES);
    }
  });

  it('registers nothing but the command that runs', async () => {
    expect(names(await buildProgram(['prepare', '--in', 'commits.parquet']))).toEqual(['prepare']);
    expect(names(await buildProgram(['--help']))).toEqual(COMMAND_NAMES);
    expect(names(await buildProgram())).toEqual(COMMAND_NAMES);
  });

  it.each(COMMAND_NAMES)('gives %s the same flags and help alone as among every command', async (name) => {
    const alone = (await buildProgram([name])).commands[0]!;
    const among = (await buildProgram()).commands.find((command) => command.name() === name)!;
    expect(alone.name()).toBe(name);
    expect(alone.helpInformation()).toBe(among.helpInformation());
    expect(alone.commands.map((sub) => sub.helpInformation())).toEqual(
      among.commands.map((sub) => sub.helpInformation()),
    );
  });
});
