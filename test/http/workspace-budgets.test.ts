import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';

describe('a workspace’s budget is shared by all its keys', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness({ rateLimit: { limit: 5, windowSeconds: 60 }, limits: { workspaceRateLimit: { limit: 20, windowSeconds: 60 } } });
    ws = await h.seed();
  });
  afterAll(() => h.close());

  it('admits no more requests than the budget however many keys the workspace mints', async () => {
    const keys = [ws.key];
    let admitted = 0;
    let refusal: Awaited<ReturnType<Harness['request']>> | undefined;
    // Every key mints keys until it is refused; every new key does the same.
    for (let i = 0; i < keys.length && keys.length < 200; i++) {
      for (;;) {
        const minted = await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, { key: keys[i]!, body: { name: `minted-${keys.length}` } });
        if (minted.status !== 201) {
          refusal = minted;
          break;
        }
        admitted++;
        keys.push(minted.body.plaintext);
      }
    }
    expect(admitted).toBe(20);
    expect(refusal!.status).toBe(429);
    expect(refusal!.body.error.code).toBe('rate_limited');
    expect(refusal!.headers['ratelimit-policy']).toBe('"key";q=5;w=60, "workspace";q=20;w=60');
    expect(refusal!.headers['ratelimit']).toMatch(/, "workspace";r=0;t=\d+$/);
    // The legacy fields report the policy closest to exhaustion: the workspace's.
    expect(refusal!.headers['ratelimit-limit']).toBe('20');
    expect(refusal!.headers['ratelimit-remaining']).toBe('0');
    expect(Number(refusal!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('leaves other workspaces’ budgets alone', async () => {
    const other = await h.seed('other');
    expect((await h.request('GET', '/api/v1/cadreen/health', { key: other.key })).status).toBe(200);
  });

  it('lets the admin give a workspace a budget of its own, in force at once', async () => {
    const own = await h.seed('own-budget');
    const patched = await h.request('PATCH', `/api/v1/maas/workspaces/${own.workspaceId}`, {
      key: ADMIN_TOKEN,
      body: { workspace_rate_limit: { limit: 2, window_seconds: 30 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.workspace_rate_limit).toEqual({ limit: 2, window_seconds: 30, source: 'workspace' });
    expect(patched.body.rate_limit).toEqual({ limit: 5, window_seconds: 60, source: 'default' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await h.request('GET', '/api/v1/cadreen/health', { key: own.key })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const reset = await h.request('PATCH', `/api/v1/maas/workspaces/${own.workspaceId}`, { key: ADMIN_TOKEN, body: { workspace_rate_limit: null } });
    expect(reset.body.workspace_rate_limit).toEqual({ limit: 20, window_seconds: 60, source: 'default' });
  });
});

describe('a workspace holds a bounded number of keys', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness({ limits: { maxKeysPerWorkspace: 3 } });
    ws = await h.seed();
  });
  afterAll(() => h.close());

  const keysUrl = () => `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`;

  it('refuses one key more than the quota with quota_exceeded in both dialects, creating nothing', async () => {
    for (let i = 0; i < 2; i++) expect((await h.request('POST', keysUrl(), { key: ws.key, body: { name: `k${i}` } })).status).toBe(201);
    const refused = await h.request('POST', keysUrl(), { key: ws.key, body: { name: 'one-too-many' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('quota_exceeded');
    const resource = await h.request('POST', '/v1/api_keys', { key: ws.key, body: { metadata: { name: 'one-too-many' } } });
    expect(resource.status).toBe(403);
    expect(resource.body.error.code).toBe('quota_exceeded');
    expect((await h.request('GET', keysUrl(), { key: ws.key })).body.count).toBe(3);
  });

  it('still rotates a key at the quota, and makes room when a key is revoked', async () => {
    const list = await h.request('GET', keysUrl(), { key: ws.key });
    const spare = list.body.keys.find((k: { id: string }) => k.id !== ws.keyId);
    expect((await h.request('POST', `${keysUrl()}/${spare.id}/rotate`, { key: ws.key })).status).toBe(201);
    const revoked = (await h.request('GET', keysUrl(), { key: ws.key })).body.keys.find((k: { id: string; status: string }) => k.id !== ws.keyId && k.status === 'active');
    expect((await h.request('DELETE', `${keysUrl()}/${revoked.id}`, { key: ws.key })).status).toBe(204);
    // The rotated key still counts until it is revoked: rotation replaced a key, it did not free one.
    expect((await h.request('POST', keysUrl(), { key: ws.key, body: { name: 'after-revoke' } })).status).toBe(403);
    expect((await h.request('DELETE', `${keysUrl()}/${spare.id}`, { key: ws.key })).status).toBe(204);
    expect((await h.request('POST', keysUrl(), { key: ws.key, body: { name: 'after-revoke' } })).status).toBe(201);
  });
});
