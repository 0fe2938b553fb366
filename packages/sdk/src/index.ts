export { Cadreen, type CadreenOptions } from './client.js';
export * from './errors.js';
export type * from './generated/api-types.js';
export { Page, PagePromise } from './pagination.js';
export { MAX_RETRY_AFTER_SECONDS, type RequestOptions } from './transport.js';
export { VERSION } from './version.js';
export type { WireActor, WireAuditEvent, WireKeyStatus, WireMembership, WireProfile } from './wire.js';
export type {
  AddedMember,
  Me,
  Member,
  MemberAddParams,
  MemberListParams,
  MemberProfile,
  MemberRole,
  MemberScope,
  MemberUpdateParams,
  Membership,
  ProfileType,
} from './members.js';
export type {
  RateLimit,
  RateLimitParams,
  RateLimitSource,
  Workspace,
  WorkspaceCreateParams,
  WorkspaceListParams,
  WorkspaceUpdateParams,
} from './workspaces.js';
export type { AuditActor, AuditEvent, AuditEventListParams, AuditEventType } from './resources.js';
export { Verifier, type CadreenCaller, type VerifierEvents, type VerifierOptions, type VerifyRefusalCode, type VerifyResult } from './verifier.js';
export { DEFAULT_KEY_PREFIX, hasValidKeyFormat } from './key-format.js';
