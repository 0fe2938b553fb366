import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import type { ApiKey, AuditEvent, Profile, Workspace } from '../../src/core/model.js';
import type { Store } from '../../src/store/store.js';

/**
 * The contract every Store backend must keep. A backend's test file calls
 * this with a function that opens a fresh, empty store and one that disposes
 * of it (Lucia's `testAdapter`, Kysely's per-dialect loop).
 */
export function describeStoreContract(backend: string, open: () => Promise<Store>, dispose?: (store: Store) => Promise<void>) {
  describe(`Store contract: ${backend}`, () => {
    let store: Store;
    let now: number;
    let accountId: string;
    let systemProfileId: string;
    let workspace: Workspace;

    const event = (type: AuditEvent['type'], extra: Partial<AuditEvent> = {}): AuditEvent => ({
      id: newId('evt'),
      workspaceId: workspace.id,
      type,
      actorProfileId: systemProfileId,
      keyId: null,
      code: null,
      ip: null,
      createdAt: now,
      ...extra,
    });

    const profileFor = (name: string): Profile => ({
      id: newId('prof'),
      accountId,
      type: 'PROFILE_TYPE_API_KEY',
      name,
      email: null,
      createdBy: systemProfileId,
      createdAt: now,
    });

    const keyNamed = (name: string, overrides: Partial<ApiKey> = {}): ApiKey => {
      const id = newId('key');
      return {
        id,
        workspaceId: workspace.id,
        accountId,
        actorProfileId: newId('prof'),
        createdBy: systemProfileId,
        name,
        description: null,
        labels: null,
        externalId: null,
        hash: `hash-${id}`,
        start: 'sk_cadreen_abcd',
        state: 'active',
        createdAt: now,
        expiresAt: null,
        lastUsedAt: null,
        rotatedFrom: null,
        rotatedTo: null,
        graceUntil: null,
        revokedAt: null,
        ...overrides,
      };
    };

    async function insert(key: ApiKey): Promise<ApiKey> {
      const profile = { ...profileFor(key.name), id: key.actorProfileId };
      await store.insertKey(key, profile, event('key.created', { keyId: key.id }));
      return key;
    }

    beforeEach(async () => {
      store = await open();
      now = Date.now();
      accountId = newId('acct');
      systemProfileId = newId('prof');
      await store.insertAccount({ id: accountId, name: 'Acme', systemProfileId, createdAt: now }, [
        { id: systemProfileId, accountId, type: 'PROFILE_TYPE_SYSTEM', name: 'Cadreen', email: null, createdBy: null, createdAt: now },
      ]);
      workspace = { id: newId('ws'), accountId, name: 'main', rateLimit: null, createdAt: now };
      await store.insertWorkspace(workspace, event('workspace.created'));
    });

    afterEach(async () => {
      if (dispose) await dispose(store);
      else await store.close();
    });

    it('answers ping while reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('keeps a named secret stable across calls', async () => {
      const first = await store.secret('cursor');
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(await store.secret('cursor')).toBe(first);
      expect(await store.secret('other')).not.toBe(first);
    });

    it('stores accounts, profiles and workspaces and reads them back', async () => {
      expect((await store.findAccount(accountId))?.systemProfileId).toBe(systemProfileId);
      expect((await store.findProfile(systemProfileId))?.type).toBe('PROFILE_TYPE_SYSTEM');
      expect(await store.findWorkspace(workspace.id)).toEqual(workspace);
      expect((await store.listAccounts(5)).map((a) => a.id)).toEqual([accountId]);
      expect(await store.findWorkspace('ws_missing')).toBeUndefined();
    });

    it('updates a workspace’s name and rate limit and can reset the limit to the default', async () => {
      const limited = await store.updateWorkspace(workspace.id, { rateLimit: { limit: 5, windowSeconds: 10 } }, event('workspace.updated'));
      expect(limited?.rateLimit).toEqual({ limit: 5, windowSeconds: 10 });
      const renamed = await store.updateWorkspace(workspace.id, { name: 'renamed', rateLimit: null }, event('workspace.updated'));
      expect(renamed).toMatchObject({ name: 'renamed', rateLimit: null });
      expect(await store.updateWorkspace('ws_missing', { name: 'x' }, event('workspace.updated'))).toBeUndefined();
    });

    it('pages workspaces by id without gaps or repeats', async () => {
      for (let i = 0; i < 4; i++) {
        const ws = { id: newId('ws'), accountId, name: `w${i}`, rateLimit: null, createdAt: now };
        await store.insertWorkspace(ws, { ...event('workspace.created'), workspaceId: ws.id });
      }
      expect(await store.countWorkspaces()).toBe(5);
      const first = await store.listWorkspaces({ order: 'asc', after: null, limit: 3 });
      const second = await store.listWorkspaces({ order: 'asc', after: first[2]!.id, limit: 3 });
      expect([...first, ...second].map((w) => w.id)).toEqual([...new Set([...first, ...second].map((w) => w.id))]);
      expect(first.length + second.length).toBe(5);
    });

    it('finds a key by its hash together with its workspace’s rate limit', async () => {
      const key = await insert(keyNamed('production', { labels: { env: 'prod' }, description: 'main key', externalId: 'ext-1' }));
      const found = await store.findKeyByHash(key.hash);
      expect(found?.key).toEqual(key);
      expect(found?.rateLimit).toBeNull();
      await store.updateWorkspace(workspace.id, { rateLimit: { limit: 7, windowSeconds: 60 } }, event('workspace.updated'));
      expect((await store.findKeyByHash(key.hash))?.rateLimit).toEqual({ limit: 7, windowSeconds: 60 });
      expect(await store.findKeyByHash('no-such-hash')).toBeUndefined();
    });

    it('refuses a second key with the same hash', async () => {
      const key = await insert(keyNamed('a'));
      await expect(insert(keyNamed('b', { hash: key.hash }))).rejects.toThrow();
      expect(await store.countKeys({ workspaceId: workspace.id, now })).toBe(1);
    });

    it('finds a key only within its own workspace', async () => {
      const key = await insert(keyNamed('a'));
      expect((await store.findKey(workspace.id, key.id))?.id).toBe(key.id);
      expect(await store.findKey('ws_other', key.id)).toBeUndefined();
    });

    it('lists keys newest first or oldest first, in pages that neither skip nor repeat', async () => {
      const keys: ApiKey[] = [];
      for (let i = 0; i < 7; i++) keys.push(await insert(keyNamed(`key-${i}`)));
      const filter = { workspaceId: workspace.id, now };
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: ApiKey[] = await store.listKeys(filter, { order: 'desc', after, limit: 3 });
        if (page.length === 0) break;
        seen.push(...page.map((k) => k.id));
        after = page[page.length - 1]!.id;
      }
      expect(seen).toEqual(keys.map((k) => k.id).reverse());
      const ascending = await store.listKeys(filter, { order: 'asc', after: null, limit: 10 });
      expect(ascending.map((k) => k.id)).toEqual(keys.map((k) => k.id));
    });

    it('keeps paging stable when keys are inserted between pages', async () => {
      for (let i = 0; i < 4; i++) await insert(keyNamed(`old-${i}`));
      const filter = { workspaceId: workspace.id, now };
      const first = await store.listKeys(filter, { order: 'desc', after: null, limit: 2 });
      await insert(keyNamed('new'));
      const rest = await store.listKeys(filter, { order: 'desc', after: first[1]!.id, limit: 10 });
      expect(rest.map((k) => k.name)).toEqual(['old-1', 'old-0']);
    });

    it('filters keys by name prefix, case-sensitively, and counts the matches', async () => {
      for (const name of ['prod-api', 'prod-web', 'Production', 'staging', 'pro']) await insert(keyNamed(name));
      const filter = { workspaceId: workspace.id, now, namePrefix: 'prod' };
      const found = await store.listKeys(filter, { order: 'asc', after: null, limit: 10 });
      expect(found.map((k) => k.name)).toEqual(['prod-api', 'prod-web']);
      expect(await store.countKeys(filter)).toBe(2);
      expect(await store.countKeys({ ...filter, namePrefix: '%' })).toBe(0);
    });

    it('filters and counts keys by status, treating past-expiry active keys as expired', async () => {
      await insert(keyNamed('live'));
      await insert(keyNamed('later', { expiresAt: now + 60_000 }));
      await insert(keyNamed('gone', { expiresAt: now - 1 }));
      const toRevoke = await insert(keyNamed('revoked'));
      await store.revokeKey(workspace.id, toRevoke.id, now, event('key.revoked'));
      const names = async (status: 'active' | 'expired' | 'revoked' | 'rotating') =>
        (await store.listKeys({ workspaceId: workspace.id, now, status }, { order: 'asc', after: null, limit: 10 })).map((k) => k.name);
      expect(await names('active')).toEqual(['live', 'later']);
      expect(await names('expired')).toEqual(['gone']);
      expect(await names('revoked')).toEqual(['revoked']);
      expect(await names('rotating')).toEqual([]);
      const count = (status?: 'active' | 'expired' | 'revoked' | 'rotating') =>
        store.countKeys({ workspaceId: workspace.id, now, ...(status ? { status } : {}) });
      expect([await count(), await count('active'), await count('expired'), await count('revoked'), await count('rotating')]).toEqual([4, 2, 1, 1, 0]);
    });

    it('updates only the fields given and records the event', async () => {
      const key = await insert(keyNamed('before', { description: 'keep me' }));
      const updated = await store.updateKey(workspace.id, key.id, { name: 'after', labels: { team: 'core' } }, event('key.updated', { keyId: key.id }));
      expect(updated).toMatchObject({ name: 'after', description: 'keep me', labels: { team: 'core' } });
      const cleared = await store.updateKey(workspace.id, key.id, { description: null, labels: null }, event('key.updated', { keyId: key.id }));
      expect(cleared).toMatchObject({ description: null, labels: null, name: 'after' });
      expect(await store.updateKey('ws_other', key.id, { name: 'x' }, event('key.updated'))).toBeUndefined();
      const events = await store.listAuditEvents({ workspaceId: workspace.id, type: 'key.updated' }, { order: 'desc', after: null, limit: 10 });
      expect(events).toHaveLength(2);
    });

    it('rotates an active key exactly once: the old one turns rotating and its successor is active', async () => {
      const old = await insert(keyNamed('prod'));
      const successor = keyNamed('prod', { rotatedFrom: old.id });
      const input = {
        workspaceId: workspace.id,
        oldKeyId: old.id,
        newKey: successor,
        newProfile: { ...profileFor('prod'), id: successor.actorProfileId },
        graceUntil: now + 1000,
        event: event('key.rotated', { keyId: old.id }),
      };
      const result = await store.rotateKey(input);
      expect(result.outcome).toBe('rotated');
      const stored = await store.findKey(workspace.id, old.id);
      expect(stored).toMatchObject({ state: 'rotating', rotatedTo: successor.id, graceUntil: now + 1000 });
      expect((await store.findKeyByHash(successor.hash))?.key.state).toBe('active');

      const again = keyNamed('prod');
      const second = await store.rotateKey({ ...input, newKey: again, newProfile: { ...profileFor('prod'), id: again.actorProfileId }, event: event('key.rotated') });
      expect(second.outcome).toBe('not_active');
      expect(await store.findKeyByHash(again.hash)).toBeUndefined();
      expect(await store.countKeys({ workspaceId: workspace.id, now, status: 'rotating' })).toBe(1);
      expect(await store.countKeys({ workspaceId: workspace.id, now, status: 'active' })).toBe(1);
    });

    it('lets exactly one of many concurrent rotations of a key win', async () => {
      const old = await insert(keyNamed('prod'));
      const results = await Promise.all(
        Array.from({ length: 50 }, () => {
          const successor = keyNamed('prod', { rotatedFrom: old.id });
          return store.rotateKey({
            workspaceId: workspace.id,
            oldKeyId: old.id,
            newKey: successor,
            newProfile: { ...profileFor('prod'), id: successor.actorProfileId },
            graceUntil: null,
            event: event('key.rotated', { keyId: old.id }),
          });
        }),
      );
      expect(results.filter((r) => r.outcome === 'rotated')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'not_active')).toHaveLength(49);
      expect(await store.countKeys({ workspaceId: workspace.id, now })).toBe(2);
    });

    it('does not rotate an expired key or a key of another workspace', async () => {
      const expired = await insert(keyNamed('old', { expiresAt: now - 1 }));
      const successor = keyNamed('new');
      const input = {
        workspaceId: workspace.id,
        oldKeyId: expired.id,
        newKey: successor,
        newProfile: { ...profileFor('new'), id: successor.actorProfileId },
        graceUntil: null,
        event: event('key.rotated'),
      };
      expect((await store.rotateKey(input)).outcome).toBe('not_active');
      expect((await store.rotateKey({ ...input, workspaceId: 'ws_other' })).outcome).toBe('not_found');
    });

    it('revokes idempotently, keeping the row and writing one event', async () => {
      const key = await insert(keyNamed('a'));
      const revoked = await store.revokeKey(workspace.id, key.id, now + 5, event('key.revoked', { keyId: key.id }));
      expect(revoked).toMatchObject({ state: 'revoked', revokedAt: now + 5 });
      const again = await store.revokeKey(workspace.id, key.id, now + 9, event('key.revoked', { keyId: key.id }));
      expect(again).toMatchObject({ state: 'revoked', revokedAt: now + 5 });
      expect(await store.revokeKey(workspace.id, 'key_missing', now, event('key.revoked'))).toBeUndefined();
      const events = await store.listAuditEvents({ workspaceId: workspace.id, type: 'key.revoked' }, { order: 'desc', after: null, limit: 10 });
      expect(events).toHaveLength(1);
      expect(await store.countKeys({ workspaceId: workspace.id, now, status: 'revoked' })).toBe(1);
      expect(await store.countKeys({ workspaceId: workspace.id, now, status: 'active' })).toBe(0);
    });

    it('records last use in batches and never moves it backwards', async () => {
      const key = await insert(keyNamed('a'));
      await store.touchKeys(new Map([[key.id, now + 100]]));
      await store.touchKeys(new Map([[key.id, now + 50]]));
      expect((await store.findKey(workspace.id, key.id))?.lastUsedAt).toBe(now + 100);
    });

    it('appends audit events and lists them newest first, by type, in pages', async () => {
      await store.insertAuditEvents([
        event('auth.refused', { code: 'auth_revoked', ip: '127.0.0.1' }),
        event('auth.refused', { code: 'auth_rotating' }),
      ]);
      const all = await store.listAuditEvents({ workspaceId: workspace.id }, { order: 'desc', after: null, limit: 10 });
      expect(all.map((e) => e.type)).toEqual(['auth.refused', 'auth.refused', 'workspace.created']);
      expect(all[1]).toMatchObject({ code: 'auth_revoked', ip: '127.0.0.1' });
      const refused = await store.listAuditEvents({ workspaceId: workspace.id, type: 'auth.refused' }, { order: 'desc', after: all[0]!.id, limit: 10 });
      expect(refused).toHaveLength(1);
    });

    it('reports an unreachable backend as StoreUnavailableError, not as a bug', async () => {
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.findKeyByHash('any')).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
}
