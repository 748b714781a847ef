import type { PipelineStep } from '@datasmith/paths';
import type { Command } from 'commander';
import type { CommandContext } from '../context';

/** A command module: declares its name, flags and help, and calls one step function. */
export type RegisterCommand = (program: Command, context: () => CommandContext) => void;

type CommandLoader = () => Promise<RegisterCommand>;

/**
 * The command that runs each pipeline step, in pipeline order: keyed by PIPELINE's names, so a step
 * added to PIPELINE without its command (or a command left behind by a removed step) does not type-check.
 * A module is imported only when its command runs (or for the full help): each one imports its step's
 * libraries, and Nx starts one CLI per target, so loading every step's code on each start multiplied.
 */
const STEP_COMMANDS = {
  'scrape-repos': async () => (await import('./scrape-repos')).registerScrapeRepos,
  collect: async () => (await import('./collect')).registerCollect,
  prepare: async () => (await import('./prepare')).registerPrepare,
  classify: async () => (await import('./classify')).registerClassify,
  synthesize: async () => (await import('./synthesize')).registerSynthesize,
  verify: async () => (await import('./verify')).registerVerify,
  publish: async () => (await import('./publish')).registerPublish,
  merge: async () => (await import('./merge')).registerMerge,
  dataset: async () => (await import('./dataset')).registerDataset,
  report: async () => (await import('./report')).registerReport,
} satisfies Record<PipelineStep, CommandLoader>;

/** The operator's commands around the pipeline, after the steps in help order. */
const OPERATOR_COMMANDS: Record<string, CommandLoader> = {
  update: async () => (await import('./update')).registerUpdate,
  explain: async () => (await import('./explain')).registerExplain,
  doctor: async () => (await import('./doctor')).registerDoctor,
  config: async () => (await import('./config')).registerConfig,
  gc: async () => (await import('./gc')).registerGc,
  contexts: async () => (await import('./contexts')).registerContexts,
};

/** Every command, in help order, and how to load the module that registers it. */
const COMMANDS: Record<string, CommandLoader> = { ...STEP_COMMANDS, ...OPERATOR_COMMANDS };

/** The top-level command names, in help order. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** Adds the named commands (default: every command) to the program, in help order. */
export async function registerCommands(
  program: Command,
  context: () => CommandContext,
  names: readonly string[] = COMMAND_NAMES,
): Promise<void> {
  const registers = await Promise.all(
    COMMAND_NAMES.filter((name) => names.includes(name)).map((name) => COMMANDS[name]!()),
  );
  for (const register of registers) register(program, context);
}
