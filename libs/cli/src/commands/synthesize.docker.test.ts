import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { imageId, removeImageQuietly } from '@datasmith/docker';
import { dockerTestEngine, testOnlyBaseImage } from '@datasmith/docker/testing';
import { FixtureRepo } from '@datasmith/git/testing';
import { startFakeOpenAiServer } from '@datasmith/llm/testing';
import { readContextRegistry } from '@datasmith/steps';
import { asvFixtureFiles } from '@datasmith/steps/testing';
import { ContextRow, SynthesisResult, SynthesizeInputRow, readTable, writeTable } from '@datasmith/tables';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../bin/datasmith.js');
const engine = await dockerTestEngine();

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI without blocking this process: the fake LLM server of a test must keep answering. */
function cliAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function readResults(path: string): SynthesisResult[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => SynthesisResult.parse(JSON.parse(l)));
}

describe.skipIf(!engine.ok)(`datasmith synthesize (CLI, real engine) ${engine.skipReason}`, () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const ref of made) await removeImageQuietly(engine.docker, ref, { force: true });
  });

  it('runs a partition, survives SIGKILL half-way without rebuilding validated tasks, and reads --in/--contexts/--out-dir', async () => {
    const base = await testOnlyBaseImage(engine.docker);
    const root = mkdtempSync(join(tmpdir(), 'ds-synth-cli-'));
    const repo = new FixtureRepo(join(root, 'work'));
    // The asv config lives in a subfolder, as in pandas (asv_bench/).
    const c1 = repo.commit(asvFixtureFiles({ name: 'clilib', asvDir: 'asv_bench' }), 'initial', '2024-01-02T00:00:00Z');
    const c2 = repo.commit({ 'README.md': 'two\n' }, 'second (#2)', '2024-01-03T00:00:00Z');
    const c3 = repo.commit({ 'README.md': 'three\n' }, 'third (#3)', '2024-01-04T00:00:00Z');
    const c4 = repo.commit({ 'README.md': 'four\n' }, 'fourth (#4)', '2024-01-05T00:00:00Z');
    repo.mirrorTo(join(root, 'store', 'demo-org', 'clilib.git'));
    const rows: SynthesizeInputRow[] = [
      [c1, c2, 2],
      [c2, c3, 3],
      [c3, c4, 4],
    ].map(([base, landed, n]) => ({
      repo_name: 'demo-org/clilib',
      pr_number: n as number,
      sha: landed as string,
      pr_base_sha: base as string,
      pr_merged_at: `2024-01-0${n}T12:00:00Z`,
      container_name: `demo-org-clilib-${base}:final`,
    }));
    const perf = join(root, 'data', 'classify', 'demo-org__clilib', '2024-01', 'perf.parquet');
    await writeTable(perf, SynthesizeInputRow, rows, ['pr_number']);
    const args = [
      'synthesize',
      '--repo',
      'demo-org/clilib',
      '--month',
      '2024-01',
      '--out-root',
      'data',
      '--store',
      'store',
      '--base-image',
      base.ref,
      '--max-attempts',
      '1',
    ];
    const registry = join(root, 'data', 'synthesize', 'demo-org__clilib', 'context-registry.json');
    const results = join(root, 'data', 'synthesize', 'demo-org__clilib', '2024-01', 'results.jsonl');
    const validated = async () =>
      existsSync(registry)
        ? Object.values((await readContextRegistry(registry)).entries).filter((e) => e.status === 'validated')
        : [];

    // 1. Kill the run once the first task is validated.
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let childErr = '';
    child.stderr?.on('data', (c: Buffer) => {
      childErr += c.toString();
    });
    await new Promise<void>((done, fail) => {
      const timer = setInterval(async () => {
        if ((await validated().catch(() => [])).length >= 1) {
          child.kill('SIGKILL');
          clearInterval(timer);
          done();
        }
      }, 100);
      child.on('exit', () => {
        clearInterval(timer);
        fail(new Error(`synthesize finished before it could be killed: ${childErr.slice(-2000)}`));
      });
    });
    await new Promise((done) => child.on('exit', done));
    const killedAfter = (Date.now() - t0) / 1000;
    const before = await validated();
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(3);
    expect(existsSync(results)).toBe(false);
    const firstId = before[0]?.image_id as string;

    // 2. Re-run: the validated tasks come from the registry (same image), the others are built.
    const t1 = Date.now();
    const resumed = cli([...args, '--json'], root);
    const resumedAfter = (Date.now() - t1) / 1000;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ step: 'synthesize', kept: 3, dropped: 0, tasks: 3 });
    const lines = readResults(results);
    expect(lines.map((r) => r.sha)).toEqual([c1, c2, c3].sort());
    expect(lines.every((r) => r.ok && r.stage === 'validated' && r.rc === 0)).toBe(true);
    const cached = lines.filter((r) => r.strategy === 'cached');
    expect(cached.length).toBe(before.length);
    expect(cached.map((r) => r.image_id)).toContain(firstId);
    for (const r of lines) {
      made.push(r.image_name);
      expect(r.image_name).toBe(`demo-org-clilib-${r.sha}:final`);
      expect(await imageId(engine.docker, r.image_name)).toBe(r.image_id);
      expect(Object.keys(r).slice(0, 10)).toEqual([
        'owner',
        'repo',
        'sha',
        'image_name',
        'ok',
        'rc',
        'duration_s',
        'stage',
        'strategy',
        'attempts',
      ]);
    }
    const contexts = await readTable(
      join(root, 'data', 'synthesize', 'demo-org__clilib', '2024-01', 'contexts.parquet'),
      ContextRow,
    );
    expect(contexts).toHaveLength(3);
    expect(JSON.parse(contexts[0]?.files_json ?? '{}')).toHaveProperty('docker_build_pkg.sh');
    expect(JSON.parse(contexts[0]?.facts_json ?? '{}')).toMatchObject({ asv_config_path: 'asv_bench/asv.conf.json' });

    // 3. The original flags: --in/--contexts/--out-dir over the same registry; nothing is rebuilt.
    const t2 = Date.now();
    const direct = cli(
      [
        'synthesize',
        '--in',
        perf,
        '--context-registry',
        registry,
        '--out-dir',
        'out',
        '--store',
        'store',
        '--base-image',
        base.ref,
      ],
      root,
    );
    const directAfter = (Date.now() - t2) / 1000;
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain('synthesize: kept 3, dropped 0');
    expect(readResults(join(root, 'out', 'results.jsonl')).map((r) => r.strategy)).toEqual([
      'cached',
      'cached',
      'cached',
    ]);
    console.log(
      `synthesize CLI: killed after ${killedAfter.toFixed(1)} s, resumed run ${resumedAfter.toFixed(1)} s, all-cached run ${directAfter.toFixed(1)} s`,
    );
  });
});

describe.skipIf(!engine.ok)(`datasmith synthesize --backend agent (CLI, real engine) ${engine.skipReason}`, () => {
  it('builds the script the model wrote when the rules fail; the endpoint comes from DSPY_URL', async () => {
    const base = await testOnlyBaseImage(engine.docker);
    const root = mkdtempSync(join(tmpdir(), 'ds-synth-cli-agent-'));
    const repo = new FixtureRepo(join(root, 'work'));
    const marker = '/opt/datasmith-cli-agent-marker';
    const sha = repo.commit(
      asvFixtureFiles({
        name: 'agentcli',
        init: `import os\n\nif not os.path.exists(${JSON.stringify(marker)}):\n    raise ImportError("no marker")\n\nfrom .core import scale, total\n`,
      }),
      'initial',
      '2024-01-02T00:00:00Z',
    );
    repo.mirrorTo(join(root, 'store', 'demo-org', 'agentcli.git'));
    const row: SynthesizeInputRow = {
      repo_name: 'demo-org/agentcli',
      pr_number: 1,
      sha,
      pr_base_sha: sha,
      pr_merged_at: '2024-01-03T00:00:00Z',
    };
    await writeTable(join(root, 'perf.parquet'), SynthesizeInputRow, [row], ['pr_number']);
    const script = `set -euo pipefail\npip install --no-build-isolation --no-index -e .\ntouch ${marker}\n`;
    const server = await startFakeOpenAiServer({
      queue: [
        { toolCalls: [{ name: 'try_import', arguments: { candidates: ['agentcli'] } }] },
        { toolCalls: [{ name: 'write_install_script', arguments: { script } }] },
        { toolCalls: [{ name: 'finish', arguments: {} }] },
      ],
    });
    try {
      const args = ['synthesize', '--backend', 'agent', '--in', 'perf.parquet', '--contexts', 'reg.json'];
      const r = await cliAsync(
        [...args, '--out-dir', 'out', '--store', 'store', '--base-image', base.ref, '--max-attempts', '1', '--json'],
        root,
        { ...process.env, DSPY_URL: server.url, DSPY_MODEL_NAME: 'openai/fake', DATASMITH_NO_MEMO: '1' },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ kept: 1, strategies: { agent: 1 }, attempts: 2, llm_calls: 3 });
      const [result] = readResults(join(root, 'out', 'results.jsonl'));
      if (result?.ok) await removeImageQuietly(engine.docker, result.image_name, { force: true });
      expect(result?.attempts.map((a) => `${a.strategy}:${a.reason ?? 'ok'}`)).toEqual([
        'rules:import_failed',
        'agent:ok',
      ]);
      expect(result?.attempts[1]?.script).toBe(script);
      type Body = { model: string; messages: Array<{ role: string; content: string }> };
      const bodies = server.completions().map((c) => c.body as Body);
      expect(bodies[1]?.messages.find((m) => m.role === 'tool')?.content).toContain(
        'FAILED::agentcli::ImportError: no marker',
      );
      expect(bodies[0]?.model).toBe('fake');
    } finally {
      await server.close();
    }
  });
});
