import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import type { ApiKey, Profile, Workspace } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { keyRow, seedAccount, type SeededAccount } from './fixtures.js';

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
    let event: SeededAccount['event'];

    const profileFor = (name: string): Profile => ({
      id: newId('prof'),
      accountId,
      type: 'PROFILE_TYPE_API_KEY',
      name,
      email: null,
      createdBy: systemProfileId,
      createdAt: now,
    });

    const keyNamed = (name: string, overrides: Partial<ApiKey> = {}): ApiKey =>
      keyRow({ workspaceId: workspace.id, accountId, createdBy: systemProfileId, now }, name, overrides);

    /** A quota no test reaches unless it means to. */
    const ROOMY = { maxKeys: 100_000 };

    async function insert(key: ApiKey, quota = ROOMY): Promise<ApiKey> {
      const profile = { ...profileFor(key.name), id: key.actorProfileId };
      expect(await store.insertKey(key, profile, event('key.created', { keyId: key.id }), quota)).toBe('inserted');
      return key;
    }

    const rotation = (old: ApiKey, at = now) => {
      const successor = keyNamed(old.name, { rotatedFrom: old.id, createdAt: at });
      return {
        workspaceId: old.workspaceId,
        oldKeyId: old.id,
        newKey: successor,
        newProfile: { ...profileFor(old.name), id: successor.actorProfileId },
        graceUntil: null,
        event: event('key.rotated', { keyId: old.id }),
      };
    };

    beforeEach(async () => {
      store = await open();
      ({ now, accountId, systemProfileId, workspace, event } = await seedAccount(store));
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
        const ws = { id: newId('ws'), accountId, name: `w${i}`, rateLimit: null, workspaceRateLimit: null, createdAt: now };
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

    it('refuses a second key with the same hash as a bug, not as an unavailable store', async () => {
      const key = await insert(keyNamed('a'));
      const refused = await insert(keyNamed('b', { hash: key.hash })).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(Error);
      expect(refused).not.toBeInstanceOf(StoreUnavailableError);
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

    it('stores 10 000 audit events given in one call, all of them', async () => {
      const events = Array.from({ length: 10_000 }, (_, i) => event('auth.refused', { code: 'auth_invalid', keyId: `key_${i}`, ip: '192.0.2.1' }));
      await store.insertAuditEvents(events);
      const stored = await store.listAuditEvents({ workspaceId: workspace.id, type: 'auth.refused' }, { order: 'asc', after: null, limit: 20_000 });
      expect(stored).toHaveLength(10_000);
      expect(new Set(stored.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
    });

    it('writes a batch of audit events all or none', async () => {
      const events = Array.from({ length: 1_200 }, () => event('auth.refused', { code: 'auth_invalid' }));
      // A duplicate id in the last chunk fails the whole call.
      events.push({ ...events[0]!, createdAt: now + 1 });
      await expect(store.insertAuditEvents(events)).rejects.toThrow();
      const stored = await store.listAuditEvents({ workspaceId: workspace.id, type: 'auth.refused' }, { order: 'asc', after: null, limit: 5_000 });
      expect(stored).toHaveLength(0);
    });

    it('refuses a key beyond the workspace quota, writing nothing, and counts only non-revoked keys', async () => {
      const quota = { maxKeys: 3 };
      const keys = [await insert(keyNamed('a'), quota), await insert(keyNamed('b', { expiresAt: now - 1 }), quota), await insert(keyNamed('c'), quota)];
      const extra = keyNamed('d');
      const extraProfile = { ...profileFor('d'), id: extra.actorProfileId };
      expect(await store.insertKey(extra, extraProfile, event('key.created', { keyId: extra.id }), quota)).toBe('quota_exceeded');
      expect(await store.findKeyByHash(extra.hash)).toBeUndefined();
      expect(await store.findProfile(extra.actorProfileId)).toBeUndefined();
      expect(await store.countKeys({ workspaceId: workspace.id, now })).toBe(3);
      const created = await store.listAuditEvents({ workspaceId: workspace.id, type: 'key.created' }, { order: 'asc', after: null, limit: 10 });
      expect(created.map((e) => e.keyId)).toEqual(keys.map((k) => k.id));

      await store.revokeKey(workspace.id, keys[0]!.id, now, event('key.revoked', { keyId: keys[0]!.id }));
      expect(await store.insertKey(extra, extraProfile, event('key.created', { keyId: extra.id }), quota)).toBe('inserted');
    });

    it('lets a rotation through at the quota: the successor replaces the old key', async () => {
      const quota = { maxKeys: 1 };
      const old = await insert(keyNamed('only'), quota);
      const input = rotation(old);
      expect((await store.rotateKey(input)).outcome).toBe('rotated');
      expect((await store.findKeyByHash(input.newKey.hash))?.key.state).toBe('active');
      const another = keyNamed('another');
      const profile = { ...profileFor('another'), id: another.actorProfileId };
      expect(await store.insertKey(another, profile, event('key.created'), quota)).toBe('quota_exceeded');
    });

    it('admits exactly the quota of many concurrent key inserts', async () => {
      const quota = { maxKeys: 5 };
      const outcomes = await Promise.all(
        Array.from({ length: 25 }, (_, i) => {
          const key = keyNamed(`k${i}`);
          return store.insertKey(key, { ...profileFor(key.name), id: key.actorProfileId }, event('key.created', { keyId: key.id }), quota);
        }),
      );
      expect(outcomes.filter((o) => o === 'inserted')).toHaveLength(5);
      expect(outcomes.filter((o) => o === 'quota_exceeded')).toHaveLength(20);
      expect(await store.countKeys({ workspaceId: workspace.id, now })).toBe(5);
      expect(await store.countKeys({ workspaceId: workspace.id, now, status: 'active' })).toBe(5);
    });

    it('stores a workspace budget, changes and resets it, and hands it out with a key', async () => {
      const budgeted: Workspace = {
        id: newId('ws'),
        accountId,
        name: 'budgeted',
        rateLimit: { limit: 10, windowSeconds: 60 },
        workspaceRateLimit: { limit: 600, windowSeconds: 60 },
        createdAt: now,
      };
      await store.insertWorkspace(budgeted, { ...event('workspace.created'), workspaceId: budgeted.id });
      expect(await store.findWorkspace(budgeted.id)).toEqual(budgeted);
      const listed = await store.listWorkspaces({ order: 'asc', after: null, limit: 10 });
      expect(listed.find((w) => w.id === budgeted.id)).toEqual(budgeted);

      const key = await insert(keyNamed('k', { workspaceId: budgeted.id }));
      expect(await store.findKeyByHash(key.hash)).toMatchObject({
        rateLimit: { limit: 10, windowSeconds: 60 },
        workspaceRateLimit: { limit: 600, windowSeconds: 60 },
      });

      const changed = await store.updateWorkspace(budgeted.id, { workspaceRateLimit: { limit: 50, windowSeconds: 10 } }, event('workspace.updated'));
      expect(changed).toMatchObject({ rateLimit: { limit: 10, windowSeconds: 60 }, workspaceRateLimit: { limit: 50, windowSeconds: 10 } });
      const renamed = await store.updateWorkspace(budgeted.id, { name: 'renamed' }, event('workspace.updated'));
      expect(renamed?.workspaceRateLimit).toEqual({ limit: 50, windowSeconds: 10 });
      const reset = await store.updateWorkspace(budgeted.id, { workspaceRateLimit: null }, event('workspace.updated'));
      expect(reset).toMatchObject({ rateLimit: { limit: 10, windowSeconds: 60 }, workspaceRateLimit: null });
      expect((await store.findKeyByHash(key.hash))?.workspaceRateLimit).toBeNull();
      expect((await store.findWorkspace(workspace.id))?.workspaceRateLimit).toBeNull();
    });

    it('lists and counts a rotating key past its expiry as expired, not as rotating', async () => {
      const old = await insert(keyNamed('prod', { expiresAt: now + 1_000 }));
      const input = rotation(old);
      expect((await store.rotateKey({ ...input, graceUntil: now + 60_000 })).outcome).toBe('rotated');
      const names = async (at: number, status: 'active' | 'expired' | 'rotating') =>
        (await store.listKeys({ workspaceId: workspace.id, now: at, status }, { order: 'asc', after: null, limit: 10 })).map((k) => k.id);
      const counts = async (at: number) =>
        Promise.all((['active', 'rotating', 'expired', 'revoked'] as const).map((status) => store.countKeys({ workspaceId: workspace.id, now: at, status })));

      expect(await names(now, 'rotating')).toEqual([old.id]);
      expect(await names(now, 'expired')).toEqual([]);
      expect(await counts(now)).toEqual([1, 1, 0, 0]);

      const later = now + 2_000;
      expect(await names(later, 'rotating')).toEqual([]);
      expect(await names(later, 'expired')).toEqual([old.id]);
      expect(await names(later, 'active')).toEqual([input.newKey.id]);
      expect(await counts(later)).toEqual([1, 0, 1, 0]);
      expect(await store.countKeys({ workspaceId: workspace.id, now: later })).toBe(2);
    });

    it('records the last use of 5 000 keys given in one call, skipping unknown ids and older times', async () => {
      // Ten workspaces, so inserts that each lock their workspace's counters run side by side.
      const workspaces = [workspace];
      for (let i = 1; i < 10; i++) {
        const ws: Workspace = { ...workspace, id: newId('ws'), name: `bulk-${i}` };
        await store.insertWorkspace(ws, { ...event('workspace.created'), workspaceId: ws.id });
        workspaces.push(ws);
      }
      const keys = (
        await Promise.all(
          workspaces.map(async (ws) => {
            const inserted: ApiKey[] = [];
            for (let i = 0; i < 500; i++) inserted.push(await insert(keyNamed(`bulk-${i}`, { workspaceId: ws.id })));
            return inserted;
          }),
        )
      ).flat();
      await store.touchKeys(new Map([[keys[0]!.id, now + 10_000]]));
      const lastUsed = new Map(keys.map((k, i) => [k.id, now + i] as const));
      lastUsed.set('key_unknown', now);
      await store.touchKeys(lastUsed);
      const stored = new Map<string, number | null>();
      for (const ws of workspaces) {
        for (const k of await store.listKeys({ workspaceId: ws.id, now }, { order: 'asc', after: null, limit: 1_000 })) stored.set(k.id, k.lastUsedAt);
      }
      expect(stored.size).toBe(5_000);
      expect(stored.get(keys[0]!.id)).toBe(now + 10_000);
      expect(keys.slice(1).filter((k, i) => stored.get(k.id) !== now + i + 1)).toEqual([]);
    });

    it('takes a probe write while writable and refuses it as unavailable once closed', async () => {
      await expect(store.probeWrite()).resolves.toBeUndefined();
      await expect(store.probeWrite()).resolves.toBeUndefined();
      await store.close();
      await expect(store.probeWrite()).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('reports an unreachable backend as StoreUnavailableError, not as a bug', async () => {
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.findKeyByHash('any')).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
}
