import { LRUCache } from 'lru-cache';
import type { Invalidation, InvalidationBus } from './ports.js';
import type { ApiKey, RateLimitPolicy } from './model.js';

/**
 * What verification needs to know about a key, and nothing more: the cache
 * holds up to `CADREEN_KEY_CACHE_SIZE` of these, so every field counts.
 */
export interface CachedKey {
  id: ApiKey['id'];
  workspaceId: ApiKey['workspaceId'];
  accountId: ApiKey['accountId'];
  actorProfileId: ApiKey['actorProfileId'];
  state: ApiKey['state'];
  expiresAt: ApiKey['expiresAt'];
  graceUntil: ApiKey['graceUntil'];
  /** The workspace's own per-key limit, or null for the deployment default. */
  rateLimit: RateLimitPolicy | null;
  /** The workspace's own budget for all its keys together, or null for the deployment default. */
  workspaceRateLimit: RateLimitPolicy | null;
  /** The last use recorded (or queued to be), so that a busy key is recorded once a minute, not on every request. */
  lastUsedAt: ApiKey['lastUsedAt'];
}

export interface KeyCacheOptions {
  /** Known keys kept at most (0 turns caching off). */
  max: number;
  /** Longest a known key stays without being invalidated; each entry gets up to 10 % less, so entries do not all expire together. */
  ttlMs: number;
  /** Unknown hashes kept at most, in a cache of their own. */
  unknownMax: number;
  unknownTtlMs: number;
  /** A number in [0, 1) (Math.random by default): spreads expiries. */
  random?: () => number;
}

/**
 * The in-process cache in front of the store on the verification path.
 * Known keys stay until a change invalidates them (here and — through a
 * connected bus — on every other instance), with a long TTL only as a safety
 * net. Hashes the store does not know are remembered briefly in a separate,
 * smaller cache, so a flood of well-formed guesses neither reaches the store
 * each time nor evicts a single known key.
 */
export class KeyCache {
  private readonly known: LRUCache<string, CachedKey>;
  private readonly unknown: LRUCache<string, true>;
  private readonly enabled: boolean;
  private readonly ttlMs: number;
  private readonly random: () => number;
  private bus: InvalidationBus | undefined;
  /**
   * Bumped by every invalidation. A lookup that started before the latest
   * invalidation must not cache what it read: the row may have changed since.
   */
  private generation = 0;

  private readonly changeListeners: (() => void)[] = [];

  constructor(options: KeyCacheOptions) {
    this.enabled = options.max > 0 && options.ttlMs > 0;
    this.ttlMs = Math.max(1, options.ttlMs);
    this.random = options.random ?? Math.random;
    // ttlAutopurge stays off: expired entries are dropped when read or evicted, with no timer per entry.
    this.known = new LRUCache({ max: Math.max(1, options.max), ttl: this.ttlMs });
    this.unknown = new LRUCache({ max: Math.max(1, options.unknownMax), ttl: Math.max(1, options.unknownTtlMs) });
  }

  /** Shares invalidations with the other instances through `bus`. */
  connect(bus: InvalidationBus): void {
    this.bus = bus;
    bus.subscribe((message) => this.apply(message));
    bus.onGap(() => this.clear());
  }

  /** The generation to hand back to `set` after a store lookup. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** The cached key, `null` if known to be absent, `undefined` if not cached. */
  get(hash: string): CachedKey | null | undefined {
    const entry = this.known.get(hash);
    if (entry !== undefined) return entry;
    return this.unknown.has(hash) ? null : undefined;
  }

  /** Caches a store lookup begun at `generation`, unless something was invalidated meanwhile. */
  set(hash: string, entry: CachedKey | null, generation: number): void {
    if (!this.enabled || generation !== this.generation) return;
    if (entry === null) this.unknown.set(hash, true);
    else this.known.set(hash, entry, { ttl: Math.ceil(this.ttlMs * (0.9 + 0.1 * this.random())) });
  }

  /** Number of known keys held. */
  get size(): number {
    return this.known.size;
  }

  invalidate(hash: string): void {
    this.apply({ hash });
    this.bus?.publish({ hash });
  }

  /** Drops every key of a workspace, e.g. after its rate limits changed. */
  invalidateWorkspace(workspaceId: string): void {
    this.apply({ workspaceId });
    this.bus?.publish({ workspaceId });
  }

  /** Calls `listener` after every invalidation applied here, local or from another instance. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Applies an invalidation here only (from this instance or another). */
  apply(message: Invalidation): void {
    this.generation++;
    for (const listener of this.changeListeners) listener();
    if ('hash' in message) {
      this.known.delete(message.hash);
      this.unknown.delete(message.hash);
      return;
    }
    for (const [hash, entry] of this.known.entries()) {
      if (entry.workspaceId === message.workspaceId) this.known.delete(hash);
    }
  }

  clear(): void {
    this.generation++;
    for (const listener of this.changeListeners) listener();
    this.known.clear();
    this.unknown.clear();
  }
}
