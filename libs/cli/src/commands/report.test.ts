import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataLayout } from '@datasmith/paths';
import { CommitRow, TABLE_KEYS, writeTable } from '@datasmith/tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, testCommit } from './cli-test-helpers';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-report-cli-'));
  const layout = dataLayout(join(dir, 'data'));
  const rows = [
    testCommit('Speed up the reducer'),
    testCommit('Fix the docs', '', { kept: false, drop_reason: 'docs_only' }),
    testCommit('Fix a test', '', { kept: false, drop_reason: 'tests_only' }),
  ];
  await writeTable(
    layout.tablePath('collect', 'acme/widgets', '2024-05', 'commits'),
    CommitRow,
    rows,
    TABLE_KEYS.commits,
  );
});

describe('datasmith report', () => {
  it('writes <out-root>/report/index.html (the Nx target) with inline SVG and prints the summary', async () => {
    const run = await runCli(['report', '--out-root', 'data'], { cwd: dir });
    expect(run.stderr).toContain('report: 1 months, 1 repositories; wrote data/report/index.html');
    expect(run.code).toBe(0);
    // Stages after collect have no partition: every kept PR stops there as not_run.
    expect(run.stdout.trim()).toBe('report: kept 0, dropped 3 (docs_only: 1, not_run: 1, tests_only: 1)');
    const html = await readFile(join(dir, 'data', 'report', 'index.html'), 'utf8');
    expect(html).toMatch(/<svg [^>]*>/);
    expect(html).toContain('aria-label="2024-05 merged PRs: 3"');
    expect(html).toContain('aria-label="2024-05 dropped before collected, docs_only: 1"');
  });

  it('reads --data and writes --out', async () => {
    const run = await runCli(['report', '--data', 'data/', '--out', 'elsewhere/page.html', '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { kept: number; dropped: number; out: string; months: string[] };
    expect(summary).toMatchObject({ kept: 0, dropped: 3, out: 'elsewhere/page.html', months: ['2024-05'] });
    expect(await readFile(join(dir, 'elsewhere', 'page.html'), 'utf8')).toBe(
      await readFile(join(dir, 'data', 'report', 'index.html'), 'utf8'),
    );
  });

  it('fails in one line when the data root does not exist', async () => {
    const run = await runCli(['report', '--data', 'nowhere', '--out', 'x.html'], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe('datasmith report: Missing input: the data root nowhere does not exist');
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });
});
