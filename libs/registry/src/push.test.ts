import { describe, expect, it } from 'vitest';
import { type ImageEngine, type PushEvent, PushFailedError, pushWithRetry, readPushEvents } from './push';
import { DEFAULT_REGISTRY_RETRY_POLICY, kindOfPushMessage, registryRetryDelayMs } from './retry';

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A push stream as Docker 20.10 sends it for a small image (recorded). */
const SUCCESS: PushEvent[] = [
  { status: 'The push refers to repository [127.0.0.1:5055/ns/all]' },
  { status: 'Preparing', progressDetail: {}, id: '0390d897b006' },
  { status: 'Pushing', progressDetail: { current: 512, total: 6 }, id: '0390d897b006' },
  { status: 'Pushed', progressDetail: {}, id: '0390d897b006' },
  { status: `t--final: digest: ${DIGEST} size: 523` },
  { progressDetail: {}, aux: { Tag: 't--final', Digest: DIGEST, Size: 523 } },
];

const errorEvent = (message: string): PushEvent[] => [
  { status: 'The push refers to repository [127.0.0.1:5055/ns/all]' },
  { errorDetail: { message }, error: message },
];

describe('readPushEvents', () => {
  it('takes the digest from aux, else from the status line, and counts layers', () => {
    expect(readPushEvents(SUCCESS)).toEqual({
      digest: DIGEST,
      error: null,
      kind: null,
      layersPushed: 1,
      layersExisting: 0,
    });
    expect(readPushEvents(SUCCESS.slice(0, 5)).digest).toBe(DIGEST);
    expect(readPushEvents([{ status: 'Layer already exists', id: 'x' }, ...SUCCESS.slice(4)]).layersExisting).toBe(1);
  });

  it('turns error events into errors, and a stream without digest into one', () => {
    const refused = 'Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused';
    expect(readPushEvents(errorEvent(refused))).toMatchObject({ digest: null, error: refused, kind: 'unreachable' });
    expect(readPushEvents(SUCCESS.slice(0, 4))).toMatchObject({ digest: null, kind: 'other' });
  });

  it.each([
    ['unauthorized: authentication required', 'auth'],
    ['denied: requested access to the resource is denied', 'auth'],
    ['toomanyrequests: You have reached your pull rate limit', 'rate_limit'],
    ['received unexpected HTTP status: 503 Service Unavailable', 'server'],
    ['received unexpected HTTP status: 500 Internal Server Error', 'server'],
    ['An image does not exist locally with the tag: x', 'not_found'],
    ['manifest invalid', 'other'],
  ])('%s → %s', (message, kind) => {
    expect(kindOfPushMessage(message)).toBe(kind);
  });
});

function scriptedEngine(streams: PushEvent[][]): ImageEngine & { pushes: number } {
  const engine = {
    pushes: 0,
    inspect: async () => null,
    tag: async () => undefined,
    push: async () => {
      const next = streams[engine.pushes] ?? SUCCESS;
      engine.pushes++;
      return next;
    },
  };
  return engine;
}

describe('pushWithRetry (policy as data: waits recorded, never slept)', () => {
  const auth = { username: 'u', password: 's3cret-password', serveraddress: '127.0.0.1:5000' };

  it('waits the rate-limit time after 429 and the backoff after 5xx, then succeeds', async () => {
    const waits: number[] = [];
    const engine = scriptedEngine([
      errorEvent('toomanyrequests: too many requests'),
      errorEvent('received unexpected HTTP status: 502 Bad Gateway'),
    ]);
    const result = await pushWithRetry(engine, {
      repository: 'r',
      tag: 't',
      auth,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(result).toMatchObject({ digest: DIGEST, attempts: 3 });
    expect(waits).toEqual([60_000, 1400]);
  });

  it('gives up after the retries with the last error, and never retries an auth error', async () => {
    const waits: number[] = [];
    const engine = scriptedEngine(
      Array(5).fill(errorEvent('received unexpected HTTP status: 503 Service Unavailable')),
    );
    const error = await pushWithRetry(engine, {
      repository: 'r',
      tag: 't',
      auth,
      sleep: async (ms) => void waits.push(ms),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(PushFailedError);
    expect(error).toMatchObject({ kind: 'server', attempts: 3 });
    expect(error.message).toBe(
      'push of r:t failed after 3 attempts: received unexpected HTTP status: 503 Service Unavailable',
    );
    expect(waits).toEqual([700, 1400]);

    const denied = scriptedEngine([errorEvent('unauthorized: incorrect username or password s3cret-password')]);
    const authError = await pushWithRetry(denied, {
      repository: 'r',
      tag: 't',
      auth,
      sleep: async () => undefined,
    }).catch((e) => e);
    expect(authError).toMatchObject({ kind: 'auth', attempts: 1 });
    expect(authError.message).not.toContain('s3cret-password');
    expect(denied.pushes).toBe(1);
  });

  it('caps waits and honours Retry-After', () => {
    const policy = { ...DEFAULT_REGISTRY_RETRY_POLICY, retries: 10 };
    expect(registryRetryDelayMs(policy, 'rate_limit', 7)).toBe(3_600_000);
    expect(registryRetryDelayMs(policy, 'rate_limit', 0, 5)).toBe(5000);
    expect(registryRetryDelayMs(policy, 'auth', 0)).toBeNull();
    expect(registryRetryDelayMs({ ...policy, retries: 1 }, 'server', 1)).toBeNull();
  });
});
