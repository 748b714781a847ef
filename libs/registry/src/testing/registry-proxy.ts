import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the proxy saw, with the status it answered. */
export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
  /** True when the answer was injected (fault or auth), not the upstream's. */
  injected: boolean;
}

/** An injected answer for the next `times` requests that match. */
export interface RegistryFault {
  method?: string;
  /** Matches the request path (e.g. `/manifests/`). */
  path?: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** How many matching requests get this answer. Default 1. */
  times?: number;
}

export interface RegistryProxyOptions {
  /** The real registry, e.g. `http://127.0.0.1:5000`. */
  upstream: string;
  /** Require HTTP basic auth with these credentials (401 with a Basic challenge otherwise). */
  basicAuth?: { username: string; password: string };
}

/** A recording, fault-injecting HTTP proxy in front of a real registry (tests only). */
export interface RegistryProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, the registry host for image references. */
  readonly host: string;
  readonly requests: ProxiedRequest[];
  /** Queues an injected answer. */
  fault(fault: RegistryFault): void;
  /** Requests that upload something: blob uploads (POST/PATCH/PUT on blobs) and manifest PUTs. */
  uploads(): ProxiedRequest[];
  /**
   * Holds the next matching request until `release()`; `reached` resolves when it arrives. A held
   * request whose client goes away is dropped, never forwarded.
   */
  hold(method: string, path: RegExp): { reached: Promise<void>; release(): void };
  reset(): void;
  close(): Promise<void>;
}

/** Starts a {@link RegistryProxy} on 127.0.0.1 with a free port. */
export async function startRegistryProxy(options: RegistryProxyOptions): Promise<RegistryProxy> {
  const upstream = new URL(options.upstream);
  const requests: ProxiedRequest[] = [];
  const faults: Array<RegistryFault & { left: number }> = [];
  const expectedAuth = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`
    : null;

  const holds: Array<{ method: string; path: RegExp; used: boolean; reached: () => void; wait: Promise<void> }> = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const hold = holds.find((h) => !h.used && h.method === method && h.path.test(path));
    if (hold) {
      hold.used = true;
      req.pause();
      hold.reached();
      let gone = false;
      req.socket.once('close', () => {
        gone = true;
      });
      await hold.wait;
      if (gone || req.socket.destroyed) return;
      req.resume();
    }
    if (expectedAuth && req.headers.authorization !== expectedAuth) {
      req.resume();
      requests.push({ method, path, status: 401, injected: true });
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="datasmith-test"',
        'content-type': 'application/json',
        'docker-distribution-api-version': 'registry/2.0',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const fault = faults.find(
      (f) => f.left > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)),
    );
    if (fault) {
      fault.left--;
      req.resume();
      requests.push({ method, path, status: fault.status, injected: true });
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${fault.status}` }] }));
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: req.url,
        headers,
      },
      (up) => {
        requests.push({ method, path, status: up.statusCode ?? 0, injected: false });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', (error) => {
      requests.push({ method, path, status: 502, injected: true });
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(forward);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    fault(f) {
      faults.push({ ...f, left: f.times ?? 1 });
    },
    uploads() {
      return requests.filter(
        (r) =>
          !r.injected &&
          ((/\/blobs\/uploads\//.test(r.path) && ['POST', 'PATCH', 'PUT'].includes(r.method)) ||
            (/\/manifests\//.test(r.path) && r.method === 'PUT')),
      );
    },
    hold(method, path) {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((r) => {
        reached = r;
      });
      const wait = new Promise<void>((r) => {
        release = r;
      });
      holds.push({ method, path, used: false, reached, wait });
      return { reached: reachedPromise, release };
    },
    reset() {
      requests.length = 0;
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
