import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import { eventually } from '../support/eventually.js';
import { createHarness, type Harness, type Seeded } from './harness.js';

describe('public routes and the OpenAPI document', () => {
  let h: Harness;
  let ws: Seeded;
  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
  });
  afterAll(() => h.close());

  it('answers /livez and /readyz without a key', async () => {
    expect(await h.request('GET', '/livez')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await h.request('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers /readyz with 503 service_unavailable once the store is gone', async () => {
    const other = await createHarness();
    await other.cadreen.store.close();
    const ready = await other.request('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error.code).toBe('service_unavailable');
    await other.app.close();
  });

  it('answers authenticated routes with 503 service_unavailable, not 500, while the store is unreachable', async () => {
    const other = await createHarness();
    const seeded = await other.seed();
    other.cadreen.cache.clear();
    await other.cadreen.store.close();
    const response = await other.request('GET', '/api/v1/cadreen/health', { key: seeded.key });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('service_unavailable');
    expect(response.headers['retry-after']).toBe('1');
    await other.app.close();
  });

  it('answers unknown routes with not_found in the error shape', async () => {
    const response = await h.request('GET', '/v2/nothing');
    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({ code: 'not_found', request_id: expect.stringMatching(/^req_/) });
  });

  it('serves an OpenAPI 3.1 document listing every route of both dialects', async () => {
    const { body } = await h.request('GET', '/openapi.json');
    expect(body.openapi).toBe('3.1.0');
    const operations = Object.entries(body.paths).flatMap(([path, methods]) => Object.keys(methods as object).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'GET /livez',
        'GET /readyz',
        'GET /openapi.json',
        'GET /api/v1/cadreen/health',
        'POST /api/v1/cadreen/keys/verify',
        'POST /api/v1/cadreen/keys/leases',
        'GET /api/v1/cadreen/keys/events',
        'POST /api/v1/maas/workspaces/{workspace_id}/api-keys',
        'GET /api/v1/maas/workspaces/{workspace_id}/api-keys',
        'GET /api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}',
        'PATCH /api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}',
        'DELETE /api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}',
        'DELETE /api/v1/maas/workspaces/{workspace_id}/members/{profile_id}',
        'POST /api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}/rotate',
        'POST /api/v1/maas/workspaces',
        'GET /api/v1/maas/me',
        'GET /api/v1/maas/workspaces',
        'GET /api/v1/maas/workspaces/{workspace_id}',
        'PATCH /api/v1/maas/workspaces/{workspace_id}',
        'GET /api/v1/maas/workspaces/{workspace_id}/audit-events',
        'GET /api/v1/maas/workspaces/{workspace_id}/members',
        'POST /api/v1/maas/workspaces/{workspace_id}/members',
        'PATCH /api/v1/maas/workspaces/{workspace_id}/members/{profile_id}',
        'GET /v1/api_keys',
        'POST /v1/api_keys',
        'GET /v1/api_keys/{id}',
        'PATCH /v1/api_keys/{id}',
        'DELETE /v1/api_keys/{id}',
        'POST /v1/api_keys/{id}/rotate',
        'GET /v1/audit_events',
      ].sort(),
    );
  });

  it('describes requests with the schemas that validate them', async () => {
    const { body } = await h.request('GET', '/openapi.json');
    const create = body.paths['/api/v1/maas/workspaces/{workspace_id}/api-keys'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['name']);
    expect(schema.additionalProperties).toBe(false);
    // What the document allows, the server accepts; what it forbids, the server refuses.
    expect(Object.keys(schema.properties).sort()).toEqual(['description', 'expires_at', 'external_id', 'labels', 'name']);
    const refused = await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, { key: ws.key, body: { name: 'x', extra: 1 } });
    expect(refused.status).toBe(400);
    const list = body.paths['/v1/api_keys'].get.parameters.map((p: { name: string }) => p.name).sort();
    expect(list).toEqual(['cursor', 'includeInfo', 'limit', 'prefix', 'sortOrder']);
    const errorCodes = create.responses['401'].content['application/json'].schema.properties.error.properties.code.enum;
    expect(errorCodes).toEqual([...ERROR_CODES]);
  });

  it('never answers bad input with a stack trace or a 500', async () => {
    const bodies = ['[]', 'null', '"text"', '{"name": {"$gt": ""}}', '{"__proto__": {"admin": true}, "name": "x"}', '\u0000', '{'.repeat(5000)];
    for (const rawBody of bodies) {
      const response = await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, { key: ws.key, rawBody });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(js|ts):\d+/);
    }
  });
});

describe('closing', () => {
  it('closes a connection that never sent a request, instead of waiting for the client to give it up', async () => {
    const h = await createHarness({ transport: 'socket' });
    const server = h.app.server;
    // A client's spare connection, opened ahead of need: connected, nothing sent, never ended by the client.
    const spare = connect(Number(new URL(h.baseUrl!).port), '127.0.0.1');
    const closedByServer = once(spare, 'close');
    await once(spare, 'connect');
    const open = () => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    await eventually('the server holds the spare connection', open, (count) => count === 1);
    await h.close();
    await closedByServer;
    expect(spare.destroyed).toBe(true);
  });
});
