import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitPolicy } from '../core/model.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';

/** Fixed-window counters in this process's memory: for a single instance. */
export class MemoryRateLimiter implements RateLimiter {
  /** One counter set per distinct policy, since a limiter's points and duration are fixed. */
  private readonly limiters = new Map<string, RateLimiterMemory>();

  private limiterFor(policy: RateLimitPolicy): RateLimiterMemory {
    const id = `${policy.limit}/${policy.windowSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: policy.limit, duration: policy.windowSeconds, keyPrefix: id });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  async consume(bucket: string, cost: number, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    const decide = (res: RateLimiterRes, allowed: boolean): RateLimitDecision => ({
      allowed,
      limit: policy.limit,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      windowSeconds: policy.windowSeconds,
    });
    try {
      return decide(await this.limiterFor(policy).consume(bucket, cost), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return decide(rejection, false);
      throw rejection;
    }
  }

  async close(): Promise<void> {
    this.limiters.clear();
  }
}
