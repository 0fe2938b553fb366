import { describe } from 'vitest';
import type { Store } from '../../src/core/ports.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { createTestDatabase, needs, TEST_DATABASE_URL } from '../support/services.js';
import { describeKeyEventContract } from './key-events-contract.js';

describeKeyEventContract('sqlite (in memory)', () => openSqliteStore(':memory:'));

const drops = new Map<Store, () => Promise<void>>();
describe('PostgreSQL', needs('postgres'), () => {
  describeKeyEventContract(
    'postgres',
    async () => {
      const database = await createTestDatabase(TEST_DATABASE_URL!);
      const store = await openPostgresStore(database.url, { poolSize: 10 });
      drops.set(store, database.drop);
      return store;
    },
    async (store) => {
      await store.close();
      await drops.get(store)?.();
      drops.delete(store);
    },
  );
});
