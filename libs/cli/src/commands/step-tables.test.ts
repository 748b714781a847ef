import { PIPELINE, type PipelineStep, type TableRef } from '@datasmith/paths';
import type { TableSpec } from '@datasmith/tables';
import { describe, expect, it } from 'vitest';
import { CLASSIFY_TABLES } from './classify';
import { COLLECT_TABLES } from './collect';
import { MERGE_TABLES } from './merge';
import { PREPARE_TABLES } from './prepare';
import { PUBLISH_TABLES } from './publish';
import { SCRAPE_REPOS_TABLES } from './scrape-repos';
import type { StepTables } from './step-runner';
import { SYNTHESIZE_TABLES } from './synthesize';
import { VERIFY_TABLES } from './verify';

/** The commands on the step runner, by step: each declares its tables with their schemas. */
const DECLARED: Partial<Record<PipelineStep, StepTables>> = {
  'scrape-repos': SCRAPE_REPOS_TABLES,
  collect: COLLECT_TABLES,
  prepare: PREPARE_TABLES,
  classify: CLASSIFY_TABLES,
  synthesize: SYNTHESIZE_TABLES,
  verify: VERIFY_TABLES,
  publish: PUBLISH_TABLES,
  merge: MERGE_TABLES,
};

const specKey = (spec: TableSpec) =>
  spec.location.kind === 'partition' ? `${spec.location.step}/${spec.location.table}` : spec.location.layout;
const refKey = (ref: TableRef) => ('table' in ref ? `${ref.step}/${ref.table}` : ref.layout);
/** The global files of the layout that are tables (the others are a CSV, a folder, a page). */
const GLOBAL_TABLES = new Set(['reposTable', 'masterTable']);
const tablesOf = (refs: readonly TableRef[]) =>
  refs.filter((ref) => 'table' in ref || GLOBAL_TABLES.has(ref.layout)).map(refKey);

describe("each command's tables", () => {
  it.each(Object.entries(DECLARED))('%s declares the tables of its PIPELINE entry', (step, tables) => {
    const definition = PIPELINE.find((s) => s.name === step);
    expect({
      reads: Object.values(tables?.reads ?? {}).map(specKey),
      writes: Object.values(tables?.writes ?? {}).map(specKey),
    }).toEqual({ reads: tablesOf(definition?.reads ?? []), writes: tablesOf(definition?.writes ?? []) });
  });
});
