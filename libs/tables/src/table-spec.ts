import type { PartitionedStep } from '@datasmith/paths';
import type { z } from 'zod';

type AnyObjectSchema = z.ZodObject<z.ZodRawShape>;

/**
 * Where a table lives in the data layout: one file per repository × month under the partitioned
 * step that writes it (`data/<step>/<owner>__<name>/<YYYY-MM>/<table>.parquet`), or one file of a
 * global step (a `DataLayout` member such as `masterTable`).
 */
export type TableLocation =
  | { kind: 'partition'; step: PartitionedStep; table: string }
  | { kind: 'global'; layout: 'reposTable' | 'masterTable' };

/**
 * A table as data: its name, where the layout puts it, the zod schema every row is validated
 * against on read and before write, and the sort key that makes equal inputs give equal bytes.
 */
export interface TableSpec<S extends AnyObjectSchema = AnyObjectSchema> {
  readonly name: string;
  readonly location: TableLocation;
  readonly schema: S;
  readonly keys: readonly string[];
}

/** A table written once per partition by `step` (its file is `<table>.parquet` in the partition folder). */
export function partitionTable<S extends AnyObjectSchema>(
  step: PartitionedStep,
  table: string,
  schema: S,
  keys: readonly string[],
): TableSpec<S> {
  return { name: table, location: { kind: 'partition', step, table }, schema, keys };
}

/** A table of a global step, at a fixed place of the layout. */
export function globalTable<S extends AnyObjectSchema>(
  name: string,
  layout: 'reposTable' | 'masterTable',
  schema: S,
  keys: readonly string[],
): TableSpec<S> {
  return { name, location: { kind: 'global', layout }, schema, keys };
}
