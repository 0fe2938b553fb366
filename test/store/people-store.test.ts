import { describe } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { needs } from '../support/services.js';
import { postgresStores } from './fixtures.js';
import { describePeopleContract } from './people-contract.js';

describePeopleContract('sqlite (in memory)', () => openSqliteStore(':memory:'));

describe('PostgreSQL', needs('postgres'), () => {
  const postgres = postgresStores();
  describePeopleContract('postgres', postgres.open, postgres.dispose);
});
