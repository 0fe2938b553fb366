import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/core/timestamps.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { Store } from '../../src/core/ports.js';
import { createTestDatabase, needs, TEST_DATABASE_URL } from '../support/services.js';
import { createHarness, type Harness, type Seeded } from './harness.js';

describe('timestamps', () => {
  it('reads RFC 3339 in UTC and with offsets, with fractions of a second', () => {
    expect(parseTimestamp('2030-01-31T12:00:00Z')).toBe(Date.UTC(2030, 0, 31, 12));
    expect(parseTimestamp('2030-01-31T14:00:00.250+02:00')).toBe(Date.UTC(2030, 0, 31, 12, 0, 0, 250));
    expect(parseTimestamp('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseTimestamp('9999-12-31T23:59:59.999Z')).toBe(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  });

  it.each([
    '2026-12-31T23:59:60Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '1969-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
    '10000-01-01T00:00:00Z',
    '9999-12-31T23:59:59-01:00',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:00',
    'tomorrow',
  ])('refuses %s', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});

/** The rules of input and time, on one store: bad timestamps and NUL characters change nothing, expiry wins over a rotation's grace. */
function describeTimeRules(backend: string, openStore: () => Promise<{ store: Store; drop: () => Promise<void> }>) {
  describe(`input and time rules (${backend})`, () => {
    let h: Harness;
    let ws: Seeded;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const opened = await openStore();
      drop = opened.drop;
      h = await createHarness({ store: opened.store });
      ws = await h.seed();
    });
    afterAll(async () => {
      await h.close();
      await drop();
    });

    const keysUrl = () => `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`;
    const keyCount = async () => (await h.request('GET', keysUrl(), { key: ws.key })).body.count as number;

    it.each(['2026-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '2030-02-30T00:00:00Z'])(
      'refuses a key created with expires_at %s with invalid_request, creating nothing',
      async (expiresAt) => {
        const before = await keyCount();
        const cadreen = await h.request('POST', keysUrl(), { key: ws.key, body: { name: 'bad-time', expires_at: expiresAt } });
        expect(cadreen.status).toBe(400);
        expect(cadreen.body.error.code).toBe('invalid_request');
        expect(cadreen.body.error.details).toContainEqual(expect.objectContaining({ field: 'expires_at' }));
        const resource = await h.request('POST', '/v1/api_keys', { key: ws.key, body: { metadata: { name: 'bad-time' }, spec: { expiresAt } } });
        expect(resource.status).toBe(400);
        expect(resource.body.error.code).toBe('invalid_request');
        expect(await keyCount()).toBe(before);
      },
    );

    it('refuses a NUL character in a body, a query or a path with invalid_request, creating nothing', async () => {
      const before = await keyCount();
      const answers = [
        await h.request('POST', keysUrl(), { key: ws.key, rawBody: '{"name":"a\\u0000b"}' }),
        await h.request('POST', '/v1/api_keys', { key: ws.key, rawBody: '{"metadata":{"name":"ok","labels":{"team":"a\\u0000"}}}' }),
        await h.request('GET', '/v1/api_keys?prefix=a%00', { key: ws.key }),
        await h.request('POST', `/v1/api_keys/key_%00/rotate`, { key: ws.key, body: {} }),
      ];
      expect(answers.map((a) => [a.status, a.body.error.code])).toEqual(Array(4).fill([400, 'invalid_request']));
      expect(await keyCount()).toBe(before);
    });

    it('refuses a leap-second expiry on update and keeps the expiry the key had', async () => {
      const expiresAt = '2031-01-01T00:00:00.000Z';
      const created = await h.request('POST', keysUrl(), { key: ws.key, body: { name: 'dated', expires_at: expiresAt } });
      const patched = await h.request('PATCH', `${keysUrl()}/${created.body.id}`, { key: ws.key, body: { expires_at: '2030-06-30T23:59:60Z' } });
      expect(patched.status).toBe(400);
      expect(patched.body.error.code).toBe('invalid_request');
      const resource = await h.request('PATCH', `/v1/api_keys/${created.body.id}`, { key: ws.key, body: { spec: { expiresAt: '2030-06-30T23:59:60Z' } } });
      expect(resource.status).toBe(400);
      expect((await h.request('GET', `${keysUrl()}/${created.body.id}`, { key: ws.key })).body.expires_at).toBe(expiresAt);
    });

    it('accepts a timestamp with an offset and stores the instant it names', async () => {
      const created = await h.request('POST', keysUrl(), { key: ws.key, body: { name: 'offset', expires_at: '2031-01-01T02:00:00+02:00' } });
      expect(created.status).toBe(201);
      expect(created.body.expires_at).toBe('2031-01-01T00:00:00.000Z');
    });

    it('ends a rotation’s grace period at the old key’s expiry, also once the cache is cold', async () => {
      // Expiry a minute ahead of the service's clock, a grace period of an hour, then the clock two minutes on:
      // the grace period ends at expiry however long the steps take.
      const expiresAt = new Date(Date.now() + 60_000).toISOString();
      const created = await h.request('POST', keysUrl(), { key: ws.key, body: { name: 'short-lived', expires_at: expiresAt } });
      const rotated = await h.request('POST', `${keysUrl()}/${created.body.id}/rotate`, { key: ws.key, body: { grace_period_seconds: 3600 } });
      expect(rotated.status).toBe(201);
      const old = await h.request('GET', `${keysUrl()}/${created.body.id}`, { key: ws.key });
      expect(old.body.grace_until).toBe(old.body.expires_at);
      expect((await h.request('GET', '/api/v1/cadreen/health', { key: created.body.plaintext })).status).toBe(200);

      h.advance(120_000);
      try {
        const refused = await h.request('GET', '/api/v1/cadreen/health', { key: created.body.plaintext });
        expect(refused.status).toBe(401);
        expect(refused.body.error.code).toBe('auth_invalid');
        h.cadreen.cache.clear();
        expect((await h.request('GET', '/api/v1/cadreen/health', { key: created.body.plaintext })).status).toBe(401);
        const expired = await h.request('GET', `${keysUrl()}?status=expired`, { key: ws.key });
        expect(expired.body.keys.map((k: { id: string }) => k.id)).toContain(created.body.id);
        const rotating = await h.request('GET', `${keysUrl()}?status=rotating`, { key: ws.key });
        expect(rotating.body.keys.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
        expect((await h.request('GET', '/api/v1/cadreen/health', { key: rotated.body.plaintext })).status).toBe(200);
      } finally {
        h.advance(-120_000);
      }
    });
  });
}

describeTimeRules('SQLite', async () => {
  const { openSqliteStore } = await import('../../src/store/sqlite-store.js');
  return { store: await openSqliteStore(':memory:'), drop: async () => {} };
});

describe('on PostgreSQL', needs('postgres'), () => {
  describeTimeRules('PostgreSQL', async () => {
    const database = await createTestDatabase(TEST_DATABASE_URL!);
    return { store: await openPostgresStore(database.url), drop: database.drop };
  });
});
