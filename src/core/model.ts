/** Times are epoch milliseconds inside the domain; the HTTP layer formats them. */
export type Millis = number;

export type ProfileType = 'PROFILE_TYPE_USER' | 'PROFILE_TYPE_API_KEY' | 'PROFILE_TYPE_SYSTEM';

/** The stored lifecycle state of a key. */
export type KeyState = 'active' | 'rotating' | 'revoked';
/** What a key's status is right now: its state, or `expired` once past `expiresAt`. */
export type KeyStatus = KeyState | 'expired';
export const KEY_STATUSES: readonly KeyStatus[] = ['active', 'rotating', 'revoked', 'expired'];

export type Labels = Record<string, string>;

export interface Account {
  id: string;
  name: string;
  systemProfileId: string;
  createdAt: Millis;
}

export interface Profile {
  id: string;
  accountId: string;
  type: ProfileType;
  name: string | null;
  email: string | null;
  /** The profile that created this one (null for the first ones of an account). */
  createdBy: string | null;
  createdAt: Millis;
}

export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
}

export interface Workspace {
  id: string;
  accountId: string;
  name: string;
  /** The workspace's own limit per key, or null to use the deployment default. */
  rateLimit: RateLimitPolicy | null;
  /** The budget all keys of the workspace share together, or null to use the deployment default. */
  workspaceRateLimit: RateLimitPolicy | null;
  createdAt: Millis;
}

export interface ApiKey {
  id: string;
  workspaceId: string;
  accountId: string;
  /** The key's own PROFILE_TYPE_API_KEY profile: the actor when the key calls. */
  actorProfileId: string;
  /** The profile that created the key. */
  createdBy: string;
  name: string;
  description: string | null;
  labels: Labels | null;
  externalId: string | null;
  hash: string;
  start: string;
  state: KeyState;
  createdAt: Millis;
  expiresAt: Millis | null;
  lastUsedAt: Millis | null;
  rotatedFrom: string | null;
  rotatedTo: string | null;
  graceUntil: Millis | null;
  revokedAt: Millis | null;
}

export type AuditEventType =
  | 'key.created'
  | 'key.updated'
  | 'key.rotated'
  | 'key.revoked'
  | 'auth.refused'
  | 'workspace.created'
  | 'workspace.updated'
  | 'member.added'
  | 'member.updated'
  | 'member.removed'
  | 'session.created'
  | 'session.ended';

export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
  'key.created',
  'key.updated',
  'key.rotated',
  'key.revoked',
  'auth.refused',
  'workspace.created',
  'workspace.updated',
  'member.added',
  'member.updated',
  'member.removed',
  'session.created',
  'session.ended',
];

export interface AuditEvent {
  id: string;
  workspaceId: string;
  type: AuditEventType;
  actorProfileId: string | null;
  keyId: string | null;
  /** The person a `member.*` event is about. */
  subjectProfileId?: string | null;
  /** A denial code (`auth.refused`), a role (`member.*`) or a sign-in method (`session.*`). */
  code: string | null;
  ip: string | null;
  createdAt: Millis;
}

/** A change embedded verifiers must hear about (the outbox); ids increase across the deployment. */
export type KeyEventType = 'key.revoked' | 'key.rotated' | 'key.updated' | 'key.expired' | 'workspace.updated';

export interface KeyEvent {
  id: number;
  type: KeyEventType;
  keyId: string | null;
  workspaceId: string;
  createdAt: Millis;
}

/** What a person may do in a workspace: `owner` also manages its members. */
export type Role = 'owner' | 'member';
export const ROLES: readonly Role[] = ['owner', 'member'];

/** A USER profile's place in a workspace. */
export interface Membership {
  workspaceId: string;
  profileId: string;
  role: Role;
  createdAt: Millis;
}

/** A person signed in to the dashboard or the API with a cookie. Only the token's SHA-256 is stored. */
export interface Session {
  id: string;
  hash: string;
  profileId: string;
  createdAt: Millis;
  /** Moved forward at most once a minute; the session ends after 12 h without use. */
  lastSeenAt: Millis;
  /** The absolute end: 7 days after sign-in. */
  expiresAt: Millis;
  endedAt: Millis | null;
}

/**
 * What a key's status is at `now`. Expiry wins over every state but `revoked`:
 * a rotated key inside its grace period is expired all the same once past
 * `expiresAt`.
 */
export function keyStatus(key: Pick<ApiKey, 'state' | 'expiresAt'>, now: Millis): KeyStatus {
  if (key.state !== 'revoked' && key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return key.state;
}

/** A key as the core answers for it: the stored row and its status by the core's clock. */
export type KeyView = ApiKey & { status: KeyStatus };

export function viewOf(key: ApiKey, now: Millis): KeyView {
  return { ...key, status: keyStatus(key, now) };
}

export type SortOrder = 'asc' | 'desc';
