import { Type, type Static } from '@sinclair/typebox';
import { Cursor, Description, ExternalId, Labels, Limit, Name, Nullable, StringEnum, Timestamp } from './common.js';
import { AuditEventTypeSchema } from './cadreen.js';

/** Schemas of the resource dialect (`/v1/…`): camelCase, `{metadata, spec, status, info}`. */

export const ProfileSchema = Type.Object(
  {
    metadata: Type.Object({
      id: Type.String(),
      accountId: Type.String(),
      name: Type.String(),
      profileId: Type.String(),
      externalId: Type.Optional(Type.String()),
      labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
    spec: Type.Object({
      type: StringEnum(['PROFILE_TYPE_USER', 'PROFILE_TYPE_API_KEY', 'PROFILE_TYPE_SYSTEM']),
      email: Type.Optional(Type.String()),
      name: Type.Optional(Type.String()),
    }),
  }
);

export const ApiKeyResource = Type.Object(
  {
    metadata: Type.Object({
      id: Type.String(),
      accountId: Type.String(),
      createdAt: Timestamp,
      name: Type.String(),
      profileId: Type.String({ description: 'The profile that created the key' }),
      workspaceId: Type.String(),
      externalId: Type.Optional(Type.String()),
      labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
    spec: Type.Object({
      token: Type.Optional(Type.String({ description: 'Only returned on creation and rotation' })),
      description: Type.Optional(Type.String()),
    }),
    status: Type.Object({
      state: StringEnum(['ACTIVE', 'ROTATING', 'REVOKED', 'EXPIRED']),
      start: Type.String(),
      lastUsedAt: Type.Optional(Timestamp),
      expiresAt: Type.Optional(Timestamp),
      rotatedFrom: Type.Optional(Type.String()),
      rotatedTo: Type.Optional(Type.String()),
      graceUntil: Type.Optional(Timestamp),
      revokedAt: Type.Optional(Timestamp),
    }),
    info: Type.Optional(Type.Object({ createdBy: Type.Optional(ProfileSchema) })),
  }
);

const Metadata = Type.Object(
  { name: Name, externalId: Type.Optional(Nullable(ExternalId)), labels: Type.Optional(Nullable(Labels)) },
  { additionalProperties: false },
);
const Spec = Type.Object(
  { description: Type.Optional(Nullable(Description)), expiresAt: Type.Optional(Nullable(Timestamp)) },
  { additionalProperties: false },
);

export const CreateApiKeyBody = Type.Object(
  { metadata: Metadata, spec: Type.Optional(Spec) },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const UpdateApiKeyBody = Type.Object(
  { metadata: Type.Optional(Type.Partial(Metadata, { additionalProperties: false })), spec: Type.Optional(Spec) },
  { additionalProperties: false },
);
export type UpdateApiKeyBody = Static<typeof UpdateApiKeyBody>;

export const RotateApiKeyBody = Type.Object(
  { gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 604800 })) },
  { additionalProperties: false },
);
export type RotateApiKeyBody = Static<typeof RotateApiKeyBody>;

export const ListApiKeysQuery = Type.Object(
  {
    cursor: Type.Optional(Cursor),
    limit: Limit(500, 50),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Keep keys whose name starts with this' })),
    sortOrder: Type.Optional(StringEnum(['asc', 'desc'], { description: 'By creation time; default desc' })),
    includeInfo: Type.Optional(Type.Boolean({ description: 'Include info.createdBy; costs 2 rate-limit units' })),
  },
  { additionalProperties: false },
);
export type ListApiKeysQuery = Static<typeof ListApiKeysQuery>;

export const GetApiKeyQuery = Type.Object(
  { includeInfo: Type.Optional(Type.Boolean({ description: 'Include info.createdBy; costs 2 rate-limit units' })) },
  { additionalProperties: false },
);
export type GetApiKeyQuery = Static<typeof GetApiKeyQuery>;

export const ListApiKeysResponse = Type.Object({
  items: Type.Array(ApiKeyResource),
  pagination: Type.Object({ nextCursor: Type.Optional(Type.String()), total: Type.Integer() }),
});

const AuditActorResource = Type.Object({
  profileId: Type.String(),
  type: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
});

export const AuditEventResource = Type.Object({
  id: Type.String(),
  type: AuditEventTypeSchema,
  actor: Type.Optional(AuditActorResource),
  member: Type.Optional(AuditActorResource),
  actorProfileId: Type.Optional(Type.String()),
  keyId: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  ip: Type.Optional(Type.String()),
  createdAt: Timestamp,
});

export const ListAuditEventsQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Limit(500, 50), type: Type.Optional(AuditEventTypeSchema) },
  { additionalProperties: false },
);
export type ListAuditEventsQuery = Static<typeof ListAuditEventsQuery>;

export const ListAuditEventsResponse = Type.Object({
  items: Type.Array(AuditEventResource),
  pagination: Type.Object({ nextCursor: Type.Optional(Type.String()) }),
});
