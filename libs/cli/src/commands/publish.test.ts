import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataLayout } from '@datasmith/paths';
import { freePort } from '@datasmith/registry/testing';
import { fakeSha } from '@datasmith/steps/testing';
import { ImageRow, queryRows, readTable, sqlLiteral } from '@datasmith/tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-test-helpers';

let dir: string;
const failedLine = (sha: string) =>
  JSON.stringify({
    owner: 'o',
    repo: 'r',
    sha,
    image_name: `o-r-${sha}:final`,
    ok: false,
    rc: 1,
    duration_s: 2,
    stage: 'deps',
    strategy: 'rules',
    attempts: [],
    reason: 'install_failed',
    image_id: null,
    pr_numbers: [1],
    benchmarks: [],
    python_requested: null,
    python_used: null,
    warnings: [],
    stderr_tail: '',
    stdout_tail: '',
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-publish-cli-'));
});

describe('datasmith publish (no engine needed)', () => {
  it('records failed syntheses without touching Docker or the registry', async () => {
    const layout = dataLayout(join(dir, 'data'));
    await mkdir(layout.partitionDir('synthesize', 'o/r', '2024-01'), { recursive: true });
    await writeFile(layout.synthesizeResults('o/r', '2024-01'), `${failedLine(fakeSha('a'))}\n`);
    // an unreachable registry is never asked: nothing is publishable
    const port = await freePort();
    const run = await runCli(
      ['publish', '--repo', 'o/r', '--month', '2024-01', '--image-registry', `http://127.0.0.1:${port}`],
      { cwd: dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('publish: kept 0, dropped 1 (build_failed: 1)');
    const rows = await readTable(layout.tablePath('publish', 'o/r', '2024-01', 'images'), ImageRow);
    expect(rows).toEqual([
      expect.objectContaining({
        container_name: `o-r-${fakeSha('a')}:final`,
        kept: false,
        drop_reason: 'build_failed',
        digest: null,
        publish_explanation: 'synthesize failed at stage deps (install_failed)',
      }),
    ]);
  });

  it('fails in one line on a missing partition, a bad results line and missing columns', async () => {
    const missing = await runCli(['publish', '--repo', 'o/r', '--month', '2024-02'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(
      /^datasmith publish: Missing input: data\/synthesize\/o__r\/2024-02\/results\.jsonl does not exist \(run synthesize for this partition first\)$/,
    );

    await writeFile(join(dir, 'bad.jsonl'), `${failedLine(fakeSha('b'))}\n${failedLine('not-a-sha')}\n`);
    const bad = await runCli(['publish', '--in', 'bad.jsonl'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'datasmith publish: Invalid row: bad.jsonl line 2, sha: expected a 40-hex commit sha',
    );

    // The step names the path; the command names the flag it came from.
    const noContexts = await runCli(['publish', '--in', 'bad.jsonl', '--contexts', 'nope.json'], { cwd: dir });
    expect(noContexts.code).toBe(2);
    expect(noContexts.stderr.trim()).toBe('datasmith publish: Missing input: --contexts nope.json does not exist');

    await queryRows(`COPY (SELECT 'o/r' AS repo_name) TO ${sqlLiteral(join(dir, 'thin.parquet'))} (FORMAT parquet)`);
    const thin = await runCli(['publish', '--in', 'thin.parquet'], { cwd: dir });
    expect(thin.code).toBe(2);
    expect(thin.stderr.trim()).toBe('datasmith publish: Invalid table: thin.parquet is missing column(s) pr_base_sha');
  });
});
