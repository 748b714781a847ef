import { mkdtemp, readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderDatasetCard, sizeCategory } from './card';
import { type HubFile, gitBlobSha1, sha256Hex, writeLocalLayout } from './files';
import { type FakeHub, startFakeHub } from './testing/fake-hub';
import { uploadDatasetFiles } from './upload';

const enc = (s: string) => new TextEncoder().encode(s);

function layout(months: string[], tag = 'v1'): HubFile[] {
  const configs = ['default', ...months];
  return [
    {
      path: 'README.md',
      content: enc(
        renderDatasetCard({
          configs: configs.map((c) => ({
            name: c,
            path: `${c}/train-00000-of-00001.parquet`,
            rows: 1,
            description: c,
          })),
        }),
      ),
    },
    ...configs.map((c) => ({ path: `${c}/train-00000-of-00001.parquet`, content: enc(`PAR1 ${c} ${tag} PAR1`) })),
  ];
}

let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

describe('uploadDatasetFiles against a real listener speaking the Hub protocol', () => {
  it('makes one commit that adds every file and deletes the stale month, with every protocol step', async () => {
    hub = await startFakeHub();
    hub.seed('org/ds', {
      'README.md': '---\nconfigs: []\n---\nold card\n',
      '2023-12/train-00000-of-00001.parquet': 'PAR1 stale month PAR1',
      'notes.txt': 'kept: not a parquet file',
    });
    const files = layout(['2024-01', '2024-02']);
    const result = await uploadDatasetFiles(files, { repo: 'org/ds', accessToken: hub.token, hubUrl: hub.url });

    expect(result).toMatchObject({
      created: false,
      added: [
        'README.md',
        'default/train-00000-of-00001.parquet',
        '2024-01/train-00000-of-00001.parquet',
        '2024-02/train-00000-of-00001.parquet',
      ],
      deleted: ['2023-12/train-00000-of-00001.parquet'],
      unchanged: [],
    });
    expect(result.commitUrl).toMatch(/\/datasets\/org\/ds\/commit\/[0-9a-f]{40}$/);

    const seen = hub.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{64}/, '<oid>')}`);
    expect(seen).toEqual([
      'GET /api/datasets/org/ds',
      'GET /api/datasets/org/ds/tree/main',
      'POST /api/datasets/org/ds/preupload/main',
      'POST /datasets/org/ds.git/info/lfs/objects/batch',
      'PUT /lfs-upload/<oid>',
      'PUT /lfs-upload/<oid>',
      'PUT /lfs-upload/<oid>',
      'POST /api/datasets/org/ds/commit/main',
    ]);
    const [, tree, preupload, batch] = hub.requests;
    expect(tree?.query).toMatchObject({ recursive: 'true' });
    expect((preupload?.body as { files: Array<{ path: string }> } | undefined)?.files.map((f) => f.path)).toEqual(
      files.map((f) => f.path),
    );
    const batchBody = batch?.body as {
      operation: string;
      transfers: string[];
      objects: Array<{ oid: string; size: number }>;
    };
    expect(batchBody.operation).toBe('upload');
    expect(batchBody.transfers).toContain('basic');
    expect(batchBody.objects.map((o) => o.oid).sort()).toEqual(
      files
        .slice(1)
        .map((f) => sha256Hex(f.content))
        .sort(),
    );
    for (const request of hub.requests) {
      if (request.method !== 'PUT' && request.path !== '/api/datasets/org/ds')
        expect(request.authorization).toBe(`Bearer ${hub.token}`);
    }

    // exactly one commit, carrying the deletion of the stale month
    expect(hub.commits).toHaveLength(1);
    const lines = hub.requests.at(-1)?.body as Array<{ key: string; value: Record<string, unknown> }>;
    expect(lines.map((l) => `${l.key} ${l.value.path ?? ''}`)).toEqual([
      'header ',
      'file README.md',
      'lfsFile default/train-00000-of-00001.parquet',
      'lfsFile 2024-01/train-00000-of-00001.parquet',
      'lfsFile 2024-02/train-00000-of-00001.parquet',
      'deletedFile 2023-12/train-00000-of-00001.parquet',
    ]);
    expect(lines[0]?.value.summary).toBe('Update dataset configs via datasmith dataset');

    const stored = hub.files('org/ds');
    expect([...stored.keys()].sort()).toEqual(['.gitattributes', 'notes.txt', ...files.map((f) => f.path)].sort());
    for (const f of files)
      expect(Buffer.compare(stored.get(f.path)?.content as Buffer, Buffer.from(f.content))).toBe(0);
    expect(stored.get('default/train-00000-of-00001.parquet')?.lfsOid).toBe(sha256Hex(files[1]?.content as Uint8Array));
  });

  it('makes no commit when nothing changed, and only the changed file next time', async () => {
    hub = await startFakeHub();
    hub.seed('org/ds', {});
    await uploadDatasetFiles(layout(['2024-01']), { repo: 'org/ds', accessToken: hub.token, hubUrl: hub.url });
    hub.requests.length = 0;
    const again = await uploadDatasetFiles(layout(['2024-01']), {
      repo: 'org/ds',
      accessToken: hub.token,
      hubUrl: hub.url,
    });
    expect(again.commitUrl).toBeNull();
    expect(again.unchanged).toHaveLength(3);
    expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/datasets/org/ds',
      'GET /api/datasets/org/ds/tree/main',
    ]);
    expect(hub.commits).toHaveLength(1);

    const changed = layout(['2024-01']).map((f) =>
      f.path === '2024-01/train-00000-of-00001.parquet' ? { ...f, content: enc('PAR1 changed PAR1') } : f,
    );
    const third = await uploadDatasetFiles(changed, { repo: 'org/ds', accessToken: hub.token, hubUrl: hub.url });
    expect(third.added).toEqual(['2024-01/train-00000-of-00001.parquet']);
    expect(hub.commits.at(-1)?.operations).toEqual([{ key: 'lfsFile', path: '2024-01/train-00000-of-00001.parquet' }]);
  });

  it('creates a missing repository and follows paginated tree listings to find stale files', async () => {
    hub = await startFakeHub({ treePageSize: 1 });
    const created = await uploadDatasetFiles(layout(['2024-01', '2024-02']), {
      repo: 'org/new',
      accessToken: hub.token,
      hubUrl: hub.url,
    });
    expect(created.created).toBe(true);
    expect(hub.requests.some((r) => r.method === 'POST' && r.path === '/api/repos/create')).toBe(true);
    const shrunk = await uploadDatasetFiles(layout(['2024-02']), {
      repo: 'org/new',
      accessToken: hub.token,
      hubUrl: hub.url,
    });
    expect(shrunk.deleted).toEqual(['2024-01/train-00000-of-00001.parquet']);
    expect(hub.requests.filter((r) => r.path.includes('/tree/')).length).toBeGreaterThan(4);
    expect([...hub.files('org/new').keys()].sort()).toEqual(
      [
        '.gitattributes',
        'README.md',
        'default/train-00000-of-00001.parquet',
        '2024-02/train-00000-of-00001.parquet',
      ].sort(),
    );
  });

  it('reports a rejected token as one line, without the token', async () => {
    hub = await startFakeHub();
    hub.seed('org/ds', {});
    const token = 'hf_wrongtoken0123456789abcdefghij';
    const error = await uploadDatasetFiles(layout([]), { repo: 'org/ds', accessToken: token, hubUrl: hub.url }).catch(
      (e) => e,
    );
    expect(error.name).toBe('RemoteError');
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(token);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(hub.commits).toHaveLength(0);
    await expect(
      uploadDatasetFiles(layout([]), { repo: 'org/ds', accessToken: 'nope', hubUrl: hub.url }),
    ).rejects.toThrow(/HF_TOKEN: a Hugging Face token starts with hf_/);
  });
});

describe('writeLocalLayout', () => {
  it('writes the same layout, deletes stale parquet files and empty folders, and converges', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-hub-local-'));
    await mkdir(join(dir, '2023-12'), { recursive: true });
    await writeFile(join(dir, '2023-12', 'train-00000-of-00001.parquet'), 'stale');
    await writeFile(join(dir, 'notes.txt'), 'kept');
    const first = await writeLocalLayout(dir, layout(['2024-01']));
    expect(first.deleted).toEqual(['2023-12/train-00000-of-00001.parquet']);
    expect((await readdir(dir)).sort()).toEqual(['2024-01', 'README.md', 'default', 'notes.txt']);
    const second = await writeLocalLayout(dir, layout(['2024-01']));
    expect(second).toEqual({ written: [], unchanged: expect.any(Array), deleted: [] });
    expect(await readFile(join(dir, '2024-01', 'train-00000-of-00001.parquet'), 'utf8')).toBe('PAR1 2024-01 v1 PAR1');
  });
});

describe('card and hashes', () => {
  it('puts every config in the YAML front matter', () => {
    const card = renderDatasetCard({
      configs: [
        { name: 'default', path: 'default/train-00000-of-00001.parquet', rows: 1500, description: 'all' },
        { name: '2024-01', path: '2024-01/train-00000-of-00001.parquet', rows: 2, description: 'jan' },
      ],
    });
    const front = parse(card.split('---\n')[1] as string);
    expect(front.configs).toEqual([
      { config_name: 'default', data_files: [{ split: 'train', path: 'default/train-00000-of-00001.parquet' }] },
      { config_name: '2024-01', data_files: [{ split: 'train', path: '2024-01/train-00000-of-00001.parquet' }] },
    ]);
    expect(front).toMatchObject({ default_config_name: 'default', size_categories: ['1K<n<10K'], language: ['en'] });
    expect(card).toContain('pandas_dev-pandas_50643');
    expect(sizeCategory(999)).toBe('n<1K');
  });

  it('computes git blob ids like git', () => {
    expect(gitBlobSha1(enc('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });
});
