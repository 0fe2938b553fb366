import { closeSync, constants, existsSync, mkdirSync, openSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { StoreUnavailableError } from '../core/errors.js';
import { migrateToLatest } from './migrations/index.js';
import type { Database } from './schema.js';
import { SqlStore, type UnavailableClassifier } from './sql-store.js';
import type { Store } from '../core/ports.js';

/**
 * The longest a statement waits for a lock held by another connection. The
 * wait is synchronous (better-sqlite3), so it blocks the event loop: kept well
 * under DESIGN's 100 ms; a write that cannot get the lock in time fails with
 * SQLITE_BUSY and is answered 503.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 80;

/** How often the checkpointer copies the write-ahead log into the database file. */
const CHECKPOINT_INTERVAL_MS = 100;
/**
 * WAL pages (4 KiB) after which the serving connection checkpoints by itself:
 * a safety net only, should the checkpointer fall behind or be gone.
 */
const FALLBACK_AUTOCHECKPOINT_PAGES = 100_000;
/** The WAL file is truncated back to this size after it has been reset. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** SQLite result codes (and their extended forms) that mean the files cannot be used right now, not that a query is wrong. */
const UNAVAILABLE: [prefix: string, message: string][] = [
  ['SQLITE_BUSY', 'the store is busy: a lock is held elsewhere'],
  ['SQLITE_LOCKED', 'the store is busy: a lock is held elsewhere'],
  ['SQLITE_FULL', 'the store is out of disk space'],
  ['SQLITE_IOERR', 'the store cannot read or write its files'],
  ['SQLITE_CANTOPEN', 'the store cannot open its files'],
  ['SQLITE_READONLY', 'the store is read-only'],
];

const classify: UnavailableClassifier = (error) => {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  return UNAVAILABLE.find(([prefix]) => code.startsWith(prefix))?.[1];
};

/**
 * Kysely's SQLite driver with two changes. Transactions begin IMMEDIATE, so a
 * transaction takes the write lock (or fails within the busy timeout) before
 * doing anything, instead of failing half-way. And ROLLBACK is skipped when
 * SQLite has already rolled the transaction back itself (it does so after
 * SQLITE_FULL, SQLITE_IOERR and some SQLITE_BUSY): Kysely's ROLLBACK would
 * otherwise throw "cannot rollback - no transaction is active" and hide the
 * error that matters.
 */
class SqliteStoreDriver extends SqliteDriver {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.database.inTransaction) return;
    await super.rollbackTransaction(connection);
  }
}

class SqliteStoreDialect extends SqliteDialect {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database });
  }

  override createDriver(): Driver {
    return new SqliteStoreDriver(this.database);
  }
}

/**
 * The checkpointer's thread: its own connection, copying the write-ahead log
 * into the database file every CHECKPOINT_INTERVAL_MS (PASSIVE: it never
 * waits for or blocks the serving connection's writers). Failures (a full
 * disk) are retried on the next tick; `close` closes the connection and ends
 * the thread.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Starts the checkpointer. Checkpoints write a thousand pages and fsync both
 * files: on the serving thread they stalled the event loop for up to 100 ms
 * while last-use times were written, so they run on a thread of their own.
 */
function startCheckpointer(path: string): () => Promise<void> {
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path, intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  worker.unref();
  // A checkpointer that cannot run leaves the serving connection's own autocheckpoint in charge.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return async () => {
    // Waiting for the thread must keep the process alive until it has closed its connection.
    worker.ref();
    worker.postMessage('close');
    await exited;
  };
}

/** Below this much free space in the database's file system, the store is not ready for writes. */
const MIN_FREE_BYTES = 1024 * 1024;

/**
 * On a full disk a probe write can still succeed (rewriting one small row in
 * a write-ahead log that is reused needs no new space) while every real write
 * fails, so readiness asks the file system how much room is left.
 */
function checkFreeSpace(path: string): void {
  let free: number;
  try {
    const stats = statfsSync(dirname(path));
    free = Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return; // No answer from the file system: the probe write decides.
  }
  if (free < MIN_FREE_BYTES) throw new StoreUnavailableError('the store is out of disk space');
}

/**
 * Creates the directory (0700) and the database file (0600) when they do not
 * exist; SQLite gives the `-wal` and `-shm` files the database file's mode.
 * Opening the file for writing also tells at once whether it can be written.
 */
function prepareFile(path: string): void {
  const directory = dirname(path);
  if (!existsSync(directory)) mkdirSync(directory, { recursive: true, mode: 0o700 });
  closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600));
}

/**
 * Opens (creating if needed) the embedded SQLite store at `path`, or an
 * in-memory one for `:memory:`, in WAL mode, and applies migrations. A path
 * that cannot be created, opened or written stops here with an error naming
 * it.
 */
export async function openSqliteStore(path: string): Promise<Store> {
  let database: BetterSqlite3.Database | undefined;
  let db: Kysely<Database> | undefined;
  let stopCheckpointer: (() => Promise<void>) | undefined;
  try {
    if (path !== ':memory:') prepareFile(path);
    database = new BetterSqlite3(path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    database.pragma('foreign_keys = ON');
    // Start-up serves no request yet: let migrations wait for another instance's migrations.
    database.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteStoreDialect(database) });
    await migrateToLatest(db);
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (path !== ':memory:') {
      database.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      stopCheckpointer = startCheckpointer(path);
    }
  } catch (error) {
    if (db) await db.destroy().catch(() => undefined);
    else database?.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open the database at ${path}: ${reason}`, { cause: error });
  }
  // The checkpointer's connection closes first, so the serving connection is the last one and removes the WAL on close.
  return new SqlStore(db, classify, stopCheckpointer, path === ':memory:' ? undefined : () => checkFreeSpace(path));
}
