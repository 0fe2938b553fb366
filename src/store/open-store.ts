import { openPostgresStore, type PostgresOptions } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from '../core/ports.js';

/** Opens the store a `CADREEN_DATABASE_URL` names (`sqlite:<path>` or `postgres://…`). */
export async function openStore(databaseUrl: string, postgres: PostgresOptions = {}): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) return openSqliteStore(databaseUrl.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return openPostgresStore(databaseUrl, postgres);
  throw new Error(`unsupported database URL scheme: ${databaseUrl.split(':')[0]}`);
}
