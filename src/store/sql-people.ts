import { sql, type Kysely } from 'kysely';
import type { AuditEvent, Membership, Millis, Profile, Role, Session, Workspace } from '../core/model.js';
import type { LinkRedemption, MemberChange, MemberRecord, PageQuery, PeopleStore } from '../core/ports.js';
import type { Database } from './schema.js';
import { toEventRow, toMembership, toProfile, toProfileRow, toSession, toWorkspace } from './rows.js';

/** Runs a store operation, turning "cannot serve now" failures into StoreUnavailableError. */
export type StoreRunner = <T>(operation: () => Promise<T>) => Promise<T>;

/** Thrown inside a member change's transaction to roll it back. */
class MemberChangeRefused extends Error {
  constructor(readonly outcome: Exclude<MemberChange, 'changed'>) {
    super(outcome);
  }
}

/** People over any SQL database Kysely speaks: USER profiles, memberships, sessions and sign-in links. */
export class SqlPeopleStore implements PeopleStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly run: StoreRunner,
  ) {}

  findUsersByEmail(email: string): Promise<Profile[]> {
    return this.run(async () => {
      const rows = await this.db
        .selectFrom('profiles')
        .selectAll()
        .where('type', '=', 'PROFILE_TYPE_USER')
        .where('email', '=', email)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toProfile);
    });
  }

  insertUser(profile: Profile): Promise<void> {
    return this.run(async () => {
      await this.db.insertInto('profiles').values(toProfileRow(profile)).execute();
    });
  }

  findMembership(workspaceId: string, profileId: string): Promise<Membership | undefined> {
    return this.run(async () => {
      const row = await this.db
        .selectFrom('memberships')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('profile_id', '=', profileId)
        .executeTakeFirst();
      return row && toMembership(row);
    });
  }

  listMembers(workspaceId: string, page: PageQuery): Promise<MemberRecord[]> {
    return this.run(async () => {
      let query = this.db
        .selectFrom('memberships as m')
        .innerJoin('profiles as p', 'p.id', 'm.profile_id')
        .selectAll('p')
        .select(['m.workspace_id', 'm.profile_id', 'm.role', 'm.created_at as joined_at'])
        .where('m.workspace_id', '=', workspaceId);
      if (page.after !== null) query = query.where('m.profile_id', page.order === 'asc' ? '>' : '<', page.after);
      const rows = await query.orderBy('m.profile_id', page.order).limit(page.limit).execute();
      return rows.map((row) => ({
        membership: toMembership({ workspace_id: row.workspace_id, profile_id: row.profile_id, role: row.role, created_at: row.joined_at }),
        profile: toProfile(row),
      }));
    });
  }

  listMembershipsOf(profileId: string): Promise<{ membership: Membership; workspace: Workspace }[]> {
    return this.run(async () => {
      const rows = await this.db
        .selectFrom('memberships as m')
        .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .selectAll('w')
        .select(['m.workspace_id', 'm.profile_id', 'm.role', 'm.created_at as joined_at'])
        .where('m.profile_id', '=', profileId)
        .orderBy('m.created_at', 'asc')
        .orderBy('m.workspace_id', 'asc')
        .execute();
      return rows.map((row) => ({
        membership: toMembership({ workspace_id: row.workspace_id, profile_id: row.profile_id, role: row.role, created_at: row.joined_at }),
        workspace: toWorkspace(row),
      }));
    });
  }

  addMember(membership: Membership, event: AuditEvent, newProfile?: Profile): Promise<'added' | 'already_member'> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        if (newProfile) await trx.insertInto('profiles').values(toProfileRow(newProfile)).execute();
        const inserted = await trx
          .insertInto('memberships')
          .values({ workspace_id: membership.workspaceId, profile_id: membership.profileId, role: membership.role, created_at: membership.createdAt })
          .onConflict((oc) => oc.columns(['workspace_id', 'profile_id']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return 'already_member' as const;
        await trx.insertInto('audit_events').values(toEventRow(event)).execute();
        return 'added' as const;
      }),
    );
  }

  changeMemberRole(workspaceId: string, profileId: string, role: Role, event: AuditEvent): Promise<MemberChange> {
    return this.changeMember(workspaceId, profileId, role === 'owner', event, (trx) =>
      trx.updateTable('memberships').set({ role }).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).execute(),
    );
  }

  removeMember(workspaceId: string, profileId: string, event: AuditEvent): Promise<MemberChange> {
    return this.changeMember(workspaceId, profileId, false, event, (trx) =>
      trx.deleteFrom('memberships').where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).execute(),
    );
  }

  /**
   * Changes one membership unless that would leave the workspace without an
   * owner. The workspace row is locked first (a no-op update), so concurrent
   * changes of one workspace's members are serialised on PostgreSQL too.
   */
  private changeMember(
    workspaceId: string,
    profileId: string,
    staysOwner: boolean,
    event: AuditEvent,
    change: (trx: Kysely<Database>) => Promise<unknown>,
  ): Promise<MemberChange> {
    return this.run(async () => {
      try {
        return await this.db.transaction().execute(async (trx) => {
          await trx.updateTable('workspaces').set({ name: sql`name` }).where('id', '=', workspaceId).execute();
          const current = await trx
            .selectFrom('memberships')
            .select('role')
            .where('workspace_id', '=', workspaceId)
            .where('profile_id', '=', profileId)
            .executeTakeFirst();
          if (!current) throw new MemberChangeRefused('not_found');
          if (current.role === 'owner' && !staysOwner) {
            const owners = await trx
              .selectFrom('memberships')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('workspace_id', '=', workspaceId)
              .where('role', '=', 'owner')
              .executeTakeFirstOrThrow();
            if (Number(owners.n) <= 1) throw new MemberChangeRefused('last_owner');
          }
          await change(trx);
          await trx.insertInto('audit_events').values(toEventRow(event)).execute();
          return 'changed' as const;
        });
      } catch (error) {
        if (error instanceof MemberChangeRefused) return error.outcome;
        throw error;
      }
    });
  }

  insertSession(session: Session, events: AuditEvent[]): Promise<void> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('sessions')
          .values({
            id: session.id,
            hash: session.hash,
            profile_id: session.profileId,
            created_at: session.createdAt,
            last_seen_at: session.lastSeenAt,
            expires_at: session.expiresAt,
            ended_at: session.endedAt,
          })
          .execute();
        if (events.length > 0) await trx.insertInto('audit_events').values(events.map(toEventRow)).execute();
      }),
    );
  }

  findSessionByHash(hash: string): Promise<{ session: Session; profile: Profile } | undefined> {
    return this.run(async () => {
      const row = await this.db
        .selectFrom('sessions as s')
        .innerJoin('profiles as p', 'p.id', 's.profile_id')
        .selectAll('p')
        .select([
          's.id as session_id',
          's.hash',
          's.profile_id',
          's.created_at as session_created_at',
          's.last_seen_at',
          's.expires_at',
          's.ended_at',
        ])
        .where('s.hash', '=', hash)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        session: toSession({
          id: row.session_id,
          hash: row.hash,
          profile_id: row.profile_id,
          created_at: row.session_created_at,
          last_seen_at: row.last_seen_at,
          expires_at: row.expires_at,
          ended_at: row.ended_at,
        }),
        profile: toProfile(row),
      };
    });
  }

  touchSession(id: string, at: Millis): Promise<void> {
    return this.run(async () => {
      await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).where('last_seen_at', '<', at).execute();
    });
  }

  endSession(id: string, at: Millis, events: AuditEvent[]): Promise<boolean> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        const ended = await trx.updateTable('sessions').set({ ended_at: at }).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst();
        if (Number(ended.numUpdatedRows) === 0) return false;
        if (events.length > 0) await trx.insertInto('audit_events').values(events.map(toEventRow)).execute();
        return true;
      }),
    );
  }

  insertSignInLink(link: { hash: string; profileId: string; createdAt: Millis; expiresAt: Millis }): Promise<void> {
    return this.run(async () => {
      await this.db
        .insertInto('sign_in_links')
        .values({ hash: link.hash, profile_id: link.profileId, created_at: link.createdAt, expires_at: link.expiresAt, used_at: null })
        .execute();
    });
  }

  redeemSignInLink(hash: string, now: Millis): Promise<LinkRedemption> {
    return this.run(async () => {
      const redeemed = await this.db
        .updateTable('sign_in_links')
        .set({ used_at: now })
        .where('hash', '=', hash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      const row = await this.db.selectFrom('sign_in_links').select(['profile_id', 'used_at', 'expires_at']).where('hash', '=', hash).executeTakeFirst();
      if (!row) return { outcome: 'unknown' };
      if (Number(redeemed.numUpdatedRows) === 1) return { outcome: 'redeemed', profileId: row.profile_id };
      return { outcome: row.used_at !== null ? 'used' : 'expired' };
    });
  }
}
