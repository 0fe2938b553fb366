/**
 * The ports of the domain: what the core needs from the outside world, declared
 * beside the core (backends import these; the core imports no backend).
 * Store: SQLite and PostgreSQL (`src/store`). RateLimiter: memory and Redis
 * (`src/limits`). InvalidationBus: Redis pub/sub (`src/redis`). Telemetry:
 * Prometheus (`src/metrics`).
 */
import type { DenialCode } from './errors.js';
import type {
  Account,
  ApiKey,
  AuditEvent,
  AuditEventType,
  KeyEvent,
  KeyStatus,
  Labels,
  Membership,
  Millis,
  Profile,
  RateLimitPolicy,
  Role,
  Session,
  SortOrder,
  Workspace,
} from './model.js';

/** One page of a keyset-paginated listing: rows strictly after `after` in `order`. */
export interface PageQuery {
  order: SortOrder;
  /** Id of the last row of the previous page, or null for the first page. */
  after: string | null;
  limit: number;
}

export interface KeyFilter {
  workspaceId: string;
  status?: KeyStatus;
  namePrefix?: string;
  /** "Now", for deciding which active keys count as expired. */
  now: Millis;
}

export interface KeyChanges {
  name?: string;
  description?: string | null;
  labels?: Labels | null;
  externalId?: string | null;
  expiresAt?: Millis | null;
}

export interface RotateKeyInput {
  workspaceId: string;
  oldKeyId: string;
  newKey: ApiKey;
  newProfile: Profile;
  graceUntil: Millis | null;
  event: AuditEvent;
}

export type RotateKeyResult =
  | { outcome: 'rotated'; oldKey: ApiKey; newKey: ApiKey }
  | { outcome: 'not_found' }
  | { outcome: 'not_active'; oldKey: ApiKey };

/** The key a bearer token resolves to, with its workspace's limits, as the hot path needs it. */
export interface KeyWithPolicy {
  key: ApiKey;
  /** The workspace's limit per key (null: the deployment default). */
  rateLimit: RateLimitPolicy | null;
  /** The budget all keys of the workspace share (null: the deployment default). */
  workspaceRateLimit: RateLimitPolicy | null;
}

/** The changes `updateWorkspace` can make; absent fields are kept, null resets a limit to the default. */
export interface WorkspaceChanges {
  name?: string;
  rateLimit?: RateLimitPolicy | null;
  workspaceRateLimit?: RateLimitPolicy | null;
}

/** How many non-revoked keys (active, rotating or expired) a workspace may hold. */
export interface KeyQuota {
  maxKeys: number;
}

/** Accounts and their profiles. */
export interface AccountStore {
  insertAccount(account: Account, profiles: Profile[]): Promise<void>;
  /** Up to `limit` accounts, oldest first. */
  listAccounts(limit: number): Promise<Account[]>;
  findAccount(id: string): Promise<Account | undefined>;
  findProfile(id: string): Promise<Profile | undefined>;
  /** The profiles with these ids (one query); ids that name no profile are left out. */
  findProfiles(ids: readonly string[]): Promise<Profile[]>;
}

/** Workspaces and their limits. */
export interface WorkspaceStore {
  insertWorkspace(workspace: Workspace, event: AuditEvent): Promise<void>;
  findWorkspace(id: string): Promise<Workspace | undefined>;
  listWorkspaces(page: PageQuery): Promise<Workspace[]>;
  countWorkspaces(): Promise<number>;
  updateWorkspace(id: string, changes: WorkspaceChanges, event: AuditEvent): Promise<Workspace | undefined>;
}

/** API keys: the hot lookup by hash, management, rotation and last use. */
export interface KeyStore {
  /**
   * Inserts a key, its own API-key profile and its audit event, unless the
   * workspace already holds `quota.maxKeys` non-revoked keys: then it writes
   * nothing and answers `quota_exceeded`. Correct under concurrent inserts.
   */
  insertKey(key: ApiKey, profile: Profile, event: AuditEvent, quota: KeyQuota): Promise<'inserted' | 'quota_exceeded'>;
  findKeyByHash(hash: string): Promise<KeyWithPolicy | undefined>;
  /** A key by id in any workspace, with its workspace's limits (for rate-limit leases). */
  findKeyById(id: string): Promise<KeyWithPolicy | undefined>;
  findKey(workspaceId: string, id: string): Promise<ApiKey | undefined>;
  listKeys(filter: KeyFilter, page: PageQuery): Promise<ApiKey[]>;
  countKeys(filter: KeyFilter): Promise<number>;
  updateKey(workspaceId: string, id: string, changes: KeyChanges, event: AuditEvent): Promise<ApiKey | undefined>;
  /**
   * Moves an active key to `rotating` and inserts its successor, atomically;
   * only one of concurrent callers wins. Not subject to the key quota: the
   * successor replaces the old key.
   */
  rotateKey(input: RotateKeyInput): Promise<RotateKeyResult>;
  /** Marks a key revoked (idempotently; the event is written only on the first call). */
  revokeKey(workspaceId: string, id: string, at: Millis, event: AuditEvent): Promise<ApiKey | undefined>;
  /**
   * Records last use times gathered since the previous call; never moves a
   * time backwards. Written in short transactions that yield to the event loop
   * between them, so a large batch never stalls requests; a failure may leave
   * earlier chunks written (writing them again is harmless).
   */
  touchKeys(lastUsed: ReadonlyMap<string, Millis>): Promise<void>;
}

/** A person in a workspace. */
export interface MemberRecord {
  membership: Membership;
  profile: Profile;
}

/** Why a member could not be changed or removed. */
export type MemberChange = 'changed' | 'not_found' | 'last_owner';

/** What redeeming a sign-in link found. */
export type LinkRedemption = { outcome: 'redeemed'; profileId: string } | { outcome: 'used' | 'expired' | 'unknown' };

/** People (USER profiles), their memberships, sessions and sign-in links. */
export interface PeopleStore {
  /** USER profiles with this (lower-cased) email, in every account, oldest first. */
  findUsersByEmail(email: string): Promise<Profile[]>;
  insertUser(profile: Profile): Promise<void>;
  findMembership(workspaceId: string, profileId: string): Promise<Membership | undefined>;
  /** The members of a workspace, by profile id. */
  listMembers(workspaceId: string, page: PageQuery): Promise<MemberRecord[]>;
  /** Every workspace a person belongs to, oldest membership first. */
  listMembershipsOf(profileId: string): Promise<{ membership: Membership; workspace: Workspace }[]>;
  /**
   * Adds a membership and its event, with the person's profile when `newProfile`
   * is given; `already_member` (and nothing written) when it exists.
   */
  addMember(membership: Membership, event: AuditEvent, newProfile?: Profile): Promise<'added' | 'already_member'>;
  /** Changes a role; refuses to leave a workspace without an owner. */
  changeMemberRole(workspaceId: string, profileId: string, role: Role, event: AuditEvent): Promise<MemberChange>;
  /** Removes a membership; refuses to remove the last owner. */
  removeMember(workspaceId: string, profileId: string, event: AuditEvent): Promise<MemberChange>;

  insertSession(session: Session, events: AuditEvent[]): Promise<void>;
  findSessionByHash(hash: string): Promise<{ session: Session; profile: Profile } | undefined>;
  touchSession(id: string, at: Millis): Promise<void>;
  /** Ends a session; false when it had ended already (nothing written then). */
  endSession(id: string, at: Millis, events: AuditEvent[]): Promise<boolean>;

  insertSignInLink(link: { hash: string; profileId: string; createdAt: Millis; expiresAt: Millis }): Promise<void>;
  /** Marks a link used, at most once, and answers whose it is. */
  redeemSignInLink(hash: string, now: Millis): Promise<LinkRedemption>;
}

/** The outbox of key and workspace changes, written in each change's transaction. */
export interface KeyEventStore {
  /** Events with ids above `after`, oldest first. */
  listKeyEvents(after: number, limit: number): Promise<KeyEvent[]>;
  /** The newest id given so far, and the highest id pruned (a resume from before it has lost events). */
  keyEventBounds(): Promise<{ latest: number; prunedThrough: number }>;
  /**
   * Appends `key.expired` for keys whose expiry falls in (from, to] and that
   * have none yet (several instances may sweep the same span); answers how many.
   */
  recordExpiries(from: Millis, to: Millis): Promise<number>;
  /** Deletes events older than `before`; answers how many. */
  pruneKeyEvents(before: Millis): Promise<number>;
}

/** The audit log: append-only. */
export interface AuditStore {
  /** Appends events, all or none, in statements of at most 500 rows. */
  insertAuditEvents(events: AuditEvent[]): Promise<void>;
  listAuditEvents(filter: { workspaceId: string; type?: AuditEventType }, page: PageQuery): Promise<AuditEvent[]>;
}

/**
 * The persistence port, one interface per aggregate. Every backend implements
 * all of them and passes the one contract suite in
 * `test/store/store-contract.ts`. Methods that change several rows do so in
 * one transaction; a backend that cannot be reached throws
 * `StoreUnavailableError` and has changed nothing.
 */
export interface Store extends AccountStore, WorkspaceStore, KeyStore, PeopleStore, KeyEventStore, AuditStore {
  /** Resolves when the backend answers; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * Makes one tiny real write (a settings row); throws StoreUnavailableError
   * when the backend cannot take writes now (full disk, read-only files, a
   * lock held elsewhere, no connection).
   */
  probeWrite(): Promise<void>;
  close(): Promise<void>;
  /** A named random secret, created on first use and shared by every instance. */
  secret(name: string): Promise<string>;
}

// ---- Rate limiting ----

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

// ---- Invalidation ----

/** What changed: one key (by its stored hash) or every key of a workspace. */
export type Invalidation = { hash: string } | { workspaceId: string };

/**
 * Carries cache invalidations between instances (Redis pub/sub when
 * configured). Delivery is best effort; `onGap` reports that messages may
 * have been missed, so caches must be dropped wholesale.
 */
export interface InvalidationBus {
  publish(message: Invalidation): void;
  subscribe(handler: (message: Invalidation) => void): void;
  onGap(handler: () => void): void;
  close(): Promise<void>;
}

// ---- Telemetry ----

/** Where a verification outcome comes from: a request authenticating itself, or an answer of `POST /keys/verify`. */
export type VerificationSource = 'authentication' | 'verify';

/** What a key-cache lookup found: a known key, a hash remembered as naming no key, or neither (the store is asked). */
export type KeyCacheResult = 'hit' | 'negative_hit' | 'miss';

/**
 * The kind of rate-limit bucket that refused a call: a key's limit, its
 * workspace's budget, a client's failed-authentication limit, or the own
 * bucket of the admin token, the verifier tokens or a signed-in person.
 */
export type LimitedBucket = 'key' | 'workspace' | 'client' | 'admin' | 'verifier' | 'person';

/**
 * What the domain reports for monitoring. Some calls sit on the verification
 * hot path: an implementation must be cheap (no I/O, nothing allocated per
 * call) and must never throw.
 */
export interface Telemetry {
  /** A request authenticated (`valid`) or refused, or a `POST /keys/verify` answer, by its code. */
  verification(source: VerificationSource, outcome: 'valid' | DenialCode): void;
  keyCacheLookup(result: KeyCacheResult): void;
  /** A call refused because `bucket` had no room for it (a call refused by two buckets is reported for each). */
  rateLimited(bucket: LimitedBucket): void;
  /** How long one call of a store method took (`operation` is the method's name in snake_case). */
  storeOperation(operation: string, seconds: number): void;
}

/** Telemetry that records nothing: the default. */
export const NO_TELEMETRY: Telemetry = {
  verification() {},
  keyCacheLookup() {},
  rateLimited() {},
  storeOperation() {},
};
