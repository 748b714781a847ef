import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ProjectConfiguration } from '@nx/devkit';
import { minimatch } from 'minimatch';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatasmithProjects } from './index';

const WEIGHTS = 'libs/steps/src/prepare/learned-weights.json';
let root: string | undefined;

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Whether a target's file inputs cover a workspace path (the last matching pattern decides, as in Nx). */
function covers(inputs: readonly unknown[], path: string): boolean {
  let covered = false;
  for (const input of inputs) {
    if (typeof input !== 'string') continue;
    const negated = input.startsWith('!');
    const pattern = (negated ? input.slice(1) : input).replace('{workspaceRoot}/', '');
    if (minimatch(path, pattern, { dot: true })) covered = !negated;
  }
  return covered;
}

describe('the learned model in the target hashes', () => {
  it('is an input of prepare and classify (a model change recomputes them), not of collect', () => {
    expect(existsSync(resolve(import.meta.dirname, '../..', WEIGHTS))).toBe(true);
    root = mkdtempSync(join(tmpdir(), 'datasmith-learned-'));
    mkdirSync(join(root, 'data/config'), { recursive: true });
    writeFileSync(
      join(root, 'datasmith.config.json'),
      JSON.stringify({ source: 'store', store: 'data/store', repos: { file: 'data/config/repos.csv' } }),
    );
    writeFileSync(join(root, 'data/config/repos.csv'), 'repo_name\nnumpy/numpy\n');
    const projects = createDatasmithProjects(undefined, { workspaceRoot: root }, {}).projects as Record<
      string,
      ProjectConfiguration
    >;
    const repo = Object.values(projects).find((p) => p.name === 'repo-numpy__numpy');
    const inputs = (target: string) => (repo?.targets?.[target]?.inputs ?? []) as unknown[];
    expect(covers(inputs('classify'), WEIGHTS)).toBe(true);
    expect(covers(inputs('prepare'), WEIGHTS)).toBe(true);
    expect(covers(inputs('collect'), WEIGHTS)).toBe(false);
  });
});
