import { describe, expect, it } from 'vitest';
import { PARTITIONED_STEPS, STEP_TABLES } from './layout';
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
