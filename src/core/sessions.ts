import { createHash, randomBytes } from 'node:crypto';
import { newId } from './ids.js';
import type { AuditEvent, Millis, Profile, Session } from './model.js';
import type { Store } from './ports.js';

/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** A session ends this long after sign-in, used or not. */
export const SESSION_ABSOLUTE_MS = 7 * 24 * 3600_000;
/** A session's last use is written at most once per this long. */
const SEEN_RESOLUTION_MS = 60_000;

/** How a person signed in, recorded as the `code` of `session.created`. */
export type SignInMethod = 'link' | 'oidc';

/** A person signed in with a session cookie. */
export interface PersonPrincipal {
  kind: 'person';
  profileId: string;
  accountId: string;
  sessionId: string;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Sessions of people: 256-bit random tokens of which only the SHA-256 is
 * stored. Sessions are read from the store on every request (they serve
 * people, not machines), so one ended on any instance is refused by every
 * instance on its next request.
 */
export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Millis = Date.now,
  ) {}

  /** Starts a session for `profile`; answers the token for the cookie. Recorded in each of the person's workspaces. */
  async start(profile: Profile, method: SignInMethod, ip: string | null): Promise<{ token: string; session: Session }> {
    const now = this.clock();
    const token = randomBytes(32).toString('base64url');
    const session: Session = {
      id: newId('sess', now),
      hash: hashToken(token),
      profileId: profile.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + SESSION_ABSOLUTE_MS,
      endedAt: null,
    };
    await this.store.insertSession(session, await this.eventsFor(profile.id, 'session.created', method, ip, now));
    return { token, session };
  }

  /** The person a token signs in, or undefined when it names no session that is open now. */
  async authenticate(token: string): Promise<PersonPrincipal | undefined> {
    const found = await this.store.findSessionByHash(hashToken(token));
    if (!found) return undefined;
    const { session, profile } = found;
    const now = this.clock();
    if (session.endedAt !== null || session.expiresAt <= now || now - session.lastSeenAt >= SESSION_IDLE_MS) return undefined;
    if (now - session.lastSeenAt >= SEEN_RESOLUTION_MS) await this.store.touchSession(session.id, now);
    return { kind: 'person', profileId: profile.id, accountId: profile.accountId, sessionId: session.id };
  }

  /** Signs out: ends the session a token names (nothing happens for one that is unknown or over). */
  async end(token: string, ip: string | null): Promise<void> {
    const found = await this.store.findSessionByHash(hashToken(token));
    if (!found || found.session.endedAt !== null) return;
    const now = this.clock();
    await this.store.endSession(found.session.id, now, await this.eventsFor(found.profile.id, 'session.ended', null, ip, now));
  }

  private async eventsFor(profileId: string, type: 'session.created' | 'session.ended', code: string | null, ip: string | null, now: Millis): Promise<AuditEvent[]> {
    const memberships = await this.store.listMembershipsOf(profileId);
    return memberships.map(({ workspace }) => ({
      id: newId('evt', now),
      workspaceId: workspace.id,
      type,
      actorProfileId: profileId,
      keyId: null,
      code,
      ip,
      createdAt: now,
    }));
  }
}
