import type { RateLimitPolicy } from './model.js';

/** The deployment's limits, in force wherever a workspace sets none of its own. */
export interface DefaultLimits {
  /** Each key's limit. */
  perKey: RateLimitPolicy;
  /** What all keys of a workspace share together. */
  workspace: RateLimitPolicy;
}

/** A limit in force and where it comes from. */
export interface EffectiveLimit {
  policy: RateLimitPolicy;
  source: 'workspace' | 'default';
}

/** The limits in force for a workspace: each key's, and the budget its keys share. */
export interface WorkspaceLimits {
  perKey: EffectiveLimit;
  workspace: EffectiveLimit;
}

/**
 * The one place a workspace's own limits are resolved against the
 * deployment's: what verification charges and what the API reports.
 */
export function effectiveLimits(
  own: { rateLimit: RateLimitPolicy | null; workspaceRateLimit: RateLimitPolicy | null },
  defaults: DefaultLimits,
): WorkspaceLimits {
  return {
    perKey: own.rateLimit ? { policy: own.rateLimit, source: 'workspace' } : { policy: defaults.perKey, source: 'default' },
    workspace: own.workspaceRateLimit
      ? { policy: own.workspaceRateLimit, source: 'workspace' }
      : { policy: defaults.workspace, source: 'default' },
  };
}
