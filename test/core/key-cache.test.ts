import { describe, expect, it } from 'vitest';
import { KeyCache, type CachedKey } from '../../src/core/key-cache.js';
import { createKeyHasher } from '../../src/core/key-format.js';
import type { Store } from '../../src/core/ports.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { createHarness } from '../http/harness.js';

const entry = (id: string, workspaceId = 'ws_1'): CachedKey => ({
  id,
  workspaceId,
  accountId: 'acct_1',
  actorProfileId: `prof_${id}`,
  state: 'active',
  expiresAt: null,
  graceUntil: null,
  rateLimit: null,
  workspaceRateLimit: null,
  lastUsedAt: null,
});

const newCache = () => new KeyCache({ max: 100, ttlMs: 3_600_000, unknownMax: 100, unknownTtlMs: 3_600_000, random: () => 0 });

describe('key cache: a lookup that started before an invalidation is not cached after it', () => {
  it('caches a lookup when nothing was invalidated while it ran', () => {
    const cache = newCache();
    const generation = cache.currentGeneration;
    cache.set('hash-a', entry('key_a'), generation);
    cache.set('hash-unknown', null, generation);
    expect(cache.get('hash-a')).toEqual(entry('key_a'));
    expect(cache.get('hash-unknown')).toBeNull();
  });

  it.each([
    ['the same key', (cache: KeyCache) => cache.invalidate('hash-a')],
    ['another key (the guard does not know which row a lookup read)', (cache: KeyCache) => cache.invalidate('hash-b')],
    ['the key’s workspace', (cache: KeyCache) => cache.invalidateWorkspace('ws_1')],
    ['another instance, through the bus', (cache: KeyCache) => cache.apply({ hash: 'hash-a' })],
    ['a gap in the bus (everything cleared)', (cache: KeyCache) => cache.clear()],
  ])('drops a lookup begun before an invalidation of %s, for known and unknown keys', (_case, invalidate) => {
    const cache = newCache();
    const generation = cache.currentGeneration;
    invalidate(cache);
    cache.set('hash-a', entry('key_a'), generation);
    cache.set('hash-unknown', null, generation);
    expect(cache.get('hash-a')).toBeUndefined();
    expect(cache.get('hash-unknown')).toBeUndefined();
    expect(cache.size).toBe(0);

    // A lookup begun after the invalidation is cached.
    cache.set('hash-a', entry('key_a'), cache.currentGeneration);
    expect(cache.get('hash-a')).toEqual(entry('key_a'));
  });

  it('caches nothing when caching is off', () => {
    const cache = new KeyCache({ max: 0, ttlMs: 3_600_000, unknownMax: 100, unknownTtlMs: 3_600_000 });
    cache.set('hash-a', entry('key_a'), cache.currentGeneration);
    expect(cache.get('hash-a')).toBeUndefined();
  });

  it('refuses a revoked key whose verification read it, still active, while the revocation was made', async () => {
    const real = await openSqliteStore(':memory:');
    /** The next lookup of `hash` reads the store, says so, then waits for `release` before answering. */
    let gate: { hash: string; reached: () => void; release: Promise<void> } | undefined;
    const store = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'findKeyByHash') {
          return async (hash: string) => {
            const found = await target.findKeyByHash(hash);
            const held = gate?.hash === hash ? gate : undefined;
            if (held) {
              gate = undefined;
              held.reached();
              await held.release;
            }
            return found;
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const h = await createHarness({ store });
    let release: (() => void) | undefined;
    try {
      const ws = await h.seed();
      const { id, key } = await h.newKey(ws.workspaceId, 'raced');
      h.cadreen.cache.clear();

      let reached!: () => void;
      const lookupRead = new Promise<void>((resolve) => (reached = resolve));
      gate = { hash: createKeyHasher()(key), reached, release: new Promise<void>((resolve) => (release = resolve)) };
      const inFlight = h.request('GET', '/api/v1/cadreen/health', { key });
      await lookupRead;
      // The lookup has read the key as active; now it is revoked, before that lookup answers.
      const revoked = await h.request('DELETE', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${id}`, { key: ws.key });
      expect(revoked.status).toBe(204);
      release!();
      await inFlight;

      const next = await h.request('GET', '/api/v1/cadreen/health', { key });
      expect(next.status).toBe(401);
      expect(next.body.error.code).toBe('auth_revoked');
    } finally {
      release?.();
      await h.close();
    }
  });
});
