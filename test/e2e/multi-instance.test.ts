import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { createTestDatabase, needs, TEST_DATABASE_URL, TEST_REDIS_URL, testRedisPrefix } from '../support/services.js';
import { runCli, startServer, type ServerProcess } from './process.js';
import { callJson } from '../support/json-api.js';

const ADMIN = 'multi-admin-token-0123456789';

/** Two real `cadreen serve` processes on one PostgreSQL and one Redis. */
describe('several instances on PostgreSQL and Redis', needs('postgres', 'redis'), () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const prefix = testRedisPrefix();
  let a: ServerProcess;
  let b: ServerProcess;
  let workspaceId: string;
  let ownerKey: string;

  const call = (server: ServerProcess, method: string, path: string, key: string, body?: unknown) => callJson(server.baseUrl, method, path, key, body);

  beforeAll(async () => {
    database = await createTestDatabase(TEST_DATABASE_URL!);
    const env = {
      CADREEN_DATABASE_URL: database.url,
      CADREEN_REDIS_URL: TEST_REDIS_URL!,
      CADREEN_REDIS_PREFIX: prefix,
      CADREEN_ADMIN_TOKEN: ADMIN,
      CADREEN_RATE_LIMIT: '100000/60s',
      // A cached key outlives every test here: only an invalidation through Redis can make another instance refuse it.
      CADREEN_CACHE_TTL_MS: '86400000',
    };
    const init = runCli(['init', '--json'], env);
    expect(init.status, init.stderr).toBe(0);
    const created = JSON.parse(init.stdout);
    workspaceId = created.workspace_id;
    ownerKey = created.key.plaintext;
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  });

  afterAll(async () => {
    expect(await a?.stop()).toBe(0);
    expect(await b?.stop()).toBe(0);
    await database?.drop();
    const redis = new Redis(TEST_REDIS_URL!);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('accepts on one instance a key created on the other, at once', async () => {
    const created = await call(a, 'POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ownerKey, { name: 'made-on-a' });
    expect(created.status).toBe(201);
    const used = await call(b, 'GET', '/api/v1/cadreen/health', created.body.plaintext);
    expect(used.body).toMatchObject({ status: 'ok', key_id: created.body.id });
  });

  it('refuses on one instance a key revoked or rotated on the other, through the invalidation bus, not the cache’s expiry', async () => {
    for (const change of ['revoke', 'rotate'] as const) {
      const created = await call(a, 'POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ownerKey, { name: change });
      const key = created.body.plaintext;
      expect((await call(b, 'GET', '/api/v1/cadreen/health', key)).status).toBe(200); // now cached on b
      const path = `/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.body.id}`;
      const changed = change === 'revoke' ? await call(a, 'DELETE', path, ownerKey) : await call(a, 'POST', `${path}/rotate`, ownerKey);
      expect([201, 204]).toContain(changed.status);
      // How soon (DESIGN: within 250 ms) is a latency to measure, not to assert on a loaded machine; here: it happens,
      // and while b's cached entry would still be valid for a day.
      const refused = await eventually(
        `the ${change}d key refused on the other instance`,
        async () => (await call(b, 'GET', '/api/v1/cadreen/health', key)).body.error?.code as string | undefined,
        (code) => code !== undefined,
        { intervalMs: 10 },
      );
      expect(refused).toBe(change === 'revoke' ? 'auth_revoked' : 'auth_rotating');
    }
  });

  it('shares one rate limit between the instances: N per window in total, not 2N', async () => {
    const second = await call(a, 'POST', '/api/v1/maas/workspaces', ADMIN, { name: 'limited' });
    await call(a, 'PATCH', `/api/v1/maas/workspaces/${second.body.id}`, ADMIN, { rate_limit: { limit: 100, window_seconds: 60 } });
    const created = await call(a, 'POST', `/api/v1/maas/workspaces/${second.body.id}/api-keys`, ADMIN, { name: 'limited' });
    const key = created.body.plaintext;
    const statuses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => call(i % 2 ? a : b, 'GET', '/api/v1/cadreen/health', key).then((r) => r.status)),
    );
    const allowed = statuses.filter((s) => s === 200).length;
    expect(allowed).toBeGreaterThanOrEqual(99);
    expect(allowed).toBeLessThanOrEqual(101);
    expect(statuses.filter((s) => s === 429).length).toBe(300 - allowed);
  });
});
