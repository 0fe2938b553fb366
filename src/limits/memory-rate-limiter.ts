import type { RateLimitPolicy } from '../core/model.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';

interface Window {
  used: number;
  resetAt: number;
}

/**
 * Fixed-window counters in this process's memory, for a single instance. It
 * answers synchronously: this is the verification hot path, and a counter in
 * a Map needs no library, no promise and no timer per key. Finished windows
 * are swept once a minute so memory stays bounded by the keys in use.
 */
export class MemoryRateLimiter implements RateLimiter {
  /** Windows per policy, then per bucket. Keyed by a number for the policy, so a call allocates no key string. */
  private readonly windows = new Map<number, Map<string, Window>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  consume(bucket: string, cost: number, policy: RateLimitPolicy): RateLimitDecision {
    const now = this.clock();
    const policyId = policy.limit * 1_000_000 + policy.windowSeconds;
    let buckets = this.windows.get(policyId);
    if (buckets === undefined) {
      buckets = new Map();
      this.windows.set(policyId, buckets);
    }
    let window = buckets.get(bucket);
    if (window === undefined || window.resetAt <= now) {
      window = { used: 0, resetAt: now + policy.windowSeconds * 1000 };
      buckets.set(bucket, window);
    }
    const allowed = window.used + cost <= policy.limit;
    // A refused call is not charged, so a client that backs off is not punished for its refusals.
    if (allowed) window.used += cost;
    return {
      allowed,
      limit: policy.limit,
      remaining: Math.max(0, policy.limit - window.used),
      resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
      windowSeconds: policy.windowSeconds,
    };
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
