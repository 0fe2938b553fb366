import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds (INTEGER in
 * SQLite, BIGINT in PostgreSQL, which the driver may hand back as strings).
 */
type Time = number | string;

export interface AccountsTable {
  id: string;
  name: string;
  system_profile_id: string;
  created_at: Time;
}

export interface ProfilesTable {
  id: string;
  account_id: string;
  type: string;
  name: string | null;
  email: string | null;
  created_by: string | null;
  created_at: Time;
}

export interface WorkspacesTable {
  id: string;
  account_id: string;
  name: string;
  rate_limit: number | null;
  rate_limit_window_seconds: number | null;
  /** The budget all keys share; null columns mean the deployment default. */
  workspace_rate_limit: number | null;
  workspace_rate_limit_window_seconds: number | null;
  /** Key counts per stored state, kept in the same transactions that change keys, so list totals stay O(1). */
  keys_active: Generated<number>;
  keys_rotating: Generated<number>;
  keys_revoked: Generated<number>;
  created_at: Time;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  account_id: string;
  actor_profile_id: string;
  created_by: string;
  name: string;
  description: string | null;
  labels: string | null;
  external_id: string | null;
  hash: string;
  start: string;
  state: string;
  created_at: Time;
  expires_at: Time | null;
  last_used_at: Time | null;
  rotated_from: string | null;
  rotated_to: string | null;
  grace_until: Time | null;
  revoked_at: Time | null;
}

export interface AuditEventsTable {
  id: string;
  workspace_id: string;
  type: string;
  actor_profile_id: string | null;
  key_id: string | null;
  subject_profile_id: string | null;
  code: string | null;
  ip: string | null;
  created_at: Time;
}

export interface MembershipsTable {
  workspace_id: string;
  profile_id: string;
  role: string;
  created_at: Time;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 of the session token; the token itself is never stored. */
  hash: string;
  profile_id: string;
  created_at: Time;
  last_seen_at: Time;
  expires_at: Time;
  ended_at: Time | null;
}

export interface SignInLinksTable {
  /** SHA-256 of the link's token. */
  hash: string;
  profile_id: string;
  created_at: Time;
  expires_at: Time;
  used_at: Time | null;
}

export interface KeyEventsTable {
  id: Generated<number | string>;
  type: string;
  key_id: string | null;
  workspace_id: string;
  created_at: Time;
}

export interface SettingsTable {
  name: string;
  value: string;
}

export interface Database {
  accounts: AccountsTable;
  profiles: ProfilesTable;
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  sign_in_links: SignInLinksTable;
  key_events: KeyEventsTable;
}
