import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';
import { describeSharedAuthNegatives } from './shared-auth-negatives.js';

describeSharedAuthNegatives('GET /v1/api_keys', () => ({ method: 'GET', url: '/v1/api_keys' }), { namesWorkspace: false });
describeSharedAuthNegatives('POST /v1/api_keys', () => ({ method: 'POST', url: '/v1/api_keys', body: { metadata: { name: 'x' } } }), { namesWorkspace: false });
describeSharedAuthNegatives('GET /v1/api_keys/{id}', (t) => ({ method: 'GET', url: `/v1/api_keys/${t.keyId}` }), { namesWorkspace: false });
describeSharedAuthNegatives('PATCH /v1/api_keys/{id}', (t) => ({ method: 'PATCH', url: `/v1/api_keys/${t.keyId}`, body: { metadata: { name: 'y' } } }), { namesWorkspace: false });
describeSharedAuthNegatives('DELETE /v1/api_keys/{id}', (t) => ({ method: 'DELETE', url: `/v1/api_keys/${t.keyId}` }), { namesWorkspace: false });
describeSharedAuthNegatives('POST /v1/api_keys/{id}/rotate', (t) => ({ method: 'POST', url: `/v1/api_keys/${t.keyId}/rotate` }), { namesWorkspace: false });
describeSharedAuthNegatives('GET /v1/audit_events', () => ({ method: 'GET', url: '/v1/audit_events' }), { namesWorkspace: false });

describe('Resource dialect: /v1/api_keys', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
    for (const name of ['prod-api', 'prod-web', 'staging']) await h.newKey(ws.workspaceId, name);
  });
  afterAll(() => h.close());
  const list = (query = '', key = ws.key) => h.request('GET', `/v1/api_keys${query}`, { key });

  it('lists keys as {items, pagination} with metadata, spec and status shaped as in the reference', async () => {
    const response = await list();
    expect(response.status).toBe(200);
    expect(response.body.pagination).toEqual({ total: 4 });
    const item = response.body.items[0];
    expect(Object.keys(item).sort()).toEqual(['metadata', 'spec', 'status']);
    expect(item.metadata).toEqual({
      id: expect.stringMatching(/^key_/),
      accountId: ws.accountId,
      createdAt: expect.any(String),
      name: 'staging',
      profileId: expect.stringMatching(/^prof_/),
      workspaceId: ws.workspaceId,
    });
    expect(item.spec).toEqual({});
    expect(item.status).toEqual({ state: 'ACTIVE', start: expect.stringMatching(/^sk_cadreen_/) });
  });

  it('follows cursors to the end with limit, in either sortOrder', async () => {
    for (const sortOrder of ['asc', 'desc']) {
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page: { body: { items: { metadata: { name: string } }[]; pagination: { nextCursor?: string; total: number } } } = await list(
          `?limit=3&sortOrder=${sortOrder}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.body.pagination.total).toBe(4);
        names.push(...page.body.items.map((i) => i.metadata.name));
        cursor = page.body.pagination.nextCursor;
      } while (cursor);
      const expected = ['default', 'prod-api', 'prod-web', 'staging'];
      expect(names).toEqual(sortOrder === 'asc' ? expected : expected.reverse());
    }
  });

  it('keeps keys whose name starts with prefix', async () => {
    const response = await list('?prefix=prod');
    expect(response.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['prod-web', 'prod-api']);
    expect(response.body.pagination.total).toBe(2);
  });

  it('adds info.createdBy, the creating profile, with includeInfo=true', async () => {
    const response = await list('?includeInfo=true&sortOrder=asc&limit=1');
    expect(response.body.items[0].info.createdBy).toEqual({
      metadata: { id: ws.profileId, accountId: ws.accountId, name: 'owner', profileId: expect.stringMatching(/^prof_/) },
      spec: { type: 'PROFILE_TYPE_USER', email: 'owner@example.com', name: 'owner' },
    });
    const plain = await list('?includeInfo=false&limit=1');
    expect(plain.body.items[0].info).toBeUndefined();
  });

  it.each([['limit=501'], ['limit=0'], ['sortOrder=up'], ['includeInfo=maybe'], ['status=active'], ['cursor=abc.def']])(
    'refuses %s with invalid_request',
    async (query) => {
      const response = await list(`?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    },
  );

  it('creates a key from {metadata, spec}; spec.token is returned once', async () => {
    const response = await h.request('POST', '/v1/api_keys', {
      key: ws.key,
      body: { metadata: { name: 'svc', externalId: 'ext-9', labels: { env: 'prod' } }, spec: { description: 'service key' } },
    });
    expect(response.status).toBe(201);
    expect(response.body.metadata).toMatchObject({ name: 'svc', externalId: 'ext-9', labels: { env: 'prod' }, workspaceId: ws.workspaceId });
    expect(response.body.spec).toEqual({ token: expect.stringMatching(/^sk_cadreen_/), description: 'service key' });
    const fetched = await h.request('GET', `/v1/api_keys/${response.body.metadata.id}`, { key: ws.key });
    expect(fetched.body.spec).toEqual({ description: 'service key' });
  });

  it('refuses snake_case fields and unknown fields in the resource dialect', async () => {
    const response = await h.request('POST', '/v1/api_keys', { key: ws.key, body: { metadata: { name: 'x', external_id: 'e' } } });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toBe('metadata.external_id');
  });

  it('updates any subset of metadata and spec', async () => {
    const { id } = await h.newKey(ws.workspaceId, 'patch-me');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const response = await h.request('PATCH', `/v1/api_keys/${id}`, { key: ws.key, body: { spec: { expiresAt } } });
    expect(response.status).toBe(200);
    expect(response.body.metadata.name).toBe('patch-me');
    expect(response.body.status.expiresAt).toBe(expiresAt);
    const renamed = await h.request('PATCH', `/v1/api_keys/${id}`, { key: ws.key, body: { metadata: { name: 'patched' } } });
    expect(renamed.body.metadata.name).toBe('patched');
  });

  it('rotates with gracePeriodSeconds and revokes with DELETE, returning the key', async () => {
    const old = await h.newKey(ws.workspaceId, 'rotating');
    const rotated = await h.request('POST', `/v1/api_keys/${old.id}/rotate`, { key: ws.key, body: { gracePeriodSeconds: 60 } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.status).toMatchObject({ state: 'ACTIVE', rotatedFrom: old.id });
    expect(rotated.body.spec.token).toMatch(/^sk_cadreen_/);
    const during = await h.request('GET', '/api/v1/cadreen/health', { key: old.key });
    expect(during.headers['cadreen-key-status']).toBe('rotating');
    const oldNow = await h.request('GET', `/v1/api_keys/${old.id}`, { key: ws.key });
    expect(oldNow.body.status).toMatchObject({ state: 'ROTATING', rotatedTo: rotated.body.metadata.id, graceUntil: expect.any(String) });
    const revoked = await h.request('DELETE', `/v1/api_keys/${old.id}`, { key: ws.key });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toMatchObject({ state: 'REVOKED', revokedAt: expect.any(String) });
    expect((await h.request('DELETE', `/v1/api_keys/${old.id}`, { key: ws.key })).status).toBe(200);
  });

  it('answers not_found for another workspace’s key id', async () => {
    const stranger = await h.seed('stranger');
    const response = await h.request('GET', `/v1/api_keys/${stranger.keyId}`, { key: ws.key });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it('lets the admin token act on a workspace named by X-Cadreen-Workspace-Id, and requires the header', async () => {
    const missing = await h.request('GET', '/v1/api_keys', { key: ADMIN_TOKEN });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].field).toBe('X-Cadreen-Workspace-Id');
    const scoped = await h.request('GET', '/v1/api_keys?limit=1', { key: ADMIN_TOKEN, headers: { 'x-cadreen-workspace-id': ws.workspaceId } });
    expect(scoped.status).toBe(200);
    expect(scoped.body.items[0].metadata.workspaceId).toBe(ws.workspaceId);
  });

  it('refuses a key that names another workspace in X-Cadreen-Workspace-Id with auth_forbidden', async () => {
    const stranger = await h.seed('stranger-2');
    const response = await h.request('GET', '/v1/api_keys', { key: ws.key, headers: { 'x-cadreen-workspace-id': stranger.workspaceId } });
    expect(response.status).toBe(403);
  });

  it('lists audit events as {items, pagination}, newest first, filtered by type', async () => {
    const response = await h.request('GET', '/v1/audit_events?type=key.rotated&limit=5', { key: ws.key });
    expect(response.status).toBe(200);
    expect(response.body.items[0]).toMatchObject({ type: 'key.rotated', keyId: expect.stringMatching(/^key_/), createdAt: expect.any(String) });
    const all = await h.request('GET', '/v1/audit_events?limit=2', { key: ws.key });
    expect(all.body.items).toHaveLength(2);
    expect(all.body.pagination.nextCursor).toEqual(expect.any(String));
  });
});
