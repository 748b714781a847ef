import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { registerCollect } from './collect';
import { registerScrapeRepos } from './scrape-repos';
import { registerUpdate } from './update';
import { registerPrepare } from './prepare';
import { registerClassify } from './classify';
import { registerSynthesize } from './synthesize';
import { registerPublish } from './publish';
import { registerVerify } from './verify';
import { registerMerge } from './merge';
import { registerDataset } from './dataset';
import { registerReport } from './report';
import { registerExplain } from './explain';
import { registerDoctor } from './doctor';
import { registerConfig } from './config';
import { registerGc } from './gc';
import { registerContexts } from './contexts';

/** A command module: declares its name, flags and help, and calls one step function. */
export type RegisterCommand = (program: Command, context: () => CommandContext) => void;

const COMMANDS: RegisterCommand[] = [
  registerScrapeRepos,
  registerCollect,
  registerPrepare,
  registerClassify,
  registerSynthesize,
  registerVerify,
  registerPublish,
  registerMerge,
  registerDataset,
  registerReport,
  registerUpdate,
  registerExplain,
  registerDoctor,
  registerConfig,
  registerGc,
  registerContexts,
];

/** Adds every command to the program. */
export function registerCommands(program: Command, context: () => CommandContext): void {
  for (const register of COMMANDS) register(program, context);
}
