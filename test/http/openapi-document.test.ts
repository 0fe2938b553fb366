import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './harness.js';

describe('GET /openapi.json', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('answers the same document with the same ETag every time', async () => {
    const first = await h.request('GET', '/openapi.json');
    const second = await h.request('GET', '/openapi.json');
    expect(first.status).toBe(200);
    expect(first.body.paths['/api/v1/cadreen/keys/verify']).toBeDefined();
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.body).toEqual(first.body);
  });

  it('answers 304 with no body to a client that already holds it', async () => {
    const { headers } = await h.request('GET', '/openapi.json');
    const again = await h.request('GET', '/openapi.json', { headers: { 'if-none-match': String(headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
  });
});
