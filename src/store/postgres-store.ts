import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations/index.js';
import type { Database } from './schema.js';
import { SqlStore, type UnavailableClassifier } from './sql-store.js';
import type { Store } from '../core/ports.js';

export interface PostgresOptions {
  /** Connections per instance (default 10). */
  poolSize?: number;
  /** Longest wait for a connection or a query before the store counts as unreachable (default 5000 ms). */
  timeoutMs?: number;
  onPoolError?: (error: Error) => void;
}

const UNREACHABLE = 'the store is unreachable';

/**
 * SQLSTATEs that mean the server cannot serve us right now. Of class 08 only
 * the connection failures: 08P01 (protocol_violation, e.g. too many bind
 * parameters) is a bug in the query, not an outage.
 */
const UNAVAILABLE_SQLSTATE: Record<string, string> = {
  '08000': UNREACHABLE, // connection_exception
  '08001': UNREACHABLE, // sqlclient_unable_to_establish_sqlconnection
  '08003': UNREACHABLE, // connection_does_not_exist
  '08004': UNREACHABLE, // sqlserver_rejected_establishment_of_sqlconnection
  '08006': UNREACHABLE, // connection_failure
  '08007': UNREACHABLE, // transaction_resolution_unknown (connection lost during commit)
  '53100': 'the store is out of disk space', // disk_full
  '55P03': 'the store is busy: a lock is held elsewhere', // lock_not_available
  '57014': 'the store is busy: a statement timed out', // query_canceled (statement_timeout)
  '40001': 'the store is busy: conflicting transactions', // serialization_failure
  '40P01': 'the store is busy: conflicting transactions', // deadlock_detected
};

/** Network errors, connection failures, server shutdown, exhausted resources, lock and statement timeouts. */
export const classifyPostgresError: UnavailableClassifier = (error) => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (/^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)/.test(code)) return UNREACHABLE;
    const known = UNAVAILABLE_SQLSTATE[code];
    if (known) return known;
    // insufficient_resources (too many connections, out of memory), operator_intervention (shutdown, cannot connect now)
    if (/^53/.test(code)) return 'the store is out of resources';
    if (/^57P/.test(code)) return UNREACHABLE;
  }
  if (
    typeof message === 'string' &&
    /(Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/i.test(message)
  ) {
    return UNREACHABLE;
  }
  return undefined;
};

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
  return new SqlStore(db, classifyPostgresError);
}
