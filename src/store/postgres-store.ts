import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations/index.js';
import type { Database } from './schema.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface PostgresOptions {
  /** Connections per instance (default 10). */
  poolSize?: number;
  /** Longest wait for a connection or a query before the store counts as unreachable (default 5000 ms). */
  timeoutMs?: number;
  onPoolError?: (error: Error) => void;
}

/** Network errors, server shutdown and "cannot connect now" classes of SQLSTATE (08, 53, 57P). */
function isUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (/^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)/.test(code)) return true;
    if (/^(08|53|57P)/.test(code)) return true;
  }
  return (
    typeof message === 'string' &&
    /(Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/i.test(message)
  );
}

/**
 * Opens the PostgreSQL store at `url` (`postgres://user@host:5432/db`) with a
 * connection pool and applies migrations; concurrent instances starting
 * together are serialised by the migrator's lock.
 */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onPoolError?.(error));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new SqlStore(db, isUnavailable);
}
