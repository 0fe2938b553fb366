import { PostgresAdapter, type Kysely, type Migration } from 'kysely';

/**
 * The outbox of key and workspace changes that embedded verifiers follow:
 * ids increase across the deployment, written in the transaction of the change.
 */
export const keyEvents: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('key_events')
      .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .addColumn('key_id', 'varchar(64)')
      .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('key_events_created_at').on('key_events').columns(['created_at']).execute();
    await db.schema.createIndex('key_events_key').on('key_events').columns(['key_id', 'type']).execute();
    // The sweep that announces expiries reads keys by expiry time.
    await db.schema.createIndex('api_keys_expires_at').on('api_keys').columns(['expires_at']).execute();
  },
};
