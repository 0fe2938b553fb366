import type { RateLimitPolicy } from '../core/model.js';
import type { RateLimitBucket, RateLimitDecision, RateLimiter, RateLimitWindow } from '../core/ports.js';

interface Window {
  used: number;
  resetAt: number;
}

/**
 * Fixed-window counters in this process's memory, for a single instance. It
 * answers synchronously: this is the verification hot path, and a counter in
 * a Map needs no library, no promise and no timer per key. Finished windows
 * are swept once a minute so memory stays bounded by the buckets in use.
 */
export class MemoryRateLimiter implements RateLimiter {
  /** Windows per policy, then per bucket. Keyed by a number for the policy, so a call allocates no key string. */
  private readonly windows = new Map<number, Map<string, Window>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  consume(buckets: readonly RateLimitBucket[], cost: number): RateLimitDecision {
    const now = this.clock();
    const windows = buckets.map((bucket) => this.windowOf(bucket, now));
    let allowed = true;
    for (let i = 0; i < buckets.length; i++) {
      if (windows[i]!.used + cost > buckets[i]!.policy.limit) allowed = false;
    }
    // A refused call is not charged, so a client that backs off is not punished for its refusals.
    if (allowed) for (const window of windows) window.used += cost;
    return { allowed, windows: buckets.map((bucket, i) => describe(bucket, windows[i]!, now)) };
  }

  peek(bucket: RateLimitBucket): RateLimitDecision {
    const now = this.clock();
    const window = this.windowOf(bucket, now);
    return { allowed: window.used < bucket.policy.limit, windows: [describe(bucket, window, now)] };
  }

  private windowOf({ id, policy }: RateLimitBucket, now: number): Window {
    const policyId = policy.limit * 1_000_000 + policy.windowSeconds;
    let buckets = this.windows.get(policyId);
    if (buckets === undefined) {
      buckets = new Map();
      this.windows.set(policyId, buckets);
    }
    let window = buckets.get(id);
    if (window === undefined || window.resetAt <= now) {
      window = { used: 0, resetAt: now + policy.windowSeconds * 1000 };
      buckets.set(id, window);
    }
    return window;
  }

  private sweep(): void {
    const now = this.clock();
    for (const buckets of this.windows.values()) {
      for (const [bucket, window] of buckets) if (window.resetAt <= now) buckets.delete(bucket);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.windows.clear();
  }
}

function describe(bucket: RateLimitBucket, window: Window, now: number): RateLimitWindow {
  const policy: RateLimitPolicy = bucket.policy;
  return {
    name: bucket.name,
    limit: policy.limit,
    remaining: Math.max(0, policy.limit - window.used),
    resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
    windowSeconds: policy.windowSeconds,
  };
}
