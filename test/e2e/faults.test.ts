import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { openCadreen } from '../../src/service.js';
import { eventually, settles } from '../support/eventually.js';
import { createTestDatabase, needs, TEST_DATABASE_URL, TEST_REDIS_URL, testRedisPrefix } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const ADMIN = 'faults-admin-token-0123456789';

/**
 * PostgreSQL and Redis reached through TCP proxies that the test cuts and
 * restores; the shared servers themselves are never touched.
 */
describe('faults: the database or Redis goes away and comes back', needs('postgres', 'redis'), () => {
  let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  const prefix = testRedisPrefix();
  const warnings: string[] = [];
  let app: Awaited<ReturnType<typeof buildApp>>;
  let close: () => Promise<void>;
  let workspaceId: string;
  let ownerKey: string;

  const logger = {
    warn: (_details: object, message: string) => void warnings.push(message),
    info: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    fatal: () => undefined,
    trace: () => undefined,
    silent: () => undefined,
    level: 'info',
    child: () => logger,
  };

  /** One request in-process; a hang (no answer at all) fails it, naming the request. */
  async function call(method: string, url: string, key = ownerKey, body?: unknown) {
    const response = await settles(`${method} ${url}`, app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    }));
    return { status: response.statusCode, body: response.body ? response.json() : undefined };
  }

  beforeAll(async () => {
    testDatabase = await createTestDatabase(TEST_DATABASE_URL!);
    const database = new URL(testDatabase.url);
    pgProxy = await startTcpProxy(Number(database.port || 5432), database.hostname);
    database.host = `127.0.0.1:${pgProxy.port}`;
    const redisUrl = new URL(TEST_REDIS_URL!);
    redisProxy = await startTcpProxy(Number(redisUrl.port || 6379), redisUrl.hostname);
    redisUrl.host = `127.0.0.1:${redisProxy.port}`;
    const config = loadConfig({
      CADREEN_DATABASE_URL: database.toString(),
      CADREEN_DATABASE_TIMEOUT_MS: '1000',
      CADREEN_REDIS_URL: redisUrl.toString(),
      CADREEN_REDIS_PREFIX: prefix,
      CADREEN_ADMIN_TOKEN: ADMIN,
      CADREEN_RATE_LIMIT: '100000/60s',
    });
    const cadreen = await openCadreen(config, logger as never);
    app = await buildApp(cadreen);
    close = async () => {
      await app.close();
      await cadreen.close();
    };
    const init = await cadreen.init({ workspaceName: 'faults' });
    workspaceId = init.workspaceId;
    ownerKey = init.key.plaintext;
  });

  afterAll(async () => {
    pgProxy.restore();
    redisProxy.restore();
    await close?.();
    await pgProxy?.close();
    await redisProxy?.close();
    await testDatabase?.drop();
    const redis = new Redis(TEST_REDIS_URL!);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('answers 503 while PostgreSQL is unreachable, never 500 or a hang, and recovers by itself without losing writes', async () => {
    const keys = `/api/v1/maas/workspaces/${workspaceId}/api-keys`;
    const acknowledged = await call('POST', keys, ownerKey, { name: 'before-the-cut' });
    expect(acknowledged.status).toBe(201);

    pgProxy.cut();
    // Each answer comes after the 1 s database timeout; `call` fails any that never comes.
    const list = await call('GET', keys);
    expect(list.status).toBe(503);
    expect(list.body.error.code).toBe('service_unavailable');
    const create = await call('POST', keys, ownerKey, { name: 'during-the-cut' });
    expect(create.status).toBe(503);
    expect((await call('GET', '/readyz')).status).toBe(503);
    // A key already in the cache keeps authenticating.
    expect((await call('GET', '/api/v1/cadreen/health')).status).toBe(200);

    pgProxy.restore();
    // A failed write probe stands for 5 s before /readyz probes again.
    await eventually('/readyz answers 200 once PostgreSQL is back', async () => (await call('GET', '/readyz')).status, (status) => status === 200, { intervalMs: 100 });
    const after = await call('GET', `${keys}?limit=100`);
    expect(after.status).toBe(200);
    const names = after.body.keys.map((k: { name: string }) => k.name);
    expect(names).toContain('before-the-cut');
    expect(names).not.toContain('during-the-cut');
  });

  it('keeps serving on in-process limits while Redis is unreachable, warns once, and reconnects by itself', async () => {
    warnings.length = 0;
    redisProxy.cut();
    const redisWarnings = () => warnings.filter((w) => w.startsWith('redis unreachable'));
    // Requests made once the service has noticed the cut.
    await eventually('a warning that Redis is unreachable', redisWarnings, (found) => found.length >= 1);
    for (let i = 0; i < 5; i++) expect((await call('GET', '/api/v1/cadreen/health')).status).toBe(200);
    expect(redisWarnings().length).toBeLessThanOrEqual(2); // at most one per connection (commands, invalidations)

    redisProxy.restore();
    const { body } = await call('GET', '/api/v1/cadreen/health');
    const counter = `${prefix}rl:100000/60:key:${body.key_id}`;
    const redis = new Redis(TEST_REDIS_URL!);
    try {
      const before = Number(await redis.get(counter));
      // Once reconnected, a request is counted in Redis again.
      await eventually(
        'the shared counter in Redis counting requests again',
        async () => {
          await call('GET', '/api/v1/cadreen/health');
          return Number(await redis.get(counter));
        },
        (after) => after > before,
        { intervalMs: 100 },
      );
    } finally {
      redis.disconnect();
    }
  });
});
