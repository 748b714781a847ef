import type { ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeOpenAiServer, type FakeReply, type FakeRequest, startFakeOpenAiServer } from '@datasmith/llm/testing';
import { normalizePrepareOptions, prepareRow } from '@datasmith/steps';
import { ClassifiedRow, PreparedRow, readTable, writeTable } from '@datasmith/tables';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, testCommit } from './cli-test-helpers';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const GATED = 6;
const prepared: PreparedRow[] = [
  ...Array.from({ length: GATED }, (_, i) =>
    testCommit(`PERF: faster totals ${i + 1}`, 'Totals are slow on long lists.', { pr_number: i + 1 }),
  ),
  testCommit('DOC: typo', '', { pr_number: 50, kept: false, drop_reason: 'docs_only' }),
].map((row) => prepareRow(row, normalizePrepareOptions()));

/** Deterministic answers: odd PR numbers are performance work. */
function answer(request: FakeRequest): FakeReply {
  const messages = (request.body as { messages: Array<{ content: string }> }).messages;
  const n = Number(/Pull Request #(\d+)/.exec(messages[1]?.content ?? '')?.[1]);
  const perf = n % 2 === 1;
  return {
    content: JSON.stringify({
      is_performance_commit: perf,
      explanation: `answer for ${n}`,
      category: perf ? 'cache_and_reuse' : null,
      difficulty: perf ? 'medium' : null,
      confidence: 80,
      problem_statement: perf ? `Totals ${n} are slow on long lists.` : '',
    }),
    usage: { prompt_tokens: 50, completion_tokens: 10 },
  };
}

let servers: FakeOpenAiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function server(delayMs = 0): Promise<FakeOpenAiServer> {
  const s = await startFakeOpenAiServer({ respond: (r) => ({ ...answer(r), delayMs }) });
  servers.push(s);
  return s;
}
const llmEnv = (s: FakeOpenAiServer) => ({
  DSPY_URL: s.url,
  DSPY_MODEL_NAME: 'local/openai/test-model',
  DATASMITH_LLM_RETRY_UNIT_MS: '5',
});
const classifyArgs = [
  'classify',
  '--in',
  '../prepared.parquet',
  '--out',
  'perf.parquet',
  '--out-raw',
  'classified.parquet',
];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ds-cli-classify-'));
  await writeTable(join(root, 'prepared.parquet'), PreparedRow, prepared, ['pr_number']);
});

describe('datasmith classify', () => {
  it('rules backend: perf rows in --out, every row in --out-raw, byte-identical re-run', async () => {
    const cwd = await mkdtemp(join(root, 'rules-'));
    const first = await runCli(classifyArgs, { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe('classify: kept 6, dropped 1 (docs_only: 1)');
    const raw = await readTable(join(cwd, 'classified.parquet'), ClassifiedRow);
    expect(raw).toHaveLength(7);
    expect(raw.every((r) => r.backend === (r.kept ? 'rules' : null))).toBe(true);
    expect(await readTable(join(cwd, 'perf.parquet'), ClassifiedRow)).toHaveLength(6);
    const bytes = await readFile(join(cwd, 'classified.parquet'));
    expect((await runCli(classifyArgs, { cwd })).code).toBe(0);
    expect((await readFile(join(cwd, 'classified.parquet'))).equals(bytes)).toBe(true);
  });

  it('llm backend: one call per gated row, then zero on re-run; tokens in the summary', async () => {
    const s = await server();
    const cwd = await mkdtemp(join(root, 'llm-'));
    const first = await runCli([...classifyArgs, '--backend', 'llm', '--json'], { cwd, env: llmEnv(s) });
    expect(first.stderr).not.toMatch(/error|warning/i);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      step: 'classify',
      kept: 3,
      dropped: 4,
      reasons: { not_perf: 3, docs_only: 1 },
      backend: 'llm',
      model: 'test-model',
      llm_calls: GATED,
      prompt_tokens: 50 * GATED,
      completion_tokens: 10 * GATED,
    });
    expect(s.completions()).toHaveLength(GATED);
    const again = await runCli([...classifyArgs, '--backend', 'llm'], { cwd, env: llmEnv(s) });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('classify: kept 3, dropped 4 (not_perf: 3, docs_only: 1)');
    expect(again.stderr).toMatch(/llm 0 calls \(6 from memo\), tokens 0 prompt \+ 0 completion/);
    expect(s.requests).toHaveLength(GATED + 1);
  });

  it('an unreachable endpoint fails at once with the redacted URL and writes nothing', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const cwd = await mkdtemp(join(root, 'down-'));
    const run = await runCli([...classifyArgs, '--backend', 'llm'], {
      cwd,
      env: {
        DSPY_URL: `http://127.0.0.1:${port}/v1?api_key=hunter2hunter2`,
        DSPY_MODEL_NAME: 'm',
        DSPY_API_KEY: 'sk-abcdefghijklmnopqrstuvwx',
        DATASMITH_LLM_RETRY_UNIT_MS: '5',
      },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^datasmith classify: LLM endpoint unreachable: .*http://127\\.0\\.0\\.1:${port}/v1\\?api_key=\\*\\*\\*.*check DSPY_URL.*\\n$`,
      ),
    );
    expect(run.stderr).not.toMatch(/hunter2|sk-abc/);
    expect(await exists(join(cwd, 'classified.parquet'))).toBe(false);
  });

  it.each([
    [
      'a bad backend',
      ['--backend', 'magic'],
      /^datasmith classify: Invalid --backend: "magic"; expected rules or llm\n$/,
    ],
    [
      'bad rules weights',
      ['--rules-model', 'magic'],
      /^datasmith classify: Invalid --rules-model: "magic"; expected hand or learned\n$/,
    ],
    [
      'llm without an endpoint',
      ['--backend', 'llm'],
      /^datasmith classify: Missing LLM endpoint: set DSPY_URL or OPENAI_BASE_URL/,
    ],
  ])('rejects %s with exit code 2', async (_name, extra, message) => {
    const cwd = await mkdtemp(join(root, 'bad-'));
    const run = await runCli([...classifyArgs, ...extra], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  const badTables: Array<[string, z.ZodObject<z.ZodRawShape>, (r: PreparedRow) => Record<string, unknown>, RegExp]> = [
    [
      'missing columns',
      PreparedRow.omit({ is_perf_candidate: true, n_patch_tokens: true }),
      (r: PreparedRow) => {
        const { is_perf_candidate: _c, n_patch_tokens: _t, ...rest } = r;
        return rest;
      },
      /^datasmith classify: Invalid table: .*bad\.parquet is missing column\(s\) (n_patch_tokens, is_perf_candidate|is_perf_candidate, n_patch_tokens)\n$/,
    ],
    [
      'a wrong type',
      PreparedRow.extend({ kept: z.string() }),
      (r: PreparedRow) => ({ ...r, kept: String(r.kept) }),
      /^datasmith classify: Invalid row: .*bad\.parquet row 0, kept: Invalid input: expected boolean, received string[^\n]*\n$/,
    ],
  ];
  it.each(badTables)(
    'rejects %s in one line, naming them, and writes nothing',
    async (_name, schema, shape, message) => {
      const cwd = await mkdtemp(join(root, 'bad-table-'));
      await writeTable(join(cwd, 'bad.parquet'), schema, prepared.map(shape), ['pr_number']);
      const run = await runCli(
        ['classify', '--in', 'bad.parquet', '--out', 'perf.parquet', '--out-raw', 'classified.parquet'],
        {
          cwd,
        },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
      expect(await readdir(cwd)).toEqual(['bad.parquet']);
    },
  );

  it('resumes after SIGKILL: finished rows are memo hits and the tables are byte-identical', async () => {
    const reference = await mkdtemp(join(root, 'ref-'));
    const s = await server(250);
    const env = llmEnv(s);
    const args = [...classifyArgs, '--backend', 'llm', '--max-workers', '1'];
    expect((await runCli(args, { cwd: reference, env })).code).toBe(0);

    const cwd = await mkdtemp(join(root, 'killed-'));
    const before = s.completions().length;
    let child: ChildProcess | undefined;
    const killed = runCli(args, {
      cwd,
      env,
      onSpawn: (c) => {
        child = c;
      },
    });
    const memoDir = join(cwd, 'data', 'memo', 'llm');
    const memoFiles = async () => {
      const shards = await readdir(memoDir).catch(() => [] as string[]);
      return (await Promise.all(shards.map((x) => readdir(join(memoDir, x)))))
        .flat()
        .filter((f) => f.endsWith('.json'));
    };
    while ((await memoFiles()).length < 2) await new Promise((r) => setTimeout(r, 20));
    child?.kill('SIGKILL');
    const dead = await killed;
    expect(dead.signal).toBe('SIGKILL');
    const done = (await memoFiles()).length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(GATED);
    expect(await exists(join(cwd, 'classified.parquet'))).toBe(false);

    const resumed = await runCli([...args, '--json'], { cwd, env });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ memo_hits: done, llm_calls: GATED - done });
    expect(s.completions().length - before).toBeLessThanOrEqual(GATED + 1);
    for (const table of ['classified.parquet', 'perf.parquet']) {
      expect((await readFile(join(cwd, table))).equals(await readFile(join(reference, table))), table).toBe(true);
    }
  });
});
