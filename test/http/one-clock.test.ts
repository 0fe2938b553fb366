import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';

/**
 * The service has one clock. With it moved past a key's expiry, every answer
 * agrees the key is expired: verification, GET and the status filter of both
 * dialects.
 */
describe('one clock for verification and for what the API shows', () => {
  let h: Harness;
  let ws: Seeded;
  let expiring: { id: string; key: string };

  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
    expiring = await h.newKey(ws.workspaceId, 'short-lived', Date.now() + 60_000);
    h.advance(65_000);
  });
  afterAll(() => h.close());

  it('refuses the key once the service clock has passed its expiry', async () => {
    const response = await h.request('GET', '/api/v1/cadreen/health', { key: expiring.key });
    expect(response.status).toBe(401);
  });

  it('shows the key as expired in the Cadreen dialect, by id and under ?status=expired', async () => {
    const base = `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`;
    const one = await h.request('GET', `${base}/${expiring.id}`, { key: ws.key });
    expect(one.body.status).toBe('expired');
    const expired = await h.request('GET', `${base}?status=expired`, { key: ws.key });
    expect(expired.body.keys.map((key: { id: string; status: string }) => [key.id, key.status])).toEqual([[expiring.id, 'expired']]);
    const active = await h.request('GET', `${base}?status=active`, { key: ws.key });
    expect(active.body.keys.map((key: { id: string }) => key.id)).not.toContain(expiring.id);
  });

  it('shows the key as EXPIRED in the resource dialect, by id and in the list', async () => {
    const one = await h.request('GET', `/v1/api_keys/${expiring.id}`, { key: ws.key });
    expect(one.body.status.state).toBe('EXPIRED');
    const list = await h.request('GET', '/v1/api_keys', { key: ADMIN_TOKEN, headers: { 'x-cadreen-workspace-id': ws.workspaceId } });
    const listed = list.body.items.find((item: { metadata: { id: string } }) => item.metadata.id === expiring.id);
    expect(listed.status.state).toBe('EXPIRED');
  });
});
