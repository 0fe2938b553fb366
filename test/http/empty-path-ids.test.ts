import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';

/**
 * A forgotten id (an empty shell variable in `/workspaces/$WORKSPACE_ID/api-keys`) leaves an empty
 * path segment. That is the caller's mistake, answered `400 invalid_request` naming the parameter,
 * not a lookup that ends in a misleading `403` or `404`.
 */
describe('empty ids in the path', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
  });
  afterAll(() => h.close());

  const rows: [string, string, (ws: Seeded) => string, string, unknown?][] = [
    ['a key listing keys', 'GET', () => '/api/v1/maas/workspaces//api-keys', 'workspace_id'],
    ['a key creating a key', 'POST', () => '/api/v1/maas/workspaces//api-keys', 'workspace_id', { name: 'lost' }],
    ['a key reading a key', 'GET', (w) => `/api/v1/maas/workspaces/${w.workspaceId}/api-keys/`, 'key_id'],
    ['a key revoking a key', 'DELETE', (w) => `/api/v1/maas/workspaces/${w.workspaceId}/api-keys/`, 'key_id'],
    ['a key reading its workspace', 'GET', () => '/api/v1/maas/workspaces/', 'workspace_id'],
    ['a key reading the audit log', 'GET', () => '/api/v1/maas/workspaces//audit-events', 'workspace_id'],
    ['a key listing members', 'GET', () => '/api/v1/maas/workspaces//members', 'workspace_id'],
    ['a key changing a member', 'PATCH', (w) => `/api/v1/maas/workspaces/${w.workspaceId}/members/`, 'profile_id', { role: 'owner' }],
    ['a key reading a key in the resource dialect', 'GET', () => '/v1/api_keys/', 'id'],
  ];

  it.each(rows)('answers %s with an empty id 400 invalid_request naming the parameter', async (_case, method, url, field, body) => {
    const response = await h.request(method, url(ws), { key: ws.key, ...(body ? { body } : {}) });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message).toBe('the request path is invalid');
    expect(response.body.error.details).toEqual([{ field, message: 'must not be empty' }]);
  });

  it('answers the admin token the same, and creates nothing', async () => {
    const listed = await h.request('GET', '/api/v1/maas/workspaces//api-keys', { key: ADMIN_TOKEN });
    expect(listed.status).toBe(400);
    expect(listed.body.error.details).toEqual([{ field: 'workspace_id', message: 'must not be empty' }]);
    const renamed = await h.request('PATCH', '/api/v1/maas/workspaces/', { key: ADMIN_TOKEN, body: { name: 'nobody' } });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.details).toEqual([{ field: 'workspace_id', message: 'must not be empty' }]);
    const created = await h.request('POST', '/api/v1/maas/workspaces//api-keys', { key: ADMIN_TOKEN, body: { name: 'lost' } });
    expect(created.status).toBe(400);
    const keys = await h.request('GET', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, { key: ADMIN_TOKEN });
    expect(keys.body.keys.map((k: { name: string }) => k.name)).not.toContain('lost');
  });

  it('still answers a key naming another workspace 403 auth_forbidden', async () => {
    const other = await h.seed('other');
    const response = await h.request('GET', `/api/v1/maas/workspaces/${other.workspaceId}/api-keys`, { key: ws.key });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('auth_forbidden');
  });
});
