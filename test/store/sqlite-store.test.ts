import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite (in memory)', () => openSqliteStore(':memory:'));

describe('SQLite store on disk', () => {
  it('creates its directory, uses WAL and applies migrations once across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadreen-sqlite-'));
    try {
      const path = join(dir, 'nested', 'cadreen.db');
      const first = await openSqliteStore(path);
      const secret = await first.secret('cursor');
      await first.close();
      const second = await openSqliteStore(path);
      expect(await second.secret('cursor')).toBe(secret);
      await second.close();
      const raw = new BetterSqlite3(path, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const migrations = raw.prepare('select count(*) as n from kysely_migration').get() as { n: number };
      expect(migrations.n).toBe(2);
      raw.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
