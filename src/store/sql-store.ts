import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import { StoreUnavailableError } from '../core/errors.js';
import type {
  Account,
  ApiKey,
  AuditEvent,
  AuditEventType,
  KeyState,
  Millis,
  Profile,
  Workspace,
} from '../core/model.js';
import type { ApiKeysTable, Database, WorkspacesTable } from './schema.js';
import { SqlPeopleStore } from './sql-people.js';
import { appendKeyEvent, SqlOutbox } from './sql-outbox.js';
import { fromKey, limitColumns, policyOf, toAccount, toAuditEvent, toEventRow, toKey, toProfile, toProfileRow, toWorkspace } from './rows.js';
import type {
  KeyChanges,
  KeyFilter,
  KeyQuota,
  KeyWithPolicy,
  PageQuery,
  RotateKeyInput,
  KeyEventStore,
  PeopleStore,
  RotateKeyResult,
  Store,
  WorkspaceChanges,
} from '../core/ports.js';

/**
 * Tells whether a driver error means "the database cannot serve us now"
 * (unreachable, out of space, read-only, a lock held elsewhere) rather than a
 * bug: answers a short description for StoreUnavailableError, or undefined.
 */
export type UnavailableClassifier = (error: unknown) => string | undefined;

/** Rows per INSERT of audit events: far below every parameter limit (8 parameters a row). */
export const AUDIT_CHUNK_ROWS = 500;
/**
 * Last-use times per UPDATE. Measured on SQLite with a million keys stored
 * (and checkpoints on their own thread): 100 rows take ~1.5 ms, at most
 * ~10 ms when the disk is slow; the event loop runs between chunks.
 */
export const TOUCH_CHUNK_ROWS = 100;
/** Thrown inside `insertKey`'s transaction to roll it back when the quota is reached. */
const QUOTA_EXCEEDED = Symbol('quota exceeded');
/** The settings row `probeWrite` rewrites. */
const PROBE_SETTING = 'probe.write';

/** The highest code point: `p <= name < p + MAX_CHAR` holds exactly for names starting with p. */
const MAX_CHAR = '\u{10FFFF}';
const COUNTER_OF: Record<KeyState, 'keys_active' | 'keys_rotating' | 'keys_revoked'> = {
  active: 'keys_active',
  rotating: 'keys_rotating',
  revoked: 'keys_revoked',
};

/** Up to `size` more items of an iterator. */
function take<T>(iterator: Iterator<T>, size: number): T[] {
  const taken: T[] = [];
  while (taken.length < size) {
    const next = iterator.next();
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

/**
 * The Store over any SQL database Kysely speaks. Backends differ only in how
 * they open the connection and recognise an unreachable database; see
 * `sqlite-store.ts` and `postgres-store.ts`.
 */
export class SqlStore implements Store {
  private readonly people: SqlPeopleStore;
  private readonly outbox: SqlOutbox;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly isUnavailable: UnavailableClassifier,
    /** Stops what the backend runs beside the connection (SQLite's checkpointer); called before the connection closes. */
    private readonly beforeClose?: () => Promise<void>,
    /** What the backend checks before a probe write; throws StoreUnavailableError when writes cannot succeed. */
    private readonly beforeProbe?: () => void,
  ) {
    this.people = new SqlPeopleStore(db, (operation) => this.run(operation));
    this.outbox = new SqlOutbox(db, (operation) => this.run(operation));
  }

  // The outbox lives in its own module (sql-outbox.ts).
  listKeyEvents: KeyEventStore['listKeyEvents'] = (...args) => this.outbox.listKeyEvents(...args);
  keyEventBounds: KeyEventStore['keyEventBounds'] = (...args) => this.outbox.keyEventBounds(...args);
  pruneKeyEvents: KeyEventStore['pruneKeyEvents'] = (...args) => this.outbox.pruneKeyEvents(...args);
  recordExpiries: KeyEventStore['recordExpiries'] = (...args) => this.outbox.recordExpiries(...args);

  // People live in their own module (sql-people.ts).
  findUsersByEmail: PeopleStore['findUsersByEmail'] = (...args) => this.people.findUsersByEmail(...args);
  insertUser: PeopleStore['insertUser'] = (...args) => this.people.insertUser(...args);
  findMembership: PeopleStore['findMembership'] = (...args) => this.people.findMembership(...args);
  listMembers: PeopleStore['listMembers'] = (...args) => this.people.listMembers(...args);
  listMembershipsOf: PeopleStore['listMembershipsOf'] = (...args) => this.people.listMembershipsOf(...args);
  addMember: PeopleStore['addMember'] = (...args) => this.people.addMember(...args);
  changeMemberRole: PeopleStore['changeMemberRole'] = (...args) => this.people.changeMemberRole(...args);
  removeMember: PeopleStore['removeMember'] = (...args) => this.people.removeMember(...args);
  insertSession: PeopleStore['insertSession'] = (...args) => this.people.insertSession(...args);
  findSessionByHash: PeopleStore['findSessionByHash'] = (...args) => this.people.findSessionByHash(...args);
  touchSession: PeopleStore['touchSession'] = (...args) => this.people.touchSession(...args);
  endSession: PeopleStore['endSession'] = (...args) => this.people.endSession(...args);
  insertSignInLink: PeopleStore['insertSignInLink'] = (...args) => this.people.insertSignInLink(...args);
  redeemSignInLink: PeopleStore['redeemSignInLink'] = (...args) => this.people.redeemSignInLink(...args);

  /** Runs a store operation, turning "cannot serve now" failures into StoreUnavailableError. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      return await operation();
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      const unavailable = this.isUnavailable(error);
      if (unavailable !== undefined) throw new StoreUnavailableError(unavailable, { cause: error });
      throw error;
    }
  }

  async ping(): Promise<void> {
    await this.run(() => sql`select 1`.execute(this.db));
  }

  async probeWrite(): Promise<void> {
    this.beforeProbe?.();
    await this.run(() =>
      this.db
        .insertInto('settings')
        .values({ name: PROBE_SETTING, value: String(Date.now()) })
        .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .execute(),
    );
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.beforeClose?.();
    await this.db.destroy();
  }

  secret(name: string): Promise<string> {
    return this.run(async () => {
      await this.db
        .insertInto('settings')
        .values({ name, value: randomBytes(32).toString('base64url') })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
      return row.value;
    });
  }

  insertAccount(account: Account, profiles: Profile[]): Promise<void> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('accounts')
          .values({
            id: account.id,
            name: account.name,
            system_profile_id: account.systemProfileId,
            created_at: account.createdAt,
          })
          .execute();
        if (profiles.length > 0) await trx.insertInto('profiles').values(profiles.map(toProfileRow)).execute();
      }),
    );
  }

  listAccounts(limit: number): Promise<Account[]> {
    return this.run(async () => {
      const rows = await this.db.selectFrom('accounts').selectAll().orderBy('id').limit(limit).execute();
      return rows.map(toAccount);
    });
  }

  findAccount(id: string): Promise<Account | undefined> {
    return this.run(async () => {
      const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAccount(row);
    });
  }

  findProfile(id: string): Promise<Profile | undefined> {
    return this.run(async () => {
      const row = await this.db.selectFrom('profiles').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toProfile(row);
    });
  }

  findProfiles(ids: readonly string[]): Promise<Profile[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.run(async () => {
      const rows = await this.db.selectFrom('profiles').selectAll().where('id', 'in', [...ids]).execute();
      return rows.map(toProfile);
    });
  }

  insertWorkspace(workspace: Workspace, event: AuditEvent): Promise<void> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('workspaces')
          .values({
            id: workspace.id,
            account_id: workspace.accountId,
            name: workspace.name,
            ...limitColumns(workspace),
            created_at: workspace.createdAt,
          })
          .execute();
        await trx.insertInto('audit_events').values(toEventRow(event)).execute();
      }),
    );
  }

  findWorkspace(id: string): Promise<Workspace | undefined> {
    return this.run(async () => {
      const row = await this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toWorkspace(row);
    });
  }

  listWorkspaces(page: PageQuery): Promise<Workspace[]> {
    return this.run(async () => {
      let query = this.db.selectFrom('workspaces').selectAll();
      if (page.after !== null) query = query.where('id', page.order === 'asc' ? '>' : '<', page.after);
      const rows = await query.orderBy('id', page.order).limit(page.limit).execute();
      return rows.map(toWorkspace);
    });
  }

  countWorkspaces(): Promise<number> {
    return this.run(async () => {
      const row = await this.db
        .selectFrom('workspaces')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  updateWorkspace(id: string, changes: WorkspaceChanges, event: AuditEvent): Promise<Workspace | undefined> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        const values: Updateable<WorkspacesTable> = {};
        if (changes.name !== undefined) values.name = changes.name;
        Object.assign(values, limitColumns(changes));
        if (Object.keys(values).length > 0) await trx.updateTable('workspaces').set(values).where('id', '=', id).execute();
        const row = await trx.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return undefined;
        await trx.insertInto('audit_events').values(toEventRow(event)).execute();
        await appendKeyEvent(trx, event);
        return toWorkspace(row);
      }),
    );
  }

  async insertKey(key: ApiKey, profile: Profile, event: AuditEvent, quota: KeyQuota): Promise<'inserted' | 'quota_exceeded'> {
    try {
      return await this.run(() =>
        this.db.transaction().execute(async (trx) => {
          await this.insertKeyRows(trx, key, profile, event);
          if (key.state === 'revoked') {
            await this.adjustCounters(trx, key.workspaceId, undefined, 'revoked');
            return 'inserted' as const;
          }
          // The conditional update of the counter row is the lock: concurrent inserts queue on it and re-check.
          // It comes last so the row stays locked only until commit, as with any other counter change.
          const counter = COUNTER_OF[key.state];
          const counted = await trx
            .updateTable('workspaces')
            .set((eb) => ({ [counter]: eb(counter, '+', 1) }) as Record<string, unknown>)
            .where('id', '=', key.workspaceId)
            .where(sql<boolean>`keys_active + keys_rotating < ${quota.maxKeys}`)
            .executeTakeFirst();
          // The key's foreign key proved the workspace exists: no row updated means no room.
          if (Number(counted.numUpdatedRows) === 0) throw QUOTA_EXCEEDED;
          return 'inserted' as const;
        }),
      );
    } catch (error) {
      if (error === QUOTA_EXCEEDED) return 'quota_exceeded';
      throw error;
    }
  }

  /** The rows of a new key, without its counter. */
  private async insertKeyRows(trx: Transaction<Database>, key: ApiKey, profile: Profile, event: AuditEvent) {
    await trx.insertInto('profiles').values(toProfileRow(profile)).execute();
    await trx.insertInto('api_keys').values(fromKey(key)).execute();
    await trx.insertInto('audit_events').values(toEventRow(event)).execute();
  }

  /** Moves one key from state `from` to state `to` in the workspace's counters. */
  private async adjustCounters(trx: Transaction<Database>, workspaceId: string, from?: KeyState, to?: KeyState) {
    if (from === to) return;
    await trx
      .updateTable('workspaces')
      .set((eb) => {
        const set: Record<string, unknown> = {};
        if (from) set[COUNTER_OF[from]] = eb(COUNTER_OF[from], '-', 1);
        if (to) set[COUNTER_OF[to]] = eb(COUNTER_OF[to], '+', 1);
        return set;
      })
      .where('id', '=', workspaceId)
      .execute();
  }

  findKeyByHash(hash: string): Promise<KeyWithPolicy | undefined> {
    return this.findKeyWithPolicy('api_keys.hash', hash);
  }

  findKeyById(id: string): Promise<KeyWithPolicy | undefined> {
    return this.findKeyWithPolicy('api_keys.id', id);
  }

  private findKeyWithPolicy(column: 'api_keys.hash' | 'api_keys.id', value: string): Promise<KeyWithPolicy | undefined> {
    return this.run(async () => {
      const row = await this.db
        .selectFrom('api_keys')
        .innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
        .selectAll('api_keys')
        .select([
          'workspaces.rate_limit as ws_rate_limit',
          'workspaces.rate_limit_window_seconds as ws_window',
          'workspaces.workspace_rate_limit as ws_budget',
          'workspaces.workspace_rate_limit_window_seconds as ws_budget_window',
        ])
        .where(column, '=', value)
        .executeTakeFirst();
      return (
        row && {
          key: toKey(row),
          rateLimit: policyOf(row.ws_rate_limit, row.ws_window),
          workspaceRateLimit: policyOf(row.ws_budget, row.ws_budget_window),
        }
      );
    });
  }

  findKey(workspaceId: string, id: string): Promise<ApiKey | undefined> {
    return this.run(async () => {
      const row = await this.db
        .selectFrom('api_keys')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toKey(row);
    });
  }

  /** Keys matching a filter; statuses as `keyStatus` decides them (expiry wins over every state but revoked). */
  private filteredKeys(filter: KeyFilter) {
    let query = this.db.selectFrom('api_keys').where('workspace_id', '=', filter.workspaceId);
    switch (filter.status) {
      case undefined:
        break;
      case 'active':
      case 'rotating':
        query = query
          .where('state', '=', filter.status)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', filter.now)]));
        break;
      case 'expired':
        query = query.where('state', 'in', ['active', 'rotating']).where('expires_at', '<=', filter.now);
        break;
      case 'revoked':
        query = query.where('state', '=', 'revoked');
        break;
    }
    if (filter.namePrefix) {
      query = query.where('name', '>=', filter.namePrefix).where('name', '<', filter.namePrefix + MAX_CHAR);
    }
    return query;
  }

  listKeys(filter: KeyFilter, page: PageQuery): Promise<ApiKey[]> {
    return this.run(async () => {
      let query = this.filteredKeys(filter).selectAll();
      if (page.after !== null) query = query.where('id', page.order === 'asc' ? '>' : '<', page.after);
      const rows = await query.orderBy('id', page.order).limit(page.limit).execute();
      return rows.map(toKey);
    });
  }

  countKeys(filter: KeyFilter): Promise<number> {
    return this.run(async () => {
      const countRows = async (f: KeyFilter) => {
        const row = await this.filteredKeys(f)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      };
      // A name filter needs a range scan; every other filter is answered from the counters.
      if (filter.namePrefix) return countRows(filter);
      const ws = await this.db
        .selectFrom('workspaces')
        .select(['keys_active', 'keys_rotating', 'keys_revoked'])
        .where('id', '=', filter.workspaceId)
        .executeTakeFirst();
      if (!ws) return 0;
      // Past-expiry keys are counted with an index range scan on (workspace_id, expires_at).
      const expiredIn = async (state: 'active' | 'rotating') => {
        const row = await this.db
          .selectFrom('api_keys')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', filter.workspaceId)
          .where('expires_at', '<=', filter.now)
          .where('state', '=', state)
          .executeTakeFirstOrThrow();
        return Number(row.n);
      };
      switch (filter.status) {
        case undefined:
          return Number(ws.keys_active) + Number(ws.keys_rotating) + Number(ws.keys_revoked);
        case 'active':
        case 'rotating':
          return Number(filter.status === 'active' ? ws.keys_active : ws.keys_rotating) - (await expiredIn(filter.status));
        case 'revoked':
          return Number(ws.keys_revoked);
        case 'expired':
          return countRows(filter);
      }
    });
  }

  updateKey(workspaceId: string, id: string, changes: KeyChanges, event: AuditEvent): Promise<ApiKey | undefined> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        const values: Partial<ApiKeysTable> = {};
        if (changes.name !== undefined) values.name = changes.name;
        if (changes.description !== undefined) values.description = changes.description;
        if (changes.labels !== undefined) values.labels = changes.labels === null ? null : JSON.stringify(changes.labels);
        if (changes.externalId !== undefined) values.external_id = changes.externalId;
        if (changes.expiresAt !== undefined) values.expires_at = changes.expiresAt;
        if (Object.keys(values).length > 0) {
          await trx.updateTable('api_keys').set(values).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
        }
        const row = await trx
          .selectFrom('api_keys')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .executeTakeFirst();
        if (!row) return undefined;
        await trx.insertInto('audit_events').values(toEventRow(event)).execute();
        await appendKeyEvent(trx, event);
        return toKey(row);
      }),
    );
  }

  rotateKey(input: RotateKeyInput): Promise<RotateKeyResult> {
    const now = input.newKey.createdAt;
    return this.run(() =>
      this.db.transaction().execute(async (trx): Promise<RotateKeyResult> => {
        // The conditional update is the lock: of concurrent rotations only one finds the key still active.
        const updated = await trx
          .updateTable('api_keys')
          .set({ state: 'rotating', rotated_to: input.newKey.id, grace_until: input.graceUntil })
          .where('workspace_id', '=', input.workspaceId)
          .where('id', '=', input.oldKeyId)
          .where('state', '=', 'active')
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .executeTakeFirst();
        const oldRow = await trx
          .selectFrom('api_keys')
          .selectAll()
          .where('workspace_id', '=', input.workspaceId)
          .where('id', '=', input.oldKeyId)
          .executeTakeFirst();
        if (!oldRow) return { outcome: 'not_found' };
        if (Number(updated.numUpdatedRows) === 0) return { outcome: 'not_active', oldKey: toKey(oldRow) };
        await this.adjustCounters(trx, input.workspaceId, 'active', 'rotating');
        await this.adjustCounters(trx, input.workspaceId, undefined, input.newKey.state);
        await this.insertKeyRows(trx, input.newKey, input.newProfile, input.event);
        await appendKeyEvent(trx, input.event);
        return { outcome: 'rotated', oldKey: toKey(oldRow), newKey: input.newKey };
      }),
    );
  }

  revokeKey(workspaceId: string, id: string, at: Millis, event: AuditEvent): Promise<ApiKey | undefined> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('api_keys')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .executeTakeFirst();
        if (!row) return undefined;
        if (row.state === 'revoked') return toKey(row);
        const updated = await trx
          .updateTable('api_keys')
          .set({ state: 'revoked', revoked_at: at })
          .where('id', '=', id)
          .where('state', '=', row.state)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) {
          // A concurrent revoke or rotation won; report the key as it now stands.
          const current = await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
          return toKey(current);
        }
        await this.adjustCounters(trx, workspaceId, row.state as KeyState, 'revoked');
        await trx.insertInto('audit_events').values(toEventRow(event)).execute();
        await appendKeyEvent(trx, event);
        return { ...toKey(row), state: 'revoked' as const, revokedAt: at };
      }),
    );
  }

  async touchKeys(lastUsed: ReadonlyMap<string, Millis>): Promise<void> {
    const entries = lastUsed.entries();
    for (let chunk = take(entries, TOUCH_CHUNK_ROWS); chunk.length > 0; ) {
      // Each chunk is one statement locking its rows in id order: concurrent instances cannot deadlock each other.
      chunk.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const rows = chunk.map(([id, at]) => sql`(${id}, cast(${at} as bigint))`);
      // VALUES columns are column1, column2 in both SQLite and PostgreSQL.
      await this.run(() =>
        sql`update api_keys set last_used_at = v.column2
            from (values ${sql.join(rows)}) as v
            where api_keys.id = v.column1 and (api_keys.last_used_at is null or api_keys.last_used_at < v.column2)`.execute(this.db),
      );
      chunk = take(entries, TOUCH_CHUNK_ROWS);
      if (chunk.length > 0) await yieldToEventLoop();
    }
  }

  insertAuditEvents(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        for (let from = 0; from < events.length; from += AUDIT_CHUNK_ROWS) {
          if (from > 0) await yieldToEventLoop();
          await trx.insertInto('audit_events').values(events.slice(from, from + AUDIT_CHUNK_ROWS).map(toEventRow)).execute();
        }
      }),
    );
  }

  listAuditEvents(filter: { workspaceId: string; type?: AuditEventType }, page: PageQuery): Promise<AuditEvent[]> {
    return this.run(async () => {
      let query = this.db.selectFrom('audit_events').selectAll().where('workspace_id', '=', filter.workspaceId);
      if (filter.type) query = query.where('type', '=', filter.type);
      if (page.after !== null) query = query.where('id', page.order === 'asc' ? '>' : '<', page.after);
      const rows = await query.orderBy('id', page.order).limit(page.limit).execute();
      return rows.map(toAuditEvent);
    });
  }
}
