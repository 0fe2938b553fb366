import type { Redis } from 'ioredis';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimitBucket, RateLimitDecision, RateLimiter } from '../core/ports.js';

/**
 * Checks every bucket, then charges all of them or none, atomically (a script
 * runs alone in Redis). KEYS are the counters; ARGV is the cost, whether to
 * charge (0 for a peek), then each bucket's limit and window in ms. Returns
 * the verdict, then each counter's units used and milliseconds to its reset.
 */
const CONSUME_SCRIPT = `
local cost = tonumber(ARGV[1])
local charge = ARGV[2] == '1'
local allowed = 1
local used = {}
for i, key in ipairs(KEYS) do
  used[i] = tonumber(redis.call('GET', key) or '0')
  if used[i] + cost > tonumber(ARGV[1 + 2 * i]) then allowed = 0 end
end
local result = { allowed }
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 + 2 * i])
  if allowed == 1 and charge then
    used[i] = redis.call('INCRBY', key, cost)
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
  end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then ttl = window end
  table.insert(result, used[i])
  table.insert(result, ttl)
end
return result
`;

type ScriptedRedis = Redis & {
  cadreenConsume(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
};

/**
 * Fixed-window counters in Redis, shared by every instance, with the same
 * contract as the memory backend: all buckets of a call are charged together
 * or not at all. While Redis is unreachable each instance counts in its own
 * memory, so requests keep being served.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: ScriptedRedis;
  private readonly insurance = new MemoryRateLimiter();

  constructor(
    client: Redis,
    private readonly keyPrefix: string,
  ) {
    if (!('cadreenConsume' in client)) client.defineCommand('cadreenConsume', { lua: CONSUME_SCRIPT });
    this.redis = client as ScriptedRedis;
  }

  consume(buckets: readonly RateLimitBucket[], cost: number): Promise<RateLimitDecision> {
    return this.run(buckets, cost, true).catch(() => this.insurance.consume(buckets, cost));
  }

  peek(bucket: RateLimitBucket): Promise<RateLimitDecision> {
    return this.run([bucket], 1, false).catch(() => this.insurance.peek(bucket));
  }

  private async run(buckets: readonly RateLimitBucket[], cost: number, charge: boolean): Promise<RateLimitDecision> {
    const keys = buckets.map(({ name, id, policy }) => `${this.keyPrefix}rl:${policy.limit}/${policy.windowSeconds}:${name}:${id}`);
    const args = buckets.flatMap(({ policy }) => [policy.limit, policy.windowSeconds * 1000]);
    const reply = await this.redis.cadreenConsume(keys.length, ...keys, cost, charge ? 1 : 0, ...args);
    return {
      allowed: reply[0] === 1,
      windows: buckets.map(({ name, policy }, i) => ({
        name,
        limit: policy.limit,
        remaining: Math.max(0, policy.limit - reply[1 + 2 * i]!),
        resetSeconds: Math.max(1, Math.ceil(reply[2 + 2 * i]! / 1000)),
        windowSeconds: policy.windowSeconds,
      })),
    };
  }

  async close(): Promise<void> {
    await this.insurance.close();
  }
}
