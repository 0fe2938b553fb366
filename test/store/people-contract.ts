import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import type { Membership, Profile, Session, Workspace } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { seedAccount, type SeededAccount } from './fixtures.js';

/**
 * The people part of the Store contract (PeopleStore): USER profiles,
 * memberships, sessions and sign-in links, the same on every backend.
 */
export function describePeopleContract(backend: string, open: () => Promise<Store>, dispose?: (store: Store) => Promise<void>) {
  describe(`Store contract, people: ${backend}`, () => {
    let store: Store;
    let now: number;
    let accountId: string;
    let systemProfileId: string;
    let workspace: Workspace;
    let event: SeededAccount['event'];

    const person = (email: string, name: string | null = null): Profile => ({
      id: newId('prof'),
      accountId,
      type: 'PROFILE_TYPE_USER',
      name,
      email,
      createdBy: systemProfileId,
      createdAt: now,
    });
    const membership = (profile: Profile, role: Membership['role'], ws = workspace): Membership => ({ workspaceId: ws.id, profileId: profile.id, role, createdAt: now });
    const session = (profile: Profile, overrides: Partial<Session> = {}): Session => ({
      id: newId('sess'),
      hash: newId('evt'),
      profileId: profile.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + 3600_000,
      endedAt: null,
      ...overrides,
    });
    const auditCount = async () => (await store.listAuditEvents({ workspaceId: workspace.id }, { order: 'desc', after: null, limit: 1000 })).length;

    beforeEach(async () => {
      store = await open();
      ({ now, accountId, systemProfileId, workspace, event } = await seedAccount(store));
    });

    afterEach(async () => {
      if (dispose) await dispose(store);
      else await store.close();
    });

    it('adds a new person with their membership and event in one step, and refuses a second membership of the same workspace', async () => {
      const ada = person('ada@example.com', 'Ada');
      const before = await auditCount();
      expect(await store.addMember(membership(ada, 'owner'), event('member.added', { subjectProfileId: ada.id, code: 'owner' }), ada)).toBe('added');
      expect(await store.findMembership(workspace.id, ada.id)).toEqual(membership(ada, 'owner'));
      expect(await store.findUsersByEmail('ada@example.com')).toEqual([ada]);
      expect(await store.addMember(membership(ada, 'member'), event('member.added', { subjectProfileId: ada.id }))).toBe('already_member');
      expect((await store.findMembership(workspace.id, ada.id))?.role).toBe('owner');
      const events = await store.listAuditEvents({ workspaceId: workspace.id, type: 'member.added' }, { order: 'desc', after: null, limit: 10 });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ subjectProfileId: ada.id, code: 'owner' });
      expect(await auditCount()).toBe(before + 1);
    });

    it('keeps one person per email in an account', async () => {
      await store.insertUser(person('same@example.com'));
      await expect(store.insertUser(person('same@example.com'))).rejects.toThrow();
    });

    it('lists members by profile id with keyset pages, and a person’s memberships with their workspaces', async () => {
      const people = [person('a@example.com'), person('b@example.com'), person('c@example.com')];
      for (const profile of people) await store.addMember(membership(profile, 'member'), event('member.added'), profile);
      const first = await store.listMembers(workspace.id, { order: 'asc', after: null, limit: 2 });
      expect(first.map((row) => row.profile.email)).toEqual(['a@example.com', 'b@example.com']);
      const second = await store.listMembers(workspace.id, { order: 'asc', after: first[1]!.profile.id, limit: 2 });
      expect(second.map((row) => row.profile.email)).toEqual(['c@example.com']);
      const of = await store.listMembershipsOf(people[0]!.id);
      expect(of).toEqual([{ membership: membership(people[0]!, 'member'), workspace }]);
    });

    it('never leaves a workspace without an owner, and changes nothing when it refuses', async () => {
      const owner = person('owner@example.com');
      const other = person('other@example.com');
      await store.addMember(membership(owner, 'owner'), event('member.added'), owner);
      await store.addMember(membership(other, 'member'), event('member.added'), other);
      const before = await auditCount();
      expect(await store.changeMemberRole(workspace.id, owner.id, 'member', event('member.updated'))).toBe('last_owner');
      expect(await store.removeMember(workspace.id, owner.id, event('member.removed'))).toBe('last_owner');
      expect(await auditCount()).toBe(before);
      expect(await store.changeMemberRole(workspace.id, other.id, 'owner', event('member.updated'))).toBe('changed');
      expect(await store.removeMember(workspace.id, owner.id, event('member.removed'))).toBe('changed');
      expect(await store.findMembership(workspace.id, owner.id)).toBeUndefined();
      expect(await store.removeMember(workspace.id, owner.id, event('member.removed'))).toBe('not_found');
      expect(await auditCount()).toBe(before + 2);
    });

    it('keeps one owner when the last two owners are removed at the same time', async () => {
      const one = person('one@example.com');
      const two = person('two@example.com');
      await store.addMember(membership(one, 'owner'), event('member.added'), one);
      await store.addMember(membership(two, 'owner'), event('member.added'), two);
      const outcomes = await Promise.all([
        store.removeMember(workspace.id, one.id, event('member.removed')),
        store.removeMember(workspace.id, two.id, event('member.removed')),
      ]);
      expect(outcomes.sort()).toEqual(['changed', 'last_owner']);
    });

    it('finds a session with its person by hash, moves last use only forward, and ends it once', async () => {
      const ada = person('ada@example.com');
      await store.insertUser(ada);
      const open = session(ada);
      await store.insertSession(open, []);
      expect(await store.findSessionByHash(open.hash)).toEqual({ session: open, profile: ada });
      await store.touchSession(open.id, now + 5000);
      await store.touchSession(open.id, now + 1000);
      expect((await store.findSessionByHash(open.hash))?.session.lastSeenAt).toBe(now + 5000);
      expect(await store.endSession(open.id, now + 6000, [])).toBe(true);
      expect(await store.endSession(open.id, now + 7000, [])).toBe(false);
      expect((await store.findSessionByHash(open.hash))?.session.endedAt).toBe(now + 6000);
      expect(await store.findSessionByHash('no-such-hash')).toBeUndefined();
    });

    it('redeems a sign-in link once, and tells a used, an expired and an unknown link apart', async () => {
      const ada = person('ada@example.com');
      await store.insertUser(ada);
      await store.insertSignInLink({ hash: 'link-a', profileId: ada.id, createdAt: now, expiresAt: now + 900_000 });
      await store.insertSignInLink({ hash: 'link-b', profileId: ada.id, createdAt: now, expiresAt: now + 900_000 });
      expect(await store.redeemSignInLink('link-a', now + 1)).toEqual({ outcome: 'redeemed', profileId: ada.id });
      expect(await store.redeemSignInLink('link-a', now + 2)).toEqual({ outcome: 'used' });
      expect(await store.redeemSignInLink('link-b', now + 900_000)).toEqual({ outcome: 'expired' });
      expect(await store.redeemSignInLink('link-c', now)).toEqual({ outcome: 'unknown' });
    });

    it('redeems a link only once under concurrent attempts', async () => {
      const ada = person('ada@example.com');
      await store.insertUser(ada);
      await store.insertSignInLink({ hash: 'link-race', profileId: ada.id, createdAt: now, expiresAt: now + 900_000 });
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => store.redeemSignInLink('link-race', now + 1)));
      expect(outcomes.filter((outcome) => outcome.outcome === 'redeemed')).toHaveLength(1);
    });
  });
}
