import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake Hub received. */
export interface HubRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or NDJSON lines for commits; null for binary uploads. */
  body: unknown;
  /** Byte length of the body. */
  size: number;
  authorization: string | null;
}

/** A stored file of a fake repository. */
export interface HubStoredFile {
  content: Buffer;
  /** sha256 when stored through LFS. */
  lfsOid: string | null;
}

/** A commit the fake applied. */
export interface HubCommit {
  oid: string;
  summary: string;
  operations: Array<{ key: string; path: string }>;
}

export interface FakeHubOptions {
  /** The only token accepted for writes. Default `hf_faketoken0123456789abcdef`. */
  token?: string;
  /** Entries per tree page (the real Hub paginates with a Link header). Default 1000. */
  treePageSize?: number;
}

/** A pause point: the handler waits until `release()` (or the client disconnects, which cancels it). */
export interface HubHold {
  /** Resolves when a request reached the hold. */
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * A real HTTP listener on 127.0.0.1 that speaks the parts of the Hugging Face Hub protocol that
 * `@huggingface/hub` uses to publish a dataset (stack notes §7): repo info and creation, the tree
 * listing (paginated), preupload, the LFS batch API with basic PUT transfers, and the NDJSON commit
 * (file, lfsFile, deletedFile, deletedFolder), applied atomically. Every request is logged.
 */
export interface FakeHub {
  readonly url: string;
  readonly token: string;
  readonly requests: HubRequest[];
  readonly commits: HubCommit[];
  /** Files of a repository (`namespace/name`), by path. */
  files(repo: string): Map<string, HubStoredFile>;
  /** Creates a repository holding these files (the Hub's default `.gitattributes` first). */
  seed(repo: string, files: Record<string, string | Uint8Array>): void;
  /** Pauses the next request whose `METHOD path` matches. */
  hold(method: string, path: RegExp): HubHold;
  close(): Promise<void>;
}

const GITATTRIBUTES = '*.parquet filter=lfs diff=lfs merge=lfs -text\n*.arrow filter=lfs diff=lfs merge=lfs -text\n';

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function blobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/** Starts a {@link FakeHub} on a free port. */
export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  const token = options.token ?? 'hf_faketoken0123456789abcdef';
  const pageSize = options.treePageSize ?? 1000;
  const repos = new Map<string, Map<string, HubStoredFile>>();
  const lfs = new Map<string, Buffer>();
  const requests: HubRequest[] = [];
  const commits: HubCommit[] = [];
  const holds: Array<{
    method: string;
    path: RegExp;
    reached: () => void;
    wait: Promise<void>;
    release: () => void;
    used: boolean;
  }> = [];
  let base = '';

  const lfsMode = (path: string, repoFiles: Map<string, HubStoredFile>): boolean => {
    const attributes = repoFiles.get('.gitattributes')?.content.toString('utf8') ?? GITATTRIBUTES;
    return attributes
      .split('\n')
      .filter((line) => line.includes('filter=lfs'))
      .some((line) => {
        const pattern = line.split(/\s+/)[0] ?? '';
        return pattern.startsWith('*.') && path.endsWith(pattern.slice(1));
      });
  };

  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${token}`;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    const raw = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    let body: unknown = null;
    if (contentType.includes('ndjson')) {
      body = raw
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    } else if (contentType.includes('json')) {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : null;
    }
    requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      size: raw.length,
      authorization: req.headers.authorization ?? null,
    });

    const hold = holds.find((h) => !h.used && h.method === method && h.path.test(path));
    if (hold) {
      hold.used = true;
      hold.reached();
      let closed = false;
      res.on('close', () => {
        closed = !res.writableFinished;
      });
      await Promise.race([hold.wait, new Promise<void>((r) => req.socket.once('close', () => r()))]);
      if (closed || req.socket.destroyed) return;
    }

    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/whoami-v2') {
      if (!authorized(req)) return json(res, 401, { error: 'Invalid credentials' });
      return json(res, 200, { type: 'user', name: 'datasmith-test', auth: { accessToken: { role: 'write' } } });
    }
    if (method === 'POST' && path === '/api/repos/create') {
      if (!authorized(req)) return json(res, 401, { error: 'Invalid credentials' });
      const b = body as { name: string; organization?: string; type?: string };
      const name = `${b.organization ?? 'datasmith-test'}/${b.name}`;
      if (repos.has(name)) return json(res, 409, { error: 'You already created this dataset repo' });
      repos.set(name, new Map([['.gitattributes', { content: Buffer.from(GITATTRIBUTES), lfsOid: null }]]));
      return json(res, 200, { url: `${base}/datasets/${name}`, id: name });
    }
    m = method === 'GET' ? /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path) : null;
    if (m) {
      const files = repos.get(m[1] as string);
      if (!files) return json(res, 404, { error: 'Repository not found' });
      const prefix = m[3] ? `${m[3]}/` : '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries: Array<Record<string, unknown>> = [];
      const dirs = new Set<string>();
      for (const [p, f] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        const parts = rest.split('/');
        for (let i = 1; i < parts.length; i++) dirs.add(prefix + parts.slice(0, i).join('/'));
        if (!recursive && parts.length > 1) continue;
        entries.push({
          type: 'file',
          path: p,
          size: f.content.length,
          oid: blobSha1(
            f.lfsOid
              ? Buffer.from(
                  `version https://git-lfs.github.com/spec/v1\noid sha256:${f.lfsOid}\nsize ${f.content.length}\n`,
                )
              : f.content,
          ),
          ...(f.lfsOid ? { lfs: { oid: f.lfsOid, size: f.content.length, pointerSize: 134 } } : {}),
        });
      }
      for (const d of dirs) {
        if (!recursive && d.slice(prefix.length).includes('/')) continue;
        entries.push({ type: 'directory', path: d, size: 0, oid: blobSha1(Buffer.from(d)) });
      }
      entries.sort((a, b) => (String(a.path) < String(b.path) ? -1 : 1));
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < entries.length) {
        const next = new URL(url.toString());
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<${next.toString()}>; rel="next"`;
      }
      return json(res, 200, page, headers);
    }
    m = method === 'GET' ? /^\/api\/datasets\/([^/]+\/[^/]+)$/.exec(path) : null;
    if (m) {
      if (!repos.has(m[1] as string)) return json(res, 404, { error: 'Repository not found' });
      return json(res, 200, { id: m[1], private: false, sha: commits.at(-1)?.oid ?? '0'.repeat(40) });
    }
    m = method === 'POST' ? /^\/api\/datasets\/([^/]+\/[^/]+)\/preupload\/([^/]+)$/.exec(path) : null;
    if (m) {
      if (!authorized(req)) return json(res, 401, { error: 'Invalid credentials' });
      const files = repos.get(m[1] as string);
      if (!files) return json(res, 404, { error: 'Repository not found' });
      const b = body as { files: Array<{ path: string; size: number; sample: string }> };
      return json(res, 200, {
        files: b.files.map((f) => ({
          path: f.path,
          uploadMode: lfsMode(f.path, files) ? 'lfs' : 'regular',
          shouldIgnore: false,
        })),
      });
    }
    m = method === 'POST' ? /^\/datasets\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(path) : null;
    if (m) {
      if (!authorized(req)) return json(res, 401, { message: 'Invalid credentials' });
      const b = body as { operation: string; transfers: string[]; objects: Array<{ oid: string; size: number }> };
      if (!b.transfers.includes('basic')) return json(res, 422, { message: 'basic transfer required' });
      return json(
        res,
        200,
        {
          transfer: 'basic',
          objects: b.objects.map((o) =>
            lfs.has(o.oid)
              ? { oid: o.oid, size: o.size }
              : { oid: o.oid, size: o.size, actions: { upload: { href: `${base}/lfs-upload/${o.oid}` } } },
          ),
        },
        { 'content-type': 'application/vnd.git-lfs+json' },
      );
    }
    m = method === 'PUT' ? /^\/lfs-upload\/([0-9a-f]{64})$/.exec(path) : null;
    if (m) {
      if (sha256(raw) !== m[1]) return json(res, 400, { error: 'sha256 mismatch' });
      lfs.set(m[1] as string, raw);
      res.writeHead(200, { etag: `"${m[1]}"` });
      res.end();
      return;
    }
    m = method === 'POST' ? /^\/api\/datasets\/([^/]+\/[^/]+)\/commit\/([^/]+)$/.exec(path) : null;
    if (m) {
      if (!authorized(req)) return json(res, 401, { error: 'Invalid credentials' });
      const name = m[1] as string;
      const files = repos.get(name);
      if (!files) return json(res, 404, { error: 'Repository not found' });
      const lines = body as Array<{ key: string; value: Record<string, unknown> }>;
      const next = new Map(files);
      const ops: HubCommit['operations'] = [];
      let summary = '';
      for (const line of lines) {
        const v = line.value;
        const p = String(v.path ?? '');
        if (line.key === 'header') summary = String(v.summary ?? '');
        else if (line.key === 'file') {
          next.set(p, { content: Buffer.from(String(v.content), 'base64'), lfsOid: null });
        } else if (line.key === 'lfsFile') {
          const content = lfs.get(String(v.oid));
          if (!content) return json(res, 422, { error: `LFS object ${String(v.oid)} was never uploaded` });
          next.set(p, { content, lfsOid: String(v.oid) });
        } else if (line.key === 'deletedFile') {
          if (!next.has(p)) return json(res, 404, { error: `File ${p} does not exist` });
          next.delete(p);
        } else if (line.key === 'deletedFolder') {
          for (const k of [...next.keys()]) if (k.startsWith(`${p.replace(/\/$/, '')}/`)) next.delete(k);
        } else return json(res, 400, { error: `Unknown key ${line.key}` });
        if (line.key !== 'header') ops.push({ key: line.key, path: p });
      }
      repos.set(name, next);
      const oid = randomBytes(20).toString('hex');
      commits.push({ oid, summary, operations: ops });
      return json(res, 200, { commitOid: oid, commitUrl: `${base}/datasets/${name}/commit/${oid}`, hookOutput: '' });
    }
    json(res, 404, { error: `fake hub: no route for ${method} ${path}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) json(res, 500, { error: String(error) });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    token,
    requests,
    commits,
    files: (repo) => repos.get(repo) ?? new Map(),
    seed(repo, files) {
      const map = new Map<string, HubStoredFile>([
        ['.gitattributes', { content: Buffer.from(GITATTRIBUTES), lfsOid: null }],
      ]);
      for (const [p, content] of Object.entries(files)) {
        const bytes = Buffer.from(content);
        const isLfs = lfsMode(p, map);
        if (isLfs) lfs.set(sha256(bytes), bytes);
        map.set(p, { content: bytes, lfsOid: isLfs ? sha256(bytes) : null });
      }
      repos.set(repo, map);
    },
    hold(methodName, pathPattern) {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((r) => {
        reached = r;
      });
      const wait = new Promise<void>((r) => {
        release = r;
      });
      holds.push({ method: methodName, path: pathPattern, reached, wait, release, used: false });
      return { reached: reachedPromise, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of holds) h.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
