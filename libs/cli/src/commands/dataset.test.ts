import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeHub, startFakeHub } from '@datasmith/hub/testing';
import { masterRowFromPerf } from '@datasmith/steps';
import { imageRowFor, perfRow } from '@datasmith/steps/testing';
import { ImageRow, MasterRow, PUBLISH_TABLE_KEYS, queryRows, sqlLiteral, writeTable } from '@datasmith/tables';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-test-helpers';

const TOKEN = 'hf_faketoken0123456789abcdef';
let dir: string;
const hubs: FakeHub[] = [];

afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-dataset-cli-'));
  const rows = [
    perfRow('pandas-dev/pandas', 50643, '2024-01-10T00:00:00Z'),
    perfRow('o/r', 2, '2024-02-11T00:00:00Z'),
    perfRow('o/r', 3, '2024-03-01T00:00:00Z'),
  ];
  await writeTable(
    join(dir, 'master.parquet'),
    MasterRow,
    rows.map((r) => masterRowFromPerf(r, r.pr_merged_at.slice(0, 7))),
    PUBLISH_TABLE_KEYS.master,
  );
  await writeTable(
    join(dir, 'images.parquet'),
    ImageRow,
    rows.slice(0, 2).map((r) => imageRowFor(r)),
    PUBLISH_TABLE_KEYS.images,
  );
  await writeFile(join(dir, 'verified.json'), JSON.stringify({ [`('o/r', '${rows[1]?.pr_merge_commit_sha}')`]: true }));
});

function hubState(hub: FakeHub, repo: string): Record<string, string> {
  return Object.fromEntries(
    [...hub.files(repo).entries()].map(([p, f]) => [p, createHash('sha256').update(f.content).digest('hex')]),
  );
}

const uploadArgs = (hub: FakeHub) => [
  'dataset',
  '--in',
  'master.parquet',
  '--images',
  'images.parquet',
  '--out',
  'enriched.parquet',
  '--verified',
  'verified.json',
  '--upload-to-hf',
  'org/tasks',
  '--hub-url',
  hub.url,
];

describe('datasmith dataset', () => {
  it('writes the enriched table and the Hub layout locally', async () => {
    const run = await runCli(
      [
        'dataset',
        '--in',
        'master.parquet',
        '--images',
        'images.parquet',
        '--out',
        'enriched.parquet',
        '--hf-dir',
        'hf',
        '--verified',
        'verified.json',
      ],
      { cwd: dir },
    );
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('dataset: kept 2, dropped 1 (no_image: 1)');
    const enriched = await queryRows(`SELECT task_id FROM read_parquet(${sqlLiteral(join(dir, 'enriched.parquet'))})`);
    expect(enriched.map((r) => r.task_id)).toEqual(['pandas_dev-pandas_50643', 'o_r_2']);
    const card = await readFile(join(dir, 'hf', 'README.md'), 'utf8');
    expect(card).toMatch(/config_name: verified/);
    const verified = await queryRows(
      `SELECT task_id FROM read_parquet(${sqlLiteral(join(dir, 'hf', 'verified', 'train-00000-of-00001.parquet'))})`,
    );
    expect(verified).toEqual([{ task_id: 'o_r_2' }]);
  });

  it('fails in one line on missing columns and on a missing HF_TOKEN', async () => {
    await queryRows(
      `COPY (SELECT 'o/r' AS repo_name, 1 AS pr_number) TO ${sqlLiteral(join(dir, 'thin.parquet'))} (FORMAT parquet)`,
    );
    const thin = await runCli(['dataset', '--in', 'thin.parquet', '--out', 'x.parquet', '--images', 'images.parquet'], {
      cwd: dir,
    });
    expect(thin.code).toBe(2);
    expect(thin.stderr.trim()).toMatch(
      /^datasmith dataset: Invalid table: thin\.parquet is missing column\(s\) pr_merge_commit_sha, pr_base_sha$/,
    );
    const noToken = await runCli(['dataset', '--in', 'master.parquet', '--upload-to-hf', 'org/x'], {
      cwd: dir,
      env: { HF_TOKEN: '' },
    });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr.trim()).toBe(
      'datasmith dataset: Missing HF_TOKEN: --upload-to-hf needs a Hugging Face token (environment or tokens.env)',
    );
  });

  it.each([
    ['during the LFS upload', 'PUT', /^\/lfs-upload\//],
    ['while the commit is in flight', 'POST', /\/commit\/main$/],
  ])('a run killed %s and run again ends as an uninterrupted run', async (_name, method, path) => {
    const reference = await startFakeHub({ token: TOKEN });
    const hub = await startFakeHub({ token: TOKEN });
    hubs.push(reference, hub);
    for (const h of [reference, hub])
      h.seed('org/tasks', { '2023-12/train-00000-of-00001.parquet': 'PAR1 stale PAR1' });

    const clean = await runCli(uploadArgs(reference), { cwd: dir, env: { HF_TOKEN: TOKEN } });
    expect(clean.code, clean.stderr).toBe(0);
    expect(reference.commits).toHaveLength(1);
    expect(reference.commits[0]?.operations).toContainEqual({
      key: 'deletedFile',
      path: '2023-12/train-00000-of-00001.parquet',
    });

    const hold = hub.hold(method, path);
    const before = hubState(hub, 'org/tasks');
    const killed = runCli(uploadArgs(hub), {
      cwd: dir,
      env: { HF_TOKEN: TOKEN },
      onSpawn: (child) => {
        hold.reached.then(() => child.kill('SIGKILL'));
      },
    });
    expect((await killed).signal).toBe('SIGKILL');
    expect(hub.commits).toHaveLength(0);
    expect(hubState(hub, 'org/tasks')).toEqual(before);

    const again = await runCli(uploadArgs(hub), { cwd: dir, env: { HF_TOKEN: TOKEN } });
    expect(again.code, again.stderr).toBe(0);
    expect(hub.commits).toHaveLength(1);
    expect(hubState(hub, 'org/tasks')).toEqual(hubState(reference, 'org/tasks'));
    expect(Object.keys(hubState(hub, 'org/tasks'))).not.toContain('2023-12/train-00000-of-00001.parquet');
  });
});
