import { createRequire } from 'node:module';
import type Docker from 'dockerode';

const require = createRequire(import.meta.url);
let dockerode: typeof Docker | undefined;

/**
 * dockerode, loaded with the first client (about 0.15 s with its ssh and protobuf dependencies)
 * rather than by every command that imports this package. It is CommonJS, so `require` keeps
 * {@link createDockerClient} synchronous.
 */
function dockerodeClass(): typeof Docker {
  dockerode ??= require('dockerode') as typeof Docker;
  return dockerode;
}

/** Options of the engine client. */
export interface DockerClientOptions {
  /** `unix:///path`, `tcp://host:port` or `http(s)://host:port`. Default: `DOCKER_HOST` from `env`, else the local socket. */
  host?: string;
  /** Environment to read `DOCKER_HOST` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The default local socket. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** A dockerode client for `DOCKER_HOST` (or the given host), without contacting the engine. */
export function createDockerClient(options: DockerClientOptions = {}): Docker {
  const Dockerode = dockerodeClass();
  const host = options.host ?? (options.env ?? process.env).DOCKER_HOST ?? '';
  if (!host) return new Dockerode({ socketPath: DEFAULT_DOCKER_SOCKET });
  if (host.startsWith('unix://')) return new Dockerode({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Dockerode({ socketPath: host });
  const url = new URL(host.replace(/^tcp:\/\//, 'http://'));
  return new Dockerode({
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 2376 : 2375)),
  });
}

/** Whether the engine answered, its version, or why not (one line). */
export interface EngineStatus {
  ok: boolean;
  version?: string;
  apiVersion?: string;
  reason?: string;
}

/** Pings the engine with a time limit (ms, default 5000). Never throws. */
export async function probeEngine(docker: Docker, timeoutMs = 5000): Promise<EngineStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, version: version.Version, apiVersion: version.ApiVersion };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `Docker engine unreachable: ${message.split('\n')[0]}` };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** True when an error means the engine itself could not be reached (socket missing, refused, reset, no permission). */
export function isEngineUnreachableError(error: unknown): boolean {
  const e = error as { code?: unknown; syscall?: unknown; cause?: unknown; statusCode?: unknown } | null;
  // An HTTP status means the engine answered (its message may quote a registry's "connect ECONNREFUSED").
  if (typeof e?.statusCode === 'number') return false;
  const message = error instanceof Error ? error.message : String(error);
  if (e && e.syscall === 'connect') return true;
  if (e && (e.code === 'ECONNRESET' || e.code === 'EPIPE') && /docker|socket/i.test(message)) return true;
  if (/connect (ECONNREFUSED|ENOENT|EHOSTUNREACH|ETIMEDOUT)|socket hang up|Docker engine unreachable/.test(message))
    return true;
  return e?.cause !== undefined && e.cause !== error ? isEngineUnreachableError(e.cause) : false;
}
