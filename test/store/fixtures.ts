import { newId } from '../../src/core/ids.js';
import type { ApiKey, Millis } from '../../src/core/model.js';

/** An active key row as the domain would hand it to a store, with a made-up hash unique to it. */
export function keyRow(
  owner: { workspaceId: string; accountId: string; createdBy: string; now: Millis },
  name: string,
  overrides: Partial<ApiKey> = {},
): ApiKey {
  const id = newId('key');
  return {
    id,
    workspaceId: owner.workspaceId,
    accountId: owner.accountId,
    actorProfileId: newId('prof'),
    createdBy: owner.createdBy,
    name,
    description: null,
    labels: null,
    externalId: null,
    hash: `hash-${id}`,
    start: 'sk_cadreen_abcd',
    state: 'active',
    createdAt: owner.now,
    expiresAt: null,
    lastUsedAt: null,
    rotatedFrom: null,
    rotatedTo: null,
    graceUntil: null,
    revokedAt: null,
    ...overrides,
  };
}
