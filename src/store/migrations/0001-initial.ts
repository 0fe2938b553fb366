import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/** Accounts, profiles, workspaces, keys, audit events and settings. */
export const initial: Migration = {
  async up(db: Kysely<any>) {
    // Name-prefix filters compare byte-wise ranges; PostgreSQL must not apply a locale's collation to them.
    const bytewise = db.getExecutor().adapter instanceof PostgresAdapter ? sql`collate "C"` : sql``;
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('system_profile_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('profiles')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(64)', (c) => c.notNull().references('accounts.id'))
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)')
      .addColumn('email', 'varchar(320)')
      .addColumn('created_by', 'varchar(64)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('profiles_account').on('profiles').columns(['account_id']).execute();

    await db.schema
      .createTable('workspaces')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(64)', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('rate_limit', 'integer')
      .addColumn('rate_limit_window_seconds', 'integer')
      .addColumn('keys_active', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('keys_rotating', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('keys_revoked', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull().references('workspaces.id'))
      .addColumn('account_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('actor_profile_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().modifyEnd(bytewise))
      .addColumn('description', 'text')
      .addColumn('labels', 'text')
      .addColumn('external_id', 'varchar(255)')
      .addColumn('hash', 'varchar(128)', (c) => c.notNull())
      .addColumn('start', 'varchar(64)', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('rotated_from', 'varchar(64)')
      .addColumn('rotated_to', 'varchar(64)')
      .addColumn('grace_until', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_keys_hash').unique().on('api_keys').columns(['hash']).execute();
    await db.schema.createIndex('api_keys_workspace_id').on('api_keys').columns(['workspace_id', 'id']).execute();
    await db.schema
      .createIndex('api_keys_workspace_state_id')
      .on('api_keys')
      .columns(['workspace_id', 'state', 'id'])
      .execute();
    await db.schema.createIndex('api_keys_workspace_name').on('api_keys').columns(['workspace_id', 'name']).execute();
    await db.schema
      .createIndex('api_keys_workspace_expiry')
      .on('api_keys')
      .columns(['workspace_id', 'expires_at'])
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .addColumn('actor_profile_id', 'varchar(64)')
      .addColumn('key_id', 'varchar(64)')
      .addColumn('code', 'varchar(64)')
      .addColumn('ip', 'varchar(64)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_events_workspace_id')
      .on('audit_events')
      .columns(['workspace_id', 'id'])
      .execute();
    await db.schema
      .createIndex('audit_events_workspace_type_id')
      .on('audit_events')
      .columns(['workspace_id', 'type', 'id'])
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
