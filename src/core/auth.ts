import type { RateLimiter, RateLimitDecision } from '../limits/rate-limiter.js';
import type { Store } from '../store/store.js';
import type { DenialCode } from './errors.js';
import { newId } from './ids.js';
import type { KeyCache, CachedKey } from './key-cache.js';
import { createKeyHasher, hasValidKeyFormat, secretsEqual } from './key-format.js';
import type { KeyStatus, Millis, RateLimitPolicy } from './model.js';
import type { UsageRecorder } from './usage-recorder.js';

/** Who is calling: the deployment's admin token, or one API key of one workspace. */
export type Principal =
  | { kind: 'admin' }
  | {
      kind: 'key';
      keyId: string;
      workspaceId: string;
      accountId: string;
      actorProfileId: string;
      /** `rotating` while the key is inside the grace period of a rotation. */
      status: 'active' | 'rotating';
    };

export type KeyPrincipal = Extract<Principal, { kind: 'key' }>;

export type AuthOutcome =
  | { ok: true; principal: Principal; rateLimit: RateLimitDecision }
  | { ok: false; code: DenialCode; message: string; rateLimit?: RateLimitDecision };

/** The answer of `POST /keys/verify`, for services that put Cadreen in front of their own API. */
export interface Verification {
  valid: boolean;
  code?: DenialCode;
  workspaceId?: string;
  keyId?: string;
  status?: KeyStatus;
  rateLimit?: RateLimitDecision;
}

export interface AuthConfig {
  keyPrefix: string;
  pepper?: string;
  adminToken?: string;
  defaultRateLimit: RateLimitPolicy;
}

const MESSAGES: Record<DenialCode, string> = {
  auth_missing: "missing API key: send 'Authorization: Bearer <key>'",
  auth_invalid: 'invalid API key',
  auth_revoked: 'API key has been revoked',
  auth_rotating: 'API key was rotated; use the new key',
  auth_forbidden: 'API key does not have access to this workspace resource',
  rate_limited: 'too many requests for this API key; retry after the Retry-After header',
};

type Resolution =
  | { ok: true; entry: CachedKey; status: 'active' | 'rotating' }
  | { ok: false; code: DenialCode; message: string; entry?: CachedKey; status?: KeyStatus };

type MaybePromise<T> = T | Promise<T>;

/** Applies `next` to a value that may still be coming, without a detour through the event loop when it is already here. */
function then<T, R>(value: MaybePromise<T>, next: (value: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Reads the token of an `Authorization: Bearer <token>` header, or null. */
export function readBearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/**
 * The verification hot path: header → checksum → hash → in-process cache →
 * store, then the key's rate limit. It never writes to the store on the
 * request; last use and refusals are recorded in batches.
 */
export class Authenticator {
  private readonly hash: (plaintext: string) => string;

  constructor(
    private readonly config: AuthConfig,
    private readonly store: Store,
    private readonly cache: KeyCache,
    private readonly limiter: RateLimiter,
    private readonly usage: UsageRecorder,
    private readonly clock: () => Millis = Date.now,
  ) {
    this.hash = createKeyHasher(config.pepper);
  }

  /**
   * Authenticates a request's Authorization header and charges `cost` units
   * to the caller's limit. When the key is cached and the limiter answers
   * from memory, the outcome is returned synchronously: the hot path does not
   * wait for a turn of the event loop.
   */
  authenticate(header: string | undefined, options: { cost: number; ip?: string }): MaybePromise<AuthOutcome> {
    const token = readBearerToken(header);
    if (token === null) return { ok: false, code: 'auth_missing', message: MESSAGES.auth_missing };

    if (!hasValidKeyFormat(token, this.config.keyPrefix)) {
      if (this.config.adminToken !== undefined && secretsEqual(token, this.config.adminToken)) {
        return then(this.limiter.consume('admin', options.cost, this.config.defaultRateLimit), (rateLimit): AuthOutcome =>
          rateLimit.allowed
            ? { ok: true, principal: { kind: 'admin' }, rateLimit }
            : { ok: false, code: 'rate_limited', message: MESSAGES.rate_limited, rateLimit },
        );
      }
      return { ok: false, code: 'auth_invalid', message: MESSAGES.auth_invalid };
    }

    const now = this.clock();
    const hash = this.hash(token);
    const cached = this.cache.get(hash);
    if (cached === undefined) return this.lookup(hash).then((entry) => this.admit(entry, options, now));
    return this.admit(cached, options, now);
  }

  /** Decides on a resolved key: its state, then its rate limit. */
  private admit(entry: CachedKey | null, options: { cost: number; ip?: string }, now: Millis): MaybePromise<AuthOutcome> {
    const resolution = this.check(entry, now);
    if (!resolution.ok) {
      if (resolution.entry) this.recordRefusal(resolution.entry, resolution.code, options.ip, now);
      return { ok: false, code: resolution.code, message: resolution.message };
    }
    const { entry: admitted, status } = resolution;
    return then(this.charge(admitted, options.cost), (rateLimit): AuthOutcome => {
      if (!rateLimit.allowed) {
        this.recordRefusal(admitted, 'rate_limited', options.ip, now);
        return { ok: false, code: 'rate_limited', message: MESSAGES.rate_limited, rateLimit };
      }
      this.usage.keyUsed(admitted.key.id, now);
      const { key } = admitted;
      return {
        ok: true,
        rateLimit,
        principal: {
          kind: 'key',
          keyId: key.id,
          workspaceId: key.workspaceId,
          accountId: key.accountId,
          actorProfileId: key.actorProfileId,
          status,
        },
      };
    });
  }

  /**
   * Verifies a key on behalf of another service. The admin may verify any
   * key; a key may verify keys of its own workspace only — any other key is
   * answered as unknown, so workspaces learn nothing about each other.
   */
  async verify(caller: Principal, token: string, ip?: string): Promise<Verification> {
    if (!hasValidKeyFormat(token, this.config.keyPrefix)) return { valid: false, code: 'auth_invalid' };
    const now = this.clock();
    const hash = this.hash(token);
    const cached = this.cache.get(hash);
    const resolution = this.check(cached === undefined ? await this.lookup(hash) : cached, now);
    const entry = resolution.entry;
    if (entry && caller.kind === 'key' && entry.key.workspaceId !== caller.workspaceId) {
      return { valid: false, code: 'auth_invalid' };
    }
    if (!resolution.ok) {
      if (entry) this.recordRefusal(entry, resolution.code, ip, now);
      return entry
        ? { valid: false, code: resolution.code, workspaceId: entry.key.workspaceId, keyId: entry.key.id, status: resolution.status! }
        : { valid: false, code: resolution.code };
    }
    const identity = { workspaceId: resolution.entry.key.workspaceId, keyId: resolution.entry.key.id, status: resolution.status };
    const rateLimit = await this.charge(resolution.entry, 1);
    if (!rateLimit.allowed) {
      this.recordRefusal(resolution.entry, 'rate_limited', ip, now);
      return { valid: false, code: 'rate_limited', ...identity, rateLimit };
    }
    this.usage.keyUsed(resolution.entry.key.id, now);
    return { valid: true, ...identity, rateLimit };
  }

  /** Records that `principal` was refused access to a workspace that is not its own. */
  forbidden(principal: KeyPrincipal, ip?: string): void {
    this.usage.refused({
      id: newId('evt'),
      workspaceId: principal.workspaceId,
      type: 'auth.refused',
      actorProfileId: principal.actorProfileId,
      keyId: principal.keyId,
      code: 'auth_forbidden',
      ip: ip ?? null,
      createdAt: this.clock(),
    });
  }

  /** The key a hash belongs to, from the store, remembered in the cache (also when there is none). */
  private async lookup(hash: string): Promise<CachedKey | null> {
    const generation = this.cache.currentGeneration;
    const found = await this.store.findKeyByHash(hash);
    const entry = found ? { key: found.key, rateLimit: found.rateLimit } : null;
    this.cache.set(hash, entry, generation);
    return entry;
  }

  /** Whether a resolved key may authenticate now. */
  private check(entry: CachedKey | null, now: Millis): Resolution {
    if (entry === null) return { ok: false, code: 'auth_invalid', message: MESSAGES.auth_invalid };
    const { key } = entry;
    switch (key.state) {
      case 'revoked':
        return { ok: false, code: 'auth_revoked', message: MESSAGES.auth_revoked, entry, status: 'revoked' };
      case 'rotating':
        if (key.graceUntil !== null && key.graceUntil > now) return { ok: true, entry, status: 'rotating' };
        return { ok: false, code: 'auth_rotating', message: MESSAGES.auth_rotating, entry, status: 'rotating' };
      case 'active':
        if (key.expiresAt !== null && key.expiresAt <= now) {
          return { ok: false, code: 'auth_invalid', message: 'API key has expired', entry, status: 'expired' };
        }
        return { ok: true, entry, status: 'active' };
    }
  }

  private charge(entry: CachedKey, cost: number): MaybePromise<RateLimitDecision> {
    return this.limiter.consume(entry.key.id, cost, entry.rateLimit ?? this.config.defaultRateLimit);
  }

  private recordRefusal(entry: CachedKey, code: DenialCode, ip: string | undefined, now: Millis): void {
    this.usage.refused({
      id: newId('evt', now),
      workspaceId: entry.key.workspaceId,
      type: 'auth.refused',
      actorProfileId: entry.key.actorProfileId,
      keyId: entry.key.id,
      code,
      ip: ip ?? null,
      createdAt: now,
    });
  }
}
