import type { RateLimiter } from './ports.js';
import type { Store } from './ports.js';
import { ApiKeyService } from './api-keys.js';
import { AuditService } from './audit.js';
import { Authenticator } from './auth.js';
import { initAccount, type InitInput } from './bootstrap.js';
import type { InvalidationBus, Telemetry } from './ports.js';
import { CursorCodec } from './cursor.js';
import { KeyCache } from './key-cache.js';
import { ReadinessProbe } from './readiness.js';
import type { Millis, RateLimitPolicy } from './model.js';
import { KeyEventHub } from './key-events.js';
import { PeopleService } from './people.js';
import { ScopeResolver } from './scope.js';
import { SessionService } from './sessions.js';
import { UsageRecorder, type BatchLogger } from './usage-recorder.js';
import { WorkspaceService } from './workspaces.js';

export interface CoreConfig {
  keyPrefix: string;
  pepper?: string;
  adminToken?: string;
  /** Each key's limit unless its workspace sets one. */
  defaultRateLimit: RateLimitPolicy;
  /** What all keys of a workspace share together unless it sets its own budget (default 6000/60s). */
  workspaceRateLimit?: RateLimitPolicy;
  /** Refused authentications allowed per client address (default 60/60s). */
  authFailureLimit?: RateLimitPolicy;
  /** Non-revoked keys a workspace may hold (default 10 000). */
  maxKeysPerWorkspace?: number;
  /** How often last-use times and refusals are written (default 1 s). */
  flushIntervalMs?: number;
  /** Known keys kept in memory (default 100 000). */
  keyCacheSize?: number;
  /** Longest a known key stays cached without a change invalidating it (default 5 min; 0 turns the cache off). */
  cacheTtlMs?: number;
  /** Cap on `auth.refused` events per key and minute (default 10). */
  maxRefusalsPerKeyMinute?: number;
  /** Where people reach this deployment (sign-in links; default http://127.0.0.1:8080). */
  publicUrl?: string;
  /** Whether people sign in through an OpenID provider. */
  ssoEnabled?: boolean;
  /** Email domains whose people may sign in with SSO uninvited. */
  allowedDomains?: readonly string[];
  /** Tokens of embedded verifiers: they may only verify, lease and follow the event stream. */
  verifierTokens?: readonly string[];
  /** How long the outbox keeps events for resuming streams (default 24 h). */
  eventRetentionMs?: number;
  logger?: BatchLogger;
  /** Where verification outcomes, key-cache lookups and rate-limit refusals are counted (default: nowhere). */
  telemetry?: Telemetry;
  clock?: () => Millis;
}

/**
 * The domain's facade: what the HTTP server, the CLI and the dashboard talk
 * to. Callers reach data only through its services, never the store.
 */
export interface Cadreen {
  auth: Authenticator;
  scopes: ScopeResolver;
  apiKeys: ApiKeyService;
  workspaces: WorkspaceService;
  audit: AuditService;
  people: PeopleService;
  sessions: SessionService;
  /** The outbox, fanned out to this instance's event streams. */
  keyEvents: KeyEventHub;
  /** A random secret shared by every instance, for signing short-lived cookies. */
  cookieSecret: string;
  init(input: InitInput): ReturnType<typeof initAccount>;
  /** Whether an account exists yet (`cadreen init` has run). */
  isInitialised(): Promise<boolean>;
  /** The audit recorder's queue: refused-authentication events waiting to be written, and those dropped since start. */
  auditQueue(): { waiting: number; dropped: number };
  /** Resolves when the store takes writes; probed at most every 5 s, throws StoreUnavailableError otherwise. */
  ready(): Promise<void>;
  /** Writes pending usage and refusals, then closes the limiter and the store. */
  close(): Promise<void>;
}

/** The facade with the parts it was wired from, for the process that owns them (and its tests). */
export interface CadreenRuntime extends Cadreen {
  config: CoreConfig;
  store: Store;
  cache: KeyCache;
  usage: UsageRecorder;
}

/**
 * Wires the domain over its ports. With an invalidation `bus`, cache
 * invalidations reach every instance; closing Cadreen closes the bus too.
 */
export async function createCadreen(deps: {
  store: Store;
  limiter: RateLimiter;
  bus?: InvalidationBus;
  config: CoreConfig;
}): Promise<CadreenRuntime> {
  const { store, limiter, bus, config } = deps;
  const clock = config.clock ?? Date.now;
  const cursors = new CursorCodec(await store.secret('cursor'));
  const ttlMs = config.cacheTtlMs ?? 300_000;
  const cache = new KeyCache({
    max: ttlMs > 0 ? (config.keyCacheSize ?? 100_000) : 0,
    ttlMs,
    unknownMax: 10_000,
    unknownTtlMs: Math.min(ttlMs, 10_000),
  });
  if (bus) cache.connect(bus);
  const keyEvents = new KeyEventHub(store, {
    pollMs: 1000,
    retentionMs: config.eventRetentionMs ?? 24 * 3600_000,
    clock,
    ...(config.logger ? { onError: (error: unknown) => config.logger!.warn({ err: { message: (error as Error).message } }, 'cannot read the key event outbox') } : {}),
  });
  // Every change, here or on another instance (through the bus), may have written outbox rows.
  cache.onChange(() => keyEvents.poke());
  keyEvents.startPruning();
  const usage = new UsageRecorder(store, {
    flushIntervalMs: config.flushIntervalMs ?? 1000,
    maxRefusalsPerKeyMinute: config.maxRefusalsPerKeyMinute ?? 10,
    ...(config.logger ? { logger: config.logger } : {}),
  });
  const workspaceRateLimit = config.workspaceRateLimit ?? { limit: 6000, windowSeconds: 60 };
  const sessions = new SessionService(store, clock);
  const defaults = { perKey: config.defaultRateLimit, workspace: workspaceRateLimit };
  const auth = new Authenticator(
    { ...config, defaults, authFailureLimit: config.authFailureLimit ?? { limit: 60, windowSeconds: 60 } },
    store,
    cache,
    limiter,
    usage,
    sessions,
    async (workspaceId, profileId) => (await store.findMembership(workspaceId, profileId)) !== undefined,
    clock,
  );
  const scopes = new ScopeResolver(store, usage, clock);
  const people = new PeopleService(
    store,
    sessions,
    cursors,
    { publicUrl: (config.publicUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''), ssoEnabled: config.ssoEnabled ?? false, allowedDomains: config.allowedDomains ?? [] },
    clock,
  );
  const apiKeys = new ApiKeyService(store, cache, cursors, { ...config, maxKeysPerWorkspace: config.maxKeysPerWorkspace ?? 10_000 }, clock);
  const readiness = new ReadinessProbe(store, clock);
  const workspaces = new WorkspaceService(
    store,
    cache,
    cursors,
    (id) => scopes.systemProfileOf(id),
    defaults,
    clock,
  );
  const audit = new AuditService(store, cursors);
  return {
    config,
    store,
    auth,
    scopes,
    apiKeys,
    workspaces,
    audit,
    people,
    sessions,
    keyEvents,
    cookieSecret: await store.secret('cookie'),
    cache,
    usage,
    init: (input) => initAccount({ store, workspaces, apiKeys, people }, input, clock()),
    isInitialised: async () => (await store.listAccounts(1)).length > 0,
    ready: () => readiness.check(),
    auditQueue: () => ({ waiting: usage.pendingEvents, dropped: usage.droppedEvents }),
    async close() {
      await keyEvents.close();
      await usage.close();
      await limiter.close();
      await bus?.close();
      await store.close();
    },
  };
}
