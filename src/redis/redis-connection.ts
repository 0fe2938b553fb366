import { Redis } from 'ioredis';

export interface RedisLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/**
 * Opens an ioredis client tuned for a dependency that may go away: commands
 * fail fast instead of queueing while disconnected (callers then fall back to
 * in-process behaviour), and the client reconnects by itself forever. One
 * warning is logged when Redis becomes unreachable, one line when it is back.
 */
export function connectRedis(url: string, logger?: RedisLogger, role = 'commands'): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    lazyConnect: false,
  });
  let healthy = true;
  client.on('error', (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger?.warn({ err: { message: error.message }, role }, 'redis unreachable: serving with in-process rate limits and caches until it returns');
  });
  client.on('ready', () => {
    if (healthy) return;
    healthy = true;
    logger?.info({ role }, 'redis reachable again');
  });
  return client;
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export function redisReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error('redis did not become ready in time'));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}
