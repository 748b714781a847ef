import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerClient, isEngineUnreachableError } from './client';

// A listener speaking the Engine API's error shape: the engine answers 500 with a JSON message
// that itself quotes a refused connection (to a registry, say).
let server: Server;
let host = '';
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ message: 'Get "http://127.0.0.1:5999/v2/": dial tcp: connect ECONNREFUSED 127.0.0.1:5999' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  host = `tcp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('isEngineUnreachableError', () => {
  it('is true when the socket is missing', async () => {
    const docker = createDockerClient({ host: `unix://${join(tmpdir(), 'no-such-docker.sock')}` });
    const error = await docker.version().catch((e: unknown) => e);
    expect(isEngineUnreachableError(error)).toBe(true);
  });

  it('is false when the engine answered with an HTTP error, whatever its message quotes', async () => {
    const docker = createDockerClient({ host });
    const error = await docker.version().catch((e: unknown) => e);
    expect((error as { statusCode?: number }).statusCode).toBe(500);
    expect(isEngineUnreachableError(error)).toBe(false);
  });

  it('reads DOCKER_HOST from the given environment', async () => {
    const docker = createDockerClient({ env: { DOCKER_HOST: host } });
    const error = await docker.version().catch((e: unknown) => e);
    expect((error as { statusCode?: number }).statusCode).toBe(500);
  });
});
