import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, rm, stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A self-hosted remote cache for Nx 23 (stack-notes §2b): the protocol of Nx's built-in client
 * (`NX_SELF_HOSTED_REMOTE_CACHE_SERVER`, `NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN`):
 * `GET /v1/cache/{hash}` answers 200 with the stored tar.gz or 404; `PUT /v1/cache/{hash}` stores the
 * body (200) or answers 409 when the hash is already stored. Every request needs `Authorization:
 * Bearer <token>` (401 without one, 403 with a wrong one).
 */
export interface CacheServerOptions {
  /** Where entries are stored, one file per hash. Created when missing. */
  dir: string;
  /** The bearer token every request must carry. */
  token: string;
  /** Largest accepted entry in bytes (413 above it). Default 2 GiB. */
  maxEntryBytes?: number;
  /** One line per request (method, hash, status, bytes); never the token. */
  log?: (line: string) => void;
}

export interface CacheServer {
  /** `http://host:port` once listening. */
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_MAX_ENTRY_BYTES = 2 * 1024 ** 3;

/** Nx task hashes are decimal strings; anything else could escape the folder, so it is refused. */
const HASH = /^[A-Za-z0-9_-]{1,128}$/;
const ROUTE = /^\/v1\/cache\/([^/?#]+)$/;

/** Parses `512MB`, `2GB`, `1048576` (binary units: 1 KB = 1024 bytes). */
export function parseSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?$/i.exec(text.trim());
  if (!match) return null;
  const exponent = ['B', 'KB', 'MB', 'GB', 'TB'].indexOf((match[2] ?? 'B').toUpperCase());
  return Math.floor(Number(match[1]) * 1024 ** exponent);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

type Outcome = { status: number; bytes?: number };

/** `null` when the request carries the bearer token, else the status to answer: 401 without one, 403 with another. */
function authorize(req: IncomingMessage, tokenDigest: Buffer): 401 | 403 | null {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return 401;
  // Compared as digests so the comparison time does not depend on where the strings differ.
  return timingSafeEqual(digest(match[1].trim()), tokenDigest) ? null : 403;
}

/** Streams a request body to `tmp`, failing once it is longer than `declared`; returns its length. */
async function receiveBody(req: IncomingMessage, tmp: string, declared: number): Promise<number> {
  let received = 0;
  await pipeline(
    req,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        received += chunk.length;
        if (received > declared) throw new Error('body longer than Content-Length');
        yield chunk;
      }
    },
    createWriteStream(tmp, { flags: 'wx', flush: true }),
  );
  return received;
}

/** The entries on disk, one file per hash; uploads go through a temporary file. */
class EntryStore {
  private readonly tmpDir: string;
  private tmpCounter = 0;

  constructor(
    readonly dir: string,
    private readonly maxEntryBytes: number,
  ) {
    this.tmpDir = join(dir, '.tmp');
  }

  async prepare(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
  }

  async get(file: string, res: ServerResponse): Promise<Outcome> {
    const size = await stat(file).then(
      (s) => s.size,
      () => null,
    );
    if (size === null) return { status: 404 };
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    await pipeline(createReadStream(file), res);
    return { status: 200, bytes: size };
  }

  async put(file: string, req: IncomingMessage): Promise<Outcome> {
    const declared = Number(req.headers['content-length']);
    if (req.headers['content-length'] === undefined || !Number.isSafeInteger(declared) || declared < 0) {
      return { status: 411 };
    }
    if (declared > this.maxEntryBytes) return { status: 413 };
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      return { status: 409 };
    const tmp = join(this.tmpDir, `${process.pid}-${++this.tmpCounter}-${Date.now()}`);
    try {
      const received = await receiveBody(req, tmp, declared);
      if (received !== declared) return { status: 400 };
      // link() never replaces: of two machines uploading the same hash at once, one wins and the
      // other gets 409, and a reader only ever sees a complete file.
      try {
        await link(tmp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { status: 409 };
        throw error;
      }
      return { status: 200, bytes: received };
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

/** Routes one request: the cache path, the token, a safe hash, then GET or PUT. */
async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  store: EntryStore,
  tokenDigest: Buffer,
): Promise<Outcome> {
  const route = ROUTE.exec((req.url ?? '').split('?')[0] ?? '');
  if (!route?.[1]) return { status: 404 };
  const denied = authorize(req, tokenDigest);
  if (denied) return { status: denied };
  let hash: string;
  try {
    hash = decodeURIComponent(route[1]);
  } catch {
    return { status: 400 };
  }
  if (!HASH.test(hash)) return { status: 400 };
  const file = join(store.dir, hash);
  if (req.method === 'GET') return store.get(file, res);
  if (req.method === 'PUT') return store.put(file, req);
  return { status: 405 };
}

/** Logs the outcome and, unless a body was already sent, answers with its status and no body. */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  hash: string,
  outcome: Outcome,
  log: (line: string) => void,
) {
  log(
    `cache-server: ${req.method} ${hash} ${outcome.status}${outcome.bytes === undefined ? '' : ` ${outcome.bytes} B`}`,
  );
  if (res.headersSent) return;
  const headers: Record<string, string> = { Connection: 'close' };
  if (outcome.status === 401) headers['WWW-Authenticate'] = 'Bearer';
  res.writeHead(outcome.status, headers);
  res.end();
  // A refused upload is read and dropped: cutting the connection could lose the answer too.
  if (!req.complete) req.resume();
}

/** Starts listening on `host:port` (port 0 picks a free one). */
export async function startCacheServer(
  options: CacheServerOptions,
  listen: { host?: string; port?: number } = {},
): Promise<CacheServer> {
  if (!options.token) throw new Error('The cache server needs a non-empty token');
  const store = new EntryStore(options.dir, options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES);
  const log = options.log ?? (() => {});
  const tokenDigest = digest(options.token);
  await store.prepare();

  const server: Server = createServer((req, res) => {
    const hash = ROUTE.exec(req.url ?? '')?.[1] ?? req.url ?? '';
    handle(req, res, store, tokenDigest)
      .catch((error: unknown) => {
        log(`cache-server: ${req.method} ${hash} failed: ${error instanceof Error ? error.message : String(error)}`);
        return { status: 500 } as Outcome;
      })
      .then((outcome) => answer(req, res, hash, outcome, log));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
