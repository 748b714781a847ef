import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { registerCollect } from './collect';
import { registerScrapeRepos } from './scrape-repos';

/** A command module: declares its name, flags and help, and calls one step function. */
export type RegisterCommand = (program: Command, context: () => CommandContext) => void;

const COMMANDS: RegisterCommand[] = [registerScrapeRepos, registerCollect];

/** Adds every command to the program. */
export function registerCommands(program: Command, context: () => CommandContext): void {
  for (const register of COMMANDS) register(program, context);
}
