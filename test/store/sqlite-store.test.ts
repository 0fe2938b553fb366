import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/core/ports.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite (in memory)', () => openSqliteStore(':memory:'));

describe('SQLite store on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-sqlite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const mode = (path: string) => statSync(path).mode & 0o777;

  it('creates its directory, uses WAL and applies migrations once across restarts', async () => {
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
    expect(migrations.n).toBe(4);
    raw.close();
  });

  it('creates the database and its WAL files readable by the owner only, in a directory only the owner can enter', async () => {
    const path = join(dir, 'data', 'cadreen.db');
    const store = await openSqliteStore(path);
    await store.secret('cursor');
    try {
      expect(mode(join(dir, 'data'))).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect([file, mode(file)]).toEqual([file, 0o600]);
    } finally {
      await store.close();
    }
  });

  it('leaves no WAL behind once closed: every connection it opened is closed', async () => {
    const path = join(dir, 'cadreen.db');
    const store = await openSqliteStore(path);
    await store.insertAuditEvents([
      { id: 'evt_1', workspaceId: 'ws_1', type: 'auth.refused', actorProfileId: null, keyId: null, code: 'auth_invalid', ip: null, createdAt: Date.now() },
    ]);
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses to open a database it cannot create, naming the path', async () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, '');
    const path = join(blocker, 'cadreen.db');
    const failure = await openSqliteStore(path).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain(path);
  });

  describe('while another connection holds the write lock', () => {
    let path: string;
    let store: Store;
    let other: BetterSqlite3.Database;

    beforeEach(async () => {
      path = join(dir, 'cadreen.db');
      store = await openSqliteStore(path);
      await store.secret('cursor');
      other = new BetterSqlite3(path);
      other.exec('begin immediate');
    });

    afterEach(async () => {
      if (other.inTransaction) other.exec('rollback');
      other.close();
      await store.close();
    });

    it('fails writes fast as unavailable, keeps answering reads, and writes again once the lock is gone', async () => {
      await expect(store.probeWrite()).rejects.toBeInstanceOf(StoreUnavailableError);
      const event = { id: 'evt_1', workspaceId: 'ws_1', type: 'auth.refused' as const, actorProfileId: null, keyId: null, code: 'auth_invalid', ip: null, createdAt: Date.now() };
      await expect(store.insertAuditEvents([event])).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.touchKeys(new Map([['key_1', Date.now()]]))).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await store.findKeyByHash('unknown')).toBeUndefined();
      expect(await store.countWorkspaces()).toBe(0);

      other.exec('rollback');
      await expect(store.probeWrite()).resolves.toBeUndefined();
      await store.insertAuditEvents([event]);
      expect(await store.listAuditEvents({ workspaceId: 'ws_1' }, { order: 'asc', after: null, limit: 10 })).toHaveLength(1);
    });
  });
});
