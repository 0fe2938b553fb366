import type { Principal, Verification } from '../../../core/auth.js';
import type { AuditEvent, KeyView, Profile, Workspace } from '../../../core/model.js';
import type { Me } from '../../../core/people.js';
import type { MemberRecord } from '../../../core/ports.js';
import type { EffectiveLimit, WorkspaceLimits } from '../../../core/limits.js';
import { tightestWindow } from '../../../core/rate-limit-windows.js';
import type { RateLimitDecision } from '../../../core/ports.js';
import { iso } from '../../schemas/common.js';

/** Domain → JSON of the Cadreen dialect (snake_case, absent values as null). */

/** `GET /api/v1/cadreen/health`: which workspace and key called (both null for the admin token). */
export function presentHealth(principal: Principal) {
  return principal.kind === 'key'
    ? { status: 'ok' as const, workspace_id: principal.workspaceId, key_id: principal.keyId }
    : { status: 'ok' as const, workspace_id: null, key_id: null };
}

export function presentKey(key: KeyView) {
  return {
    id: key.id,
    name: key.name,
    description: key.description,
    key_prefix: key.start.slice(0, -4),
    start: key.start,
    status: key.status,
    labels: key.labels,
    external_id: key.externalId,
    created_at: iso(key.createdAt)!,
    expires_at: iso(key.expiresAt),
    last_used_at: iso(key.lastUsedAt),
    rotated_from: key.rotatedFrom,
    rotated_to: key.rotatedTo,
    grace_until: iso(key.graceUntil),
    revoked_at: iso(key.revokedAt),
    created_by: key.createdBy,
  };
}

export function presentIssuedKey(issued: { key: KeyView; plaintext: string }) {
  return { ...presentKey(issued.key), plaintext: issued.plaintext };
}

/** A profile as an audit event names it: who it is, in words where the profile has them. */
function presentActor(id: string | null, profiles: ReadonlyMap<string, Profile>) {
  if (id === null) return null;
  const profile = profiles.get(id);
  return {
    profile_id: id,
    type: profile?.type ?? null,
    ...(profile?.name ? { name: profile.name } : {}),
    ...(profile?.email ? { email: profile.email } : {}),
  };
}

export function presentProfile(profile: Profile) {
  return {
    id: profile.id,
    account_id: profile.accountId,
    type: profile.type,
    name: profile.name,
    email: profile.email,
    created_at: iso(profile.createdAt)!,
  };
}

export function presentMember({ membership, profile }: MemberRecord) {
  return { profile: presentProfile(profile), workspace_id: membership.workspaceId, role: membership.role, created_at: iso(membership.createdAt)! };
}

export function presentMe(me: Me) {
  return {
    profile: me.profile ? presentProfile(me.profile) : null,
    memberships: me.memberships.map(({ workspace, role }) => ({ workspace_id: workspace.id, workspace_name: workspace.name, role })),
  };
}

export function presentEvent(event: AuditEvent, profiles: ReadonlyMap<string, Profile> = new Map()) {
  return {
    id: event.id,
    type: event.type,
    actor: presentActor(event.actorProfileId, profiles),
    ...(event.subjectProfileId ? { member: presentActor(event.subjectProfileId, profiles) } : {}),
    actor_profile_id: event.actorProfileId,
    key_id: event.keyId,
    code: event.code,
    ip: event.ip,
    created_at: iso(event.createdAt)!,
  };
}

const presentLimit = ({ policy, source }: EffectiveLimit) => ({ limit: policy.limit, window_seconds: policy.windowSeconds, source });

export function presentWorkspace(workspace: Workspace, limits: WorkspaceLimits) {
  return {
    id: workspace.id,
    account_id: workspace.accountId,
    name: workspace.name,
    created_at: iso(workspace.createdAt)!,
    rate_limit: presentLimit(limits.perKey),
    workspace_rate_limit: presentLimit(limits.workspace),
  };
}

/** The window closest to exhaustion, as the verify answer's `ratelimit`. */
function presentTightestWindow(decision: RateLimitDecision) {
  const window = tightestWindow(decision);
  return { limit: window.limit, remaining: window.remaining, reset: window.resetSeconds };
}

export function presentVerification(result: Verification) {
  return {
    valid: result.valid,
    ...(result.code ? { code: result.code } : {}),
    ...(result.workspaceId ? { workspace_id: result.workspaceId } : {}),
    ...(result.keyId ? { key_id: result.keyId } : {}),
    ...(result.status ? { status: result.status } : {}),
    ...(result.rateLimit ? { ratelimit: presentTightestWindow(result.rateLimit) } : {}),
    ...(result.valid ? { expires_at: iso(result.expiresAt ?? null), grace_until: iso(result.graceUntil ?? null) } : {}),
  };
}
