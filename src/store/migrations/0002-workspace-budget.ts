import type { Kysely, Migration } from 'kysely';

/** The budget all keys of a workspace share (null: the deployment default). */
export const workspaceBudget: Migration = {
  async up(db: Kysely<any>) {
    // SQLite takes one column per ALTER TABLE.
    await db.schema.alterTable('workspaces').addColumn('workspace_rate_limit', 'integer').execute();
    await db.schema.alterTable('workspaces').addColumn('workspace_rate_limit_window_seconds', 'integer').execute();
  },
};
