import type { PipelineStep } from '@datasmith/paths';
import { describe, expect, it } from 'vitest';
import { type PlannedTask, markAfterEarlierStages } from './nx-plan';

const cached = (id: string): PlannedTask => ({ id, status: 'cached' });

describe('markAfterEarlierStages', () => {
  it('a global step reading a table of a step that would run in an earlier command runs after it', () => {
    const pending = new Set<PipelineStep>();
    const month = markAfterEarlierStages(
      [
        cached('repo-a__b:classify'),
        cached('repo-a__b:verify'),
        { id: 'repo-a__b:publish', status: 'run' },
        cached('repo-c__d:publish'),
      ],
      pending,
    );
    // Within one month Nx already knows; nothing of the month changes.
    expect(month.map((t) => t.status)).toEqual(['cached', 'cached', 'run', 'cached']);
    expect([...pending]).toEqual(['publish']);
    const global = markAfterEarlierStages(
      [cached('dataset:dataset'), cached('merge:merge'), cached('report:report')],
      pending,
    );
    // merge reads perf and verified (cached); dataset and report read publish's images.
    expect(global).toEqual([
      { id: 'dataset:dataset', status: 'after-upstream' },
      { id: 'merge:merge', status: 'cached' },
      { id: 'report:report', status: 'after-upstream' },
    ]);
  });

  it('follows global steps of the same command in pipeline order: classify pending → merge → dataset', () => {
    const pending = new Set<PipelineStep>(['classify']);
    const global = markAfterEarlierStages([cached('dataset:dataset'), cached('merge:merge')], pending);
    expect(global.map((t) => t.status)).toEqual(['after-upstream', 'after-upstream']);
  });

  it('leaves everything cached when nothing earlier would run', () => {
    const pending = new Set<PipelineStep>();
    const tasks = [cached('merge:merge'), cached('dataset:dataset'), cached('report:report')];
    expect(markAfterEarlierStages(tasks, pending)).toEqual(tasks);
  });
});
