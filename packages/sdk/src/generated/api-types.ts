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
