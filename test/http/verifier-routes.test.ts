import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createCadreen, type CadreenRuntime } from '../../src/core/cadreen.js';
import { buildApp } from '../../src/http/app.js';
import type { RateLimiter } from '../../src/core/ports.js';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import { RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { DEADLINE_MS } from '../support/eventually.js';
import { followEvents } from '../support/sse.js';
import { needs, redisForTests, TEST_REDIS_URL } from '../support/services.js';
import { callJson } from '../support/json-api.js';

/** Waits for what must come; fails only if it never does (a safety net, not a measurement). */
const WAIT = { timeout: DEADLINE_MS, interval: 20 };

const ADMIN = 'test-admin-token-0123456789';
const VERIFIER = 'test-verifier-token-0123456789';

describe('routes for embedded verifiers: leases, the event stream, verifier tokens', () => {
  let cadreen: CadreenRuntime;
  let app: FastifyInstance;
  let base: string;
  let workspaceId: string;
  let key: { id: string; plaintext: string };

  const call = (method: string, path: string, token: string, body?: unknown) => callJson(base, method, path, token, body);

  beforeAll(async () => {
    cadreen = await createCadreen({
      store: await openSqliteStore(':memory:'),
      limiter: new MemoryRateLimiter(),
      config: {
        keyPrefix: 'sk_cadreen_',
        adminToken: ADMIN,
        verifierTokens: [VERIFIER],
        defaultRateLimit: { limit: 100, windowSeconds: 60 },
        workspaceRateLimit: { limit: 150, windowSeconds: 60 },
        flushIntervalMs: 60_000,
      },
    });
    app = await buildApp(cadreen);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const init = await cadreen.init({ workspaceName: 'main' });
    workspaceId = init.workspaceId;
    key = init.key;
  });
  afterAll(async () => {
    await app.close();
    await cadreen.close();
  });

  it('a verifier token verifies (with the expiry a cache must respect) but manages nothing', async () => {
    const verified = await call('POST', '/api/v1/cadreen/keys/verify', VERIFIER, { key: key.plaintext });
    expect(verified.body).toMatchObject({ valid: true, workspace_id: workspaceId, key_id: key.id, status: 'active', expires_at: null, grace_until: null });
    for (const [method, path] of [
      ['GET', `/api/v1/maas/workspaces/${workspaceId}/api-keys`],
      ['GET', '/api/v1/cadreen/health'],
      ['GET', '/v1/api_keys'],
      ['GET', `/api/v1/maas/workspaces/${workspaceId}/members`],
      ['GET', '/api/v1/maas/workspaces'],
    ] as const) {
      const refused = await call(method, path, VERIFIER);
      expect([refused.status, refused.body.error.code], `${method} ${path}`).toEqual([403, 'auth_forbidden']);
    }
  });

  it('a key may neither lease nor follow the stream', async () => {
    expect((await call('POST', '/api/v1/cadreen/keys/leases', key.plaintext, { key_id: key.id, units: 5 })).status).toBe(403);
    expect((await call('GET', '/api/v1/cadreen/keys/events', key.plaintext)).status).toBe(403);
  });

  it('a lease charges the key and its workspace up front and never grants more than is left', async () => {
    const other = await cadreen.apiKeys.create(
      { workspace: await cadreen.workspaces.get(workspaceId), actorProfileId: (await cadreen.scopes.systemProfileOf((await cadreen.workspaces.get(workspaceId)).accountId)), ip: null, access: 'admin' },
      { name: 'leased' },
    );
    const first = await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: other.key.id, units: 60 });
    expect(first.body).toMatchObject({ key_id: other.key.id, granted: 60, limit: 100 });
    const second = await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: other.key.id, units: 60 });
    expect(second.body.granted).toBe(40);
    const spent = await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: other.key.id, units: 1 });
    expect(spent.body.granted).toBe(0);
    expect(spent.body.reset).toBeGreaterThan(0);
    // The key's 100 came out of the workspace's 150 as well: another key of it may lease only what the budget has left.
    const third = await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: key.id, units: 100 });
    expect(third.body.granted).toBeLessThanOrEqual(50);
    const verified = await call('POST', '/api/v1/cadreen/keys/verify', VERIFIER, { key: other.plaintext });
    expect(verified.body).toMatchObject({ valid: false, code: 'rate_limited' });
  });

  it('concurrent leases share out exactly what is left, never more', async () => {
    const workspace = await call('POST', '/api/v1/maas/workspaces', ADMIN, { name: 'leases', workspace_rate_limit: { limit: 100_000, window_seconds: 60 } });
    const leased = await call('POST', `/api/v1/maas/workspaces/${workspace.body.id}/api-keys`, ADMIN, { name: 'contended' });
    const grants = await Promise.all(
      Array.from({ length: 25 }, () => call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: leased.body.id, units: 7 })),
    );
    const total = grants.reduce((sum, grant) => sum + grant.body.granted, 0);
    expect(total).toBe(100);
    expect((await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: leased.body.id, units: 1 })).body.granted).toBe(0);
  });

  it('grants what is left of a lease larger than any limit, instead of refusing it', async () => {
    const big = await call('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ADMIN, { name: 'big-ask' });
    const grant = await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: big.body.id, units: 999_999 });
    expect(grant.status).toBe(200);
    expect(grant.body.granted).toBeLessThanOrEqual(100);
  });

  it('refuses a lease for an unknown or revoked key with 404', async () => {
    expect((await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV', units: 1 })).status).toBe(404);
    const doomed = await call('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ADMIN, { name: 'doomed' });
    await call('DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${doomed.body.id}`, ADMIN);
    expect((await call('POST', '/api/v1/cadreen/keys/leases', VERIFIER, { key_id: doomed.body.id, units: 1 })).status).toBe(404);
  });

  it('streams ready, then each change with an increasing id, and heartbeats', async () => {
    const stream = await followEvents(`${base}/api/v1/cadreen/keys/events`, { authorization: `Bearer ${VERIFIER}` });
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await vi.waitFor(() => expect(stream.events()[0]?.event).toBe('ready'), WAIT);
    const created = await call('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ADMIN, { name: 'watched' });
    await call('PATCH', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.body.id}`, ADMIN, { name: 'watched-2' });
    await call('DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.body.id}`, ADMIN);
    await call('PATCH', `/api/v1/maas/workspaces/${workspaceId}`, ADMIN, { rate_limit: { limit: 100, window_seconds: 60 } });
    await vi.waitFor(() => expect(stream.events().map((frame) => frame.event)).toEqual(['ready', 'key.updated', 'key.revoked', 'workspace.updated']), WAIT);
    const changes = stream.events().slice(1);
    expect(JSON.parse(changes[1]!.data!)).toEqual({ key_id: created.body.id, workspace_id: workspaceId });
    expect(JSON.parse(changes[2]!.data!)).toEqual({ workspace_id: workspaceId });
    const ids = changes.map((frame) => Number(frame.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await vi.waitFor(() => expect(stream.frames.filter((frame) => frame.comment === 'heartbeat').length).toBeGreaterThanOrEqual(2), WAIT);
    await stream.close();
  });

  it('resumes after Last-Event-ID with nothing lost, and tells a client from before the retention to reset', async () => {
    const first = await followEvents(`${base}/api/v1/cadreen/keys/events`, { authorization: `Bearer ${VERIFIER}` });
    await vi.waitFor(() => expect(first.events()[0]?.event).toBe('ready'), WAIT);
    const from = JSON.parse(first.events()[0]!.data!).last_event_id as number;
    await first.close();
    // Changes while nobody listens.
    const a = await call('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ADMIN, { name: 'while-away-a' });
    const b = await call('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ADMIN, { name: 'while-away-b' });
    await call('DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${a.body.id}`, ADMIN);
    await call('DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${b.body.id}`, ADMIN);
    const resumed = await followEvents(`${base}/api/v1/cadreen/keys/events`, { authorization: `Bearer ${VERIFIER}`, 'last-event-id': String(from) });
    await vi.waitFor(() => expect(resumed.events().map((frame) => frame.event)).toEqual(['ready', 'key.revoked', 'key.revoked']), WAIT);
    expect(resumed.events().slice(1).map((frame) => JSON.parse(frame.data!).key_id)).toEqual([a.body.id, b.body.id]);
    await resumed.close();

    await cadreen.store.pruneKeyEvents(Date.now() + 1000);
    const stale = await followEvents(`${base}/api/v1/cadreen/keys/events`, { authorization: `Bearer ${ADMIN}`, 'last-event-id': String(from) });
    await vi.waitFor(() => expect(stale.events().map((frame) => frame.event)).toEqual(['ready', 'reset']), WAIT);
    await stale.close();
  });

  it('starts a stream opened after a quiet spell at the newest event', async () => {
    const probe = await followEvents(`${base}/api/v1/cadreen/keys/events`, { authorization: `Bearer ${VERIFIER}` });
    await vi.waitFor(() => expect(probe.events()[0]?.event).toBe('ready'), WAIT);
    await probe.close();
    const quiet = await call('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, ADMIN, { name: 'quiet' });
    await call('DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${quiet.body.id}`, ADMIN);
    const stream = await followEvents(`${base}/api/v1/cadreen/keys/events`, { authorization: `Bearer ${VERIFIER}` });
    await vi.waitFor(() => expect(stream.events()[0]?.event).toBe('ready'), WAIT);
    expect(JSON.parse(stream.events()[0]!.data!).last_event_id).toBe((await cadreen.store.keyEventBounds()).latest);
    await stream.close();
  });

  it('answers a Last-Event-ID that is not a number with 400', async () => {
    const response = await fetch(`${base}/api/v1/cadreen/keys/events`, { headers: { authorization: `Bearer ${VERIFIER}`, 'last-event-id': 'yesterday' } });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_request');
  });
});

/** Leases race for what is left; on Redis (where charging waits for the server) the race is real. */
describe('leases under contention', () => {
  async function contend(limiter: RateLimiter) {
    const cadreen = await createCadreen({
      store: await openSqliteStore(':memory:'),
      limiter,
      config: { keyPrefix: 'sk_cadreen_', verifierTokens: [VERIFIER], defaultRateLimit: { limit: 100, windowSeconds: 60 }, workspaceRateLimit: { limit: 100_000, windowSeconds: 60 }, flushIntervalMs: 60_000 },
    });
    try {
      const { key } = await cadreen.init({ workspaceName: 'contended' });
      const grants = await Promise.all(Array.from({ length: 25 }, () => cadreen.auth.lease(key.id, 7)));
      const total = grants.reduce((sum, grant) => sum + grant!.granted, 0);
      expect(total).toBe(100);
      expect((await cadreen.auth.lease(key.id, 1))!.granted).toBe(0);
    } finally {
      await cadreen.close();
    }
  }

  it('in memory: 25 concurrent leases of 7 share out exactly the 100 left', () => contend(new MemoryRateLimiter()));

  describe('Redis', needs('redis'), () => {
    const redis = redisForTests(TEST_REDIS_URL!);
    afterAll(() => redis.cleanup());
    it('on Redis: 25 concurrent leases of 7 share out exactly the 100 left', async () => contend(new RedisRateLimiter(await redis.open(), redis.prefix)));
  });
});
