import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCadreen, type Cadreen } from '../../src/core/cadreen.js';
import { DEFAULT_KEY_PREFIX, generateKey } from '../../src/core/key-format.js';
import { buildApp } from '../../src/http/app.js';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import type { RateLimiter } from '../../src/core/ports.js';
import { RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/core/ports.js';
import { needs, redisForTests, TEST_REDIS_URL } from '../support/services.js';
import { ADMIN_TOKEN } from './harness.js';

/** A store that counts the calls made to it, to prove what never reached it. */
function counting(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** A well-formed key (right prefix, valid checksum) that no workspace holds. */
function unknownKey(): string {
  return generateKey(DEFAULT_KEY_PREFIX).plaintext;
}

interface Service {
  app: FastifyInstance;
  cadreen: Cadreen;
  calls: Map<string, number>;
  key: string;
  get(url: string, token: string, ip: string): Promise<{ status: number; headers: Record<string, unknown>; body: any }>;
}

async function startService(limiter: RateLimiter, keyCacheSize?: number): Promise<Service> {
  const { store, calls } = counting(await openSqliteStore(':memory:'));
  const cadreen = await createCadreen({
    store,
    limiter,
    config: {
      keyPrefix: DEFAULT_KEY_PREFIX,
      adminToken: ADMIN_TOKEN,
      defaultRateLimit: { limit: 100_000, windowSeconds: 60 },
      authFailureLimit: { limit: 60, windowSeconds: 60 },
      ...(keyCacheSize ? { keyCacheSize } : {}),
    },
  });
  const app = await buildApp(cadreen);
  const { key } = await cadreen.init({ workspaceName: 'main' });
  return {
    app,
    cadreen,
    calls,
    key: key.plaintext,
    async get(url, token, ip) {
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` }, remoteAddress: ip });
      return { status: response.statusCode, headers: response.headers, body: response.json() };
    },
  };
}

function describeFailureLimiter(backend: string, openLimiter: () => Promise<RateLimiter>) {
  describe(`failed authentications are throttled per client (${backend})`, () => {
    let service: Service;
    beforeAll(async () => {
      service = await startService(await openLimiter());
    });
    afterAll(async () => {
      await service.app.close();
      await service.cadreen.close();
    });

    it('answers the 61st unknown key from one address 429 without asking the store', async () => {
      const ip = '198.51.100.1';
      for (let i = 0; i < 60; i++) expect((await service.get('/api/v1/cadreen/health', unknownKey(), ip)).status).toBe(401);
      const lookupsBefore = service.calls.get('findKeyByHash') ?? 0;
      const refused = await service.get('/api/v1/cadreen/health', unknownKey(), ip);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers['ratelimit-policy']).toBe('"client";q=60;w=60');
      expect(service.calls.get('findKeyByHash') ?? 0).toBe(lookupsBefore);
    });

    it('counts wrong admin tokens and bad checksums against the same budget', async () => {
      const ip = '198.51.100.2';
      const badChecksum = service.key.slice(0, -1) + (service.key.endsWith('A') ? 'B' : 'A');
      for (let i = 0; i < 30; i++) expect((await service.get('/api/v1/maas/workspaces', `not-the-admin-token-${i}`, ip)).status).toBe(401);
      for (let i = 0; i < 30; i++) expect((await service.get('/api/v1/cadreen/health', badChecksum, ip)).status).toBe(401);
      expect((await service.get('/api/v1/maas/workspaces', 'not-the-admin-token-61', ip)).status).toBe(429);
    });

    it('still admits a known key and the admin token from a client that spent its failure budget', async () => {
      const ip = '198.51.100.3';
      await service.get('/api/v1/cadreen/health', service.key, ip);
      for (let i = 0; i < 61; i++) await service.get('/api/v1/cadreen/health', unknownKey(), ip);
      expect((await service.get('/api/v1/cadreen/health', unknownKey(), ip)).status).toBe(429);
      expect((await service.get('/api/v1/cadreen/health', service.key, ip)).status).toBe(200);
      expect((await service.get('/api/v1/maas/workspaces', ADMIN_TOKEN, ip)).status).toBe(200);
    });

    it('keeps other clients apart', async () => {
      for (let i = 0; i < 61; i++) await service.get('/api/v1/cadreen/health', unknownKey(), '198.51.100.4');
      expect((await service.get('/api/v1/cadreen/health', unknownKey(), '198.51.100.5')).status).toBe(401);
    });
  });
}

describeFailureLimiter('in-process', async () => new MemoryRateLimiter());

describe('with Redis', needs('redis'), () => {
  const redis = redisForTests(TEST_REDIS_URL!);
  afterAll(() => redis.cleanup());
  describeFailureLimiter('Redis', async () => new RedisRateLimiter(await redis.open(), redis.prefix));
});

describe('unknown keys are remembered apart from known ones', () => {
  it('asks the store once for a repeated unknown key', async () => {
    const service = await startService(new MemoryRateLimiter());
    const guess = unknownKey();
    for (let i = 0; i < 5; i++) expect((await service.get('/api/v1/cadreen/health', guess, `192.0.2.${i}`)).status).toBe(401);
    expect(service.calls.get('findKeyByHash')).toBe(1);
    await service.app.close();
    await service.cadreen.close();
  });

  it('keeps a known key cached however many unknown keys are tried', async () => {
    const service = await startService(new MemoryRateLimiter(), 10);
    expect((await service.get('/api/v1/cadreen/health', service.key, '192.0.2.1')).status).toBe(200);
    const lookups = service.calls.get('findKeyByHash');
    // 200 times more distinct guesses than the known-key cache has room for, from many clients.
    for (let i = 0; i < 2000; i++) await service.get('/api/v1/cadreen/health', unknownKey(), `10.0.${i >> 8}.${i & 255}`);
    const lookupsAfterGuesses = service.calls.get('findKeyByHash')!;
    expect(lookupsAfterGuesses).toBe(lookups! + 2000);
    expect((await service.get('/api/v1/cadreen/health', service.key, '192.0.2.1')).status).toBe(200);
    expect(service.calls.get('findKeyByHash')).toBe(lookupsAfterGuesses);
    await service.app.close();
    await service.cadreen.close();
  });
});
