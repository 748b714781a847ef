import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FixtureRepo } from '@datasmith/git/testing';
import { asvFixtureFiles } from '@datasmith/steps/testing';
import { SynthesizeInputRow, writeTable } from '@datasmith/tables';
import { describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../bin/datasmith.js');

describe('datasmith synthesize (CLI, no engine)', () => {
  it('records unreachable-engine and bad-input rows, prints the summary and exits 1', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-synth-cli-unit-'));
    const repo = new FixtureRepo(join(root, 'work'));
    const good = repo.commit(asvFixtureFiles(), 'initial', '2024-01-02T00:00:00Z');
    repo.mirrorTo(join(root, 'store', 'demo-org', 'fastmath.git'));
    const rows: SynthesizeInputRow[] = [
      {
        repo_name: 'demo-org/fastmath',
        pr_number: 1,
        sha: good,
        pr_base_sha: good,
        pr_merged_at: '2024-01-03T00:00:00Z',
      },
      {
        repo_name: 'demo-org/fastmath',
        pr_number: 2,
        sha: good,
        pr_base_sha: 'e'.repeat(40),
        pr_merged_at: '2024-01-04T00:00:00Z',
      },
    ];
    await writeTable(join(root, 'perf.parquet'), SynthesizeInputRow, rows, ['pr_number']);
    const args = [
      CLI,
      'synthesize',
      '--in',
      'perf.parquet',
      '--contexts',
      'reg.json',
      '--out-dir',
      'out',
      '--store',
      'store',
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${join(root, 'none.sock')}` };
    delete env.DATASMITH_ASV_SOURCE;
    // Offline with no asv source: refused at once, one line naming the setting, nothing written.
    const unset = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env });
    expect(unset.status).toBe(2);
    expect(unset.stderr.trim().split('\n')).toHaveLength(1);
    expect(unset.stderr).toContain('synthesize.asvSource (--asv-source or DATASMITH_ASV_SOURCE) is not set');
    // A folder without asv: refused before any build.
    mkdirSync(join(root, 'asv-src'));
    writeFileSync(join(root, 'asv-src', 'asv_runner-0.2.5-py3-none-any.whl'), 'x');
    const empty = spawnSync(process.execPath, [...args, '--asv-source', 'asv-src'], {
      cwd: root,
      encoding: 'utf8',
      env,
    });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--asv-source: .*asv-src holds no asv sdist or wheel/);
    expect(existsSync(join(root, 'out', 'results.jsonl'))).toBe(false);
    writeFileSync(join(root, 'asv-src', 'asv-0.6.4.tar.gz'), 'x');
    const r = spawnSync(process.execPath, args, {
      cwd: root,
      encoding: 'utf8',
      env: { ...env, DATASMITH_ASV_SOURCE: join(root, 'asv-src') },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('synthesize: kept 0, dropped 2 (engine_unreachable: 1, unknown_sha: 1)');
    expect(r.stderr).toMatch(/datasmith synthesize: 1 of 2 tasks could not reach the Docker engine/);
    const lines = readFileSync(join(root, 'out', 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.reason}@${l.stage}`).sort()).toEqual([
      'engine_unreachable@engine',
      'unknown_sha@input',
    ]);
  });

  it('rejects an unknown backend, the agent backend without an endpoint, and missing flags with one line', () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-synth-cli-flags-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DSPY_|OPENAI_)/.test(k)));
    const unknown = spawnSync(process.execPath, [CLI, 'synthesize', '--backend', 'llm'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe('datasmith synthesize: Invalid --backend: "llm"; expected rules or agent');
    const agent = spawnSync(
      process.execPath,
      [CLI, 'synthesize', '--backend', 'agent', '--in', 'x.parquet', '--context-registry', 'r.json', '--out-dir', 'o'],
      { cwd: root, encoding: 'utf8', env },
    );
    expect(agent.status).toBe(2);
    expect(agent.stderr.trim()).toMatch(/^datasmith synthesize: Missing LLM endpoint: set DSPY_URL or OPENAI_BASE_URL/);
    const missing = spawnSync(process.execPath, [CLI, 'synthesize', '--in', 'x.parquet'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe('datasmith synthesize: Missing --contexts: give the context registry JSON file');
  });
});
