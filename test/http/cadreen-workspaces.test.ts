import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCadreen } from '../../src/core/cadreen.js';
import { buildApp } from '../../src/http/app.js';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';
import { describeSharedAuthNegatives } from './shared-auth-negatives.js';

describeSharedAuthNegatives('GET /api/v1/maas/workspaces/{id}', (t) => ({ method: 'GET', url: `/api/v1/maas/workspaces/${t.workspaceId}` }), { namesWorkspace: true });
describeSharedAuthNegatives('GET …/audit-events', (t) => ({ method: 'GET', url: `/api/v1/maas/workspaces/${t.workspaceId}/audit-events` }), { namesWorkspace: true });

describe('Cadreen dialect: workspaces (admin)', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
  });
  afterAll(() => h.close());

  it('creates a workspace in the only account when account_id is left out, and its keys work in it alone', async () => {
    const created = await h.request('POST', '/api/v1/maas/workspaces', { key: ADMIN_TOKEN, body: { name: 'second' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'second', account_id: ws.accountId, rate_limit: { limit: 100000, window_seconds: 60, source: 'default' } });
    expect(created.body.id).toMatch(/^ws_/);
    const key = await h.request('POST', `/api/v1/maas/workspaces/${created.body.id}/api-keys`, { key: ADMIN_TOKEN, body: { name: 'first' } });
    const forbidden = await h.request('GET', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, { key: key.body.plaintext });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('auth_forbidden');
  });

  it('lists, gets and renames workspaces', async () => {
    const list = await h.request('GET', '/api/v1/maas/workspaces?limit=1', { key: ADMIN_TOKEN });
    expect(list.body.count).toBeGreaterThanOrEqual(2);
    expect(list.body.workspaces).toHaveLength(1);
    expect(list.body.next_cursor).toEqual(expect.any(String));
    const rest = await h.request('GET', `/api/v1/maas/workspaces?cursor=${list.body.next_cursor}`, { key: ADMIN_TOKEN });
    expect(rest.body.workspaces.length).toBe(list.body.count - 1);
    const renamed = await h.request('PATCH', `/api/v1/maas/workspaces/${ws.workspaceId}`, { key: ADMIN_TOKEN, body: { name: 'renamed' } });
    expect(renamed.body.name).toBe('renamed');
    const own = await h.request('GET', `/api/v1/maas/workspaces/${ws.workspaceId}`, { key: ws.key });
    expect(own.body).toMatchObject({ id: ws.workspaceId, name: 'renamed' });
  });

  it('refuses workspace administration to API keys with auth_forbidden', async () => {
    for (const [method, url, body] of [
      ['POST', '/api/v1/maas/workspaces', { name: 'x' }],
      ['GET', '/api/v1/maas/workspaces', undefined],
      ['PATCH', `/api/v1/maas/workspaces/${ws.workspaceId}`, { name: 'mine now' }],
    ] as const) {
      const response = await h.request(method, url, { key: ws.key, ...(body ? { body } : {}) });
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('auth_forbidden');
    }
  });

  it('asks for account_id once the deployment has several accounts', async () => {
    await h.seed('another account');
    const response = await h.request('POST', '/api/v1/maas/workspaces', { key: ADMIN_TOKEN, body: { name: 'ambiguous' } });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toBe('account_id');
    const explicit = await h.request('POST', '/api/v1/maas/workspaces', { key: ADMIN_TOKEN, body: { name: 'explicit', account_id: ws.accountId } });
    expect(explicit.status).toBe(201);
  });

  it('answers not_found for a workspace that does not exist', async () => {
    const response = await h.request('GET', '/api/v1/maas/workspaces/ws_01HXK0000000000000000000000', { key: ADMIN_TOKEN });
    expect(response.status).toBe(404);
  });

  it('refuses an admin token that is wrong with auth_invalid', async () => {
    const response = await h.request('GET', '/api/v1/maas/workspaces', { key: `${ADMIN_TOKEN}x` });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('auth_invalid');
  });
});

describe('admin routes without CADREEN_ADMIN_TOKEN', () => {
  it('are off: no token is accepted', async () => {
    const cadreen = await createCadreen({
      store: await openSqliteStore(':memory:'),
      limiter: new MemoryRateLimiter(),
      config: { keyPrefix: 'sk_cadreen_', defaultRateLimit: { limit: 10, windowSeconds: 60 } },
    });
    const app = await buildApp(cadreen);
    const response = await app.inject({ method: 'GET', url: '/api/v1/maas/workspaces', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('auth_invalid');
    await app.close();
    await cadreen.close();
  });
});

describe('Cadreen dialect: audit events', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
  });
  afterAll(() => h.close());
  const events = (query = '', key = ws.key) => h.request('GET', `/api/v1/maas/workspaces/${ws.workspaceId}/audit-events${query}`, { key });

  it('records every lifecycle change, newest first, with the acting profile', async () => {
    const created = await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, { key: ws.key, body: { name: 'audited' } });
    const id = created.body.id;
    await h.request('PATCH', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${id}`, { key: ws.key, body: { name: 'audited-2' } });
    await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${id}/rotate`, { key: ws.key });
    await h.request('DELETE', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${id}`, { key: ws.key });
    const response = await events();
    expect(response.status).toBe(200);
    expect(response.body.events.slice(0, 5).map((e: { type: string }) => e.type)).toEqual([
      'key.revoked',
      'key.rotated',
      'key.updated',
      'key.created',
      'key.created',
    ]);
    const own = await h.cadreen.store.findKey(ws.workspaceId, ws.keyId);
    expect(response.body.events[0]).toMatchObject({ key_id: id, actor_profile_id: own!.actorProfileId });
    expect(response.body.events.at(-1).type).toBe('workspace.created');
  });

  it('records refused authentications in batches, capped per key and minute', async () => {
    const { id, key } = await h.newKey(ws.workspaceId, 'refused');
    await h.request('DELETE', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${id}`, { key: ws.key });
    for (let i = 0; i < 25; i++) await h.request('GET', '/api/v1/cadreen/health', { key });
    await h.cadreen.usage.flush();
    const response = await events('?type=auth.refused&limit=100');
    const refusals = response.body.events.filter((e: { key_id: string }) => e.key_id === id);
    expect(refusals).toHaveLength(10);
    expect(refusals[0]).toMatchObject({ type: 'auth.refused', code: 'auth_revoked' });
  });

  it('pages through events with a cursor and refuses unknown types', async () => {
    const first = await events('?limit=2');
    expect(first.body.events).toHaveLength(2);
    const second = await events(`?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.events[0].id < first.body.events[1].id).toBe(true);
    expect((await events('?type=key.exploded')).status).toBe(400);
  });
});
