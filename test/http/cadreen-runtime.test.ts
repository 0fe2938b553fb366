import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';
import { describeSharedAuthNegatives } from './shared-auth-negatives.js';

describeSharedAuthNegatives('GET /api/v1/cadreen/health', () => ({ method: 'GET', url: '/api/v1/cadreen/health' }), { namesWorkspace: false });
describeSharedAuthNegatives('POST /api/v1/cadreen/keys/verify', (t) => ({ method: 'POST', url: '/api/v1/cadreen/keys/verify', body: { key: t.key } }), { namesWorkspace: false });

describe('Cadreen dialect: runtime', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
  });
  afterAll(() => h.close());

  const verify = (key: string, caller = ws.key) => h.request('POST', '/api/v1/cadreen/keys/verify', { key: caller, body: { key } });

  it('health names the key’s workspace and key and carries the rate-limit fields', async () => {
    const response = await h.request('GET', '/api/v1/cadreen/health', { key: ws.key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', workspace_id: ws.workspaceId, key_id: ws.keyId });
    expect(response.headers['ratelimit-policy']).toBe('"key";q=100000;w=60, "workspace";q=1000000;w=60');
    expect(response.headers['ratelimit']).toMatch(/^"key";r=\d+;t=\d+, "workspace";r=\d+;t=\d+$/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['ratelimit-limit']).toBe('100000');
    expect(Number(response.headers['ratelimit-remaining'])).toBeLessThan(100000);
    expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    expect(response.headers['request-id']).toMatch(/^req_/);
  });

  it('verify says a live key of the caller’s workspace is valid, with its ids and rate limit', async () => {
    const other = await h.newKey(ws.workspaceId, 'client');
    const response = await verify(other.key);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ valid: true, workspace_id: ws.workspaceId, key_id: other.id, status: 'active' });
    expect(response.body.ratelimit).toMatchObject({ limit: 100000 });
  });

  it('verify reports revoked and rotated keys with their codes', async () => {
    const revoked = await h.newKey(ws.workspaceId, 'revoked');
    await h.request('DELETE', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${revoked.id}`, { key: ws.key });
    expect((await verify(revoked.key)).body).toMatchObject({ valid: false, code: 'auth_revoked', key_id: revoked.id });
    const rotated = await h.newKey(ws.workspaceId, 'rotated');
    await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${rotated.id}/rotate`, { key: ws.key });
    expect((await verify(rotated.key)).body).toMatchObject({ valid: false, code: 'auth_rotating' });
  });

  it('verify answers malformed and unknown keys as auth_invalid', async () => {
    expect((await verify('sk_cadreen_nope')).body).toEqual({ valid: false, code: 'auth_invalid' });
    expect((await verify(ws.key.slice(0, -1) + (ws.key.endsWith('A') ? 'B' : 'A'))).body).toEqual({ valid: false, code: 'auth_invalid' });
  });

  it('verify hides other workspaces’ keys from a key caller but not from the admin', async () => {
    const stranger = await h.seed('stranger');
    expect((await verify(stranger.key)).body).toEqual({ valid: false, code: 'auth_invalid' });
    expect((await verify(stranger.key, ADMIN_TOKEN)).body).toMatchObject({ valid: true, workspace_id: stranger.workspaceId });
  });

  it('verify refuses a body without a key with invalid_request', async () => {
    const response = await h.request('POST', '/api/v1/cadreen/keys/verify', { key: ws.key, body: {} });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
  });
});

describe('rate limits', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness({ rateLimit: { limit: 3, windowSeconds: 60 } });
    ws = await h.seed();
  });
  afterAll(() => h.close());

  it('answers 429 rate_limited with Retry-After once a key is over its limit', async () => {
    const { key } = await h.newKey(ws.workspaceId, 'limited');
    for (let i = 0; i < 3; i++) expect((await h.request('GET', '/api/v1/cadreen/health', { key })).status).toBe(200);
    const refused = await h.request('GET', '/api/v1/cadreen/health', { key });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit']).toMatch(/^"key";r=0;t=\d+, "workspace";r=\d+;t=\d+$/);
  });

  it('charges includeInfo=true two units', async () => {
    const { key } = await h.newKey(ws.workspaceId, 'info');
    const first = await h.request('GET', '/v1/api_keys?includeInfo=true&limit=1', { key });
    expect(first.headers['ratelimit-remaining']).toBe('1');
    const second = await h.request('GET', '/v1/api_keys?includeInfo=true&limit=1', { key });
    expect(second.status).toBe(429);
  });

  it('limits each key separately', async () => {
    const a = await h.newKey(ws.workspaceId, 'a');
    const b = await h.newKey(ws.workspaceId, 'b');
    for (let i = 0; i < 4; i++) await h.request('GET', '/api/v1/cadreen/health', { key: a.key });
    expect((await h.request('GET', '/api/v1/cadreen/health', { key: b.key })).status).toBe(200);
  });

  it('applies a workspace’s own limit as soon as the admin sets it', async () => {
    const { key } = await h.newKey(ws.workspaceId, 'override');
    await h.request('GET', '/api/v1/cadreen/health', { key });
    const patched = await h.request('PATCH', `/api/v1/maas/workspaces/${ws.workspaceId}`, { key: ADMIN_TOKEN, body: { rate_limit: { limit: 50, window_seconds: 10 } } });
    expect(patched.body.rate_limit).toEqual({ limit: 50, window_seconds: 10, source: 'workspace' });
    const after = await h.request('GET', '/api/v1/cadreen/health', { key });
    expect(after.headers['ratelimit-policy']).toBe('"key";q=50;w=10, "workspace";q=1000000;w=60');
  });
});

describe('verify and rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ rateLimit: { limit: 100, windowSeconds: 60 } });
  });
  afterAll(() => h.close());

  it('verify applies the verified key’s limit and reports it', async () => {
    const target = await h.seed('target');
    await h.request('PATCH', `/api/v1/maas/workspaces/${target.workspaceId}`, { key: ADMIN_TOKEN, body: { rate_limit: { limit: 2, window_seconds: 60 } } });
    const { key } = await h.newKey(target.workspaceId, 'verified');
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await h.request('POST', '/api/v1/cadreen/keys/verify', { key: ADMIN_TOKEN, body: { key } })).body);
    expect(results.map((r) => r.valid)).toEqual([true, true, false]);
    expect(results[2]).toMatchObject({ code: 'rate_limited', ratelimit: { limit: 2, remaining: 0 } });
  });
});
