import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';

const past = () => new Date(Date.now() - 60_000).toISOString();

/** The core names fields in the domain's words; each dialect reports them in its own. */
describe('error details name fields as the dialect of the request does', () => {
  let h: Harness;
  let ws: Seeded;

  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
  });
  afterAll(() => h.close());

  it('says expires_at in the Cadreen dialect and spec.expiresAt in the resource dialect for an expiry in the past', async () => {
    const cadreen = await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, {
      key: ws.key,
      body: { name: 'late', expires_at: past() },
    });
    expect(cadreen.status).toBe(400);
    expect(cadreen.body.error.details).toEqual([{ field: 'expires_at', message: 'must be in the future' }]);

    const resource = await h.request('POST', '/v1/api_keys', { key: ws.key, body: { metadata: { name: 'late' }, spec: { expiresAt: past() } } });
    expect(resource.status).toBe(400);
    expect(resource.body.error.details).toEqual([{ field: 'spec.expiresAt', message: 'must be in the future' }]);
  });

  it('says account_id in the Cadreen dialect for an unknown account', async () => {
    const response = await h.request('POST', '/api/v1/maas/workspaces', { key: ADMIN_TOKEN, body: { name: 'x', account_id: 'acct_01HZZZZZZZZZZZZZZZZZZZZZZZ' } });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field: 'account_id', message: 'unknown account' }]);
  });

  it('names the X-Cadreen-Workspace-Id header when the admin token calls the resource dialect without one', async () => {
    const response = await h.request('GET', '/v1/api_keys', { key: ADMIN_TOKEN });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field: 'X-Cadreen-Workspace-Id', message: 'required with the admin token' }]);
  });
});
