import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli-test-helpers';

/** Real folders and files in a throw-away workspace; the Docker part is off (see gc.docker.test.ts). */
let cwd: string;

async function put(file: string, content = 'x'.repeat(100)): Promise<void> {
  await mkdir(dirname(join(cwd, file)), { recursive: true });
  await writeFile(join(cwd, file), content);
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const entry of await readdir(join(cwd, dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else out.push(path);
    }
  };
  await walk('');
  return out.sort();
}

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'ds-cli-gc-'));
  await put(
    'datasmith.config.json',
    JSON.stringify({ source: 'store', store: 'store', repos: { file: 'data/repos/repos.csv' } }),
  );
  await put('data/repos/repos.csv', 'repo_name,stars\nacme/widgets,900\nOrbit/TextKit,600\n');
  for (const month of ['2024-04', '2024-05']) {
    for (const slug of ['acme__widgets', 'orbit__textkit', 'old__gone']) {
      await put(`data/collect/${slug}/${month}/commits.parquet`);
      await put(`data/classify/${slug}/${month}/perf.parquet`);
    }
  }
  await put('data/synthesize/old__gone/2024-05/results.jsonl');
  await put('data/master/master.parquet');
  await put('data/memo/collect/ab/abcdef.json');
});

describe('datasmith gc (partitions)', () => {
  it('lists the folders of unlisted repositories on --dry-run and removes nothing', async () => {
    const before = await tree('data');
    const run = await runCli(['gc', '--dry-run', '--no-docker'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('gc: would remove 3 partition folders of 1 unlisted repositories (500 B)');
    expect(run.stderr.trim().split('\n')).toEqual([
      'gc: would remove data/collect/old__gone (2 months, 200 B)',
      'gc: would remove data/classify/old__gone (2 months, 200 B)',
      'gc: would remove data/synthesize/old__gone (1 months, 100 B)',
    ]);
    expect(await tree('data')).toEqual(before);
  });

  it('removes only the partitions of unlisted repositories (names compare case-insensitively)', async () => {
    const run = await runCli(['gc', '--no-docker', '--json'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.partitions.map((p: { dir: string }) => p.dir)).toEqual([
      'data/collect/old__gone',
      'data/classify/old__gone',
      'data/synthesize/old__gone',
    ]);
    expect(await tree('data')).toEqual([
      'classify/acme__widgets/2024-04/perf.parquet',
      'classify/acme__widgets/2024-05/perf.parquet',
      'classify/orbit__textkit/2024-04/perf.parquet',
      'classify/orbit__textkit/2024-05/perf.parquet',
      'collect/acme__widgets/2024-04/commits.parquet',
      'collect/acme__widgets/2024-05/commits.parquet',
      'collect/orbit__textkit/2024-04/commits.parquet',
      'collect/orbit__textkit/2024-05/commits.parquet',
      'master/master.parquet',
      'memo/collect/ab/abcdef.json',
      'repos/repos.csv',
    ]);
    const again = await runCli(['gc', '--no-docker'], { cwd });
    expect(again.stdout.trim()).toBe('gc: removed 0 partition folders of 0 unlisted repositories (0 B)');
  });

  it('refuses to run without a repository list or with an empty one', async () => {
    const missing = await runCli(['gc', '--no-docker'], { cwd, env: { DATASMITH_REPOS: 'data/repos/other.csv' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^datasmith gc: Missing repository list: DATASMITH_REPOS=data\/repos\/other\.csv does not exist/,
    );
    await put('data/repos/empty.csv', 'repo_name\n');
    const empty = await runCli(['gc', '--no-docker'], { cwd, env: { DATASMITH_REPOS: 'data/repos/empty.csv' } });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('pass --allow-empty');
    expect(existsSync(join(cwd, 'data/collect/acme__widgets'))).toBe(true);
  });

  it('refuses while a live update holds the lock, leaving everything', async () => {
    const holder = {
      pid: process.pid,
      startedAt: '2024-06-25T02:00:00.000Z',
      command: 'update 2024-05-01..2024-06-01',
    };
    await put('data/update.lock', JSON.stringify(holder));
    const run = await runCli(['gc', '--no-docker'], { cwd });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `datasmith gc: Another run holds data/update.lock: PID ${process.pid} (update 2024-05-01..2024-06-01`,
    );
    expect(existsSync(join(cwd, 'data/collect/old__gone'))).toBe(true);
  });
});
