import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEP_TABLES } from '@datasmith/paths';
import { describe, expect, it } from 'vitest';
import { CLASSIFIED_TABLE, PERF_TABLE, PREPARED_TABLE } from './classify-schemas';
import { readTable, stageFile, stageTable } from './parquet';
import { IMAGES_TABLE, MASTER_TABLE } from './publish-schemas';
import { COMMITS_TABLE, REPOS_TABLE } from './schemas';
import { CONTEXTS_TABLE } from './synthesize-schemas';
import type { TableSpec } from './table-spec';
import { VERIFIED_TABLE } from './verify-schemas';

const SPECS: TableSpec[] = [
  REPOS_TABLE,
  COMMITS_TABLE,
  PREPARED_TABLE,
  CLASSIFIED_TABLE,
  PERF_TABLE,
  CONTEXTS_TABLE,
  VERIFIED_TABLE,
  IMAGES_TABLE,
  MASTER_TABLE,
];

describe('table specs', () => {
  it.each(SPECS.map((s) => [s.name, s] as const))('%s sits in the layout and sorts by its own columns', (_, spec) => {
    if (spec.location.kind === 'partition') {
      expect(STEP_TABLES[spec.location.step] as readonly string[]).toContain(spec.location.table);
      expect(spec.location.table).toBe(spec.name);
    }
    expect(spec.keys.filter((k) => !(k in spec.schema.shape))).toEqual([]);
  });

  it('covers every partitioned table of the layout', () => {
    const declared = SPECS.flatMap((s) => (s.location.kind === 'partition' ? [`${s.location.step}/${s.name}`] : []));
    const layout = Object.entries(STEP_TABLES).flatMap(([step, tables]) => tables.map((t) => `${step}/${t}`));
    expect(declared.sort()).toEqual(layout.sort());
  });
});

describe('staged files', () => {
  const row = { repo_name: 'o/r', stars: 1, is_fork: false };

  it('are invisible until committed, then in place with nothing else left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-stage-'));
    const path = join(dir, 'sub', 't.parquet');
    const schema = REPOS_TABLE.schema.pick({ repo_name: true, stars: true, is_fork: true });
    const staged = await stageTable(path, schema, [row], ['repo_name']);
    expect(await readdir(join(dir, 'sub'))).toEqual([expect.stringMatching(/^\.t\.parquet\..*\.tmp$/)]);
    await staged.commit();
    expect(await readdir(join(dir, 'sub'))).toEqual(['t.parquet']);
    expect(await readTable(path, schema)).toEqual([row]);
  });

  it('leave the previous file untouched when discarded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-stage-'));
    const path = join(dir, 'page.html');
    await writeFile(path, 'old');
    const staged = await stageFile(path, 'new');
    await staged.discard();
    expect(await readdir(dir)).toEqual(['page.html']);
  });

  it('throw on a bad row before writing anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-stage-'));
    const schema = REPOS_TABLE.schema.pick({ repo_name: true, stars: true, is_fork: true });
    await expect(
      stageTable(join(dir, 't.parquet'), schema, [{ ...row, stars: 'many' }], ['repo_name']),
    ).rejects.toThrow(/^Invalid row: .*t\.parquet row 0, stars: /);
    expect(await readdir(dir)).toEqual([]);
  });
});
