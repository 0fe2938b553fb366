import { randomBytes } from 'node:crypto';
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
  RateLimitPolicy,
  Workspace,
} from '../core/model.js';
import type { ApiKeysTable, Database, WorkspacesTable } from './schema.js';
import { fromKey, policyOf, toAccount, toAuditEvent, toEventRow, toKey, toProfile, toProfileRow, toWorkspace } from './rows.js';
import type {
  KeyChanges,
  KeyFilter,
  KeyWithPolicy,
  PageQuery,
  RotateKeyInput,
  RotateKeyResult,
  Store,
} from './store.js';

/** Tells whether a driver error means "the database is unreachable" rather than a bug. */
export type UnavailableClassifier = (error: unknown) => boolean;

/** The highest code point: `p <= name < p + MAX_CHAR` holds exactly for names starting with p. */
const MAX_CHAR = '\u{10FFFF}';
const COUNTER_OF: Record<KeyState, 'keys_active' | 'keys_rotating' | 'keys_revoked'> = {
  active: 'keys_active',
  rotating: 'keys_rotating',
  revoked: 'keys_revoked',
};

/**
 * The Store over any SQL database Kysely speaks. Backends differ only in how
 * they open the connection and recognise an unreachable database; see
 * `sqlite-store.ts` and `postgres-store.ts`.
 */
export class SqlStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly isUnavailable: UnavailableClassifier,
  ) {}

  /** Runs a store operation, turning connectivity failures into StoreUnavailableError. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      return await operation();
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      if (this.isUnavailable(error)) throw new StoreUnavailableError('the store is unreachable', { cause: error });
      throw error;
    }
  }

  async ping(): Promise<void> {
    await this.run(() => sql`select 1`.execute(this.db));
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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

  insertWorkspace(workspace: Workspace, event: AuditEvent): Promise<void> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('workspaces')
          .values({
            id: workspace.id,
            account_id: workspace.accountId,
            name: workspace.name,
            rate_limit: workspace.rateLimit?.limit ?? null,
            rate_limit_window_seconds: workspace.rateLimit?.windowSeconds ?? null,
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

  updateWorkspace(
    id: string,
    changes: { name?: string; rateLimit?: RateLimitPolicy | null },
    event: AuditEvent,
  ): Promise<Workspace | undefined> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        const values: Updateable<WorkspacesTable> = {};
        if (changes.name !== undefined) values.name = changes.name;
        if (changes.rateLimit !== undefined) {
          values.rate_limit = changes.rateLimit?.limit ?? null;
          values.rate_limit_window_seconds = changes.rateLimit?.windowSeconds ?? null;
        }
        if (Object.keys(values).length > 0) await trx.updateTable('workspaces').set(values).where('id', '=', id).execute();
        const row = await trx.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return undefined;
        await trx.insertInto('audit_events').values(toEventRow(event)).execute();
        return toWorkspace(row);
      }),
    );
  }

  insertKey(key: ApiKey, profile: Profile, event: AuditEvent): Promise<void> {
    return this.run(() => this.db.transaction().execute((trx) => this.insertKeyIn(trx, key, profile, event)));
  }

  private async insertKeyIn(trx: Transaction<Database>, key: ApiKey, profile: Profile, event: AuditEvent) {
    await trx.insertInto('profiles').values(toProfileRow(profile)).execute();
    await trx.insertInto('api_keys').values(fromKey(key)).execute();
    await this.adjustCounters(trx, key.workspaceId, undefined, key.state);
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
    return this.run(async () => {
      const row = await this.db
        .selectFrom('api_keys')
        .innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
        .selectAll('api_keys')
        .select(['workspaces.rate_limit as ws_rate_limit', 'workspaces.rate_limit_window_seconds as ws_window'])
        .where('api_keys.hash', '=', hash)
        .executeTakeFirst();
      return row && { key: toKey(row), rateLimit: policyOf(row.ws_rate_limit, row.ws_window) };
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

  private filteredKeys(filter: KeyFilter) {
    let query = this.db.selectFrom('api_keys').where('workspace_id', '=', filter.workspaceId);
    switch (filter.status) {
      case undefined:
        break;
      case 'active':
        query = query
          .where('state', '=', 'active')
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', filter.now)]));
        break;
      case 'expired':
        query = query.where('state', '=', 'active').where('expires_at', '<=', filter.now);
        break;
      default:
        query = query.where('state', '=', filter.status);
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
      const active = Number(ws.keys_active);
      switch (filter.status) {
        case undefined:
          return active + Number(ws.keys_rotating) + Number(ws.keys_revoked);
        case 'rotating':
          return Number(ws.keys_rotating);
        case 'revoked':
          return Number(ws.keys_revoked);
        case 'expired':
          return countRows(filter);
        case 'active':
          return active - (await countRows({ ...filter, status: 'expired' }));
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
        await this.insertKeyIn(trx, input.newKey, input.newProfile, input.event);
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
        return { ...toKey(row), state: 'revoked' as const, revokedAt: at };
      }),
    );
  }

  touchKeys(lastUsed: ReadonlyMap<string, Millis>): Promise<void> {
    if (lastUsed.size === 0) return Promise.resolve();
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        for (const [id, at] of lastUsed) {
          await trx
            .updateTable('api_keys')
            .set({ last_used_at: at })
            .where('id', '=', id)
            .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
            .execute();
        }
      }),
    );
  }

  insertAuditEvents(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.run(async () => {
      await this.db.insertInto('audit_events').values(events.map(toEventRow)).execute();
    });
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
