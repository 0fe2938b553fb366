import type { RateLimitPolicy } from '../core/model.js';

/** The result of charging a bucket: whether the call may proceed and what is left in the window. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets (at least 1). */
  resetSeconds: number;
  windowSeconds: number;
}

/**
 * The rate-limiting port: fixed windows per bucket. Backends: in-process
 * memory (one instance) and Redis (shared by every instance). A backend that
 * can decide without I/O answers synchronously, so the verification hot path
 * does not wait a turn of the event loop for it.
 */
export interface RateLimiter {
  /** Charges `cost` units to `bucket` under `policy`. Never throws for an over-limit call. */
  consume(bucket: string, cost: number, policy: RateLimitPolicy): RateLimitDecision | Promise<RateLimitDecision>;
  close(): Promise<void>;
}
