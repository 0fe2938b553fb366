import type { RateLimitPolicy } from '../core/model.js';

/** One counter a call is charged to, under its policy. */
export interface RateLimitBucket {
  /** The policy's name in the `RateLimit` fields: `key`, `workspace`, `client`, … */
  name: string;
  /** The counter's identity (a key id, a workspace id, a client address). */
  id: string;
  policy: RateLimitPolicy;
}

/** What is left of one bucket's window after a call. */
export interface RateLimitWindow {
  name: string;
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets (at least 1). */
  resetSeconds: number;
  windowSeconds: number;
}

/** The result of charging a call: whether it may proceed, and each bucket's window, in the order given. */
export interface RateLimitDecision {
  allowed: boolean;
  windows: RateLimitWindow[];
}

/**
 * The rate-limiting port: fixed windows per bucket. Backends: in-process
 * memory (one instance) and Redis (shared by every instance). A backend that
 * can decide without I/O answers synchronously, so the verification hot path
 * does not wait a turn of the event loop for it.
 */
export interface RateLimiter {
  /**
   * Charges `cost` units to every bucket when each has room for them, and
   * nothing to any bucket otherwise: a refused call is never charged.
   * Never throws for an over-limit call.
   */
  consume(buckets: readonly RateLimitBucket[], cost: number): RateLimitDecision | Promise<RateLimitDecision>;
  /** Whether `bucket` has room for one more unit now, without charging it. */
  peek(bucket: RateLimitBucket): RateLimitDecision | Promise<RateLimitDecision>;
  close(): Promise<void>;
}

/**
 * The window a client should be told about in the single-policy fields
 * (`RateLimit-Limit`, `Retry-After`…): a refusing one, else the one with
 * the fewest units left.
 */
export function tightestWindow(decision: RateLimitDecision): RateLimitWindow {
  let tightest = decision.windows[0]!;
  for (const window of decision.windows) {
    const refusing = window.remaining === 0 && tightest.remaining === 0;
    if (window.remaining < tightest.remaining || (refusing && window.resetSeconds > tightest.resetSeconds)) tightest = window;
  }
  return tightest;
}
