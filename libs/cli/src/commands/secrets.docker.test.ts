import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, removeImageQuietly } from '@datasmith/docker';
import { dockerTestEngine, testOnlyBaseImage } from '@datasmith/docker/testing';
import { FixtureRepo } from '@datasmith/git/testing';
import { asvFixtureFiles } from '@datasmith/steps/testing';
import { SynthesisResult, SynthesizeInputRow, queryRows, sqlLiteral, writeTable } from '@datasmith/tables';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-test-helpers';

/**
 * synthesize with tokens planted in the environment and in tokens.env: the image it builds and
 * validates holds none of them, neither in its config (`docker image inspect`), its history
 * (`docker history --no-trunc`) nor its filesystem (the exported container tar), and neither do the
 * partition files it writes.
 */
const engine = await dockerTestEngine();
const TOKENS = {
  GH_TOKEN: 'ghp_plantedDockerGitHubToken000000000001',
  DSPY_API_KEY: 'sk-planted-docker-llm-key-000000000001',
  HF_TOKEN: 'hf_plantedDockerHubToken0000000000000001',
  DOCKERHUB_TOKEN: 'dckr_pat_planted_docker_registry_00001',
};
const FILE_TOKEN = 'github_pat_plantedDockerFileToken_0000000001';
const PLANTED = [...Object.values(TOKENS), FILE_TOKEN];

/** Streams a container's exported filesystem and reports which secrets occur in it (chunk overlaps kept). */
async function secretsInFilesystem(image: string): Promise<{ found: string[]; bytes: number }> {
  const container = await engine.docker.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: { 'datasmith.test': 'secrets' },
  });
  try {
    const stream = (await container.export()) as NodeJS.ReadableStream;
    const found = new Set<string>();
    const keep = Math.max(...PLANTED.map((s) => s.length));
    let tail = Buffer.alloc(0);
    let bytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const window = Buffer.concat([tail, chunk]);
      for (const secret of PLANTED) if (window.includes(secret)) found.add(secret);
      tail = window.subarray(Math.max(0, window.length - keep));
    }
    return { found: [...found], bytes };
  } finally {
    await container.remove({ force: true });
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).isFile() ? [join(dir, e.name)] : [],
  );
}

describe.skipIf(!engine.ok)(`no secret reaches a task image ${engine.skipReason}`, () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const ref of made) await removeImageQuietly(engine.docker, ref, { force: true });
    // The dependency layer image of this test's repository too (its name is a content hash).
    const deps = await engine.docker.listImages({ filters: { label: ['datasmith.task=demo-org/secretlib'] } });
    for (const image of deps) await removeImageQuietly(engine.docker, image.Id, { force: true });
  });

  it('synthesize with planted tokens builds an image whose config, history and files hold none', async () => {
    const base = await testOnlyBaseImage(engine.docker);
    const root = mkdtempSync(join(tmpdir(), 'ds-secrets-docker-'));
    const repo = new FixtureRepo(join(root, 'work'));
    const c1 = repo.commit(asvFixtureFiles({ name: 'secretlib' }), 'initial', '2024-01-02T00:00:00Z');
    const c2 = repo.commit({ 'README.md': 'two\n' }, 'faster (#2)', '2024-01-03T00:00:00Z');
    repo.mirrorTo(join(root, 'store', 'demo-org', 'secretlib.git'));
    const row: SynthesizeInputRow = {
      repo_name: 'demo-org/secretlib',
      pr_number: 2,
      sha: c2,
      pr_base_sha: c1,
      pr_merged_at: '2024-01-03T12:00:00Z',
      container_name: `demo-org-secretlib-${c1}:final`,
    };
    await writeTable(
      join(root, 'data/classify/demo-org__secretlib/2024-01/perf.parquet'),
      SynthesizeInputRow,
      [row],
      ['pr_number'],
    );
    writeFileSync(join(root, 'tokens.env'), `GH_TOKEN2=${FILE_TOKEN}\n`);
    const args = ['synthesize', '--repo', 'demo-org/secretlib', '--month', '2024-01', '--out-root', 'data'];
    const run = await runCli([...args, '--store', 'store', '--base-image', base.ref, '--max-attempts', '1'], {
      cwd: root,
      env: TOKENS,
    });
    expect(run.code, run.stderr).toBe(0);
    const results = readFileSync(join(root, 'data/synthesize/demo-org__secretlib/2024-01/results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => SynthesisResult.parse(JSON.parse(l)));
    expect(results.map((r) => [r.ok, r.stage])).toEqual([[true, 'validated']]);
    const image = results[0]?.image_name as string;
    made.push(image);

    const inspect = execFileSync('docker', ['image', 'inspect', image], { encoding: 'utf8' });
    const history = execFileSync('docker', ['history', '--no-trunc', '--format', '{{json .}}', image], {
      encoding: 'utf8',
    });
    expect(JSON.parse(inspect)[0].Config.Env.length).toBeGreaterThan(0);
    expect(history).toContain('docker_build_pkg.sh');
    const { found, bytes } = await secretsInFilesystem(image);
    expect(bytes).toBeGreaterThan(50_000_000);
    expect(found).toEqual([]);
    const files = filesUnder(join(root, 'data'));
    const texts = [inspect, history, run.stdout, run.stderr, ...files.map((f) => readFileSync(f, 'latin1'))];
    for (const f of files.filter((f) => f.endsWith('.parquet'))) {
      texts.push(JSON.stringify(await queryRows(`SELECT * FROM read_parquet(${sqlLiteral(f)})`)));
    }
    for (const secret of PLANTED) expect(texts.filter((t) => t.includes(secret))).toEqual([]);
  });

  it('the filesystem search finds a planted value (control)', async () => {
    const ref = `datasmith-secrets-control-${process.pid}:x`;
    made.push(ref);
    await buildImage(engine.docker, {
      tag: ref,
      files: { Dockerfile: { content: 'FROM scratch\nCOPY f /etc/f\n' }, f: { content: `token=${TOKENS.HF_TOKEN}\n` } },
      labels: { 'datasmith.test': 'secrets' },
      timeoutMs: 120_000,
    });
    expect((await secretsInFilesystem(ref)).found).toEqual([TOKENS.HF_TOKEN]);
  });
});
