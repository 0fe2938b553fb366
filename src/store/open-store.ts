import type { Store } from './store.js';
import { openSqliteStore } from './sqlite-store.js';

/** Opens the store a `CADREEN_DATABASE_URL` names (`sqlite:<path>` or `postgres://…`). */
export async function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) return openSqliteStore(databaseUrl.slice('sqlite:'.length));
  throw new Error(`unsupported database URL: ${databaseUrl.split(':')[0]}`);
}
