import { describe, expect, it } from 'vitest';
import { type SessionStage, runStages, stageArgs, stageHeader } from './nx-session.cjs';

const month: SessionStage = {
  title: 'month 2024-01',
  command: 'run-many',
  targets: ['collect', 'prepare'],
  overrides: { month: '2024-01' },
  parallel: 2,
};

describe('nx-session stages', () => {
  it('prints the Nx command line each stage is equivalent to', () => {
    expect(stageArgs(month)).toEqual([
      'run-many',
      '-t',
      'collect',
      'prepare',
      '--month=2024-01',
      '--output-style=static',
      '--parallel=2',
    ]);
    const scrape: SessionStage = {
      title: 'scrape-repos',
      command: 'run',
      targets: ['scrape-repos'],
      projects: ['repos'],
      overrides: {},
    };
    expect(stageArgs(scrape)).toEqual(['run', 'repos:scrape-repos', '--output-style=static']);
    expect(stageArgs({ ...month, projects: ['a', 'b'], parallel: undefined })).toEqual([
      'run-many',
      '-t',
      'collect',
      'prepare',
      '-p',
      'a,b',
      '--month=2024-01',
      '--output-style=static',
    ]);
    expect(stageHeader(month)).toBe(
      '\n=== month 2024-01: nx run-many -t collect prepare --month=2024-01 --output-style=static --parallel=2\n',
    );
  });

  it('refuses an `nx run` stage without exactly one project and one target, before running anything', async () => {
    const bad: SessionStage = { title: 'bad', command: 'run', targets: ['a', 'b'], projects: ['p'], overrides: {} };
    expect(() => stageArgs(bad)).toThrow(/one project and one target/);
    const written: string[] = [];
    await expect(runStages('/nonexistent', [month, bad], (t) => written.push(t))).rejects.toThrow(/stage bad/);
    expect(written).toEqual([]);
  });
});
