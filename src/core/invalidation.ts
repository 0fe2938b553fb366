/** What changed: one key (by its stored hash) or every key of a workspace. */
export type Invalidation = { hash: string } | { workspaceId: string };

/**
 * Carries cache invalidations between instances (Redis pub/sub when
 * configured). Delivery is best effort; `onGap` reports that messages may
 * have been missed, so caches must be dropped wholesale.
 */
export interface InvalidationBus {
  publish(message: Invalidation): void;
  subscribe(handler: (message: Invalidation) => void): void;
  onGap(handler: () => void): void;
  close(): Promise<void>;
}
