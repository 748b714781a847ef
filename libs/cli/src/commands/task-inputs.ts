import { join } from 'node:path';
import { dataLayout } from '@datasmith/paths';
import { SynthesizeInputRow, type TableSpec } from '@datasmith/tables';
import type { FileBinding } from './step-runner';

// Inputs shared by the two commands that act on tasks (synthesize, verify); only they import this file,
// so no other step hashes it.
/**
 * The context registry synthesize writes and verify reads: `--contexts`, else DATASMITH_CONTEXTS (how
 * `datasmith update --context-registry FILE` reaches the Nx targets), else one per repository next to
 * its synthesize partitions.
 */
export function contextRegistryBinding(
  env: Readonly<Record<string, string | undefined>>,
  override: string | undefined,
  missing: string,
): FileBinding {
  return {
    override,
    partition: (p) =>
      env.DATASMITH_CONTEXTS ||
      join(dataLayout(p.outRoot).partitionDir('synthesize', p.repo, p.month.key), '..', 'context-registry.json'),
    missing,
  };
}

/**
 * The perf table synthesize and verify read their tasks from: in file mode any table with the task
 * columns will do, hence the narrower schema.
 */
export function perfTaskInput(table: TableSpec, file: string | undefined) {
  return {
    table: { ...table, schema: SynthesizeInputRow },
    file,
    missing: 'Missing --in: give the perf table (or --repo with --month)',
  };
}
