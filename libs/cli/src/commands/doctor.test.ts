import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDockerClient, probeEngine } from '@datasmith/docker';
import { type FakeGitHub, startFakeGitHub } from '@datasmith/github/testing';
import { type FakeHub, startFakeHub } from '@datasmith/hub/testing';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '@datasmith/llm/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../doctor/checks';
import { runCli } from './cli-test-helpers';

const GOOD = 'ghp_doctorGoodToken0000000000000000000001';
const BAD = 'ghp_doctorRevokedToken00000000000000000002';
const LLM_KEY = 'sk-doctor-llm-key-0000000000000001';
const REGISTRY_PASSWORD = 'dckr_pat_doctor_registry_secret_01';
const HF = 'hf_doctorHubToken00000000000000000000001';
const SECRETS = [GOOD, BAD, LLM_KEY, REGISTRY_PASSWORD, HF];

let cwd: string;
let github: FakeGitHub;
let llm: FakeOpenAiServer;
let hub: FakeHub;
let registry: Server;
let registryUrl: string;
let engineUp: boolean;

/** A Distribution API root (`GET /v2/`) that wants HTTP basic auth, as docker-registry with htpasswd does. */
async function startBasicAuthRegistry(user: string, password: string): Promise<Server> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const server = createServer((req, res) => {
    const headers = { 'docker-distribution-api-version': 'registry/2.0', 'content-type': 'application/json' };
    if (req.url !== '/v2/') {
      res.writeHead(404, headers).end('{"errors":[{"code":"NOT_FOUND"}]}');
    } else if (req.headers.authorization === expected) {
      res.writeHead(200, headers).end('{}');
    } else {
      res
        .writeHead(401, { ...headers, 'www-authenticate': 'Basic realm="Registry Realm"' })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'ds-cli-doctor-'));
  await mkdir(join(cwd, 'store/acme'), { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', join(cwd, 'store/acme/widgets.git')]);
  await writeFile(
    join(cwd, 'datasmith.config.json'),
    JSON.stringify({ source: 'store', store: 'store', repos: ['acme/widgets'], classify: { backend: 'llm' } }),
  );
  await writeFile(
    join(cwd, 'two-repos.json'),
    JSON.stringify({ source: 'store', store: 'store', repos: ['acme/widgets', 'acme/gone'] }),
  );
  github = await startFakeGitHub({ tokens: [GOOD] });
  llm = await startFakeOpenAiServer();
  hub = await startFakeHub({ token: HF });
  registry = await startBasicAuthRegistry('robot', REGISTRY_PASSWORD);
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
  engineUp = (await probeEngine(createDockerClient())).ok;
});

afterAll(async () => {
  await github?.close();
  await llm?.close();
  await hub?.close();
  await new Promise((resolve) => registry?.close(resolve));
});

/** A folder named like an asv source (the check reads names, not contents). */
const asvSource = await (async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ds-doctor-asv-'));
  for (const f of ['asv-0.6.4.tar.gz', 'asv_runner-0.2.5-py3-none-any.whl']) await writeFile(join(dir, f), f);
  return dir;
})();

function baseEnv(): Record<string, string> {
  return {
    DATASMITH_ASV_SOURCE: asvSource,
    GITHUB_API_URL: github.url,
    DSPY_URL: llm.url,
    DSPY_MODEL_NAME: 'local/openai/fake',
    DSPY_API_KEY: LLM_KEY,
    DATASMITH_IMAGE_REGISTRY: registryUrl,
    DOCKERHUB_USERNAME: 'robot',
    DOCKERHUB_TOKEN: REGISTRY_PASSWORD,
    HF_TOKEN: HF,
    HF_ENDPOINT: hub.url,
  };
}

async function doctor(args: string[], env: Record<string, string>) {
  const run = await runCli(['doctor', '--min-free-gib', '0', '--warn-free-gib', '0', ...args], { cwd, env });
  for (const secret of SECRETS) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
  return run;
}

describe('datasmith doctor', () => {
  it('reports every check ok against real listeners, naming tokens by position and variable only', async () => {
    const run = await doctor([], { ...baseEnv(), GH_TOKEN: GOOD });
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^ok {3}config {3}.*datasmith\.config\.json: source store, classify llm, synthesize rules, 1 repositories$/,
    );
    expect(lines[1]).toBe('ok   store    store store: 1 mirrors; all 1 listed repositories have one');
    expect(lines[2]).toMatch(
      /^ok {3}github {3}token 1\/1 \(GH_TOKEN\): core 5000\/5000, search 30\/30, code_search 10\/10 left; core resets \d\d:\d\dZ$/,
    );
    expect(lines[3]).toBe(`ok   llm      ${llm.url}: serves fake (1 models, with a key)`);
    expect(lines[4]).toMatch(
      engineUp ? /^ok {3}docker {3}engine \S+ \(API [\d.]+\)/ : /^fail docker {3}Docker engine unreachable/,
    );
    expect(lines[5]).toBe(`ok   asv      asv source ${asvSource}: asv-0.6.4.tar.gz, asv_runner-0.2.5-py3-none-any.whl`);
    expect(lines[6]).toMatch(/^ok {3}disk {5}[\d.]+ GiB free of [\d.]+ GiB under data$/);
    expect(lines[7]).toBe(
      `ok   registry ${registryUrl.slice(7)}: /v2/ accepted as robot (credentials from DOCKERHUB_USERNAME/DOCKERHUB_TOKEN)`,
    );
    expect(lines[8]).toBe(`ok   hub      ${hub.url}: HF_TOKEN of datasmith-test (role write)`);
    expect(run.code).toBe(engineUp ? 0 : 1);
    // The listeners saw the real credentials: the checks used them.
    expect(github.requests.filter((r) => r.path === '/rate_limit').map((r) => r.token)).toEqual([GOOD]);
    expect(llm.requests.find((r) => r.path === '/v1/models')?.headers.authorization).toBe(`Bearer ${LLM_KEY}`);
  });

  it('fails (exit 1) on a rejected token, an unreachable LLM and engine, wrong registry credentials and a full disk', async () => {
    const env = {
      ...baseEnv(),
      GH_TOKENS: `${GOOD},${BAD}`,
      DSPY_URL: `http://127.0.0.1:${await closedPort()}/v1`,
      DOCKERHUB_TOKEN: `${REGISTRY_PASSWORD}-old`,
      DOCKER_HOST: `unix://${join(cwd, 'no-docker.sock')}`,
      HF_TOKEN: `${HF}-revoked`,
      DATASMITH_ASV_SOURCE: join(cwd, 'no-such-asv-folder'),
    };
    const run = await doctor(['--config', 'two-repos.json', '--min-free-gib', '1e12', '--json'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('datasmith doctor: 7 check(s) failed: github, llm, docker, asv, disk, registry, hub\n');
    const report = JSON.parse(run.stdout) as { checks: CheckResult[]; ok: number; warn: number; fail: number };
    const line = (r: CheckResult) => `${r.status} ${r.check} ${r.message}`;
    const lines = report.checks.map(line);
    expect(lines[1]).toBe(
      'warn store store store: 1 of 2 listed repositories have no mirror <owner>/<name>.git: acme/gone',
    );
    expect(lines[2]).toMatch(/^ok github token 1\/2 \(GH_TOKENS\): core /);
    expect(lines[3]).toBe(`fail github token 2/2 (GH_TOKENS): ${github.url}/rate_limit answered 401 (Bad credentials)`);
    expect(lines[4]).toMatch(
      /^fail llm http:\/\/127\.0\.0\.1:\d+\/v1\/models unreachable: fetch failed \(ECONNREFUSED\)$/,
    );
    expect(lines[5]).toMatch(
      /^fail docker Docker engine unreachable: .* at unix:\/\/.*no-docker\.sock; synthesize and publish need an engine/,
    );
    expect(lines[6]).toMatch(/^fail asv DATASMITH_ASV_SOURCE: .*no-such-asv-folder is not a readable folder/);
    expect(lines[7]).toMatch(/^fail disk [\d.]+ GiB free of [\d.]+ GiB under data: below 1000000000000 GiB$/);
    expect(lines[8]).toMatch(/^fail registry Registry authentication denied: GET .*\/v2\/ answered 401 as robot/);
    expect(lines[9]).toBe(`fail hub ${hub.url}/api/whoami-v2 answered 401 (Invalid credentials); check HF_TOKEN`);
    expect([report.ok, report.warn, report.fail]).toEqual([2, 1, 7]);

    // The first config classifies with the LLM: without an endpoint that fails too.
    const { DSPY_URL: _, ...withoutLlm } = env;
    const needed = await doctor(['--json'], withoutLlm);
    const llmCheck = (JSON.parse(needed.stdout) as { checks: CheckResult[] }).checks.find((c) => c.check === 'llm');
    expect(llmCheck).toEqual({
      check: 'llm',
      status: 'fail',
      message: 'the config uses an LLM backend but neither DSPY_URL nor OPENAI_BASE_URL is set',
    });
  });

  it('fails on an invalid config and names the field', async () => {
    await writeFile(
      join(cwd, 'bad.json'),
      JSON.stringify({ source: 'store', store: 'store', scrape: { minStars: 'x' } }),
    );
    const run = await doctor(['--config', 'bad.json'], { GITHUB_API_URL: github.url });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^fail config +Invalid config .*bad\.json: scrape\.minStars: /m);
    expect(run.stdout).toMatch(/^skip store +no valid config$/m);
  });
});

describe('datasmith config print', () => {
  it('prints the resolved config as JSON with every secret replaced', async () => {
    await writeFile(
      join(cwd, 'tokens.env'),
      `OPENAI_API_KEY=sk-doctor-file-key-000000000000000001\nDOCKERHUB_NAMESPACE=acme\n`,
    );
    const run = await runCli(['config', 'print'], {
      cwd,
      env: { ...baseEnv(), GH_TOKEN: GOOD, OPENAI_BASE_URL: `http://user:${LLM_KEY}@127.0.0.1:1/v1` },
    });
    expect(run.code, run.stderr).toBe(0);
    for (const secret of [...SECRETS, 'sk-doctor-file-key-000000000000000001'])
      expect(run.stdout).not.toContain(secret);
    const printed = JSON.parse(run.stdout);
    expect(printed.config).toEqual({
      source: 'store',
      store: 'store',
      repos: ['acme/widgets'],
      outputRoot: 'data',
      months: null,
      scrape: { minStars: 500, maxRepos: 150 },
      prepare: { gateMode: null, gateShare: null },
      classify: { backend: 'llm', model: null, rulesModel: null },
      synthesize: { backend: 'rules', online: false, asvSource: null, releases: null },
      verify: {
        passes: null,
        maxBenchmarks: null,
        maxParamSets: null,
        verifyMinutes: null,
        factor: null,
        maxForeignShare: null,
        untracedFactor: null,
      },
    });
    expect(printed.repositories).toEqual({ source: 'inline', count: 1, names: ['acme/widgets'] });
    expect(printed.environment).toMatchObject({
      GH_TOKEN: '***',
      DSPY_API_KEY: '***',
      DOCKERHUB_TOKEN: '***',
      HF_TOKEN: '***',
      OPENAI_API_KEY: '***',
      DOCKERHUB_NAMESPACE: 'acme',
      DOCKERHUB_USERNAME: 'robot',
      DSPY_URL: llm.url,
      OPENAI_BASE_URL: 'http://***:***@127.0.0.1:1/v1',
    });
  });
});
