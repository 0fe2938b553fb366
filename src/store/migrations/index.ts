import { Migrator, PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';
import { initial } from './0001-initial.js';
import { workspaceBudget } from './0002-workspace-budget.js';
import { people } from './0003-people.js';
import { keyEvents } from './0004-key-events.js';

/** Every migration, by name; names sort in the order they must run. Append only. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-workspace-budget': workspaceBudget,
  '0003-people': people,
  '0004-key-events': keyEvents,
};

/** Brings the schema up to date; run on every start, by every instance. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  let migrationTableSchema: string | undefined;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Keep the migrator's bookkeeping in the schema the connection works in (search_path), not wherever one exists.
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema;
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
