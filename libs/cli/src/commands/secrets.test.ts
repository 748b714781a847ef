import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type FakeOpenAiServer, type FakeRequest, startFakeOpenAiServer } from '@datasmith/llm/testing';
import { queryRows, sqlLiteral, writeTable } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateDemoStore } from '../../../../tools/demo/src/generate';
import { TestWorkspace } from '../../../../tools/nx-plugin/test-workspace';
import { runCli } from './cli-test-helpers';

/**
 * Tokens planted in the environment and in tokens.env must end up in no file the pipeline writes:
 * `datasmith update` (scrape-repos, then collect → prepare → classify with the LLM backend against a
 * loopback OpenAI server that requires the planted key, then merge → dataset, all through Nx) in a
 * throw-away workspace over the demo store, then every file under the output root, the update log
 * and Nx's cache and workspace data is searched, Parquet files also decoded row by row.
 * Synthesize and publish (Docker) are not part of this run: their targets are left out of the graph.
 */
const TOKENS = {
  GH_TOKEN: 'ghp_plantedGitHubToken0000000000000000001',
  DSPY_API_KEY: 'sk-planted-llm-key-00000000000000000000001',
  HF_TOKEN: 'hf_plantedHubToken000000000000000000000001',
  DOCKERHUB_TOKEN: 'dckr_pat_planted_registry_token_000000001',
};
/** From tokens.env: the update command merges the file into the environment it gives Nx. */
const FILE_TOKENS = {
  GH_TOKEN2: 'github_pat_plantedSecondToken_000000000000000001',
  DOCKERHUB_PASSWORD: 'planted-registry-password-0001',
};
const PLANTED = [...Object.values(TOKENS), ...Object.values(FILE_TOKENS)];
const STEPS = ['scrape-repos', 'collect', 'prepare', 'classify', 'merge', 'dataset'];
const REPOS = ['acme/fastmath', 'orbit/textkit'];

/** Where a planted value was found: the file and how (raw bytes, base64, or a decoded Parquet row). */
interface Leak {
  file: string;
  how: string;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile())) out.push(path);
  }
  return out;
}

/** Searches files for secrets: raw bytes and base64 of each, and the decoded rows of Parquet files. */
async function findLeaks(files: readonly string[], secrets: readonly string[]): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const secret of secrets) {
      if (bytes.includes(secret)) leaks.push({ file, how: 'raw' });
      if (bytes.includes(Buffer.from(secret).toString('base64').slice(0, -4))) leaks.push({ file, how: 'base64' });
    }
    if (file.endsWith('.parquet')) {
      const text = JSON.stringify(await queryRows(`SELECT * FROM read_parquet(${sqlLiteral(file)})`));
      for (const secret of secrets) if (text.includes(secret)) leaks.push({ file, how: 'parquet row' });
    }
  }
  return leaks;
}

/** Deterministic answers: odd PR numbers are performance work. */
function answer(request: FakeRequest) {
  const messages = (request.body as { messages: Array<{ content: string }> }).messages;
  const n = Number(/Pull Request #(\d+)/.exec(messages[1]?.content ?? '')?.[1]);
  const perf = n % 2 === 1;
  return {
    content: JSON.stringify({
      is_performance_commit: perf,
      explanation: `answer for ${n}`,
      category: perf ? 'remove_or_reduce_work' : null,
      difficulty: perf ? 'easy' : null,
      confidence: 70,
      problem_statement: perf ? 'The operation is slow on large inputs.' : '',
    }),
  };
}

let ws: TestWorkspace;
let llm: FakeOpenAiServer;
let update: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  ws = new TestWorkspace('datasmith-secrets-', STEPS);
  await generateDemoStore(ws.path('data/demo/store'));
  ws.write(
    'datasmith.config.json',
    `${JSON.stringify({
      source: 'store',
      store: 'data/demo/store',
      repos: { file: 'data/repos/repos.csv' },
      classify: { backend: 'llm', model: 'local/openai/fake-model' },
    })}\n`,
  );
  ws.write('data/config/secrets-test-repos.csv', `repo_name\n${REPOS.join('\n')}\n`);
  ws.write(
    'tokens.env',
    `${Object.entries(FILE_TOKENS)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  ws.commitAll('workspace');
  llm = await startFakeOpenAiServer({
    respond: (request) =>
      request.headers.authorization === `Bearer ${TOKENS.DSPY_API_KEY}`
        ? answer(request)
        : { status: 401, body: { error: { message: 'bad key' } } },
  });
  update = await runCli(
    [
      'update',
      '--start-date',
      '2024-03-01',
      '--end-date',
      '2024-04-01',
      '--repos',
      'data/config/secrets-test-repos.csv',
      '--max-workers',
      '2',
    ],
    {
      cwd: ws.root,
      env: {
        ...TOKENS,
        DSPY_URL: llm.url,
        DATASMITH_LLM_RETRY_UNIT_MS: '5',
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        CI: 'true',
      },
    },
  );
}, 900_000);

afterAll(async () => {
  await llm?.close();
  ws?.dispose();
});

describe('no secret reaches an output, a log or the Nx cache', { timeout: 600_000 }, () => {
  it('runs the pipeline through Nx with the planted credentials in use', async () => {
    expect(update.code, `${update.stdout}\n${update.stderr}`).toBe(0);
    // The planted key was what the LLM saw, and classify really asked it.
    const completions = llm.completions();
    expect(completions.length).toBeGreaterThan(0);
    expect(new Set(completions.map((r) => r.headers.authorization))).toEqual(
      new Set([`Bearer ${TOKENS.DSPY_API_KEY}`]),
    );
    for (const repo of ['acme__fastmath', 'orbit__textkit']) {
      for (const table of [
        'collect/REPO/2024-03/commits',
        'prepare/REPO/2024-03/prepared',
        'classify/REPO/2024-03/classified',
      ]) {
        expect(ws.exists(`data/${table.replace('REPO', repo)}.parquet`)).toBe(true);
      }
    }
    const classified = await queryRows(
      `SELECT DISTINCT backend FROM read_parquet(${sqlLiteral(ws.path('data/classify/*/2024-03/classified.parquet'))}) WHERE backend IS NOT NULL`,
    );
    expect(classified).toEqual([{ backend: 'llm' }]);
    expect(ws.exists('data/master/master.parquet')).toBe(true);
    expect(ws.exists('data/dataset/README.md')).toBe(true);
  });

  it('finds none of the planted values in the output root, the logs or .nx', async () => {
    const files = [...filesUnder(ws.path('data')), ...filesUnder(ws.path('.nx'))].filter(
      (f) => !f.startsWith(ws.path('data/demo/store')),
    );
    const logs = files.filter((f) => f.startsWith(ws.path('data/logs')));
    expect(logs.length).toBe(1);
    // The log and the cache hold the tasks' output: they are real, non-empty, and were searched.
    expect(readFileSync(logs[0] as string, 'utf8')).toMatch(/classify: kept \d+, dropped \d+/);
    const outputs = files.filter((f) => f.includes(join('.nx', 'cache', 'terminalOutputs')));
    expect(outputs.some((f) => /classify: kept \d+/.test(readFileSync(f, 'utf8')))).toBe(true);
    expect(files.filter((f) => f.endsWith('.parquet')).length).toBeGreaterThanOrEqual(8);
    const leaks = await findLeaks(files, PLANTED);
    expect(leaks.map((l) => `${relative(ws.root, l.file)} (${l.how})`)).toEqual([]);
    for (const secret of PLANTED) {
      expect(update.stdout).not.toContain(secret);
      expect(update.stderr).not.toContain(secret);
    }
  });

  it('the search itself finds a planted value in raw, base64 and compressed Parquet form', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-secrets-control-'));
    const secret = TOKENS.HF_TOKEN;
    const Row = z.object({ id: z.number().int(), note: z.string() });
    // Many repetitions make DuckDB compress the column, so the raw bytes no longer hold the value.
    await writeTable(
      join(dir, 't.parquet'),
      Row,
      Array.from({ length: 2000 }, (_, id) => ({ id, note: id === 1234 ? `x${secret}y` : 'filler filler filler' })),
      ['id'],
    );
    ws.write('control/raw.txt', `token=${secret}\n`);
    ws.write('control/b64.json', JSON.stringify({ auth: Buffer.from(secret).toString('base64') }));
    const leaks = await findLeaks(
      [join(dir, 't.parquet'), ws.path('control/raw.txt'), ws.path('control/b64.json')],
      [secret],
    );
    expect(leaks.map((l) => `${relative(dir, l.file).replace(/^.*control\//, 'control/')} ${l.how}`)).toEqual(
      expect.arrayContaining(['t.parquet parquet row', 'control/raw.txt raw', 'control/b64.json base64']),
    );
  });
});
