import { Migrator, type Kysely, type Migration } from 'kysely';
import { initial } from './0001-initial.js';

/** Every migration, by name; names sort in the order they must run. Append only. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
};

/** Brings the schema up to date; run on every start, by every instance. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
