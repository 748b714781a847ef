import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FixtureRepo } from '@datasmith/git/testing';
import { asvFixtureFiles } from '@datasmith/steps/testing';
import { SynthesizeInputRow, VerifiedRow, VerifyResult, readTable, writeTable } from '@datasmith/tables';
import { describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../bin/datasmith.js');

describe('datasmith verify (CLI, no engine)', () => {
  it('documents its flags', () => {
    const help = spawnSync(process.execPath, [CLI, 'verify', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const flag of ['--in', '--contexts', '--store', '--out-dir', '--repo', '--month', '--out-root', '--factor']) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toContain('--cpuset-cpus');
    expect(help.stdout).toContain('--verify-minutes');
  });

  it.each([
    [['--factor', '0.5'], 'Invalid --factor'],
    [['--max-foreign-share', '1.5'], 'Invalid --max-foreign-share: "1.5"; expected a number from 0 to 1'],
    [['--untraced-factor', '0.9'], 'Invalid --untraced-factor: "0.9"; expected a number >= 1'],
  ])('refuses %j in one line', (flag, message) => {
    const root = mkdtempSync(join(tmpdir(), 'ds-verify-cli-'));
    const r = spawnSync(process.execPath, [CLI, 'verify', '--in', 'x', '--contexts', 'y', '--out-dir', 'o', ...flag], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('partition mode: a task without a validated image is a row, not verified, with its reason', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-verify-cli-'));
    const repo = new FixtureRepo(join(root, 'work'));
    const base = repo.commit(asvFixtureFiles(), 'initial', '2024-01-02T00:00:00Z');
    const landed = repo.commit(
      { 'fastmath/core.py': 'def total(xs):\n    return sum(xs)\n' },
      'faster',
      '2024-01-03T00:00:00Z',
    );
    repo.mirrorTo(join(root, 'store', 'demo-org', 'fastmath.git'));
    const rows: SynthesizeInputRow[] = [
      {
        repo_name: 'demo-org/fastmath',
        pr_number: 1,
        sha: landed,
        pr_base_sha: base,
        pr_merged_at: '2024-01-03T00:00:00Z',
      },
    ];
    await writeTable(
      join(root, 'data', 'classify', 'demo-org__fastmath', '2024-01', 'perf.parquet'),
      SynthesizeInputRow,
      rows,
      ['pr_number'],
    );
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${join(root, 'none.sock')}` };
    const r = spawnSync(
      process.execPath,
      [CLI, 'verify', '--repo', 'demo-org/fastmath', '--month', '2024-01', '--store', 'store', '--json'],
      { cwd: root, encoding: 'utf8', env },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toMatchObject({
      step: 'verify',
      kept: 0,
      dropped: 1,
      reasons: { no_validated_image: 1 },
      verified: 0,
    });
    const out = join(root, 'data', 'verify', 'demo-org__fastmath', '2024-01');
    const lines = readFileSync(join(out, 'verify.jsonl'), 'utf8').trim().split('\n');
    const row = VerifyResult.parse(JSON.parse(lines[0] ?? '{}'));
    expect(row).toMatchObject({
      sha: landed,
      pr_merge_commit_sha: landed,
      verified: false,
      reason: 'no_validated_image',
    });
    expect(await readTable(join(out, 'verified.parquet'), VerifiedRow)).toMatchObject([
      { pr_merge_commit_sha: landed, verified: false, verify_reason: 'no_validated_image', speedup: null },
    ]);
  });
});
