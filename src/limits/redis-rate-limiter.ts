import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitPolicy } from '../core/model.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';

/**
 * Fixed-window counters in Redis, shared by every instance. While Redis is
 * unreachable each instance counts in its own memory (the limiter's
 * insurance), so requests keep being served.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
  ) {}

  private limiterFor(policy: RateLimitPolicy): RateLimiterRedis {
    const id = `${policy.limit}/${policy.windowSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.client,
        points: policy.limit,
        duration: policy.windowSeconds,
        keyPrefix: `${this.keyPrefix}rl:${id}`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points: policy.limit, duration: policy.windowSeconds }),
      });
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
