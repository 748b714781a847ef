import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REGISTRY_RETRY_POLICY,
  RetriesExhaustedError,
  type RetryableAttemptFailure,
  retryByPolicy,
} from './retry';

class Failure extends Error implements RetryableAttemptFailure {
  constructor(
    readonly kind: RetryableAttemptFailure['kind'],
    readonly retryAfterSeconds?: number,
  ) {
    super(`failed: ${kind}`);
  }
}

const failureOf = (error: unknown) => (error instanceof Failure ? error : null);

describe('retryByPolicy', () => {
  it("waits the policy's per-kind schedule (Retry-After first) and returns the first success", async () => {
    const waits: number[] = [];
    const failures = [new Failure('rate_limit', 3), new Failure('server')];
    const result = await retryByPolicy(
      async (attempt) => {
        const failure = failures[attempt];
        if (failure) throw failure;
        return `ok after ${attempt + 1}`;
      },
      { policy: DEFAULT_REGISTRY_RETRY_POLICY, failureOf, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe('ok after 3');
    // Retry-After 3 s, then the server backoff of the second retry: 0.7 * 2^1 s.
    expect(waits).toEqual([3000, 1400]);
  });

  it('gives up after policy.retries with the last error and the attempts made', async () => {
    const retries: number[] = [];
    const error = await retryByPolicy(
      async () => {
        throw new Failure('unreachable');
      },
      {
        policy: { ...DEFAULT_REGISTRY_RETRY_POLICY, retries: 3 },
        failureOf,
        sleep: async () => undefined,
        onRetry: ({ attempt }) => void retries.push(attempt),
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 4, message: 'failed: unreachable' });
    expect(retries).toEqual([1, 2, 3]);
  });

  it('does not retry an authentication failure, and rethrows other errors as they are', async () => {
    let calls = 0;
    const auth = await retryByPolicy(
      async () => {
        calls++;
        throw new Failure('auth');
      },
      { policy: DEFAULT_REGISTRY_RETRY_POLICY, failureOf, sleep: async () => undefined },
    ).catch((e: unknown) => e);
    expect(auth).toMatchObject({ attempts: 1 });
    expect(calls).toBe(1);
    const plain = new Error('engine gone');
    await expect(
      retryByPolicy(
        async () => {
          throw plain;
        },
        { policy: DEFAULT_REGISTRY_RETRY_POLICY, failureOf, sleep: async () => undefined },
      ),
    ).rejects.toBe(plain);
  });
});
