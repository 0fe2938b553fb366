import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL and Redis servers the backend tests run against, from
 * CADREEN_TEST_DATABASE_URL / CADREEN_TEST_REDIS_URL. Unset, those suites are
 * skipped locally; in CI (`CI=true`) an unset URL is a failure, never a skip.
 */
export const TEST_DATABASE_URL = process.env.CADREEN_TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.CADREEN_TEST_REDIS_URL;

if (process.env.CI === 'true' && (!TEST_DATABASE_URL || !TEST_REDIS_URL)) {
  throw new Error('CI=true needs CADREEN_TEST_DATABASE_URL and CADREEN_TEST_REDIS_URL (see .ci/run)');
}

/** A schema of its own on the test server, and a URL whose connections use it; `drop()` removes it. */
export async function createTestSchema(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `cadreen_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** A Redis key prefix of its own for one test run. */
export const testRedisPrefix = (): string => `cadreen-test:${randomBytes(6).toString('hex')}:`;
