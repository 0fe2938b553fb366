import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL, TEST_REDIS_URL, testRedisPrefix } from '../support/services.js';
import { runCli, startServer, type ServerProcess } from './process.js';

/** Two real `cadreen serve` processes sharing a PostgreSQL database and a Redis prefix of their own. */
export interface Cluster {
  a: ServerProcess;
  b: ServerProcess;
  /** The environment both were started with (to start another). */
  env: Record<string, string>;
  /** What `cadreen init --json` printed before they started. */
  init: { account_id: string; workspace_id: string; profile_id: string; key: { id: string; plaintext: string }; sign_in_url: string };
  /** Stops both (each must exit 0), drops the database and the Redis keys. */
  stop(): Promise<void>;
}

export async function startCluster(env: Record<string, string>, initArgs: string[] = []): Promise<Cluster> {
  const database = await createTestDatabase(TEST_DATABASE_URL!);
  const prefix = testRedisPrefix();
  const all = { CADREEN_DATABASE_URL: database.url, CADREEN_REDIS_URL: TEST_REDIS_URL!, CADREEN_REDIS_PREFIX: prefix, ...env };
  const init = runCli(['init', '--json', ...initArgs], all);
  expect(init.status, init.stderr).toBe(0);
  const [a, b] = await Promise.all([startServer(all), startServer(all)]);
  const cluster: Cluster = {
    a,
    b,
    env: all,
    init: JSON.parse(init.stdout),
    async stop() {
      expect(await cluster.a.stop()).toBe(0);
      expect(await cluster.b.stop()).toBe(0);
      await database.drop();
      const redis = new Redis(TEST_REDIS_URL!);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
  return cluster;
}
