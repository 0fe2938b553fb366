import type { Selectable } from 'kysely';
import type {
  Account,
  ApiKey,
  AuditEvent,
  AuditEventType,
  KeyState,
  Membership,
  Millis,
  Profile,
  ProfileType,
  RateLimitPolicy,
  Role,
  Session,
  Workspace,
} from '../core/model.js';
import type {
  AccountsTable,
  ApiKeysTable,
  AuditEventsTable,
  MembershipsTable,
  ProfilesTable,
  SessionsTable,
  WorkspacesTable,
} from './schema.js';

/** Rows ↔ domain objects. Times are epoch milliseconds; PostgreSQL's BIGINT may arrive as a string. */

const time = (value: number | string | null): Millis | null => (value === null ? null : Number(value));

export function toKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    accountId: row.account_id,
    actorProfileId: row.actor_profile_id,
    createdBy: row.created_by,
    name: row.name,
    description: row.description,
    labels: row.labels === null ? null : (JSON.parse(row.labels) as Record<string, string>),
    externalId: row.external_id,
    hash: row.hash,
    start: row.start,
    state: row.state as KeyState,
    createdAt: Number(row.created_at),
    expiresAt: time(row.expires_at),
    lastUsedAt: time(row.last_used_at),
    rotatedFrom: row.rotated_from,
    rotatedTo: row.rotated_to,
    graceUntil: time(row.grace_until),
    revokedAt: time(row.revoked_at),
  };
}

export function fromKey(key: ApiKey): ApiKeysTable {
  return {
    id: key.id,
    workspace_id: key.workspaceId,
    account_id: key.accountId,
    actor_profile_id: key.actorProfileId,
    created_by: key.createdBy,
    name: key.name,
    description: key.description,
    labels: key.labels === null ? null : JSON.stringify(key.labels),
    external_id: key.externalId,
    hash: key.hash,
    start: key.start,
    state: key.state,
    created_at: key.createdAt,
    expires_at: key.expiresAt,
    last_used_at: key.lastUsedAt,
    rotated_from: key.rotatedFrom,
    rotated_to: key.rotatedTo,
    grace_until: key.graceUntil,
    revoked_at: key.revokedAt,
  };
}

export function policyOf(limit: number | null, windowSeconds: number | null): RateLimitPolicy | null {
  return limit === null || windowSeconds === null ? null : { limit: Number(limit), windowSeconds: Number(windowSeconds) };
}

/** The columns of the workspace limits `limits` names: a policy sets them, null clears them, undefined leaves them out. */
export function limitColumns(limits: {
  rateLimit?: RateLimitPolicy | null;
  workspaceRateLimit?: RateLimitPolicy | null;
}): Partial<Pick<WorkspacesTable, 'rate_limit' | 'rate_limit_window_seconds' | 'workspace_rate_limit' | 'workspace_rate_limit_window_seconds'>> {
  const columns: ReturnType<typeof limitColumns> = {};
  if (limits.rateLimit !== undefined) {
    columns.rate_limit = limits.rateLimit?.limit ?? null;
    columns.rate_limit_window_seconds = limits.rateLimit?.windowSeconds ?? null;
  }
  if (limits.workspaceRateLimit !== undefined) {
    columns.workspace_rate_limit = limits.workspaceRateLimit?.limit ?? null;
    columns.workspace_rate_limit_window_seconds = limits.workspaceRateLimit?.windowSeconds ?? null;
  }
  return columns;
}

export function toAccount(row: Selectable<AccountsTable>): Account {
  return { id: row.id, name: row.name, systemProfileId: row.system_profile_id, createdAt: Number(row.created_at) };
}

export function toWorkspace(row: Selectable<WorkspacesTable>): Workspace {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    rateLimit: policyOf(row.rate_limit, row.rate_limit_window_seconds),
    workspaceRateLimit: policyOf(row.workspace_rate_limit, row.workspace_rate_limit_window_seconds),
    createdAt: Number(row.created_at),
  };
}

export function toEventRow(event: AuditEvent) {
  return {
    id: event.id,
    workspace_id: event.workspaceId,
    type: event.type,
    actor_profile_id: event.actorProfileId,
    key_id: event.keyId,
    subject_profile_id: event.subjectProfileId ?? null,
    code: event.code,
    ip: event.ip,
    created_at: event.createdAt,
  };
}

export function toProfileRow(profile: Profile) {
  return {
    id: profile.id,
    account_id: profile.accountId,
    type: profile.type,
    name: profile.name,
    email: profile.email,
    created_by: profile.createdBy,
    created_at: profile.createdAt,
  };
}

export function toProfile(row: Selectable<ProfilesTable>): Profile {
  return {
    id: row.id,
    accountId: row.account_id,
    type: row.type as ProfileType,
    name: row.name,
    email: row.email,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
  };
}

export function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    type: row.type as AuditEventType,
    actorProfileId: row.actor_profile_id,
    keyId: row.key_id,
    subjectProfileId: row.subject_profile_id,
    code: row.code,
    ip: row.ip,
    createdAt: Number(row.created_at),
  };
}

export function toMembership(row: Selectable<MembershipsTable>): Membership {
  return { workspaceId: row.workspace_id, profileId: row.profile_id, role: row.role as Role, createdAt: Number(row.created_at) };
}

export function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    hash: row.hash,
    profileId: row.profile_id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
  };
}
