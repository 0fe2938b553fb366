import { describe } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { needs } from '../support/services.js';
import { postgresStores } from './fixtures.js';
import { describeKeyEventContract } from './key-events-contract.js';

describeKeyEventContract('sqlite (in memory)', () => openSqliteStore(':memory:'));

describe('PostgreSQL', needs('postgres'), () => {
  const postgres = postgresStores();
  describeKeyEventContract('postgres', postgres.open, postgres.dispose);
});
