import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyPostgresError } from '../../src/store/postgres-store.js';
import { needs, TEST_DATABASE_URL } from '../support/services.js';
import { freePort } from '../e2e/process.js';
import { postgresStores } from './fixtures.js';
import { describeStoreContract } from './store-contract.js';

describe('PostgreSQL store', needs('postgres'), () => {
  const postgres = postgresStores(30);
  describeStoreContract('postgres', postgres.open, postgres.dispose);

  describe('which errors count as an unavailable store', () => {
    const failureOf = async (query: (client: pg.Client) => Promise<unknown>, url = TEST_DATABASE_URL!) => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
      try {
        await client.connect();
        await query(client);
      } catch (error) {
        return error;
      } finally {
        await client.end().catch(() => undefined);
      }
      throw new Error('expected the query to fail');
    };

    it('calls a protocol violation (too many bind parameters) a bug, not an outage', async () => {
      const values = Array.from({ length: 70_000 }, (_, i) => i);
      const error = await failureOf((client) => client.query(`select count(*) from (values ${values.map((i) => `($${i + 1}::int)`).join(', ')}) as v`, values));
      expect((error as { code?: string }).code).toBe('08P01');
      expect(classifyPostgresError(error)).toBeUndefined();
    });

    it('calls a syntax error or a NUL byte a bug, and a refused connection or a statement timeout unavailable', async () => {
      expect(classifyPostgresError(await failureOf((client) => client.query('selec 1')))).toBeUndefined();
      expect(classifyPostgresError(await failureOf((client) => client.query('select $1::text', ['a\u0000b'])))).toBeUndefined();
      const closed = new URL(TEST_DATABASE_URL!);
      closed.port = String(await freePort());
      expect(classifyPostgresError(await failureOf(() => Promise.resolve(), closed.toString()))).toBe('the store is unreachable');
      const timeout = await failureOf(async (client) => {
        await client.query('set statement_timeout = 50');
        await client.query('select pg_sleep(5)');
      });
      expect(classifyPostgresError(timeout)).toMatch(/busy/);
    });
  });
});
