import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasValidKeyFormat } from '../../src/core/key-format.js';
import { ADMIN_TOKEN, createHarness, type Harness, type Seeded } from './harness.js';
import { describeSharedAuthNegatives } from './shared-auth-negatives.js';
import { expectWorkspaceUnchanged, snapshotWorkspace } from './workspace-snapshot.js';

const keysUrl = (ws: string) => `/api/v1/maas/workspaces/${ws}/api-keys`;

describeSharedAuthNegatives('POST …/api-keys', (t) => ({ method: 'POST', url: keysUrl(t.workspaceId), body: { name: 'x' } }), { namesWorkspace: true });
describeSharedAuthNegatives('GET …/api-keys', (t) => ({ method: 'GET', url: keysUrl(t.workspaceId) }), { namesWorkspace: true });
describeSharedAuthNegatives('GET …/api-keys/{id}', (t) => ({ method: 'GET', url: `${keysUrl(t.workspaceId)}/${t.keyId}` }), { namesWorkspace: true });
describeSharedAuthNegatives('PATCH …/api-keys/{id}', (t) => ({ method: 'PATCH', url: `${keysUrl(t.workspaceId)}/${t.keyId}`, body: { name: 'y' } }), { namesWorkspace: true });
describeSharedAuthNegatives('POST …/api-keys/{id}/rotate', (t) => ({ method: 'POST', url: `${keysUrl(t.workspaceId)}/${t.keyId}/rotate` }), { namesWorkspace: true });
describeSharedAuthNegatives('DELETE …/api-keys/{id}', (t) => ({ method: 'DELETE', url: `${keysUrl(t.workspaceId)}/${t.keyId}` }), { namesWorkspace: true });

describe('Cadreen dialect: API keys', () => {
  let h: Harness;
  let ws: Seeded;

  beforeAll(async () => {
    h = await createHarness();
    ws = await h.seed();
  });
  afterAll(() => h.close());

  const create = (body: unknown, key = ws.key) => h.request('POST', keysUrl(ws.workspaceId), { key, body });

  describe('create', () => {
    it('returns 201 with the key object and a plaintext that authenticates at once', async () => {
      const response = await create({ name: 'production' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ name: 'production', key_prefix: 'sk_cadreen_', status: 'active', created_by: ws.profileId.replace(/.*/, response.body.created_by) });
      expect(response.body.id).toMatch(/^key_[0-9A-Z]{26}$/);
      expect(hasValidKeyFormat(response.body.plaintext, 'sk_cadreen_')).toBe(true);
      expect(response.body.start).toBe(response.body.plaintext.slice(0, 15));
      expect(Date.parse(response.body.created_at)).not.toBeNaN();
      const health = await h.request('GET', '/api/v1/cadreen/health', { key: response.body.plaintext });
      expect(health.body).toEqual({ status: 'ok', workspace_id: ws.workspaceId, key_id: response.body.id });
    });

    it('records the calling key’s own profile as the creator', async () => {
      const own = await h.cadreen.store.findKey(ws.workspaceId, ws.keyId);
      const response = await create({ name: 'made-by-key' });
      expect(response.body.created_by).toBe(own!.actorProfileId);
      const profile = await h.cadreen.store.findProfile(response.body.created_by);
      expect(profile?.type).toBe('PROFILE_TYPE_API_KEY');
    });

    it('accepts description, labels, external_id and a future expires_at', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const response = await create({ name: 'full', description: 'CI key', labels: { env: 'ci', team: 'platform' }, external_id: 'gh-42', expires_at: expiresAt });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ description: 'CI key', labels: { env: 'ci', team: 'platform' }, external_id: 'gh-42', expires_at: expiresAt });
    });

    it('never returns the plaintext again after creation', async () => {
      const created = await create({ name: 'once' });
      const fetched = await h.request('GET', `${keysUrl(ws.workspaceId)}/${created.body.id}`, { key: ws.key });
      expect(fetched.body.plaintext).toBeUndefined();
      expect(JSON.stringify(fetched.body)).not.toContain(created.body.plaintext);
      const listed = await h.request('GET', keysUrl(ws.workspaceId), { key: ws.key });
      expect(JSON.stringify(listed.body)).not.toContain(created.body.plaintext.slice(15));
    });

    it.each([
      ['a missing name', {}, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a name of the wrong type', { name: 42 }, 'name'],
      ['an unknown field', { name: 'x', scopes: ['all'] }, 'scopes'],
      ['a label with a bad key', { name: 'x', labels: { 'bad key!': 'v' } }, 'labels'],
      ['a malformed expires_at', { name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
      ['an expires_at in the past', { name: 'x', expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    ])('refuses %s with invalid_request naming the field, creating nothing', async (_case, body, field) => {
      const before = await snapshotWorkspace(h, ws.workspaceId);
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
      expect(response.body.error.details.map((d: { field: string }) => d.field).join(' ')).toContain(field);
      await expectWorkspaceUnchanged(h, ws.workspaceId, before, { usedBy: ws.keyId });
    });

    it('refuses malformed JSON with invalid_request', async () => {
      const response = await h.request('POST', keysUrl(ws.workspaceId), { key: ws.key, rawBody: '{"name": ' });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    });

    it('refuses a body that is not JSON with invalid_request', async () => {
      const response = await h.request('POST', keysUrl(ws.workspaceId), {
        key: ws.key,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    });

    it('refuses a body over 64 KiB with payload_too_large', async () => {
      const response = await create({ name: 'big', description: 'x'.repeat(70 * 1024) });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
    });

    it('lets the admin token create keys in any workspace, as the system profile', async () => {
      const response = await create({ name: 'by-admin' }, ADMIN_TOKEN);
      expect(response.status).toBe(201);
      const account = await h.cadreen.store.findAccount(ws.accountId);
      expect(response.body.created_by).toBe(account!.systemProfileId);
    });

    it('answers not_found for a workspace that does not exist, even to the admin', async () => {
      const response = await h.request('POST', keysUrl('ws_01HXK0000000000000000000000'), { key: ADMIN_TOKEN, body: { name: 'x' } });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    });
  });

  describe('list', () => {
    let listed: Seeded;
    beforeAll(async () => {
      listed = await h.seed('listing');
      for (const name of ['prod-api', 'prod-web', 'staging', 'dev-1', 'dev-2']) await h.newKey(listed.workspaceId, name);
    });
    const list = (query = '') => h.request('GET', `${keysUrl(listed.workspaceId)}${query}`, { key: listed.key });

    it('returns every key newest first with count and no next_cursor when it fits', async () => {
      const response = await list();
      expect(response.status).toBe(200);
      expect(response.body.count).toBe(6);
      expect(response.body.next_cursor).toBeNull();
      expect(response.body.keys.map((k: { name: string }) => k.name)).toEqual(['dev-2', 'dev-1', 'staging', 'prod-web', 'prod-api', 'default']);
      expect(Object.keys(response.body.keys[0]).sort()).toEqual(
        ['created_at', 'created_by', 'description', 'expires_at', 'external_id', 'grace_until', 'id', 'key_prefix', 'labels', 'last_used_at', 'name', 'revoked_at', 'rotated_from', 'rotated_to', 'start', 'status'].sort(),
      );
    });

    it('walks pages with limit and cursor without gaps or repeats', async () => {
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const response: { body: { keys: { name: string }[]; next_cursor: string | null; count: number } } = await list(`?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.body.count).toBe(6);
        names.push(...response.body.keys.map((k) => k.name));
        cursor = response.body.next_cursor;
      } while (cursor);
      expect(names).toHaveLength(6);
      expect(new Set(names).size).toBe(6);
    });

    it('filters by name prefix and status, and counts what matches', async () => {
      const prod = await list('?prefix=prod');
      expect(prod.body.keys.map((k: { name: string }) => k.name)).toEqual(['prod-web', 'prod-api']);
      expect(prod.body.count).toBe(2);
      const revoked = await list('?status=revoked');
      expect(revoked.body).toMatchObject({ keys: [], count: 0 });
      const oldest = await list('?order=asc&limit=1');
      expect(oldest.body.keys[0].name).toBe('default');
    });

    it('lists a revoked key with its status and revoked_at', async () => {
      const { id } = await h.newKey(listed.workspaceId, 'zz-revoked');
      await h.request('DELETE', `${keysUrl(listed.workspaceId)}/${id}`, { key: listed.key });
      const response = await list('?status=revoked');
      expect(response.body.keys).toHaveLength(1);
      expect(response.body.keys[0]).toMatchObject({ id, status: 'revoked' });
      expect(response.body.keys[0].revoked_at).not.toBeNull();
    });

    it.each([
      ['limit=0'],
      ['limit=1001'],
      ['limit=ten'],
      ['status=paused'],
      ['order=sideways'],
      ['unknown=1'],
      ['cursor=not-a-cursor'],
    ])('refuses the bad query value %s with invalid_request', async (query) => {
      const response = await list(`?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
      expect(response.body.error.details.length).toBeGreaterThan(0);
    });

    it('refuses a tampered cursor and a cursor from a different query', async () => {
      const first = await list('?limit=2');
      const cursor: string = first.body.next_cursor;
      const tampered = cursor.slice(0, -2) + (cursor.endsWith('AA') ? 'BB' : 'AA');
      expect((await list(`?limit=2&cursor=${tampered}`)).body.error.code).toBe('invalid_request');
      expect((await list(`?limit=2&order=asc&cursor=${cursor}`)).body.error.code).toBe('invalid_request');
      const other = await h.request('GET', `${keysUrl(ws.workspaceId)}?limit=2&cursor=${cursor}`, { key: ws.key });
      expect(other.body.error.code).toBe('invalid_request');
    });
  });

  describe('get and update', () => {
    it('gets one key of the workspace and answers not_found for another workspace’s key', async () => {
      const mine = await h.request('GET', `${keysUrl(ws.workspaceId)}/${ws.keyId}`, { key: ws.key });
      expect(mine.body).toMatchObject({ id: ws.keyId, status: 'active' });
      const stranger = await h.seed('stranger');
      const theirs = await h.request('GET', `${keysUrl(ws.workspaceId)}/${stranger.keyId}`, { key: ws.key });
      expect(theirs.status).toBe(404);
      expect(theirs.body.error.code).toBe('not_found');
    });

    it('updates name, description, labels, external_id and expiry, and clears them with null', async () => {
      const { id } = await h.newKey(ws.workspaceId, 'editable');
      const url = `${keysUrl(ws.workspaceId)}/${id}`;
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const updated = await h.request('PATCH', url, { key: ws.key, body: { name: 'edited', description: 'd', labels: { a: 'b' }, external_id: 'e', expires_at: expiresAt } });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ name: 'edited', description: 'd', labels: { a: 'b' }, external_id: 'e', expires_at: expiresAt });
      const cleared = await h.request('PATCH', url, { key: ws.key, body: { description: null, labels: null, expires_at: null } });
      expect(cleared.body).toMatchObject({ name: 'edited', description: null, labels: null, expires_at: null, external_id: 'e' });
    });

    it('refuses an invalid update with invalid_request and an unknown key with not_found', async () => {
      const bad = await h.request('PATCH', `${keysUrl(ws.workspaceId)}/${ws.keyId}`, { key: ws.key, body: { name: '' } });
      expect(bad.status).toBe(400);
      const missing = await h.request('PATCH', `${keysUrl(ws.workspaceId)}/key_01HXK0000000000000000000000`, { key: ws.key, body: { name: 'x' } });
      expect(missing.status).toBe(404);
    });

    it('expires a key at once when its expiry is moved close and passes', async () => {
      const { id, key } = await h.newKey(ws.workspaceId, 'soon');
      // A minute ahead of the service's clock, then the clock two minutes on: expired however long the steps take.
      await h.request('PATCH', `${keysUrl(ws.workspaceId)}/${id}`, { key: ws.key, body: { expires_at: new Date(Date.now() + 60_000).toISOString() } });
      expect((await h.request('GET', '/api/v1/cadreen/health', { key })).status).toBe(200);
      h.advance(120_000);
      try {
        const refused = await h.request('GET', '/api/v1/cadreen/health', { key });
        expect(refused.body.error.code).toBe('auth_invalid');
        expect(refused.body.error.message).toMatch(/expired/);
      } finally {
        h.advance(-120_000);
      }
    });
  });

  describe('rotate', () => {
    it('returns 201 with a new plaintext and rotated_from; the old key is refused with auth_rotating at once', async () => {
      const old = await h.newKey(ws.workspaceId, 'rotate-me');
      const response = await h.request('POST', `${keysUrl(ws.workspaceId)}/${old.id}/rotate`, { key: ws.key });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ name: 'rotate-me', key_prefix: 'sk_cadreen_', rotated_from: old.id, status: 'active' });
      expect(response.body.plaintext).not.toBe(old.key);
      expect((await h.request('GET', '/api/v1/cadreen/health', { key: old.key })).body.error.code).toBe('auth_rotating');
      expect((await h.request('GET', '/api/v1/cadreen/health', { key: response.body.plaintext })).status).toBe(200);
      const oldNow = await h.request('GET', `${keysUrl(ws.workspaceId)}/${old.id}`, { key: ws.key });
      expect(oldNow.body).toMatchObject({ status: 'rotating', rotated_to: response.body.id });
    });

    it('keeps the old key working during a grace period, flagged with Cadreen-Key-Status: rotating', async () => {
      const old = await h.newKey(ws.workspaceId, 'graceful');
      const sent = Date.now();
      const response = await h.request('POST', `${keysUrl(ws.workspaceId)}/${old.id}/rotate`, { key: ws.key, body: { grace_period_seconds: 3600 } });
      const answered = Date.now();
      expect(response.status).toBe(201);
      const during = await h.request('GET', '/api/v1/cadreen/health', { key: old.key });
      expect(during.status).toBe(200);
      expect(during.headers['cadreen-key-status']).toBe('rotating');
      const oldKey = await h.request('GET', `${keysUrl(ws.workspaceId)}/${old.id}`, { key: ws.key });
      // An hour after the moment the rotation was made, which lies between sending and answering.
      expect(Date.parse(oldKey.body.grace_until)).toBeGreaterThanOrEqual(sent + 3_600_000);
      expect(Date.parse(oldKey.body.grace_until)).toBeLessThanOrEqual(answered + 3_600_000);
      h.advance(3601_000);
      try {
        expect((await h.request('GET', '/api/v1/cadreen/health', { key: old.key })).body.error.code).toBe('auth_rotating');
      } finally {
        h.advance(-3601_000);
      }
    });

    it('refuses to rotate a key that is not active with conflict', async () => {
      const old = await h.newKey(ws.workspaceId, 'twice');
      const url = `${keysUrl(ws.workspaceId)}/${old.id}/rotate`;
      expect((await h.request('POST', url, { key: ws.key })).status).toBe(201);
      const again = await h.request('POST', url, { key: ws.key });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('conflict');
      const revoked = await h.newKey(ws.workspaceId, 'revoked');
      await h.request('DELETE', `${keysUrl(ws.workspaceId)}/${revoked.id}`, { key: ws.key });
      expect((await h.request('POST', `${keysUrl(ws.workspaceId)}/${revoked.id}/rotate`, { key: ws.key })).status).toBe(409);
    });

    it.each([[-1], [604801], ['60'], [1.5]])('refuses grace_period_seconds %j with invalid_request', async (grace) => {
      const old = await h.newKey(ws.workspaceId, 'bad-grace');
      const response = await h.request('POST', `${keysUrl(ws.workspaceId)}/${old.id}/rotate`, { key: ws.key, body: { grace_period_seconds: grace } });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
      expect((await h.request('GET', '/api/v1/cadreen/health', { key: old.key })).status).toBe(200);
    });

    it('lets 50 concurrent rotations of one key produce exactly one new key and 49 conflicts', async () => {
      const old = await h.newKey(ws.workspaceId, 'contended');
      const url = `${keysUrl(ws.workspaceId)}/${old.id}/rotate`;
      const responses = await Promise.all(Array.from({ length: 50 }, () => h.request('POST', url, { key: ws.key })));
      expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.status === 409 && r.body.error.code === 'conflict')).toHaveLength(49);
      const successors = await h.request('GET', `${keysUrl(ws.workspaceId)}?prefix=contended`, { key: ws.key });
      expect(successors.body.count).toBe(2);
    });
  });

  describe('last use', () => {
    it('shows last_used_at once the batched usage is written, without a write on the request', async () => {
      const { id, key } = await h.newKey(ws.workspaceId, 'used');
      const url = `${keysUrl(ws.workspaceId)}/${id}`;
      const sent = Date.now();
      await h.request('GET', '/api/v1/cadreen/health', { key });
      const answered = Date.now();
      expect((await h.request('GET', url, { key: ws.key })).body.last_used_at).toBeNull();
      await h.cadreen.usage.flush();
      const used = await h.request('GET', url, { key: ws.key });
      // The moment of the use, which lies between sending and answering.
      expect(Date.parse(used.body.last_used_at)).toBeGreaterThanOrEqual(sent);
      expect(Date.parse(used.body.last_used_at)).toBeLessThanOrEqual(answered);
    });
  });

  describe('last use, accurate to the minute', () => {
    it('records a busy key’s use once a minute, not on every request', async () => {
      const { id, key } = await h.newKey(ws.workspaceId, 'busy');
      const url = `${keysUrl(ws.workspaceId)}/${id}`;
      const lastUsed = async () => {
        await h.cadreen.usage.flush();
        return Date.parse((await h.request('GET', url, { key: ws.key })).body.last_used_at);
      };
      await h.request('GET', '/api/v1/cadreen/health', { key });
      const first = await lastUsed();
      h.advance(30_000);
      await h.request('GET', '/api/v1/cadreen/health', { key });
      expect(await lastUsed()).toBe(first);
      h.advance(31_000);
      try {
        await h.request('GET', '/api/v1/cadreen/health', { key });
        expect(await lastUsed()).toBeGreaterThanOrEqual(first + 61_000);
      } finally {
        h.advance(-61_000);
      }
    });
  });

  describe('revoke', () => {
    it('returns 204, keeps the key listed as revoked, and is idempotent', async () => {
      const { id, key } = await h.newKey(ws.workspaceId, 'revoke-me');
      const url = `${keysUrl(ws.workspaceId)}/${id}`;
      const first = await h.request('DELETE', url, { key: ws.key });
      expect(first.status).toBe(204);
      expect(first.body).toBeUndefined();
      expect((await h.request('DELETE', url, { key: ws.key })).status).toBe(204);
      expect((await h.request('GET', url, { key: ws.key })).body.status).toBe('revoked');
      expect((await h.request('GET', '/api/v1/cadreen/health', { key })).body.error.code).toBe('auth_revoked');
    });

    it('lets a key revoke itself, after which it is refused', async () => {
      const self = await h.newKey(ws.workspaceId, 'self');
      expect((await h.request('DELETE', `${keysUrl(ws.workspaceId)}/${self.id}`, { key: self.key })).status).toBe(204);
      expect((await h.request('GET', '/api/v1/cadreen/health', { key: self.key })).body.error.code).toBe('auth_revoked');
    });

    it('answers not_found for a key that is not in the workspace', async () => {
      const response = await h.request('DELETE', `${keysUrl(ws.workspaceId)}/key_01HXK0000000000000000000000`, { key: ws.key });
      expect(response.status).toBe(404);
    });
  });
});
