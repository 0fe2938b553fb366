import { LRUCache } from 'lru-cache';
import type { Invalidation, InvalidationBus } from './invalidation.js';
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
 * Every change to a key invalidates its entry at once, here and — through a
 * connected bus — on every other instance.
 */
export class KeyCache {
  private readonly entries: LRUCache<string, CachedKey | typeof UNKNOWN>;
  private readonly unknownTtlMs: number;
  private bus: InvalidationBus | undefined;
  /**
   * Bumped by every invalidation. A lookup that started before the latest
   * invalidation must not cache what it read: the row may have changed since.
   */
  private generation = 0;

  constructor(options: { max: number; ttlMs: number; unknownTtlMs: number }) {
    this.entries = new LRUCache({ max: Math.max(1, options.max), ttl: Math.max(1, options.ttlMs) });
    this.unknownTtlMs = Math.max(1, options.unknownTtlMs);
    this.enabled = options.max > 0 && options.ttlMs > 0;
  }

  /** False when caching is turned off (benchmarks of the store path). */
  private readonly enabled: boolean;

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
    const entry = this.entries.get(hash);
    return entry === UNKNOWN ? null : entry;
  }

  /** Caches a store lookup begun at `generation`, unless something was invalidated meanwhile. */
  set(hash: string, entry: CachedKey | null, generation: number): void {
    if (!this.enabled || generation !== this.generation) return;
    if (entry === null) this.entries.set(hash, UNKNOWN, { ttl: this.unknownTtlMs });
    else this.entries.set(hash, entry);
  }

  invalidate(hash: string): void {
    this.apply({ hash });
    this.bus?.publish({ hash });
  }

  /** Drops every key of a workspace, e.g. after its rate limit changed. */
  invalidateWorkspace(workspaceId: string): void {
    this.apply({ workspaceId });
    this.bus?.publish({ workspaceId });
  }

  /** Applies an invalidation here only (from this instance or another). */
  apply(message: Invalidation): void {
    this.generation++;
    if ('hash' in message) {
      this.entries.delete(message.hash);
      return;
    }
    for (const [hash, entry] of this.entries.entries()) {
      if (entry !== UNKNOWN && entry.key.workspaceId === message.workspaceId) this.entries.delete(hash);
    }
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
