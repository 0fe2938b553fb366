import { describe } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/services.js';
import { describeStoreContract } from './store-contract.js';

const drops = new Map<Store, () => Promise<void>>();

describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL store', () => {
  describeStoreContract(
    'postgres',
    async () => {
      const schema = await createTestSchema(TEST_DATABASE_URL!);
      const store = await openPostgresStore(schema.url, { poolSize: 30 });
      drops.set(store, schema.drop);
      return store;
    },
    async (store) => {
      await store.close();
      await drops.get(store)?.();
      drops.delete(store);
    },
  );
});
