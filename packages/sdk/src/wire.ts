// Names for parts of the API's own snake_case shapes (the generated `Wire…` types), for code that
// speaks the API's JSON directly rather than through this SDK's camelCase methods.
import type { WireAuditEventList, WireKey, WireMe, WireMember } from './generated/api-types.js';

/** A key's state in the Cadreen dialect. */
export type WireKeyStatus = WireKey['status'];
/** One entry of `GET /api/v1/maas/workspaces/{id}/audit-events`. */
export type WireAuditEvent = WireAuditEventList['events'][number];
/** Who acted, as an audit event names them. */
export type WireActor = NonNullable<WireAuditEvent['actor']>;
/** A profile: a person, an API key, or the service itself. */
export type WireProfile = WireMember['profile'];
/** One workspace of `GET /api/v1/maas/me`. */
export type WireMembership = WireMe['memberships'][number];
