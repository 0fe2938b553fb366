import type { RateLimitDecision, RateLimitWindow } from './ports.js';

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
