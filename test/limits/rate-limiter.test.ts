import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import type { RateLimiter } from '../../src/limits/rate-limiter.js';
import { RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { connectRedis, redisReady } from '../../src/redis/redis-connection.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../support/services.js';

/** The contract every RateLimiter backend keeps. */
function describeRateLimiterContract(backend: string, open: () => Promise<RateLimiter>) {
  describe(`RateLimiter contract: ${backend}`, () => {
    const policy = { limit: 5, windowSeconds: 60 };

    it('allows up to the limit in a window, then refuses with the time to reset', async () => {
      const limiter = await open();
      const decisions = [];
      for (let i = 0; i < 6; i++) decisions.push(await limiter.consume('bucket-a', 1, policy));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      expect(decisions[5]!.resetSeconds).toBeGreaterThanOrEqual(1);
      expect(decisions[5]!.resetSeconds).toBeLessThanOrEqual(60);
      await limiter.close();
    });

    it('charges the cost given', async () => {
      const limiter = await open();
      expect((await limiter.consume('bucket-b', 2, policy)).remaining).toBe(3);
      expect((await limiter.consume('bucket-b', 2, policy)).remaining).toBe(1);
      expect((await limiter.consume('bucket-b', 2, policy)).allowed).toBe(false);
      await limiter.close();
    });

    it('keeps buckets and policies apart', async () => {
      const limiter = await open();
      for (let i = 0; i < 5; i++) await limiter.consume('bucket-c', 1, policy);
      expect((await limiter.consume('bucket-d', 1, policy)).allowed).toBe(true);
      expect((await limiter.consume('bucket-c', 1, { limit: 10, windowSeconds: 60 })).allowed).toBe(true);
      await limiter.close();
    });

    it('starts a new window once the old one is over', async () => {
      const limiter = await open();
      const short = { limit: 1, windowSeconds: 1 };
      expect((await limiter.consume('bucket-e', 1, short)).allowed).toBe(true);
      expect((await limiter.consume('bucket-e', 1, short)).allowed).toBe(false);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await limiter.consume('bucket-e', 1, short)).allowed).toBe(true);
      await limiter.close();
    });
  });
}

describeRateLimiterContract('memory', async () => new MemoryRateLimiter());

describe.skipIf(!TEST_REDIS_URL)('Redis rate limiter', () => {
  const prefix = testRedisPrefix();
  const clients: Redis[] = [];
  const open = async () => {
    const client = connectRedis(TEST_REDIS_URL!);
    clients.push(client);
    await redisReady(client);
    return new RedisRateLimiter(client, prefix);
  };

  afterAll(async () => {
    const cleaner = new Redis(TEST_REDIS_URL!);
    const keys = await cleaner.keys(`${prefix}*`);
    if (keys.length) await cleaner.del(...keys);
    cleaner.disconnect();
    for (const client of clients) client.disconnect();
  });

  describeRateLimiterContract('redis', async () => {
    // Each contract case gets fresh buckets by using a fresh prefix.
    const client = connectRedis(TEST_REDIS_URL!);
    clients.push(client);
    await redisReady(client);
    return new RedisRateLimiter(client, `${prefix}${clients.length}:`);
  });

  it('shares one budget between limiters on different connections (two instances)', async () => {
    const a = await open();
    const b = await open();
    const policy = { limit: 100, windowSeconds: 60 };
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).consume('shared', 1, policy)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
  });

  it('keeps serving from in-process counters while Redis is unreachable', async () => {
    const client = connectRedis('redis://127.0.0.1:1');
    clients.push(client);
    const limiter = new RedisRateLimiter(client, prefix);
    const policy = { limit: 2, windowSeconds: 60 };
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consume('offline', 1, policy));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
  });
});
