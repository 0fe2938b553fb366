import type { FastifyInstance } from 'fastify';
import { createCadreen, type CadreenRuntime, type CoreConfig } from '../../src/core/cadreen.js';
import { DEFAULT_KEY_PREFIX } from '../../src/core/key-format.js';
import type { RateLimitPolicy } from '../../src/core/model.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store, Telemetry } from '../../src/core/ports.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
}

/** A workspace made by `seed()`: its first key (plaintext) and ids. */
export interface Seeded {
  accountId: string;
  workspaceId: string;
  profileId: string;
  keyId: string;
  key: string;
}

export interface Harness {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` with `transport: 'socket'`; undefined in-process. */
  baseUrl: string | undefined;
  cadreen: CadreenRuntime;
  /** Moves the service's clock forward (expiry, grace periods). */
  advance(ms: number): void;
  /** A new account with one workspace and its first key. */
  seed(name?: string): Promise<Seeded>;
  /** Another key in a workspace, created through the domain. */
  newKey(workspaceId: string, name?: string, expiresAt?: number): Promise<{ id: string; key: string }>;
  request(
    method: string,
    url: string,
    options?: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  rateLimit?: RateLimitPolicy;
  /** Overrides of the core's other limits (by default far above what any test sends). */
  limits?: Pick<CoreConfig, 'workspaceRateLimit' | 'authFailureLimit' | 'maxKeysPerWorkspace'>;
  /**
   * `inject` (default) calls the app in-process; `socket` listens on a free
   * loopback port and sends real HTTP, so requests meet Node's parser and the
   * server's timeouts too.
   */
  transport?: 'inject' | 'socket';
  /** Passed to `buildApp` (a logger, access lines). */
  app?: AppOptions;
  /** The store to serve from (default: a new in-memory SQLite store); closed with the harness. */
  store?: Store;
  /** Where the core counts verifications, cache lookups and rate-limit refusals. */
  telemetry?: Telemetry;
}

/**
 * The app over a real in-memory SQLite store, called in-process (Fastify's
 * `inject`) or over loopback. Each harness is independent; close it after the
 * test file.
 */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  let offset = 0;
  const clock = () => Date.now() + offset;
  const cadreen = await createCadreen({
    store: options.store ?? (await openSqliteStore(':memory:')),
    limiter: new MemoryRateLimiter(),
    config: {
      keyPrefix: DEFAULT_KEY_PREFIX,
      adminToken: ADMIN_TOKEN,
      defaultRateLimit: options.rateLimit ?? { limit: 100_000, windowSeconds: 60 },
      workspaceRateLimit: { limit: 1_000_000, windowSeconds: 60 },
      authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
      ...options.limits,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      // Batched writes (last use, refused authentications) reach the store when a test flushes them
      // (`cadreen.usage.flush()`) or at close, never on a timer in the middle of a test.
      flushIntervalMs: 3_600_000,
      clock,
    },
  });
  const app = await buildApp(cadreen, options.app);
  const base = options.transport === 'socket' ? await app.listen({ port: 0, host: '127.0.0.1' }) : undefined;
  return {
    app,
    baseUrl: base,
    cadreen,
    advance: (ms) => {
      offset += ms;
    },
    async seed(name = 'main') {
      const result = await cadreen.init({ workspaceName: name, email: 'owner@example.com', newAccount: true });
      return {
        accountId: result.accountId,
        workspaceId: result.workspaceId,
        profileId: result.profileId,
        keyId: result.key.id,
        key: result.key.plaintext,
      };
    },
    async newKey(workspaceId, name = 'extra', expiresAt) {
      const workspace = await cadreen.workspaces.get(workspaceId);
      const scope = { workspace, actorProfileId: await cadreen.scopes.systemProfileOf(workspace.accountId), ip: null, access: 'admin' as const };
      const issued = await cadreen.apiKeys.create(scope, { name, ...(expiresAt ? { expiresAt } : {}) });
      return { id: issued.key.id, key: issued.plaintext };
    },
    async request(method, url, { key, body, rawBody, headers = {} } = {}) {
      const allHeaders: Record<string, string> = {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined || rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      };
      const payload = rawBody ?? (body !== undefined ? JSON.stringify(body) : undefined);
      if (base !== undefined) {
        const response = await fetch(`${base}${url}`, { method, headers: allHeaders, ...(payload !== undefined ? { body: payload } : {}) });
        const text = await response.text();
        return { status: response.status, headers: Object.fromEntries(response.headers), body: text === '' ? undefined : JSON.parse(text) };
      }
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: allHeaders,
        ...(payload !== undefined ? { payload } : {}),
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        body: response.body === '' ? undefined : response.json(),
      };
    },
    async close() {
      await app.close();
      await cadreen.close();
    },
  };
}
