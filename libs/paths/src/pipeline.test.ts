import { describe, expect, it } from 'vitest';
import { PARTITIONED_STEPS, type PartitionedStep, STEP_TABLES } from './layout';
import { GLOBAL_STEPS, PIPELINE, pipelineStages } from './pipeline';

describe('PIPELINE', () => {
  it('holds every step once: the partitioned ones in the layout order, every global one', () => {
    expect(PIPELINE.filter((s) => s.partition === 'repository-month').map((s) => s.name)).toEqual([
      ...PARTITIONED_STEPS,
    ]);
    expect(
      PIPELINE.filter((s) => s.partition === 'global')
        .map((s) => s.name)
        .sort(),
    ).toEqual([...GLOBAL_STEPS].sort());
    expect(new Set(PIPELINE.map((s) => s.name)).size).toBe(PIPELINE.length);
    for (const step of PARTITIONED_STEPS) expect(STEP_TABLES[step].length).toBeGreaterThan(0);
  });

  it('runs scrape-repos before the months and merge, dataset, report after them', () => {
    expect(pipelineStages()).toEqual({
      before: ['scrape-repos'],
      perMonth: ['collect', 'prepare', 'classify', 'synthesize', 'verify', 'publish'],
      after: ['merge', 'dataset', 'report'],
    });
  });

  it('gives a global step a project and a partitioned one none', () => {
    for (const step of PIPELINE) expect(step.project === null).toBe(step.partition === 'repository-month');
  });
});

describe('the tables of each step', () => {
  const writers = new Map(
    PIPELINE.flatMap((s) => s.writes.map((t) => ['table' in t ? `${t.step}/${t.table}` : t.layout, s.name] as const)),
  );

  it('a partitioned step writes exactly its layout tables', () => {
    for (const step of PIPELINE.filter((s) => s.partition === 'repository-month')) {
      expect(step.writes).toEqual(
        STEP_TABLES[step.name as PartitionedStep].map((table) => ({ step: step.name, table })),
      );
    }
  });

  it('every table a step reads is written by a step before it, and each table has one writer', () => {
    expect(writers.size).toBe(PIPELINE.flatMap((s) => s.writes).length);
    PIPELINE.forEach((step, index) => {
      for (const table of step.reads) {
        const key = 'table' in table ? `${table.step}/${table.table}` : table.layout;
        const writer = writers.get(key);
        expect(writer, `${step.name} reads ${key}`).toBe(table.step);
        expect(
          PIPELINE.findIndex((s) => s.name === writer),
          `${step.name} reads ${key}`,
        ).toBeLessThan(index);
      }
    });
  });
});
