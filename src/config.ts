import { isIP } from 'node:net';
import { DEFAULT_KEY_PREFIX } from './core/key-format.js';
import type { RateLimitPolicy } from './core/model.js';

/** Everything the service reads from its environment, parsed once at start. */
export interface Config {
  databaseUrl: string;
  /** PostgreSQL connections per instance. */
  databasePoolSize: number;
  /** Longest wait for the database before a request is answered 503. */
  databaseTimeoutMs: number;
  redisUrl?: string;
  /** Prefix of every Redis key and channel, so deployments can share a Redis. */
  redisPrefix: string;
  /** Longest a verified key stays in the in-process cache without a change invalidating it; 0 turns the cache off. */
  cacheTtlMs: number;
  /** Known keys kept in the in-process cache. */
  keyCacheSize: number;
  port: number;
  host: string;
  adminToken?: string;
  keyPrefix: string;
  pepper?: string;
  /** Each key's limit, unless its workspace sets one. */
  rateLimit: RateLimitPolicy;
  /** The budget all keys of a workspace share, unless the workspace sets one. */
  workspaceRateLimit: RateLimitPolicy;
  /** Refused authentications allowed per client address before it is answered 429. */
  authFailureLimit: RateLimitPolicy;
  /** Non-revoked keys one workspace may hold. */
  maxKeysPerWorkspace: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** A request's headers and body must arrive within this long, or it is answered 408. */
  requestTimeoutMs: number;
  /** On SIGTERM, how long requests in flight may take before every connection is closed. */
  shutdownTimeoutMs: number;
  /**
   * The proxies whose `X-Forwarded-For` is believed (addresses, CIDR ranges, or
   * `loopback`, `linklocal`, `uniquelocal`); unset, the client is the socket's peer.
   */
  trustProxy?: string[];
  /** Where people reach this deployment (sign-in links, the redirect URI, the Origin sessions must come from). */
  publicUrl: string;
  /** Sign-in with an OpenID provider: all three settings, or none. */
  oidc?: { issuer: string; clientId: string; clientSecret: string };
  /** Email domains whose people may sign in with SSO before an owner invited them. */
  oidcAllowedDomains: string[];
  /** Tokens of embedded verifiers (DESIGN §10): they may only verify, lease and follow the event stream. */
  verifierTokens: string[];
  /** How long the outbox keeps key events for streams that resume. */
  eventRetentionMs: number;
  /** Bearer token for `GET /metrics`; unset, metrics are served without one on a loopback host only. */
  metricsToken?: string;
}

/** A bad configuration value: its message is the one line printed before start-up stops. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const WINDOW_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `600/60s`, `100/1m`, `5000/1h` or `600/60` (seconds) → a policy. */
export function parseRateLimit(value: string): RateLimitPolicy | undefined {
  const match = /^(\d{1,7})\/(\d{1,6})([smh]?)$/.exec(value.trim());
  if (!match) return undefined;
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]) * WINDOW_UNITS[match[3] || 's']!;
  if (limit < 1 || windowSeconds < 1 || windowSeconds > 86_400) return undefined;
  return { limit, windowSeconds };
}

type Source = Record<string, string | undefined>;

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8` or a named range → true. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

function fail(variable: string, value: string, expected: string): never {
  throw new ConfigError(`${variable}=${JSON.stringify(value)} is invalid: expected ${expected}`);
}

/**
 * Parses the CADREEN_* variables (and flags, which override them) into a
 * Config. Nothing else in the program reads the environment.
 */
export function loadConfig(env: Source, flags: Partial<Record<'port' | 'host' | 'databaseUrl', string>> = {}): Config {
  const read = (name: string) => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };

  const databaseUrl = flags.databaseUrl ?? read('CADREEN_DATABASE_URL') ?? 'sqlite:./data/cadreen.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    fail('CADREEN_DATABASE_URL', databaseUrl, 'sqlite:<path> or postgres://…');
  }

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) fail(name, text, `a whole number from ${min} to ${max}`);
    return value;
  };
  const databasePoolSize = integer('CADREEN_DATABASE_POOL_SIZE', 10, 1, 1000);
  const databaseTimeoutMs = integer('CADREEN_DATABASE_TIMEOUT_MS', 5000, 100, 600_000);
  const cacheTtlMs = integer('CADREEN_CACHE_TTL_MS', 300_000, 0, 86_400_000);
  const keyCacheSize = integer('CADREEN_KEY_CACHE_SIZE', 100_000, 1, 10_000_000);
  const maxKeysPerWorkspace = integer('CADREEN_MAX_KEYS_PER_WORKSPACE', 10_000, 1, 100_000_000);

  const redisUrl = read('CADREEN_REDIS_URL');
  const redisPrefix = read('CADREEN_REDIS_PREFIX') ?? 'cadreen:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(redisPrefix)) fail('CADREEN_REDIS_PREFIX', redisPrefix, 'letters, digits and :_.- (up to 64)');
  if (redisUrl !== undefined && !/^rediss?:\/\/.+/.test(redisUrl)) fail('CADREEN_REDIS_URL', redisUrl, 'redis://…');

  const portText = flags.port ?? read('CADREEN_PORT') ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) fail(flags.port ? '--port' : 'CADREEN_PORT', portText, 'a port number 0–65535');

  const host = flags.host ?? read('CADREEN_HOST') ?? '127.0.0.1';

  const adminToken = read('CADREEN_ADMIN_TOKEN');
  if (adminToken !== undefined && (adminToken.length < 16 || /\s/.test(adminToken))) {
    throw new ConfigError('CADREEN_ADMIN_TOKEN is invalid: expected at least 16 characters without spaces');
  }

  const keyPrefix = read('CADREEN_KEY_PREFIX') ?? DEFAULT_KEY_PREFIX;
  if (!/^[a-z][a-z0-9_]{1,31}$/.test(keyPrefix)) fail('CADREEN_KEY_PREFIX', keyPrefix, 'lower-case letters, digits and _ (2–32), e.g. sk_acme_');

  const pepper = read('CADREEN_KEY_PEPPER');
  if (pepper !== undefined && pepper.length < 16) {
    throw new ConfigError('CADREEN_KEY_PEPPER is invalid: expected at least 16 characters');
  }

  const policy = (name: string, fallback: string): RateLimitPolicy => {
    const text = read(name) ?? fallback;
    return parseRateLimit(text) ?? fail(name, text, `<requests>/<window> with a window of at most 24h, e.g. ${fallback}`);
  };
  const rateLimit = policy('CADREEN_RATE_LIMIT', '600/60s');
  const workspaceRateLimit = policy('CADREEN_WORKSPACE_RATE_LIMIT', '6000/60s');
  const authFailureLimit = policy('CADREEN_AUTH_FAILURE_LIMIT', '60/60s');

  const logLevel = (read('CADREEN_LOG_LEVEL') ?? 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) fail('CADREEN_LOG_LEVEL', logLevel, LOG_LEVELS.join(', '));

  const requestTimeoutMs = integer('CADREEN_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000);
  const shutdownTimeoutMs = integer('CADREEN_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000);
  const trustProxyText = read('CADREEN_TRUST_PROXY');
  const trustProxy = trustProxyText?.split(',').map((entry) => entry.trim());
  if (trustProxyText !== undefined && !trustProxy!.every(isProxyEntry)) {
    fail('CADREEN_TRUST_PROXY', trustProxyText, 'comma-separated IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal)');
  }

  const publicUrl = (read('CADREEN_PUBLIC_URL') ?? `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(publicUrl)) fail('CADREEN_PUBLIC_URL', publicUrl, 'http(s)://host[:port][/path]');
  const issuer = read('CADREEN_OIDC_ISSUER');
  const clientId = read('CADREEN_OIDC_CLIENT_ID');
  const clientSecret = read('CADREEN_OIDC_CLIENT_SECRET');
  const oidcSet = [issuer, clientId, clientSecret].filter((value) => value !== undefined).length;
  if (oidcSet !== 0 && oidcSet !== 3) {
    throw new ConfigError('CADREEN_OIDC_ISSUER, CADREEN_OIDC_CLIENT_ID and CADREEN_OIDC_CLIENT_SECRET are set together or not at all');
  }
  if (issuer !== undefined && !/^https?:\/\/.+/.test(issuer)) fail('CADREEN_OIDC_ISSUER', issuer, 'the provider’s issuer URL, https://…');
  const oidcAllowedDomains = (read('CADREEN_OIDC_ALLOWED_DOMAINS') ?? '')
    .split(',')
    .map((domain) => domain.trim().toLowerCase())
    .filter(Boolean);

  const verifierTokens = (read('CADREEN_VERIFIER_TOKENS') ?? '').split(',').map((token) => token.trim()).filter(Boolean);
  if (verifierTokens.some((token) => token.length < 16 || token === adminToken)) {
    throw new ConfigError('CADREEN_VERIFIER_TOKENS is invalid: expected comma-separated tokens of at least 16 characters, none equal to the admin token');
  }
  const eventRetentionMs = integer('CADREEN_EVENT_RETENTION_MS', 86_400_000, 60_000, 30 * 86_400_000);
  const metricsToken = read('CADREEN_METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    throw new ConfigError('CADREEN_METRICS_TOKEN is invalid: expected at least 16 characters without spaces');
  }

  return {
    databaseUrl,
    publicUrl,
    verifierTokens,
    eventRetentionMs,
    oidcAllowedDomains,
    ...(issuer && clientId && clientSecret ? { oidc: { issuer, clientId, clientSecret } } : {}),
    databasePoolSize,
    databaseTimeoutMs,
    redisPrefix,
    cacheTtlMs,
    keyCacheSize,
    port,
    host,
    keyPrefix,
    rateLimit,
    workspaceRateLimit,
    authFailureLimit,
    maxKeysPerWorkspace,
    logLevel,
    requestTimeoutMs,
    shutdownTimeoutMs,
    ...(trustProxy ? { trustProxy } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(pepper ? { pepper } : {}),
    ...(metricsToken ? { metricsToken } : {}),
  };
}
