import { randomBytes } from 'node:crypto';
import type { Principal } from './auth.js';
import { CursorCodec, pageOf } from './cursor.js';
import { CadreenError, conflict, invalidRequest, notFound } from './errors.js';
import { newId } from './ids.js';
import type { AuditEvent, AuditEventType, Millis, Profile, Role, Workspace } from './model.js';
import type { MemberRecord, Store } from './ports.js';
import type { Scope } from './scope.js';
import { hashToken, type SessionService } from './sessions.js';

/** A sign-in link works once, within this long. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;

/** Why a person could not sign in; shown on the sign-in page and recorded as `auth.refused`. */
export type SignInRefusal = 'provider_unavailable' | 'bad_state' | 'provider_error' | 'unverified_email' | 'not_invited' | 'link_used' | 'link_expired' | 'link_unknown';

export interface PeopleConfig {
  /** Where people reach this deployment: sign-in links start with it. */
  publicUrl: string;
  /** Whether people sign in through an OpenID provider (then invitations carry no link). */
  ssoEnabled: boolean;
  /** Email domains whose people may sign in with SSO before anyone invited them. */
  allowedDomains: readonly string[];
}

/** What `GET /me` answers. */
export interface Me {
  profile: Profile | null;
  memberships: { workspace: Workspace; role: Role }[];
}

export type SignInResult = { ok: true; token: string } | { ok: false; reason: SignInRefusal };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Emails are compared and stored lower-cased and trimmed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * People: USER profiles, their memberships in workspaces, and how they sign
 * in (single-use links, or an identity an OpenID provider vouched for).
 * Only a workspace's owners (or the admin token) change its members, and a
 * workspace always keeps one owner.
 */
export class PeopleService {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly cursors: CursorCodec,
    private readonly config: PeopleConfig,
    private readonly clock: () => Millis = Date.now,
  ) {}

  async listMembers(scope: Scope, query: { limit: number; cursor?: string }): Promise<{ members: MemberRecord[]; nextCursor: string | null }> {
    const cursorScope = JSON.stringify(['members', scope.workspace.id]);
    const after = query.cursor ? this.cursors.decode(cursorScope, query.cursor) : null;
    const rows = await this.store.listMembers(scope.workspace.id, { order: 'asc', after, limit: query.limit + 1 });
    const page = pageOf(
      rows.map((row) => ({ ...row, id: row.profile.id })),
      query.limit,
      this.cursors,
      cursorScope,
    );
    return { members: page.items.map(({ membership, profile }) => ({ membership, profile })), nextCursor: page.nextCursor };
  }

  /**
   * Adds a person by email (creating their USER profile in the workspace's
   * account when new). Without SSO the answer carries a sign-in link.
   */
  async addMember(scope: Scope, input: { email: string; name?: string; role: Role }): Promise<MemberRecord & { signInUrl?: string }> {
    this.requireOwner(scope);
    const email = normaliseEmail(input.email);
    if (!EMAIL.test(email)) throw invalidRequest('email is not an email address', [{ field: 'email', message: 'must be an email address' }]);
    const now = this.clock();
    const accountId = scope.workspace.accountId;
    const existing = (await this.store.findUsersByEmail(email)).find((profile) => profile.accountId === accountId);
    const profile: Profile = existing ?? {
      id: newId('prof', now),
      accountId,
      type: 'PROFILE_TYPE_USER',
      name: input.name ?? null,
      email,
      createdBy: scope.actorProfileId,
      createdAt: now,
    };
    const membership = { workspaceId: scope.workspace.id, profileId: profile.id, role: input.role, createdAt: now };
    const outcome = await this.store.addMember(membership, this.event(scope, 'member.added', profile.id, input.role, now), existing ? undefined : profile);
    if (outcome === 'already_member') throw conflict(`${email} is already a member of this workspace`);
    return { membership, profile, ...(this.config.ssoEnabled ? {} : { signInUrl: await this.issueSignInLink(profile.id) }) };
  }

  async changeRole(scope: Scope, profileId: string, role: Role): Promise<MemberRecord> {
    this.requireOwner(scope);
    const now = this.clock();
    const outcome = await this.store.changeMemberRole(scope.workspace.id, profileId, role, this.event(scope, 'member.updated', profileId, role, now));
    this.check(outcome);
    const [membership, profile] = await Promise.all([this.store.findMembership(scope.workspace.id, profileId), this.store.findProfile(profileId)]);
    if (!membership || !profile) throw notFound('member');
    return { membership, profile };
  }

  /** Removes a person from the workspace; their sessions are refused there from their next request on. */
  async removeMember(scope: Scope, profileId: string): Promise<void> {
    this.requireOwner(scope);
    const now = this.clock();
    this.check(await this.store.removeMember(scope.workspace.id, profileId, this.event(scope, 'member.removed', profileId, null, now)));
  }

  /** Who is calling and the workspaces they may act in. */
  async me(principal: Principal): Promise<Me> {
    switch (principal.kind) {
      case 'admin':
      case 'verifier':
        return { profile: null, memberships: [] };
      case 'key': {
        const [profile, workspace] = await Promise.all([this.store.findProfile(principal.actorProfileId), this.store.findWorkspace(principal.workspaceId)]);
        return { profile: profile ?? null, memberships: workspace ? [{ workspace, role: 'member' }] : [] };
      }
      case 'person': {
        const [profile, memberships] = await Promise.all([this.store.findProfile(principal.profileId), this.store.listMembershipsOf(principal.profileId)]);
        return { profile: profile ?? null, memberships: memberships.map(({ workspace, membership }) => ({ workspace, role: membership.role })) };
      }
    }
  }

  /** A single-use link that signs `profileId` in, valid for 15 minutes; only its hash is stored. */
  async issueSignInLink(profileId: string): Promise<string> {
    const now = this.clock();
    const token = randomBytes(32).toString('base64url');
    await this.store.insertSignInLink({ hash: hashToken(token), profileId, createdAt: now, expiresAt: now + SIGN_IN_LINK_TTL_MS });
    return `${this.config.publicUrl}/auth/link?token=${token}`;
  }

  /** Redeems a sign-in link: a new session's token, or why the link cannot be used. */
  async signInWithLink(token: string, ip: string | null): Promise<SignInResult> {
    const redemption = await this.store.redeemSignInLink(hashToken(token), this.clock());
    if (redemption.outcome !== 'redeemed') return { ok: false, reason: `link_${redemption.outcome}` };
    const profile = await this.store.findProfile(redemption.profileId);
    if (!profile) return { ok: false, reason: 'link_unknown' };
    return { ok: true, token: (await this.sessions.start(profile, 'link', ip)).token };
  }

  /**
   * Signs in a person an OpenID provider vouched for. A verified email signs
   * in to the person invited with it (the oldest such profile); a new person
   * of an allowed domain joins the deployment's account with no workspace.
   * Refusals are recorded.
   */
  async signInWithIdentity(identity: { email: unknown; emailVerified: unknown; name?: unknown }, ip: string | null): Promise<SignInResult> {
    const email = typeof identity.email === 'string' ? normaliseEmail(identity.email) : '';
    const known = email ? (await this.store.findUsersByEmail(email))[0] : undefined;
    if (!email || identity.emailVerified !== true) return this.refuse('unverified_email', ip, known?.id ?? null);
    let profile = known;
    if (!profile) {
      const domain = email.split('@')[1]!;
      const accounts = await this.store.listAccounts(2);
      if (!this.config.allowedDomains.includes(domain) || accounts.length !== 1) return this.refuse('not_invited', ip, null);
      const now = this.clock();
      profile = {
        id: newId('prof', now),
        accountId: accounts[0]!.id,
        type: 'PROFILE_TYPE_USER',
        name: typeof identity.name === 'string' && identity.name !== '' ? identity.name : null,
        email,
        createdBy: accounts[0]!.systemProfileId,
        createdAt: now,
      };
      await this.store.insertUser(profile);
    }
    return { ok: true, token: (await this.sessions.start(profile, 'oidc', ip)).token };
  }

  /**
   * Records a refused sign-in as `auth.refused` with the reason as its code:
   * in the person's workspaces when the person is known, else in every
   * workspace (the first 100) of a deployment with one account, for their
   * owners to see.
   */
  async refuse(reason: SignInRefusal, ip: string | null, profileId: string | null = null): Promise<SignInResult> {
    const now = this.clock();
    // Nobody's workspace may learn of another account's sign-ins: an unknown person's refusal goes to the
    // deployment's workspaces only when it has a single account.
    const workspaces = profileId
      ? (await this.store.listMembershipsOf(profileId)).map(({ workspace }) => workspace)
      : (await this.store.listAccounts(2)).length === 1
        ? await this.store.listWorkspaces({ order: 'asc', after: null, limit: 100 })
        : [];
    const events: AuditEvent[] = workspaces.map((workspace) => ({
      id: newId('evt', now),
      workspaceId: workspace.id,
      type: 'auth.refused',
      actorProfileId: profileId,
      keyId: null,
      code: reason,
      ip,
      createdAt: now,
    }));
    await this.store.insertAuditEvents(events);
    return { ok: false, reason };
  }

  private requireOwner(scope: Scope): void {
    if (scope.access !== 'owner' && scope.access !== 'admin') {
      throw new CadreenError('auth_forbidden', 'only an owner of this workspace (or the admin token) manages its members');
    }
  }

  private check(outcome: 'changed' | 'not_found' | 'last_owner'): void {
    if (outcome === 'not_found') throw notFound('member');
    if (outcome === 'last_owner') throw conflict('a workspace keeps at least one owner: make someone else owner first');
  }

  private event(scope: Scope, type: AuditEventType, subjectProfileId: string, code: string | null, now: Millis): AuditEvent {
    return {
      id: newId('evt', now),
      workspaceId: scope.workspace.id,
      type,
      actorProfileId: scope.actorProfileId,
      keyId: null,
      subjectProfileId,
      code,
      ip: scope.ip,
      createdAt: now,
    };
  }
}
