import { afterAll, describe, expect, it } from 'vitest';
import type { RateLimitPolicy } from '../../src/core/model.js';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import type { RateLimitBucket, RateLimiter } from '../../src/core/ports.js';
import { tightestWindow } from '../../src/core/rate-limit-windows.js';
import { RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { eventually } from '../support/eventually.js';
import { needs, redisForTests, TEST_REDIS_URL } from '../support/services.js';

const bucket = (id: string, policy: RateLimitPolicy, name = 'key'): RateLimitBucket => ({ name, id, policy });

/** The contract every RateLimiter backend keeps. */
function describeRateLimiterContract(backend: string, open: () => Promise<RateLimiter>) {
  describe(`RateLimiter contract: ${backend}`, () => {
    const policy = { limit: 5, windowSeconds: 60 };
    const one = async (limiter: RateLimiter, id: string, cost: number, p = policy) => {
      const decision = await limiter.consume([bucket(id, p)], cost);
      return { allowed: decision.allowed, ...decision.windows[0]! };
    };

    it('allows up to the limit in a window, then refuses with the time to reset', async () => {
      const limiter = await open();
      const decisions = [];
      for (let i = 0; i < 6; i++) decisions.push(await one(limiter, 'bucket-a', 1));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      expect(decisions[5]!.resetSeconds).toBeGreaterThanOrEqual(1);
      expect(decisions[5]!.resetSeconds).toBeLessThanOrEqual(60);
      await limiter.close();
    });

    it('does not charge a refused call, so a cheaper call still fits afterwards', async () => {
      const limiter = await open();
      const decisions = [];
      for (const cost of [2, 2, 2, 1]) decisions.push(await one(limiter, 'bucket-b', cost));
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 3],
        [true, 1],
        [false, 1],
        [true, 0],
      ]);
      await limiter.close();
    });

    it('keeps buckets and policies apart', async () => {
      const limiter = await open();
      for (let i = 0; i < 5; i++) await one(limiter, 'bucket-c', 1);
      expect((await one(limiter, 'bucket-d', 1)).allowed).toBe(true);
      expect((await one(limiter, 'bucket-c', 1, { limit: 10, windowSeconds: 60 })).allowed).toBe(true);
      await limiter.close();
    });

    it('charges every bucket of a call together, or none when one of them is spent', async () => {
      const limiter = await open();
      const key = bucket('key-1', { limit: 10, windowSeconds: 60 });
      const workspace = bucket('ws-1', { limit: 3, windowSeconds: 60 }, 'workspace');
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.consume([key, workspace], 1));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      // The refused call charged the key nothing: 3 of its 10 are used.
      expect(decisions[3]!.windows.map((w) => [w.name, w.remaining])).toEqual([
        ['key', 7],
        ['workspace', 0],
      ]);
      expect(tightestWindow(decisions[3]!).name).toBe('workspace');
      await limiter.close();
    });

    it('peeks at a bucket without charging it', async () => {
      const limiter = await open();
      const failures = bucket('203.0.113.9', { limit: 2, windowSeconds: 60 }, 'client');
      expect((await limiter.peek(failures)).allowed).toBe(true);
      await limiter.consume([failures], 1);
      await limiter.consume([failures], 1);
      const spent = await limiter.peek(failures);
      expect(spent.allowed).toBe(false);
      expect(spent.windows[0]!.remaining).toBe(0);
      await limiter.close();
    });

    it('starts a new window once the old one is over', async () => {
      const limiter = await open();
      const short = { limit: 1, windowSeconds: 1 };
      expect((await one(limiter, 'bucket-e', 1, short)).allowed).toBe(true);
      expect((await one(limiter, 'bucket-e', 1, short)).allowed).toBe(false);
      // Wait for the window to be over by watching the limiter, not the clock.
      await eventually('the 1 s window over', async () => (await limiter.peek(bucket('bucket-e', short))).allowed, (allowed) => allowed);
      expect((await one(limiter, 'bucket-e', 1, short)).allowed).toBe(true);
      await limiter.close();
    });
  });
}

describe('the window a single-policy client is told about', () => {
  it('is the refusing one, else the one with the fewest units left', () => {
    const window = (name: string, remaining: number, resetSeconds = 30) => ({ name, limit: 10, remaining, resetSeconds, windowSeconds: 60 });
    expect(tightestWindow({ allowed: true, windows: [window('key', 5), window('workspace', 2)] }).name).toBe('workspace');
    expect(tightestWindow({ allowed: false, windows: [window('key', 0, 10), window('workspace', 0, 50)] }).name).toBe('workspace');
    expect(tightestWindow({ allowed: true, windows: [window('key', 1), window('workspace', 9)] }).name).toBe('key');
  });
});

describeRateLimiterContract('memory', async () => new MemoryRateLimiter());

describe('Redis rate limiter', needs('redis'), () => {
  const redis = redisForTests(TEST_REDIS_URL!);
  afterAll(() => redis.cleanup());
  let contractCases = 0;
  // Each contract case gets fresh buckets under a prefix of its own.
  describeRateLimiterContract('redis', async () => new RedisRateLimiter(await redis.open(), `${redis.prefix}${++contractCases}:`));

  it('shares one budget between limiters on different connections (two instances)', async () => {
    const a = new RedisRateLimiter(await redis.open(), redis.prefix);
    const b = new RedisRateLimiter(await redis.open(), redis.prefix);
    const policy = { limit: 100, windowSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).consume([bucket('shared', policy)], 1)));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
  });

  it('keeps serving from in-process counters while Redis is unreachable', async () => {
    const limiter = new RedisRateLimiter(redis.unreachable(), redis.prefix);
    const policy = { limit: 2, windowSeconds: 60 };
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consume([bucket('offline', policy)], 1));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
  });
});
