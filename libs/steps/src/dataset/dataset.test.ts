import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLocalLayout } from '@datasmith/hub';
import { DatasetRow, queryRows, sqlLiteral } from '@datasmith/tables';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { masterRowFromPerf } from '../merge/merge';
import { fakeSha, imageRowFor, perfRow } from '../merge/testing/perf-fixtures';
import { buildDataset, chooseVerified, containerNameOf, datasetConfigs, datasetHubFiles, taskIdOf } from './dataset';
import { parsePythonPair, readTaskKeyList, taskKey } from './verified';

describe('names of the original (reference §1.2, §10)', () => {
  it.each([
    ['pandas-dev/pandas', 50643, 'pandas_dev-pandas_50643'],
    ['numpy/numpy', 1, 'numpy_numpy_1'],
    ['scikit-learn/scikit-learn', 9, 'scikit-learn_scikit-learn_9'],
    ['a/b-c-d', 3, 'a-b_c-d_3'],
    ['HIPS/autograd', 12, 'hips_autograd_12'],
  ])('%s PR %d → %s (halving heuristic, kept verbatim)', (repo, pr, id) => {
    const container = containerNameOf(repo, fakeSha(repo));
    expect(container).toBe(`${repo.replace('/', '-')}-${fakeSha(repo)}:final`.toLowerCase());
    expect(taskIdOf(container, pr)).toBe(id);
  });
});

describe('verified lists', () => {
  it("reads the original's JSON of Python tuple keys and a CSV", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-verified-'));
    const json = join(dir, 'v.json');
    await writeFile(json, JSON.stringify({ "('pandas-dev/pandas', 'ABC')": { ok: true }, '("o/r", "def")': 1 }));
    expect([...(await readTaskKeyList(json))]).toEqual([taskKey('pandas-dev/pandas', 'abc'), taskKey('o/r', 'def')]);
    const csv = join(dir, 'v.csv');
    await writeFile(csv, 'pr_merge_commit_sha,repo_name\nabc,Pandas-Dev/pandas\n');
    expect([...(await readTaskKeyList(csv))]).toEqual([taskKey('pandas-dev/pandas', 'abc')]);
    await writeFile(json, JSON.stringify({ 'not a tuple': 1 }));
    await expect(readTaskKeyList(json)).rejects.toThrow(
      /entry 0 \("not a tuple"\) is not \('owner\/repo', '<merge sha>'\)/,
    );
    expect(parsePythonPair(`('a/b', 'it\\'s')`)).toEqual(['a/b', "it's"]);
  });
});

describe('buildDataset', () => {
  const jan1 = perfRow('pandas-dev/pandas', 50643, '2024-01-10T00:00:00Z', {
    classification: 'cache_and_reuse',
    difficulty: 'hard',
    backend: 'llm',
    model: 'gpt-x',
    prompt_version: 'p3',
  });
  const jan2 = perfRow('o/r', 2, '2024-01-11T00:00:00Z');
  const feb = perfRow('o/r', 3, '2024-02-01T00:00:00Z');
  const noImage = perfRow('o/r', 4, '2024-02-02T00:00:00Z');
  const failed = perfRow('o/r', 5, '2024-02-03T00:00:00Z');
  const master = [jan1, jan2, feb, noImage, failed].map((r) => masterRowFromPerf(r, r.pr_merged_at.slice(0, 7)));
  // legacy-style labels on one row
  master[1] = { ...(master[1] as (typeof master)[number]), classification: null, difficulty: null };
  const images = [
    imageRowFor(jan1),
    imageRowFor(jan2, {
      registry: null,
      image_name: containerNameOf('o/r', jan2.pr_base_sha as string),
      digest: `sha256:${'1'.repeat(64)}`,
    }),
    imageRowFor(feb),
    imageRowFor(failed, { kept: false, digest: null, image_name: null, drop_reason: 'push_failed', pushed_at: null }),
  ];

  it('keeps only rows with a published image, with names, labels and provenance', () => {
    const { rows, dropped } = buildDataset({ master, images, pipelineVersion: 'datasmith 0.1.0' });
    expect(dropped).toEqual({ no_image: 1, image_not_published: 1 });
    expect(rows.map((r) => r.task_id)).toEqual(['pandas_dev-pandas_50643', 'o_r_2', 'o_r_3']);
    expect(rows[0]).toMatchObject({
      container_name: containerNameOf('pandas-dev/pandas', jan1.pr_base_sha as string),
      image_name: imageRowFor(jan1).image_name,
      image_digest: imageRowFor(jan1).digest,
      classification: 'cache_and_reuse',
      difficulty: 'hard',
      pipeline_version: 'datasmith 0.1.0',
      backend: 'llm',
      model: 'gpt-x',
      prompt_version: 'p3',
    });
    expect(rows[1]).toMatchObject({
      classification: 'uncategorized',
      difficulty: 'unknown',
      image_digest: `sha256:${'1'.repeat(64)}`,
    });
    for (const r of rows) expect(DatasetRow.safeParse(r).success).toBe(true);
  });

  it('the verified config is the measured set; a hand-made list overrides it and says by how much', () => {
    const measured = master.map((r, i) =>
      i === 0 ? { ...r, verified: true, speedup: 4 } : i === 1 ? { ...r, verified: false, speedup: 1 } : r,
    );
    const { rows } = buildDataset({ master: measured, images, pipelineVersion: 'v' });
    expect(rows[0]).toMatchObject({ verified: true, speedup: 4 });
    expect(rows[2]).toMatchObject({ verified: null, speedup: null });
    const auto = chooseVerified(rows, null);
    expect(auto?.rows.map((r) => r.task_id)).toEqual(['pandas_dev-pandas_50643']);
    expect(auto?.choice).toMatchObject({ source: 'measured', measured: 1 });
    const byHand = chooseVerified(rows, new Set([taskKey('o/r', jan2.pr_merge_commit_sha)]));
    expect(byHand?.rows.map((r) => r.task_id)).toEqual(['o_r_2']);
    expect(byHand?.choice).toMatchObject({ source: 'list', addedByHand: 1, removedByHand: 1 });
    expect(byHand?.choice.description).toMatch(/hand-made list.*1 added by hand, 1 measured removed by hand/);
    // Nothing measured and no list: no verified config.
    expect(chooseVerified(buildDataset({ master, images, pipelineVersion: 'v' }).rows, null)).toBeNull();
    expect(datasetConfigs(rows, null).map((c) => c.name)).toContain('verified');
  });

  it('applies --filter-by and --limit-per-repo after the date sort', () => {
    const limited = buildDataset({ master, images, pipelineVersion: 'v', limitPerRepo: 1 });
    expect(limited.rows.map((r) => r.task_id)).toEqual(['pandas_dev-pandas_50643', 'o_r_2']);
    expect(limited.dropped.over_repo_limit).toBe(1);
    const filtered = buildDataset({
      master,
      images,
      pipelineVersion: 'v',
      filterBy: new Set([taskKey('o/r', feb.pr_merge_commit_sha)]),
    });
    expect(filtered.rows.map((r) => r.task_id)).toEqual(['o_r_3']);
  });

  it('writes default, verified and one config per month; read back config by config through DuckDB', async () => {
    const { rows } = buildDataset({ master, images, pipelineVersion: 'v' });
    const verified = new Set([taskKey('pandas-dev/pandas', jan1.pr_merge_commit_sha)]);
    const configs = datasetConfigs(rows, verified);
    expect(configs.map((c) => [c.name, c.rows.length])).toEqual([
      ['default', 3],
      ['verified', 1],
      ['2024-01', 2],
      ['2024-02', 1],
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'ds-layout-'));
    await writeLocalLayout(dir, await datasetHubFiles(configs, 'org/tasks'));
    for (const config of configs) {
      const file = join(dir, config.name, 'train-00000-of-00001.parquet');
      const back = await queryRows(
        `SELECT task_id, container_name, image_digest FROM read_parquet(${sqlLiteral(file)})`,
      );
      expect(back.map((r) => r.task_id)).toEqual(config.rows.map((r) => r.task_id));
      for (const r of back) expect(r.image_digest).toMatch(/^sha256:/);
      const cols = await queryRows(`DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(file)})`);
      expect(cols.map((c) => c.column_name)).toEqual(Object.keys(DatasetRow.shape));
    }
    const card = await readFile(join(dir, 'README.md'), 'utf8');
    const front = parse(card.split('---\n')[1] as string) as {
      configs: Array<{ config_name: string; data_files: Array<{ path: string }> }>;
    };
    expect(front.configs.map((c) => c.config_name)).toEqual(['default', 'verified', '2024-01', '2024-02']);
    expect(front.configs.map((c) => c.data_files[0]?.path)).toEqual(
      configs.map((c) => `${c.name}/train-00000-of-00001.parquet`),
    );
    expect(card).toContain('load_dataset("org/tasks", "default")');

    // without a verified list there is no verified config, and the stale one goes away locally
    await writeLocalLayout(dir, await datasetHubFiles(datasetConfigs(rows, null)));
    const again = parse((await readFile(join(dir, 'README.md'), 'utf8')).split('---\n')[1] as string) as typeof front;
    expect(again.configs.map((c) => c.config_name)).toEqual(['default', '2024-01', '2024-02']);
    await expect(readFile(join(dir, 'verified', 'train-00000-of-00001.parquet'))).rejects.toThrow();
  });

  it('gives byte-identical files for equal rows', async () => {
    const { rows } = buildDataset({ master, images, pipelineVersion: 'v' });
    const a = await datasetHubFiles(datasetConfigs(rows, null));
    const b = await datasetHubFiles(datasetConfigs([...rows].reverse(), null));
    expect(a.map((f) => Buffer.from(f.content).toString('base64'))).toEqual(
      b.map((f) => Buffer.from(f.content).toString('base64')),
    );
  });
});
