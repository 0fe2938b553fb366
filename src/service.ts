import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { createCadreen, type CadreenRuntime } from './core/cadreen.js';
import { buildApp } from './http/app.js';
import { metricsAccess } from './http/routes/metrics.js';
import { PrometheusMetrics } from './metrics/prometheus-metrics.js';
import { MemoryRateLimiter } from './limits/memory-rate-limiter.js';
import type { RateLimiter, Telemetry } from './core/ports.js';
import { RedisRateLimiter } from './limits/redis-rate-limiter.js';
import { connectRedis, redisReady } from './redis/redis-connection.js';
import { RedisInvalidationBus } from './redis/redis-invalidation-bus.js';
import { openStore } from './store/open-store.js';
import { timedStore } from './store/timed-store.js';

import { VERSION } from './version.js';

/** JSON lines on stdout, written asynchronously so logging never blocks a request. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'cadreen' },
    // Defence in depth: nothing logs headers or bodies, and these paths are censored if anything ever does.
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'plaintext', 'key', 'token'],
      censor: '[redacted]',
    },
  }, pino.destination({ dest: 1, sync: false }));
}

/**
 * Opens the configured store, and with CADREEN_REDIS_URL the shared rate
 * limiter and invalidation bus, and wires the domain; with `telemetry`, store
 * calls are timed and the domain's outcomes counted there.
 */
export async function openCadreen(config: Config, logger?: Logger, telemetry?: Telemetry): Promise<CadreenRuntime> {
  const opened = await openStore(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    timeoutMs: config.databaseTimeoutMs,
    onPoolError: (error) => logger?.warn({ err: { message: error.message } }, 'database connection lost; it will be replaced'),
  });
  const store = telemetry ? timedStore(opened, telemetry) : opened;
  let limiter: RateLimiter = new MemoryRateLimiter();
  let bus: RedisInvalidationBus | undefined;
  if (config.redisUrl) {
    const commands = connectRedis(config.redisUrl, logger, 'commands');
    const subscriber = connectRedis(config.redisUrl, logger, 'invalidations');
    bus = new RedisInvalidationBus(commands, subscriber, `${config.redisPrefix}invalidations`);
    try {
      await Promise.all([redisReady(commands), redisReady(subscriber)]);
      await bus.start();
    } catch (error) {
      // Start anyway: limits and caches work in-process until Redis is reachable, and the clients keep trying.
      logger?.warn({ err: { message: (error as Error).message } }, 'redis not reachable at start');
    }
    limiter = new RedisRateLimiter(commands, config.redisPrefix);
  }
  return createCadreen({
    store,
    limiter,
    ...(bus ? { bus } : {}),
    config: {
      keyPrefix: config.keyPrefix,
      defaultRateLimit: config.rateLimit,
      workspaceRateLimit: config.workspaceRateLimit,
      authFailureLimit: config.authFailureLimit,
      maxKeysPerWorkspace: config.maxKeysPerWorkspace,
      cacheTtlMs: config.cacheTtlMs,
      keyCacheSize: config.keyCacheSize,
      publicUrl: config.publicUrl,
      ssoEnabled: config.oidc !== undefined,
      allowedDomains: config.oidcAllowedDomains,
      verifierTokens: config.verifierTokens,
      eventRetentionMs: config.eventRetentionMs,
      ...(config.pepper ? { pepper: config.pepper } : {}),
      ...(config.adminToken ? { adminToken: config.adminToken } : {}),
      ...(logger ? { logger } : {}),
      ...(telemetry ? { telemetry } : {}),
    },
  });
}

export interface RunningService {
  app: FastifyInstance;
  cadreen: CadreenRuntime;
  url: string;
  /**
   * Stops accepting connections, lets requests in flight finish for at most
   * the shutdown timeout, closes every connection still open, then writes
   * pending batches and closes the store.
   */
  stop(): Promise<void>;
}

/** Starts the HTTP service on the configured host and port. */
export async function startService(config: Config, logger: Logger = createLogger(config)): Promise<RunningService> {
  // A registry per service: tests run several in one process.
  const metrics = new PrometheusMetrics();
  const cadreen = await openCadreen(config, logger, metrics);
  const app = await buildApp(cadreen, {
    metrics: { collector: metrics, host: config.host, ...(config.metricsToken ? { token: config.metricsToken } : {}) },
    logger,
    version: VERSION,
    accessLog: logger.isLevelEnabled('debug'),
    requestTimeoutMs: config.requestTimeoutMs,
    publicUrl: config.publicUrl,
    ...(config.oidc ? { oidc: config.oidc } : {}),
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
  });
  const initialised = await cadreen.isInitialised();
  const url = await app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      url,
      store: config.databaseUrl.split(':')[0],
      redis: Boolean(config.redisUrl),
      admin_routes: Boolean(config.adminToken),
      metrics: metricsAccess({ host: config.host, token: config.metricsToken }),
    },
    'cadreen listening',
  );
  if (!initialised) {
    logger.warn('the store is empty: run `cadreen init` (or `npm run init`) to create an account, a workspace and its first key');
  }
  let stopping: Promise<void> | undefined;
  return {
    app,
    cadreen,
    url,
    stop: () =>
      (stopping ??= (async () => {
        // Past the deadline a request still in flight (a slow body, a slow client) is cut off.
        const deadline = setTimeout(() => {
          logger.warn({ timeout_ms: config.shutdownTimeoutMs }, 'shutdown deadline reached; closing the connections still open');
          app.server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        try {
          await app.close();
        } finally {
          clearTimeout(deadline);
        }
        await cadreen.close();
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
      })()),
  };
}
