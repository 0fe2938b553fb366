import { Type, type Static } from '@sinclair/typebox';
import { AUDIT_EVENT_TYPES, KEY_STATUSES, ROLES } from '../../core/model.js';
import { Cursor, Description, ExternalId, Labels, Limit, Name, Nullable, PathId, StringEnum, Timestamp } from './common.js';

/** Schemas of the Cadreen dialect (`/api/v1/maas/…`, `/api/v1/cadreen/…`): snake_case. */

export const KeyStatusSchema = StringEnum(KEY_STATUSES);

export const CadreenKey = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    key_prefix: Type.String(),
    start: Type.String({ description: 'The prefix and first characters of the key, for display' }),
    status: KeyStatusSchema,
    labels: Nullable(Type.Record(Type.String(), Type.String())),
    external_id: Nullable(Type.String()),
    created_at: Timestamp,
    expires_at: Nullable(Timestamp),
    last_used_at: Nullable(Timestamp),
    rotated_from: Nullable(Type.String()),
    rotated_to: Nullable(Type.String()),
    grace_until: Nullable(Timestamp),
    revoked_at: Nullable(Timestamp),
    created_by: Type.String(),
  }
);

export const IssuedCadreenKey = Type.Composite(
  [CadreenKey, Type.Object({ plaintext: Type.String({ description: 'The key itself: shown once, never again' }) })]
);

export const CreateKeyBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Nullable(Description)),
    labels: Type.Optional(Nullable(Labels)),
    external_id: Type.Optional(Nullable(ExternalId)),
    expires_at: Type.Optional(Nullable(Timestamp)),
  },
  { additionalProperties: false },
);
export type CreateKeyBody = Static<typeof CreateKeyBody>;

export const UpdateKeyBody = Type.Partial(CreateKeyBody, { additionalProperties: false });
export type UpdateKeyBody = Static<typeof UpdateKeyBody>;

export const RotateKeyBody = Type.Object(
  { grace_period_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 604800 })) },
  { additionalProperties: false },
);
export type RotateKeyBody = Static<typeof RotateKeyBody>;

export const ListKeysQuery = Type.Object(
  {
    limit: Limit(1000, 100),
    cursor: Type.Optional(Cursor),
    status: Type.Optional(KeyStatusSchema),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Keep keys whose name starts with this' })),
    order: Type.Optional(StringEnum(['asc', 'desc'], { description: 'By creation time; default desc' })),
  },
  { additionalProperties: false },
);
export type ListKeysQuery = Static<typeof ListKeysQuery>;

export const KeyList = Type.Object({
  keys: Type.Array(CadreenKey),
  count: Type.Integer({ description: 'Number of keys matching the filter' }),
  next_cursor: Nullable(Type.String()),
});

export const Health = Type.Object({
  status: Type.Literal('ok'),
  workspace_id: Nullable(Type.String()),
  key_id: Nullable(Type.String()),
});

export const VerifyBody = Type.Object({ key: Type.String({ maxLength: 512 }) }, { additionalProperties: false });

export const RateLimitInfo = Type.Object({
  limit: Type.Integer(),
  remaining: Type.Integer(),
  reset: Type.Integer({ description: 'Seconds until the window resets' }),
});

export const Verification = Type.Object({
  valid: Type.Boolean(),
  code: Type.Optional(Type.String()),
  workspace_id: Type.Optional(Type.String()),
  key_id: Type.Optional(Type.String()),
  status: Type.Optional(KeyStatusSchema),
  ratelimit: Type.Optional(RateLimitInfo),
  expires_at: Type.Optional(Nullable(Timestamp)),
  grace_until: Type.Optional(Nullable(Timestamp)),
});

export const LeaseBody = Type.Object(
  { key_id: Type.String({ minLength: 1, maxLength: 64 }), units: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Units wanted; fewer are granted when less is left' }) },
  { additionalProperties: false },
);
export type LeaseBody = Static<typeof LeaseBody>;

export const LeaseGrant = Type.Object({
  key_id: Type.String(),
  granted: Type.Integer({ description: 'Units charged up front to the key and its workspace: at most what both had left' }),
  limit: Type.Integer({ description: 'The tighter of the key’s limit and its workspace’s budget, per window' }),
  reset: Type.Integer({ description: 'Seconds until a new lease may be granted, or until the window resets' }),
});

export const KeyEventsQuery = Type.Object(
  { last_event_id: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) },
  { additionalProperties: false },
);

export const AuditEventTypeSchema = StringEnum(AUDIT_EVENT_TYPES);

const ProfileTypeSchema = StringEnum(['PROFILE_TYPE_USER', 'PROFILE_TYPE_API_KEY', 'PROFILE_TYPE_SYSTEM'] as const);

/** Who acted (or whom a member event is about), in words where the profile has them. */
export const AuditActor = Type.Object({
  profile_id: Type.String(),
  type: Nullable(ProfileTypeSchema),
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
});

export const CadreenProfile = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  type: ProfileTypeSchema,
  name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  created_at: Timestamp,
});

export const RoleSchema = StringEnum(ROLES);

export const Member = Type.Object({ profile: CadreenProfile, workspace_id: Type.String(), role: RoleSchema, created_at: Timestamp });

export const AddedMember = Type.Composite([
  Member,
  Type.Object({ sign_in_url: Type.Optional(Type.String({ description: 'Single-use sign-in link (15 minutes); only when no OpenID provider is configured' })) }),
]);

export const MemberList = Type.Object({ members: Type.Array(Member), next_cursor: Nullable(Type.String()) });

export const MembersQuery = Type.Object({ limit: Limit(100, 50), cursor: Type.Optional(Cursor) }, { additionalProperties: false });
export type MembersQuery = Static<typeof MembersQuery>;

export const AddMemberBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 320 }), name: Type.Optional(Name), role: RoleSchema },
  { additionalProperties: false },
);
export type AddMemberBody = Static<typeof AddMemberBody>;

export const UpdateMemberBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });
export type UpdateMemberBody = Static<typeof UpdateMemberBody>;

export const MemberParams = Type.Object({ workspace_id: PathId, profile_id: PathId }, { additionalProperties: false });
export type MemberParams = Static<typeof MemberParams>;

export const MeResponse = Type.Object({
  profile: Nullable(CadreenProfile),
  memberships: Type.Array(Type.Object({ workspace_id: Type.String(), workspace_name: Type.String(), role: RoleSchema })),
});

export const CadreenAuditEvent = Type.Object({
  id: Type.String(),
  type: AuditEventTypeSchema,
  actor: Nullable(AuditActor),
  member: Type.Optional(AuditActor),
  actor_profile_id: Nullable(Type.String()),
  key_id: Nullable(Type.String()),
  code: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  created_at: Timestamp,
});

export const AuditQuery = Type.Object(
  { limit: Limit(500, 50), cursor: Type.Optional(Cursor), type: Type.Optional(AuditEventTypeSchema) },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditList = Type.Object({ events: Type.Array(CadreenAuditEvent), next_cursor: Nullable(Type.String()) });

/** The most requests a workspace's limit or budget may allow in one window. */
export const MAX_RATE_LIMIT = 1_000_000;

export const RateLimitSetting = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: MAX_RATE_LIMIT }),
    window_seconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  },
  { additionalProperties: false },
);

const EffectiveRateLimit = (description: string) =>
  Type.Object(
    {
      limit: Type.Integer(),
      window_seconds: Type.Integer(),
      source: StringEnum(['workspace', 'default']),
    },
    { description },
  );

export const CadreenWorkspace = Type.Object(
  {
    id: Type.String(),
    account_id: Type.String(),
    name: Type.String(),
    created_at: Timestamp,
    rate_limit: EffectiveRateLimit('The limit of each key'),
    workspace_rate_limit: EffectiveRateLimit('The budget all keys of the workspace share together'),
  }
);

/** Limits an admin may set on a workspace; `null` returns to the deployment default. */
const WorkspaceLimits = {
  rate_limit: Type.Optional(Nullable(RateLimitSetting)),
  workspace_rate_limit: Type.Optional(Nullable(RateLimitSetting)),
};

export const CreateWorkspaceBody = Type.Object(
  { name: Name, account_id: Type.Optional(Type.String({ maxLength: 64 })), ...WorkspaceLimits },
  { additionalProperties: false },
);
export type CreateWorkspaceBody = Static<typeof CreateWorkspaceBody>;

export const UpdateWorkspaceBody = Type.Object(
  { name: Type.Optional(Name), ...WorkspaceLimits },
  { additionalProperties: false },
);
export type UpdateWorkspaceBody = Static<typeof UpdateWorkspaceBody>;

export const WorkspaceQuery = Type.Object({ limit: Limit(1000, 100), cursor: Type.Optional(Cursor) }, { additionalProperties: false });
export type WorkspaceQuery = Static<typeof WorkspaceQuery>;

export const WorkspaceList = Type.Object({
  workspaces: Type.Array(CadreenWorkspace),
  count: Type.Integer(),
  next_cursor: Nullable(Type.String()),
});
