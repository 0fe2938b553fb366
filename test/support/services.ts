import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { connectRedis, redisReady } from '../../src/redis/redis-connection.js';
import { skipWhen } from './skip-reason.js';

/**
 * The PostgreSQL and Redis servers the backend tests run against. The global
 * setup (`test/support/global-setup.ts`) probes CADREEN_TEST_DATABASE_URL /
 * CADREEN_TEST_REDIS_URL, or the local servers at their default addresses, and
 * leaves the variable set only when the server answered; otherwise it says why
 * in CADREEN_TEST_DATABASE_ABSENT / CADREEN_TEST_REDIS_ABSENT and the suites
 * that need it are skipped with that reason. In CI (`CI=true`) a server that
 * does not answer is a failure, never a skip.
 */
export const TEST_DATABASE_URL = process.env.CADREEN_TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.CADREEN_TEST_REDIS_URL;

if (process.env.CI === 'true' && (!TEST_DATABASE_URL || !TEST_REDIS_URL)) {
  throw new Error('CI=true needs PostgreSQL and Redis: CADREEN_TEST_DATABASE_URL and CADREEN_TEST_REDIS_URL, or the local servers (see .ci/run)');
}

const ABSENT = {
  postgres: TEST_DATABASE_URL ? undefined : (process.env.CADREEN_TEST_DATABASE_ABSENT ?? 'no PostgreSQL: CADREEN_TEST_DATABASE_URL is not set'),
  redis: TEST_REDIS_URL ? undefined : (process.env.CADREEN_TEST_REDIS_ABSENT ?? 'no Redis: CADREEN_TEST_REDIS_URL is not set'),
};

/**
 * Suite options that skip a suite, with the reason, unless every server it
 * names answered: `describe('on PostgreSQL', needs('postgres'), () => …)`.
 */
export function needs(...services: (keyof typeof ABSENT)[]): ReturnType<typeof skipWhen> {
  const reasons = services.map((service) => ABSENT[service]).filter((reason) => reason !== undefined);
  return skipWhen(reasons.length > 0 ? reasons.join('; ') : undefined);
}

/**
 * A database of its own on the test server, and its URL; `drop()` removes it.
 * A database rather than a schema: migrations read the catalog of the whole
 * database, which fails while another test run drops a schema in it.
 */
export async function createTestDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = `cadreen_test_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  // template0 takes no connections, so copying it never waits for one to end.
  await admin(`create database ${database} template template0`);
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    drop: () => admin(`drop database if exists ${database} with (force)`),
  };
}

/** A Redis key prefix of its own for one test run. */
export const testRedisPrefix = (): string => `cadreen-test:${randomBytes(6).toString('hex')}:`;

/**
 * Redis clients for one test file, under a key prefix of their own: `open()`
 * connects one (ready), `cleanup()` deletes every key under the prefix and
 * disconnects them all.
 */
export function redisForTests(url: string) {
  const prefix = testRedisPrefix();
  const clients: Redis[] = [];
  return {
    prefix,
    async open(): Promise<Redis> {
      const client = connectRedis(url);
      clients.push(client);
      await redisReady(client);
      return client;
    },
    /** A client that never connects (nothing listens on port 1), for outage behaviour. */
    unreachable(): Redis {
      const client = connectRedis('redis://127.0.0.1:1');
      clients.push(client);
      return client;
    },
    async cleanup(): Promise<void> {
      const cleaner = new Redis(url);
      const keys = await cleaner.keys(`${prefix}*`);
      if (keys.length) await cleaner.del(...keys);
      cleaner.disconnect();
      for (const client of clients) client.disconnect();
    },
  };
}
