import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKey, Workspace } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { keyRow, seedAccount, type SeededAccount } from './fixtures.js';

/**
 * The outbox part of the Store contract (KeyEventStore): every change a
 * verifier must hear about leaves one event, in the change's transaction,
 * with ids that only increase.
 */
export function describeKeyEventContract(backend: string, open: () => Promise<Store>, dispose?: (store: Store) => Promise<void>) {
  describe(`Store contract, key events: ${backend}`, () => {
    let store: Store;
    let now: number;
    let accountId: string;
    let systemProfileId: string;
    let workspace: Workspace;
    let event: SeededAccount['event'];

    const owner = () => ({ workspaceId: workspace.id, accountId, createdBy: systemProfileId, now });
    async function insert(name: string, overrides: Partial<ApiKey> = {}): Promise<ApiKey> {
      const key = keyRow(owner(), name, overrides);
      const profile = { id: key.actorProfileId, accountId, type: 'PROFILE_TYPE_API_KEY' as const, name, email: null, createdBy: systemProfileId, createdAt: now };
      await store.insertKey(key, profile, event('key.created', { keyId: key.id }), { maxKeys: 100_000 });
      return key;
    }
    const all = async () => (await store.listKeyEvents(0, 1000)).map((e) => [e.type, e.keyId, e.workspaceId] as const);

    beforeEach(async () => {
      store = await open();
      ({ now, accountId, systemProfileId, workspace, event } = await seedAccount(store));
    });

    afterEach(async () => {
      if (dispose) await dispose(store);
      else await store.close();
    });

    it('records revoke, rotate, update and workspace changes in order, and nothing for a new key', async () => {
      const a = await insert('a');
      const b = await insert('b');
      expect(await all()).toEqual([]);
      await store.updateKey(workspace.id, a.id, { name: 'a2' }, event('key.updated', { keyId: a.id }));
      const successor = keyRow(owner(), 'b', { rotatedFrom: b.id });
      await store.rotateKey({
        workspaceId: workspace.id,
        oldKeyId: b.id,
        newKey: successor,
        newProfile: { id: successor.actorProfileId, accountId, type: 'PROFILE_TYPE_API_KEY', name: 'b', email: null, createdBy: systemProfileId, createdAt: now },
        graceUntil: null,
        event: event('key.rotated', { keyId: b.id }),
      });
      await store.revokeKey(workspace.id, a.id, now, event('key.revoked', { keyId: a.id }));
      await store.updateWorkspace(workspace.id, { rateLimit: { limit: 5, windowSeconds: 60 } }, event('workspace.updated'));
      expect(await all()).toEqual([
        ['key.updated', a.id, workspace.id],
        ['key.rotated', b.id, workspace.id],
        ['key.revoked', a.id, workspace.id],
        ['workspace.updated', null, workspace.id],
      ]);
      const ids = (await store.listKeyEvents(0, 1000)).map((e) => e.id);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      expect((await store.keyEventBounds()).latest).toBe(ids[ids.length - 1]);
    });

    it('records nothing for a change that did not happen (an unknown key, a second revoke)', async () => {
      const a = await insert('a');
      await store.revokeKey(workspace.id, 'key_missing', now, event('key.revoked', { keyId: 'key_missing' }));
      await store.revokeKey(workspace.id, a.id, now, event('key.revoked', { keyId: a.id }));
      await store.revokeKey(workspace.id, a.id, now, event('key.revoked', { keyId: a.id }));
      expect(await all()).toEqual([['key.revoked', a.id, workspace.id]]);
    });

    it('pages by id and remembers what was pruned, so a resume from before it can be told to reset', async () => {
      const keys = await Promise.all(['a', 'b', 'c'].map((name) => insert(name)));
      for (const key of keys) await store.revokeKey(workspace.id, key.id, now, event('key.revoked', { keyId: key.id, createdAt: now }));
      const [first, second, third] = await store.listKeyEvents(0, 10);
      expect((await store.listKeyEvents(first!.id, 1)).map((e) => e.id)).toEqual([second!.id]);
      expect(await store.pruneKeyEvents(now + 1)).toBe(3);
      expect(await store.keyEventBounds()).toEqual({ latest: third!.id, prunedThrough: third!.id });
      expect(await store.listKeyEvents(0, 10)).toEqual([]);
    });

    it('announces each expiry once, however many sweeps cover it', async () => {
      const soon = await insert('soon', { expiresAt: now + 1000 });
      await insert('later', { expiresAt: now + 60_000 });
      expect(await store.recordExpiries(now, now + 2000)).toBe(1);
      expect(await store.recordExpiries(now - 5000, now + 2000)).toBe(0);
      expect(await all()).toEqual([['key.expired', soon.id, workspace.id]]);
    });

    it('gives concurrent changes distinct ids', async () => {
      const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => insert(`k${i}`)));
      await Promise.all(keys.map((key) => store.revokeKey(workspace.id, key.id, now, event('key.revoked', { keyId: key.id }))));
      const events = await store.listKeyEvents(0, 100);
      expect(events).toHaveLength(8);
      expect(new Set(events.map((e) => e.keyId))).toEqual(new Set(keys.map((k) => k.id)));
    });
  });
}
