import { sql, type Kysely, type Migration } from 'kysely';

/** People: memberships of USER profiles in workspaces, their sessions, and single-use sign-in links. */
export const people: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('memberships')
      .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull().references('workspaces.id'))
      .addColumn('profile_id', 'varchar(64)', (c) => c.notNull().references('profiles.id'))
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('memberships_pk', ['workspace_id', 'profile_id'])
      .execute();
    await db.schema.createIndex('memberships_profile').on('memberships').columns(['profile_id']).execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('hash', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('profile_id', 'varchar(64)', (c) => c.notNull().references('profiles.id'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint')
      .execute();
    await db.schema.createIndex('sessions_profile').on('sessions').columns(['profile_id']).execute();

    await db.schema
      .createTable('sign_in_links')
      .addColumn('hash', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('profile_id', 'varchar(64)', (c) => c.notNull().references('profiles.id'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();

    // The person a member.* event is about.
    await db.schema.alterTable('audit_events').addColumn('subject_profile_id', 'varchar(64)').execute();

    // One person per email in an account (emails are stored lower-cased).
    await sql`create unique index profiles_user_email on profiles (account_id, email) where type = 'PROFILE_TYPE_USER'`.execute(db);

    // Every person already in an account (the one `cadreen init` made) owns its workspaces.
    await sql`
      insert into memberships (workspace_id, profile_id, role, created_at)
      select w.id, p.id, 'owner', w.created_at
      from workspaces w join profiles p on p.account_id = w.account_id
      where p.type = 'PROFILE_TYPE_USER'`.execute(db);
  },
};
