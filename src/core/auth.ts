import type { RateLimitBucket, RateLimitDecision, RateLimiter, RateLimitWindow } from './ports.js';
import { NO_TELEMETRY, type KeyWithPolicy, type LimitedBucket, type Store, type Telemetry } from './ports.js';
import { DENIAL_MESSAGES, type DenialCode } from './errors.js';
import { newId } from './ids.js';
import type { CachedKey, KeyCache } from './key-cache.js';
import { createKeyHasher, hasValidKeyFormat, secretsEqual } from './key-format.js';
import { effectiveLimits, type DefaultLimits } from './limits.js';
import type { KeyStatus, Millis, RateLimitPolicy } from './model.js';
import type { SessionService, PersonPrincipal } from './sessions.js';
import type { UsageRecorder } from './usage-recorder.js';

/** Who is calling: the deployment's admin token, one API key of one workspace, or a signed-in person. */
export type Principal =
  | { kind: 'admin' }
  /** A verifier token: may only verify, lease and follow the event stream. */
  | { kind: 'verifier' }
  | PersonPrincipal
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
  /** For a valid key: when a cached answer must stop being trusted (its expiry, or the end of its grace period). */
  expiresAt?: Millis | null;
  graceUntil?: Millis | null;
}

/** Units charged up front to a key's limit and its workspace's budget, spent by an embedded verifier. */
export interface Lease {
  keyId: string;
  granted: number;
  /** The tighter of the key's limit and its workspace's budget: what a verifier sizes its leases from. */
  limit: number;
  /** Whole seconds until the tighter window resets. */
  resetSeconds: number;
}

export interface AuthConfig {
  keyPrefix: string;
  pepper?: string;
  adminToken?: string;
  /** The deployment's limits, for workspaces that set none of their own. */
  defaults: DefaultLimits;
  /** Refused authentications (unknown key, bad checksum, wrong admin token) allowed per client address. */
  authFailureLimit: RateLimitPolicy;
  /** Tokens of embedded verifiers (DESIGN §10). */
  verifierTokens?: readonly string[];
  logger?: { warn(details: object, message: string): void };
  /** Where outcomes, cache lookups and rate-limit refusals are counted (default: nowhere). */
  telemetry?: Telemetry;
}

const EXPIRED = 'API key has expired';
/**
 * A key's last use is recorded at most once per this long: `last_used_at` is
 * accurate to the minute, and a key used thousands of times a second costs
 * one row write a minute instead of one a second.
 */
export const LAST_USE_RESOLUTION_MS = 60_000;
const TOO_MANY_FAILURES = 'too many failed authentications from this client; retry after the Retry-After header';

/** A key that may not authenticate now, or a token that names no key. */
type Refusal = { ok: false; code: DenialCode; message: string; rateLimit?: RateLimitDecision; entry?: CachedKey; status?: KeyStatus };
type Resolution = { ok: true; entry: CachedKey; status: 'active' | 'rotating' } | Refusal;

type MaybePromise<T> = T | Promise<T>;

/** Applies `next` to a value that may still be coming, without a detour through the event loop when it is already here. */
function then<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * A lease refused because another took the room it saw is tried again with
 * what is left then. Each refusal means another lease was granted, so this
 * ends when the room is gone; the cap only bounds a pathological run.
 */
const LEASE_ATTEMPTS = 50;

/** Verifier tokens are trusted infrastructure: their own calls are counted, not limited in practice. */
const VERIFIER_LIMIT: RateLimitPolicy = { limit: 10_000_000, windowSeconds: 60 };

/** What the hot path keeps of a stored key. */
function cachedKeyOf(found: KeyWithPolicy): CachedKey {
  return {
    id: found.key.id,
    workspaceId: found.key.workspaceId,
    accountId: found.key.accountId,
    actorProfileId: found.key.actorProfileId,
    state: found.key.state,
    expiresAt: found.key.expiresAt,
    graceUntil: found.key.graceUntil,
    rateLimit: found.rateLimit,
    workspaceRateLimit: found.workspaceRateLimit,
    lastUsedAt: found.key.lastUsedAt,
  };
}

/** Reads the token of an `Authorization: Bearer <token>` header, or null. */
export function readBearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/**
 * The verification hot path: header → checksum → hash → in-process cache →
 * store, then the key's and its workspace's rate limits. It never writes to
 * the store on the request; last use and refusals are recorded in batches.
 * A client whose tokens keep naming no key is throttled before any store
 * lookup.
 */
export class Authenticator {
  private readonly hash: (plaintext: string) => string;
  private readonly telemetry: Telemetry;

  constructor(
    private readonly config: AuthConfig,
    private readonly store: Store,
    private readonly cache: KeyCache,
    private readonly limiter: RateLimiter,
    private readonly usage: UsageRecorder,
    private readonly sessions: SessionService,
    private readonly isMember: (workspaceId: string, profileId: string) => Promise<boolean>,
    private readonly clock: () => Millis = Date.now,
  ) {
    this.hash = createKeyHasher(config.pepper);
    this.telemetry = config.telemetry ?? NO_TELEMETRY;
  }

  /** Counts an authentication's outcome and passes it on (bound once: the hot path allocates no closure for it). */
  private readonly counted = (outcome: AuthOutcome): AuthOutcome => {
    this.telemetry.verification('authentication', outcome.ok ? 'valid' : outcome.code);
    return outcome;
  };

  /**
   * Authenticates a person by their session token and charges `cost` units
   * to their own limit (the deployment's per-key limit). A token that names
   * no open session is `auth_invalid` and counts against the client's
   * failure budget.
   */
  async authenticateSession(token: string, options: { cost: number; ip?: string }): Promise<AuthOutcome> {
    return this.counted(await this.admitSession(token, options));
  }

  private async admitSession(token: string, options: { cost: number; ip?: string }): Promise<AuthOutcome> {
    const client = options.ip ?? 'local';
    const budget = await this.limiter.peek(this.failureBucket(client));
    if (!budget.allowed) return this.tooManyFailures(budget);
    const person = await this.sessions.authenticate(token);
    if (!person) {
      const refusal = await this.unknown(client);
      return refusal.code === 'auth_invalid' ? { ...refusal, message: 'the session has ended: sign in again' } : refusal;
    }
    return this.chargeCaller(person, { name: 'key', id: person.profileId, policy: this.config.defaults.perKey }, options.cost);
  }

  /** Admits a caller that is not a key (the admin, a verifier, a person) once its own bucket has room for `cost`. */
  private chargeCaller(principal: Principal, bucket: RateLimitBucket, cost: number): MaybePromise<AuthOutcome> {
    return then(this.limiter.consume([bucket], cost), (rateLimit): AuthOutcome => {
      if (rateLimit.allowed) return { ok: true, principal, rateLimit };
      this.telemetry.rateLimited(principal.kind);
      return { ok: false, code: 'rate_limited', message: DENIAL_MESSAGES.rate_limited, rateLimit };
    });
  }

  /**
   * Authenticates a request's Authorization header and charges `cost` units
   * to the caller's limits. When the key is cached and the limiter answers
   * from memory, the outcome is returned synchronously: the hot path does not
   * wait for a turn of the event loop.
   */
  authenticate(header: string | undefined, options: { cost: number; ip?: string }): MaybePromise<AuthOutcome> {
    return then(this.admitHeader(header, options), this.counted);
  }

  private admitHeader(header: string | undefined, options: { cost: number; ip?: string }): MaybePromise<AuthOutcome> {
    const token = readBearerToken(header);
    if (token === null) return { ok: false, code: 'auth_missing', message: DENIAL_MESSAGES.auth_missing };
    const { adminToken } = this.config;
    if (adminToken !== undefined && !hasValidKeyFormat(token, this.config.keyPrefix) && secretsEqual(token, adminToken)) {
      return this.chargeCaller({ kind: 'admin' }, { name: 'key', id: 'admin', policy: this.config.defaults.perKey }, options.cost);
    }
    if (this.isVerifierToken(token)) {
      return this.chargeCaller({ kind: 'verifier' }, { name: 'key', id: 'verifier', policy: VERIFIER_LIMIT }, options.cost);
    }
    const now = this.clock();
    return then(this.resolve(token, now, options.ip ?? 'local'), (resolution) => this.admit(resolution, options, now));
  }

  private isVerifierToken(token: string): boolean {
    const tokens = this.config.verifierTokens;
    if (!tokens || tokens.length === 0 || hasValidKeyFormat(token, this.config.keyPrefix)) return false;
    let found = false;
    for (const candidate of tokens) found = secretsEqual(token, candidate) || found;
    return found;
  }

  /**
   * Charges up to `units` to a key's limit and its workspace's budget at once,
   * never more than either has left, for a verifier to spend locally. A key
   * that may not authenticate now (revoked, expired, past its grace) gets
   * none: undefined.
   */
  async lease(keyId: string, units: number): Promise<Lease | undefined> {
    const found = await this.store.findKeyById(keyId);
    if (!found) return undefined;
    const entry = cachedKeyOf(found);
    if (!this.check(entry, this.clock()).ok) return undefined;
    const buckets = this.bucketsOf(entry);
    // What is left is read, then charged (all or none, so never past a limit).
    let granted = 0;
    let after: RateLimitWindow[] = [];
    for (let attempt = 0; attempt < LEASE_ATTEMPTS && granted === 0; attempt++) {
      after = (await Promise.all(buckets.map((bucket) => this.limiter.peek(bucket)))).map((decision) => decision.windows[0]!);
      const room = Math.min(units, ...after.map((window) => window.remaining));
      if (room === 0) break;
      const decision = await this.limiter.consume(buckets, room);
      if (decision.allowed) {
        granted = room;
        after = decision.windows;
      }
    }
    // Retry when every spent window has reset; with room left, the next lease is due when the first window resets.
    const spent = after.filter((window) => window.remaining === 0);
    const resetSeconds = spent.length > 0 ? Math.max(...spent.map((w) => w.resetSeconds)) : Math.min(...after.map((w) => w.resetSeconds));
    return { keyId, granted, limit: Math.min(...buckets.map((bucket) => bucket.policy.limit)), resetSeconds };
  }

  /**
   * Verifies a key on behalf of another service. The admin may verify any
   * key; a key may verify keys of its own workspace only — any other key is
   * answered as unknown, so workspaces learn nothing about each other. The
   * caller is authenticated already, so the keys it asks about do not count
   * against its failure budget.
   */
  async verify(caller: Principal, token: string, ip?: string): Promise<Verification> {
    const answer = await this.verifyFor(caller, token, ip);
    this.telemetry.verification('verify', answer.valid ? 'valid' : (answer.code ?? 'auth_invalid'));
    return answer;
  }

  private async verifyFor(caller: Principal, token: string, ip?: string): Promise<Verification> {
    const now = this.clock();
    const resolution = await this.resolve(token, now, null);
    const entry = resolution.entry;
    if (!entry) return { valid: false, code: 'auth_invalid' };
    if (caller.kind === 'key' && entry.workspaceId !== caller.workspaceId) return { valid: false, code: 'auth_invalid' };
    if (caller.kind === 'person' && !(await this.isMember(entry.workspaceId, caller.profileId))) return { valid: false, code: 'auth_invalid' };
    const outcome = await this.admit(resolution, { cost: 1, ...(ip ? { ip } : {}) }, now);
    const identity = { workspaceId: entry.workspaceId, keyId: entry.id, status: resolution.ok ? resolution.status : resolution.status! };
    const rateLimit = outcome.rateLimit ? { rateLimit: outcome.rateLimit } : {};
    return outcome.ok
      ? { valid: true, ...identity, ...rateLimit, expiresAt: entry.expiresAt, graceUntil: resolution.ok && resolution.status === 'rotating' ? entry.graceUntil : null }
      : { valid: false, code: outcome.code, ...identity, ...rateLimit };
  }

  /**
   * The key a token names and whether it may authenticate at `now`. With a
   * `client` address, tokens that name no key count against that client's
   * failure budget, and once it is spent the store is not asked any more.
   */
  private resolve(token: string, now: Millis, client: string | null): MaybePromise<Resolution> {
    if (!hasValidKeyFormat(token, this.config.keyPrefix)) return this.unknown(client);
    const hash = this.hash(token);
    const cached = this.cache.get(hash);
    if (cached) {
      this.telemetry.keyCacheLookup('hit');
      return this.check(cached, now);
    }
    this.telemetry.keyCacheLookup(cached === null ? 'negative_hit' : 'miss');
    const find = (): MaybePromise<Resolution> =>
      cached === null ? this.unknown(client) : this.lookup(hash).then((entry) => (entry ? this.check(entry, now) : this.unknown(client)));
    if (client === null) return find();
    return then(this.limiter.peek(this.failureBucket(client)), (budget) => (budget.allowed ? find() : this.tooManyFailures(budget)));
  }

  /** A token that names no key: `auth_invalid`, charged to the client's failure budget (429 once it is spent). */
  private unknown(client: string | null): MaybePromise<Refusal> {
    const refusal: Refusal = { ok: false, code: 'auth_invalid', message: DENIAL_MESSAGES.auth_invalid };
    if (client === null) return refusal;
    return then(this.limiter.consume([this.failureBucket(client)], 1), (budget) => {
      if (!budget.allowed) return this.tooManyFailures(budget);
      // Said once per client and window: the call that spends the last unit.
      if (budget.windows[0]!.remaining === 0) this.config.logger?.warn({ client }, 'too many failed authentications from one client; refusing it until the window resets');
      return refusal;
    });
  }

  private tooManyFailures(budget: RateLimitDecision): Refusal {
    this.telemetry.rateLimited('client');
    return { ok: false, code: 'rate_limited', message: TOO_MANY_FAILURES, rateLimit: budget };
  }

  private failureBucket(client: string): RateLimitBucket {
    return { name: 'client', id: client, policy: this.config.authFailureLimit };
  }

  /** Decides on a resolved key: its state, then its rate limits. */
  private admit(resolution: Resolution, options: { cost: number; ip?: string }, now: Millis): MaybePromise<AuthOutcome> {
    if (!resolution.ok) {
      if (resolution.entry) this.recordRefusal(resolution.entry, resolution.code, options.ip, now);
      return resolution.rateLimit
        ? { ok: false, code: resolution.code, message: resolution.message, rateLimit: resolution.rateLimit }
        : { ok: false, code: resolution.code, message: resolution.message };
    }
    const { entry, status } = resolution;
    return then(this.charge(entry, options.cost), (rateLimit): AuthOutcome => {
      if (!rateLimit.allowed) {
        // Each bucket that had no room for the call refused it (the limiter charges none then).
        for (const window of rateLimit.windows) if (window.remaining < options.cost) this.telemetry.rateLimited(window.name as LimitedBucket);
        this.recordRefusal(entry, 'rate_limited', options.ip, now);
        return { ok: false, code: 'rate_limited', message: DENIAL_MESSAGES.rate_limited, rateLimit };
      }
      if (entry.lastUsedAt === null || now - entry.lastUsedAt >= LAST_USE_RESOLUTION_MS) {
        entry.lastUsedAt = now;
        this.usage.keyUsed(entry.id, now);
      }
      return {
        ok: true,
        rateLimit,
        principal: {
          kind: 'key',
          keyId: entry.id,
          workspaceId: entry.workspaceId,
          accountId: entry.accountId,
          actorProfileId: entry.actorProfileId,
          status,
        },
      };
    });
  }

  /** The key a hash belongs to, from the store, remembered in the cache (also when there is none). */
  private async lookup(hash: string): Promise<CachedKey | null> {
    const generation = this.cache.currentGeneration;
    const found = await this.store.findKeyByHash(hash);
    const entry: CachedKey | null = found ? cachedKeyOf(found) : null;
    this.cache.set(hash, entry, generation);
    return entry;
  }

  /** Whether a known key may authenticate now. Expiry wins over every state but `revoked`. */
  private check(entry: CachedKey, now: Millis): Resolution {
    if (entry.state === 'revoked') return { ok: false, code: 'auth_revoked', message: DENIAL_MESSAGES.auth_revoked, entry, status: 'revoked' };
    if (entry.expiresAt !== null && entry.expiresAt <= now) return { ok: false, code: 'auth_invalid', message: EXPIRED, entry, status: 'expired' };
    if (entry.state === 'active') return { ok: true, entry, status: 'active' };
    if (entry.graceUntil !== null && entry.graceUntil > now) return { ok: true, entry, status: 'rotating' };
    return { ok: false, code: 'auth_rotating', message: DENIAL_MESSAGES.auth_rotating, entry, status: 'rotating' };
  }

  /** Charges a call to the key's limit and its workspace's budget, both or neither. */
  private charge(entry: CachedKey, cost: number): MaybePromise<RateLimitDecision> {
    return this.limiter.consume(this.bucketsOf(entry), cost);
  }

  /** A key's limit and its workspace's budget, as the buckets a call to it is charged to. */
  private bucketsOf(entry: CachedKey): RateLimitBucket[] {
    const limits = effectiveLimits(entry, this.config.defaults);
    return [
      { name: 'key', id: entry.id, policy: limits.perKey.policy },
      { name: 'workspace', id: entry.workspaceId, policy: limits.workspace.policy },
    ];
  }

  private recordRefusal(entry: CachedKey, code: DenialCode, ip: string | undefined, now: Millis): void {
    this.usage.refused({
      id: newId('evt', now),
      workspaceId: entry.workspaceId,
      type: 'auth.refused',
      actorProfileId: entry.actorProfileId,
      keyId: entry.id,
      code,
      ip: ip ?? null,
      createdAt: now,
    });
  }
}
