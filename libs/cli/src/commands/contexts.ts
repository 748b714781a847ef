import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, SchemaError } from '@datasmith/errors';
import { changeContextRegistry, mergeLegacy, readContextRegistry } from '@datasmith/steps/synthesize/registry';
import { exportRegistryV2, importRegistryV2, sortedJson } from '@datasmith/steps/synthesize/registry-v2';
import { writeFileAtomic } from '@datasmith/tables';
import type { RegisterCommand } from './index';

interface ContextsOptions {
  from?: string;
  to?: string;
  contexts?: string;
  contextRegistry?: string;
  json?: boolean;
}

function registryPath(options: ContextsOptions): string {
  const path = options.contexts ?? options.contextRegistry;
  if (!path) throw new InputError('Missing --contexts: give our context registry JSON file');
  return path;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`Unreadable file ${path}: ${(error as Error).message}`, { file: path });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SchemaError(`Invalid JSON: ${path} (${(error as Error).message})`, { file: path });
  }
}

/** `datasmith contexts import|export`: move contexts between our registry and the original's registry v2. */
export const registerContexts: RegisterCommand = (program, context) => {
  const contexts = program
    .command('contexts')
    .description("Import or export the original's context registry v2 (Python-repr keys) into or from ours");
  contexts
    .command('import')
    .description('Read an original registry v2 file into our registry (created when missing; our entries are kept)')
    .requiredOption('--from <file>', "the original's context registry JSON (version 2, old short keys too)")
    .option('--contexts <file>', 'our context registry JSON, updated atomically')
    .option('--context-registry <file>', 'alias of --contexts (original flag)')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  datasmith contexts import --from context_registry.json --contexts data/contexts.json',
    )
    .action(async (options: ContextsOptions) => {
      const ctx = context();
      const from = resolve(ctx.cwd, options.from as string);
      const target = resolve(ctx.cwd, registryPath(options));
      const { legacy, warnings } = importRegistryV2(await readJson(from), from);
      for (const warning of warnings) ctx.log.warn(`contexts import: ${warning}`);
      const registry = await changeContextRegistry(target, (r) => mergeLegacy(r, legacy));
      const imported = Object.keys(legacy.contexts).length;
      const summary = { imported, legacy_total: Object.keys(registry.legacy?.contexts ?? {}).length, warnings };
      if (options.json) ctx.print(JSON.stringify({ step: 'contexts import', ...summary }));
      else ctx.print(`contexts import: ${imported} contexts from ${options.from} into ${registryPath(options)}`);
    });
  contexts
    .command('export')
    .description(
      "Write our registry as the original's registry v2 (imported contexts as read, then our validated ones)",
    )
    .option('--contexts <file>', 'our context registry JSON')
    .option('--context-registry <file>', 'alias of --contexts (original flag)')
    .requiredOption('--to <file>', 'the v2 file to write (pretty-printed, keys sorted)')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  datasmith contexts export --contexts data/contexts.json --to context_registry.json',
    )
    .action(async (options: ContextsOptions) => {
      const ctx = context();
      const source = resolve(ctx.cwd, registryPath(options));
      const registry = await readContextRegistry(source);
      const exported = exportRegistryV2(registry);
      await writeFileAtomic(resolve(ctx.cwd, options.to as string), sortedJson(exported));
      const count = Object.keys(exported.contexts as object).length;
      if (options.json) ctx.print(JSON.stringify({ step: 'contexts export', exported: count }));
      else ctx.print(`contexts export: ${count} contexts to ${options.to}`);
    });
};
