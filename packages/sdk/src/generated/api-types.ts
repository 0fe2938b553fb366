// Generated from the server’s OpenAPI document by `npm run generate:sdk-types`. Do not edit:
// test/sdk/types-drift.test.ts fails when this file and the server disagree.

export type APIKey = {
  metadata: {
    id: string;
    accountId: string;
    /** RFC 3339 timestamp */
    createdAt: string;
    name: string;
    /** The profile that created the key */
    profileId: string;
    workspaceId: string;
    externalId?: string;
    labels?: Record<string, string>;
  };
  spec: {
    /** Only returned on creation and rotation */
    token?: string;
    description?: string;
  };
  status: {
    state: "ACTIVE" | "ROTATING" | "REVOKED" | "EXPIRED";
    start: string;
    /** RFC 3339 timestamp */
    lastUsedAt?: string;
    /** RFC 3339 timestamp */
    expiresAt?: string;
    rotatedFrom?: string;
    rotatedTo?: string;
    /** RFC 3339 timestamp */
    graceUntil?: string;
    /** RFC 3339 timestamp */
    revokedAt?: string;
  };
  info?: {
    createdBy?: {
      metadata: {
        id: string;
        accountId: string;
        name: string;
        profileId: string;
        externalId?: string;
        labels?: Record<string, string>;
      };
      spec: {
        type: "PROFILE_TYPE_USER" | "PROFILE_TYPE_API_KEY" | "PROFILE_TYPE_SYSTEM";
        email?: string;
        name?: string;
      };
    };
  };
};

export type APIKeyList = {
  items: Array<APIKey>;
  pagination: {
    nextCursor?: string;
    total: number;
  };
};

export type APIKeyListParams = {
  /** Cursor from the previous page */
  cursor?: string;
  /** Page size (1–500, default 50) */
  limit?: number;
  /** Keep keys whose name starts with this */
  prefix?: string;
  /** By creation time; default desc */
  sortOrder?: "asc" | "desc";
  /** Include info.createdBy; costs 2 rate-limit units */
  includeInfo?: boolean;
};

export type APIKeyGetParams = {
  /** Include info.createdBy; costs 2 rate-limit units */
  includeInfo?: boolean;
};

export type APIKeyCreateParams = {
  metadata: {
    /** Human-readable name */
    name: string;
    externalId?: string | null;
    labels?: Record<string, string> | null;
  };
  spec?: {
    description?: string | null;
    /** RFC 3339 timestamp */
    expiresAt?: string | null;
  };
};

export type APIKeyUpdateParams = {
  metadata?: {
    /** Human-readable name */
    name?: string;
    externalId?: string | null;
    labels?: Record<string, string> | null;
  };
  spec?: {
    description?: string | null;
    /** RFC 3339 timestamp */
    expiresAt?: string | null;
  };
};

export type APIKeyRotateParams = {
  gracePeriodSeconds?: number;
};

export type AuditEventList = {
  items: Array<{
    id: string;
    type: "key.created" | "key.updated" | "key.rotated" | "key.revoked" | "auth.refused" | "workspace.created" | "workspace.updated" | "member.added" | "member.updated" | "member.removed" | "session.created" | "session.ended";
    actor?: {
      profileId: string;
      type?: string;
      name?: string;
      email?: string;
    };
    member?: {
      profileId: string;
      type?: string;
      name?: string;
      email?: string;
    };
    actorProfileId?: string;
    keyId?: string;
    code?: string;
    ip?: string;
    /** RFC 3339 timestamp */
    createdAt: string;
  }>;
  pagination: {
    nextCursor?: string;
  };
};

export type AuditEventListParams = {
  /** Cursor from the previous page */
  cursor?: string;
  /** Page size (1–500, default 50) */
  limit?: number;
  type?: "key.created" | "key.updated" | "key.rotated" | "key.revoked" | "auth.refused" | "workspace.created" | "workspace.updated" | "member.added" | "member.updated" | "member.removed" | "session.created" | "session.ended";
};

export type Health = {
  status: "ok";
  workspace_id: string | null;
  key_id: string | null;
};

export type VerifyParams = {
  key: string;
};

export type Verification = {
  valid: boolean;
  code?: string;
  workspace_id?: string;
  key_id?: string;
  status?: "active" | "rotating" | "revoked" | "expired";
  ratelimit?: {
    limit: number;
    remaining: number;
    /** Seconds until the window resets */
    reset: number;
  };
  /** RFC 3339 timestamp */
  expires_at?: string | null;
  /** RFC 3339 timestamp */
  grace_until?: string | null;
};

export type WireWorkspace = {
  id: string;
  account_id: string;
  name: string;
  /** RFC 3339 timestamp */
  created_at: string;
  /** The limit of each key */
  rate_limit: {
    limit: number;
    window_seconds: number;
    source: "workspace" | "default";
  };
  /** The budget all keys of the workspace share together */
  workspace_rate_limit: {
    limit: number;
    window_seconds: number;
    source: "workspace" | "default";
  };
};

export type WireWorkspaceList = {
  workspaces: Array<WireWorkspace>;
  count: number;
  next_cursor: string | null;
};

export type WorkspaceListParams = {
  /** Page size (1–1000, default 100) */
  limit?: number;
  /** Cursor from the previous page */
  cursor?: string;
};

export type WireWorkspaceCreateParams = {
  /** Human-readable name */
  name: string;
  account_id?: string;
  rate_limit?: {
    limit: number;
    window_seconds: number;
  } | null;
  workspace_rate_limit?: {
    limit: number;
    window_seconds: number;
  } | null;
};

export type WireWorkspaceUpdateParams = {
  /** Human-readable name */
  name?: string;
  rate_limit?: {
    limit: number;
    window_seconds: number;
  } | null;
  workspace_rate_limit?: {
    limit: number;
    window_seconds: number;
  } | null;
};

export type WireKey = {
  id: string;
  name: string;
  description: string | null;
  key_prefix: string;
  /** The prefix and first characters of the key, for display */
  start: string;
  status: "active" | "rotating" | "revoked" | "expired";
  labels: Record<string, string> | null;
  external_id: string | null;
  /** RFC 3339 timestamp */
  created_at: string;
  /** RFC 3339 timestamp */
  expires_at: string | null;
  /** RFC 3339 timestamp */
  last_used_at: string | null;
  rotated_from: string | null;
  rotated_to: string | null;
  /** RFC 3339 timestamp */
  grace_until: string | null;
  /** RFC 3339 timestamp */
  revoked_at: string | null;
  created_by: string;
};

export type WireKeyList = {
  keys: Array<WireKey>;
  /** Number of keys matching the filter */
  count: number;
  next_cursor: string | null;
};

export type WireKeyListParams = {
  /** Page size (1–1000, default 100) */
  limit?: number;
  /** Cursor from the previous page */
  cursor?: string;
  status?: "active" | "rotating" | "revoked" | "expired";
  /** Keep keys whose name starts with this */
  prefix?: string;
  /** By creation time; default desc */
  order?: "asc" | "desc";
};

export type WireIssuedKey = {
  id: string;
  name: string;
  description: string | null;
  key_prefix: string;
  /** The prefix and first characters of the key, for display */
  start: string;
  status: "active" | "rotating" | "revoked" | "expired";
  labels: Record<string, string> | null;
  external_id: string | null;
  /** RFC 3339 timestamp */
  created_at: string;
  /** RFC 3339 timestamp */
  expires_at: string | null;
  /** RFC 3339 timestamp */
  last_used_at: string | null;
  rotated_from: string | null;
  rotated_to: string | null;
  /** RFC 3339 timestamp */
  grace_until: string | null;
  /** RFC 3339 timestamp */
  revoked_at: string | null;
  created_by: string;
  /** The key itself: shown once, never again */
  plaintext: string;
};

export type WireKeyCreateParams = {
  /** Human-readable name */
  name: string;
  description?: string | null;
  labels?: Record<string, string> | null;
  external_id?: string | null;
  /** RFC 3339 timestamp */
  expires_at?: string | null;
};

export type WireKeyUpdateParams = {
  /** Human-readable name */
  name?: string;
  description?: string | null;
  labels?: Record<string, string> | null;
  external_id?: string | null;
  /** RFC 3339 timestamp */
  expires_at?: string | null;
};

export type WireKeyRotateParams = {
  grace_period_seconds?: number;
};

export type WireAuditEventList = {
  events: Array<{
    id: string;
    type: "key.created" | "key.updated" | "key.rotated" | "key.revoked" | "auth.refused" | "workspace.created" | "workspace.updated" | "member.added" | "member.updated" | "member.removed" | "session.created" | "session.ended";
    actor: {
      profile_id: string;
      type: "PROFILE_TYPE_USER" | "PROFILE_TYPE_API_KEY" | "PROFILE_TYPE_SYSTEM";
      name?: string;
      email?: string;
    } | null;
    member?: {
      profile_id: string;
      type: "PROFILE_TYPE_USER" | "PROFILE_TYPE_API_KEY" | "PROFILE_TYPE_SYSTEM";
      name?: string;
      email?: string;
    };
    actor_profile_id: string | null;
    key_id: string | null;
    code: string | null;
    ip: string | null;
    /** RFC 3339 timestamp */
    created_at: string;
  }>;
  next_cursor: string | null;
};

export type WireAuditEventListParams = {
  /** Page size (1–500, default 50) */
  limit?: number;
  /** Cursor from the previous page */
  cursor?: string;
  type?: "key.created" | "key.updated" | "key.rotated" | "key.revoked" | "auth.refused" | "workspace.created" | "workspace.updated" | "member.added" | "member.updated" | "member.removed" | "session.created" | "session.ended";
};

export type WireMember = {
  profile: {
    id: string;
    account_id: string;
    type: "PROFILE_TYPE_USER" | "PROFILE_TYPE_API_KEY" | "PROFILE_TYPE_SYSTEM";
    name: string | null;
    email: string | null;
    /** RFC 3339 timestamp */
    created_at: string;
  };
  workspace_id: string;
  role: "owner" | "member";
  /** RFC 3339 timestamp */
  created_at: string;
};

export type WireMemberList = {
  members: Array<WireMember>;
  next_cursor: string | null;
};

export type WireAddedMember = {
  profile: {
    id: string;
    account_id: string;
    type: "PROFILE_TYPE_USER" | "PROFILE_TYPE_API_KEY" | "PROFILE_TYPE_SYSTEM";
    name: string | null;
    email: string | null;
    /** RFC 3339 timestamp */
    created_at: string;
  };
  workspace_id: string;
  role: "owner" | "member";
  /** RFC 3339 timestamp */
  created_at: string;
  /** Single-use sign-in link (15 minutes); only when no OpenID provider is configured */
  sign_in_url?: string;
};

export type WireMemberAddParams = {
  email: string;
  /** Human-readable name */
  name?: string;
  role: "owner" | "member";
};

export type WireMemberUpdateParams = {
  role: "owner" | "member";
};

export type WireMe = {
  profile: {
    id: string;
    account_id: string;
    type: "PROFILE_TYPE_USER" | "PROFILE_TYPE_API_KEY" | "PROFILE_TYPE_SYSTEM";
    name: string | null;
    email: string | null;
    /** RFC 3339 timestamp */
    created_at: string;
  } | null;
  memberships: Array<{
    workspace_id: string;
    workspace_name: string;
    role: "owner" | "member";
  }>;
};

export type ErrorBody = {
  error: {
    code: "auth_missing" | "auth_invalid" | "auth_revoked" | "auth_rotating" | "auth_forbidden" | "rate_limited" | "invalid_request" | "not_found" | "conflict" | "payload_too_large" | "service_unavailable" | "internal_error" | "quota_exceeded" | "method_not_allowed" | "request_timeout" | "uri_too_long" | "headers_too_large";
    message: string;
    request_id: string;
    details?: Array<{
      field: string;
      message: string;
    }>;
  };
};
