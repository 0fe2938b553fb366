import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { AuditEvent, KeyEvent, KeyEventType, Millis } from '../core/model.js';
import type { Database } from './schema.js';
import type { StoreRunner } from './sql-people.js';

/** The settings row that remembers the highest id pruned, so a client resuming from before it is told to reset. */
const PRUNED_THROUGH = 'key_events.pruned_through';

/** Which audited changes verifiers must hear about. */
const OUTBOX_TYPE: Partial<Record<AuditEvent['type'], KeyEventType>> = {
  'key.revoked': 'key.revoked',
  'key.rotated': 'key.rotated',
  'key.updated': 'key.updated',
  'workspace.updated': 'workspace.updated',
};

/**
 * Appends the outbox row of an audited change inside its transaction. On
 * PostgreSQL the table is locked against other appenders until commit, so
 * ids become visible in the order they were given (a reader that has seen id
 * n never later finds a smaller one); SQLite serialises writers already.
 */
export async function appendKeyEvent(trx: Transaction<Database>, event: AuditEvent): Promise<void> {
  const type = OUTBOX_TYPE[event.type];
  if (!type) return;
  await lockForAppend(trx);
  await trx
    .insertInto('key_events')
    .values({ type, key_id: type === 'workspace.updated' ? null : event.keyId, workspace_id: event.workspaceId, created_at: event.createdAt })
    .execute();
}

/** Holds other appenders off until this transaction ends (PostgreSQL; SQLite has one writer anyway). */
async function lockForAppend(trx: Transaction<Database>): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) await sql`lock table key_events in share row exclusive mode`.execute(trx);
}

/** Reading and pruning the outbox. */
export class SqlOutbox {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly run: StoreRunner,
  ) {}

  listKeyEvents(after: number, limit: number): Promise<KeyEvent[]> {
    return this.run(async () => {
      const rows = await this.db.selectFrom('key_events').selectAll().where('id', '>', after).orderBy('id', 'asc').limit(limit).execute();
      return rows.map((row) => ({
        id: Number(row.id),
        type: row.type as KeyEventType,
        keyId: row.key_id,
        workspaceId: row.workspace_id,
        createdAt: Number(row.created_at),
      }));
    });
  }

  keyEventBounds(): Promise<{ latest: number; prunedThrough: number }> {
    return this.run(async () => {
      const [latest, pruned] = await Promise.all([
        this.db.selectFrom('key_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst(),
        this.db.selectFrom('settings').select('value').where('name', '=', PRUNED_THROUGH).executeTakeFirst(),
      ]);
      const prunedThrough = pruned ? Number(pruned.value) : 0;
      return { latest: Math.max(Number(latest?.id ?? 0), prunedThrough), prunedThrough };
    });
  }

  recordExpiries(from: Millis, to: Millis): Promise<number> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        await lockForAppend(trx);
        const expired = await trx
          .selectFrom('api_keys')
          .select(['id', 'workspace_id', 'expires_at'])
          .where('expires_at', '>', from)
          .where('expires_at', '<=', to)
          .where('state', '!=', 'revoked')
          .where((eb) =>
            eb.not(eb.exists(eb.selectFrom('key_events').select('key_events.id').whereRef('key_events.key_id', '=', 'api_keys.id').where('key_events.type', '=', 'key.expired'))),
          )
          .orderBy('expires_at')
          .limit(1000)
          .execute();
        if (expired.length === 0) return 0;
        await trx
          .insertInto('key_events')
          .values(expired.map((row) => ({ type: 'key.expired', key_id: row.id, workspace_id: row.workspace_id, created_at: Number(row.expires_at) })))
          .execute();
        return expired.length;
      }),
    );
  }

  pruneKeyEvents(before: Millis): Promise<number> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        const highest = await trx.selectFrom('key_events').select((eb) => eb.fn.max('id').as('id')).where('created_at', '<', before).executeTakeFirst();
        const through = Number(highest?.id ?? 0);
        if (through === 0) return 0;
        const deleted = await trx.deleteFrom('key_events').where('id', '<=', through).executeTakeFirst();
        await trx
          .insertInto('settings')
          .values({ name: PRUNED_THROUGH, value: String(through) })
          .onConflict((oc) => oc.column('name').doUpdateSet({ value: String(through) }))
          .execute();
        return Number(deleted.numDeletedRows);
      }),
    );
  }
}
