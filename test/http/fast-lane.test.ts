import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, type Harness, type Response, type Seeded } from './harness.js';
import { describeSharedAuthNegatives } from './shared-auth-negatives.js';

/**
 * `GET /api/v1/cadreen/health` and `GET /livez` over a real socket are
 * answered by the fast lane; `inject` reaches Fastify's routes. Both must give
 * the same answers.
 */

describeSharedAuthNegatives('GET /api/v1/cadreen/health', () => ({ method: 'GET', url: '/api/v1/cadreen/health' }), {
  namesWorkspace: false,
  transport: 'socket',
});

/** Fields that differ per request or per connection, whoever answers. */
const VARYING = new Set(['date', 'connection', 'keep-alive', 'request-id', 'ratelimit', 'ratelimit-remaining', 'transfer-encoding']);

function comparable(response: Response) {
  const headers = Object.fromEntries(
    Object.entries(response.headers)
      .filter(([name]) => !VARYING.has(name))
      .map(([name, value]) => [name, String(value)]),
  );
  const body = response.body?.error ? { error: { ...response.body.error, request_id: '…' } } : response.body;
  return { status: response.status, headers, varying: Object.keys(response.headers).filter((name) => VARYING.has(name) && name.startsWith('r')).sort(), body };
}

/** Calls the route over HTTP (the lane) and in-process (Fastify), and expects one answer. */
async function expectSameAnswer(h: Harness, url: string, key?: string): Promise<Response> {
  const overHttp = await h.request('GET', url, key === undefined ? {} : { key });
  const inProcess = await h.app.inject({ method: 'GET', url, headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
  const framework: Response = { status: inProcess.statusCode, headers: inProcess.headers, body: inProcess.json() };
  expect(comparable(overHttp)).toEqual(comparable(framework));
  if (url !== '/livez') expect(overHttp.headers['request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  if (overHttp.body?.error) expect(overHttp.body.error.request_id).toBe(overHttp.headers['request-id']);
  return overHttp;
}

describe('fast lane: the same answers as the framework routes', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness({ transport: 'socket' });
    ws = await h.seed();
  });
  afterAll(() => h.close());

  it('health answers a live key with its workspace, key and rate-limit fields, also on a cache miss', async () => {
    h.cadreen.cache.clear();
    const response = await expectSameAnswer(h, '/api/v1/cadreen/health', ws.key);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', workspace_id: ws.workspaceId, key_id: ws.keyId });
    expect(response.headers['ratelimit-policy']).toBe('"key";q=100000;w=60');
    expect(response.headers['ratelimit']).toMatch(/^"key";r=\d+;t=\d+$/);
    await expectSameAnswer(h, '/api/v1/cadreen/health', ws.key);
  });

  it('health answers the admin token with null ids', async () => {
    const response = await expectSameAnswer(h, '/api/v1/cadreen/health', ADMIN_TOKEN);
    expect(response.body).toEqual({ status: 'ok', workspace_id: null, key_id: null });
  });

  it('health marks a rotated key inside its grace period with Cadreen-Key-Status: rotating', async () => {
    const old = await h.newKey(ws.workspaceId, 'graceful');
    const rotated = await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${old.id}/rotate`, {
      key: ws.key,
      body: { grace_period_seconds: 3600 },
    });
    expect(rotated.status).toBe(201);
    const response = await expectSameAnswer(h, '/api/v1/cadreen/health', old.key);
    expect(response.status).toBe(200);
    expect(response.headers['cadreen-key-status']).toBe('rotating');
  });

  it('health refuses a missing, garbage or revoked key in the one error shape', async () => {
    expect((await expectSameAnswer(h, '/api/v1/cadreen/health')).body.error.code).toBe('auth_missing');
    expect((await expectSameAnswer(h, '/api/v1/cadreen/health', 'sk_cadreen_garbage')).body.error.code).toBe('auth_invalid');
    const revoked = await h.newKey(ws.workspaceId, 'revoked');
    await h.request('DELETE', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${revoked.id}`, { key: ws.key });
    expect((await expectSameAnswer(h, '/api/v1/cadreen/health', revoked.key)).body.error.code).toBe('auth_revoked');
  });

  it('livez answers {status: ok} without a key', async () => {
    const response = await expectSameAnswer(h, '/livez');
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('hands other methods and query strings to the framework', async () => {
    expect((await h.request('POST', '/livez')).body.error.code).toBe('not_found');
    const withQuery = await h.request('GET', '/api/v1/cadreen/health?probe=1', { key: ws.key });
    expect(withQuery.status).toBe(200);
    expect(withQuery.body.key_id).toBe(ws.keyId);
    const head = await fetch(`http://${addressOf(h)}/api/v1/cadreen/health`, { method: 'HEAD', headers: { authorization: `Bearer ${ws.key}` } });
    expect(head.status).toBe(200);
  });
});

describe('fast lane: refusals that need their own service', () => {
  it('answers a key over its limit with 429 rate_limited and Retry-After, as the framework does', async () => {
    const h = await createHarness({ transport: 'socket', rateLimit: { limit: 2, windowSeconds: 60 } });
    try {
      const ws = await h.seed();
      expect((await h.request('GET', '/api/v1/cadreen/health', { key: ws.key })).status).toBe(200);
      expect((await h.request('GET', '/api/v1/cadreen/health', { key: ws.key })).status).toBe(200);
      const refused = await expectSameAnswer(h, '/api/v1/cadreen/health', ws.key);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers['ratelimit-remaining']).toBe('0');
    } finally {
      await h.close();
    }
  });

  it('answers 503 service_unavailable with Retry-After, not 500, while the store is unreachable', async () => {
    const h = await createHarness({ transport: 'socket' });
    try {
      const ws = await h.seed();
      h.cadreen.cache.clear();
      await h.cadreen.store.close();
      const response = await expectSameAnswer(h, '/api/v1/cadreen/health', ws.key);
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('service_unavailable');
      expect(response.headers['retry-after']).toBe('1');
    } finally {
      await h.app.close();
    }
  });
});

describe('fast lane: debug access lines', () => {
  it('steps aside while every request gets an access line, so health checks are logged too', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const h = await createHarness({ transport: 'socket', app: { logger, accessLog: true } });
    try {
      const ws = await h.seed();
      const response = await h.request('GET', '/api/v1/cadreen/health', { key: ws.key });
      expect(response.status).toBe(200);
      expect((await h.request('GET', '/livez')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the line is written once the response has finished
      const routes = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request').map((entry) => entry.route);
      expect(routes).toEqual(['/api/v1/cadreen/health', '/livez']);
      expect(lines.join('\n')).not.toContain(ws.key);
    } finally {
      await h.close();
    }
  });
});

function addressOf(h: Harness): string {
  const address = h.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return `127.0.0.1:${address.port}`;
}
