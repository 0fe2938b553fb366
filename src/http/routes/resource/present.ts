import type { AuditEvent, KeyView, Profile } from '../../../core/model.js';
import { iso } from '../../schemas/common.js';

/** Domain → JSON of the resource dialect (camelCase; absent optional fields are left out). */

const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;

export function presentProfile(profile: Profile) {
  return {
    metadata: { id: profile.id, accountId: profile.accountId, name: profile.name ?? '', profileId: profile.createdBy ?? profile.id },
    spec: defined({ type: profile.type, email: profile.email, name: profile.name }),
  };
}

export function presentApiKey(key: KeyView, extra: { token?: string; createdBy?: Profile } = {}) {
  return {
    metadata: defined({
      id: key.id,
      accountId: key.accountId,
      createdAt: iso(key.createdAt)!,
      name: key.name,
      profileId: key.createdBy,
      workspaceId: key.workspaceId,
      externalId: key.externalId,
      labels: key.labels,
    }),
    spec: defined({ token: extra.token, description: key.description }),
    status: defined({
      state: key.status.toUpperCase() as 'ACTIVE' | 'ROTATING' | 'REVOKED' | 'EXPIRED',
      start: key.start,
      lastUsedAt: iso(key.lastUsedAt),
      expiresAt: iso(key.expiresAt),
      rotatedFrom: key.rotatedFrom,
      rotatedTo: key.rotatedTo,
      graceUntil: iso(key.graceUntil),
      revokedAt: iso(key.revokedAt),
    }),
    ...(extra.createdBy ? { info: { createdBy: presentProfile(extra.createdBy) } } : {}),
  };
}

function presentActor(id: string | null | undefined, profiles: ReadonlyMap<string, Profile>) {
  if (!id) return undefined;
  const profile = profiles.get(id);
  return defined({ profileId: id, type: profile?.type, name: profile?.name, email: profile?.email });
}

export function presentAuditEvent(event: AuditEvent, profiles: ReadonlyMap<string, Profile> = new Map()) {
  return defined({
    id: event.id,
    type: event.type,
    actor: presentActor(event.actorProfileId, profiles),
    member: presentActor(event.subjectProfileId, profiles),
    actorProfileId: event.actorProfileId,
    keyId: event.keyId,
    code: event.code,
    ip: event.ip,
    createdAt: iso(event.createdAt)!,
  });
}
