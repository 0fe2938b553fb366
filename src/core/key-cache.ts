import { LRUCache } from 'lru-cache';
import type { ApiKey, RateLimitPolicy } from './model.js';

/** What the hot path needs to know about a key, kept in memory by its hash. */
export interface CachedKey {
  key: Pick<
    ApiKey,
    'id' | 'workspaceId' | 'accountId' | 'actorProfileId' | 'state' | 'expiresAt' | 'graceUntil' | 'hash'
  >;
  rateLimit: RateLimitPolicy | null;
}

const UNKNOWN = Symbol('unknown key');

/**
 * The in-process cache in front of the store on the verification path.
 * Known keys stay for `ttlMs`; hashes the store does not know are remembered
 * briefly so a flood of well-formed guesses cannot reach the store each time.
 * Every change to a key's state invalidates its entry at once.
 */
export class KeyCache {
  private readonly entries: LRUCache<string, CachedKey | typeof UNKNOWN>;

  constructor(options: { max: number; ttlMs: number; unknownTtlMs: number }) {
    this.entries = new LRUCache({ max: options.max, ttl: options.ttlMs });
    this.unknownTtlMs = options.unknownTtlMs;
  }

  private readonly unknownTtlMs: number;

  /** The cached key, `null` if known to be absent, `undefined` if not cached. */
  get(hash: string): CachedKey | null | undefined {
    const entry = this.entries.get(hash);
    return entry === UNKNOWN ? null : entry;
  }

  set(hash: string, entry: CachedKey | null): void {
    if (entry === null) this.entries.set(hash, UNKNOWN, { ttl: this.unknownTtlMs });
    else this.entries.set(hash, entry);
  }

  invalidate(hash: string): void {
    this.entries.delete(hash);
  }

  /** Drops every key of a workspace, e.g. after its rate limit changed. */
  invalidateWorkspace(workspaceId: string): void {
    for (const [hash, entry] of this.entries.entries()) {
      if (entry !== UNKNOWN && entry.key.workspaceId === workspaceId) this.entries.delete(hash);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
