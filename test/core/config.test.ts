import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseRateLimit } from '../../src/config.js';

describe('configuration', () => {
  it('defaults to embedded SQLite on 127.0.0.1:8080 with 600 requests per 60 s', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: 'sqlite:./data/cadreen.db',
      databasePoolSize: 10,
      databaseTimeoutMs: 5000,
      redisPrefix: 'cadreen:',
      cacheTtlMs: 300_000,
      keyCacheSize: 100_000,
      port: 8080,
      host: '127.0.0.1',
      keyPrefix: 'sk_cadreen_',
      rateLimit: { limit: 600, windowSeconds: 60 },
      workspaceRateLimit: { limit: 6000, windowSeconds: 60 },
      authFailureLimit: { limit: 60, windowSeconds: 60 },
      maxKeysPerWorkspace: 10_000,
      publicUrl: 'http://127.0.0.1:8080',
      oidcAllowedDomains: [],
      verifierTokens: [],
      eventRetentionMs: 86_400_000,
      logLevel: 'info',
      requestTimeoutMs: 30_000,
      shutdownTimeoutMs: 10_000,
    });
  });

  it('reads every CADREEN_* variable, and flags override the environment', () => {
    const config = loadConfig(
      {
        CADREEN_DATABASE_URL: 'postgres://db/cadreen',
        CADREEN_REDIS_URL: 'redis://cache:6379',
        CADREEN_PORT: '9000',
        CADREEN_HOST: '0.0.0.0',
        CADREEN_ADMIN_TOKEN: 'a-long-admin-token',
        CADREEN_KEY_PREFIX: 'sk_acme_',
        CADREEN_KEY_PEPPER: 'pepper-0123456789',
        CADREEN_RATE_LIMIT: '100/1m',
        CADREEN_WORKSPACE_RATE_LIMIT: '1000/1m',
        CADREEN_AUTH_FAILURE_LIMIT: '10/5m',
        CADREEN_MAX_KEYS_PER_WORKSPACE: '50',
        CADREEN_KEY_CACHE_SIZE: '200000',
        CADREEN_LOG_LEVEL: 'warn',
      },
      { port: '9100' },
    );
    expect(config).toMatchObject({
      port: 9100,
      host: '0.0.0.0',
      keyPrefix: 'sk_acme_',
      rateLimit: { limit: 100, windowSeconds: 60 },
      workspaceRateLimit: { limit: 1000, windowSeconds: 60 },
      authFailureLimit: { limit: 10, windowSeconds: 300 },
      maxKeysPerWorkspace: 50,
      keyCacheSize: 200_000,
      logLevel: 'warn',
    });
  });

  it.each([
    ['CADREEN_PORT', 'eighty'],
    ['CADREEN_PORT', '70000'],
    ['CADREEN_DATABASE_URL', 'mysql://x'],
    ['CADREEN_REDIS_URL', 'localhost:6379'],
    ['CADREEN_ADMIN_TOKEN', 'short'],
    ['CADREEN_KEY_PREFIX', 'SK-Bad'],
    ['CADREEN_KEY_PEPPER', 'tiny'],
    ['CADREEN_RATE_LIMIT', 'lots'],
    ['CADREEN_RATE_LIMIT', '0/60s'],
    ['CADREEN_WORKSPACE_RATE_LIMIT', '6000/2d'],
    ['CADREEN_AUTH_FAILURE_LIMIT', 'sixty'],
    ['CADREEN_MAX_KEYS_PER_WORKSPACE', '0'],
    ['CADREEN_KEY_CACHE_SIZE', '-5'],
    ['CADREEN_REQUEST_TIMEOUT_MS', '999'],
    ['CADREEN_SHUTDOWN_TIMEOUT_MS', 'later'],
    ['CADREEN_TRUST_PROXY', '10.0.0.0/33'],
    ['CADREEN_LOG_LEVEL', 'loud'],
    ['CADREEN_DATABASE_POOL_SIZE', '0'],
    ['CADREEN_DATABASE_TIMEOUT_MS', 'soon'],
    ['CADREEN_CACHE_TTL_MS', '-1'],
    ['CADREEN_REDIS_PREFIX', 'has space'],
  ])('stops on a bad %s with a message naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });

  it('reads the trusted proxies as addresses, ranges and named ranges', () => {
    expect(loadConfig({ CADREEN_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.7', 'loopback']);
  });

  it('parses rate limits in seconds, minutes and hours', () => {
    expect(parseRateLimit('600/60s')).toEqual({ limit: 600, windowSeconds: 60 });
    expect(parseRateLimit('600/60')).toEqual({ limit: 600, windowSeconds: 60 });
    expect(parseRateLimit('5000/1h')).toEqual({ limit: 5000, windowSeconds: 3600 });
    expect(parseRateLimit('1/2d')).toBeUndefined();
  });
});
