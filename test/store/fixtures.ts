import { newId } from '../../src/core/ids.js';
import type { ApiKey, AuditEvent, Millis, Workspace } from '../../src/core/model.js';
import type { Store } from '../../src/core/ports.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { createTestDatabase, TEST_DATABASE_URL } from '../support/services.js';

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

/** An account with its system profile and one workspace, as each contract case starts from. */
export interface SeededAccount {
  now: Millis;
  accountId: string;
  systemProfileId: string;
  workspace: Workspace;
  /** An audit event of the seeded workspace by its system profile, with `extra` fields. */
  event(type: AuditEvent['type'], extra?: Partial<AuditEvent>): AuditEvent;
}

export async function seedAccount(store: Store): Promise<SeededAccount> {
  const now = Date.now();
  const accountId = newId('acct');
  const systemProfileId = newId('prof');
  await store.insertAccount({ id: accountId, name: 'Acme', systemProfileId, createdAt: now }, [
    { id: systemProfileId, accountId, type: 'PROFILE_TYPE_SYSTEM', name: 'Cadreen', email: null, createdBy: null, createdAt: now },
  ]);
  const workspace: Workspace = { id: newId('ws'), accountId, name: 'main', rateLimit: null, workspaceRateLimit: null, createdAt: now };
  const event = (type: AuditEvent['type'], extra: Partial<AuditEvent> = {}): AuditEvent => ({
    id: newId('evt'),
    workspaceId: workspace.id,
    type,
    actorProfileId: systemProfileId,
    keyId: null,
    code: null,
    ip: null,
    createdAt: now,
    ...extra,
  });
  await store.insertWorkspace(workspace, event('workspace.created'));
  return { now, accountId, systemProfileId, workspace, event };
}

/** Opens each contract case's PostgreSQL store in a database of its own, and drops it after. */
export function postgresStores(poolSize = 10): { open: () => Promise<Store>; dispose: (store: Store) => Promise<void> } {
  const drops = new Map<Store, () => Promise<void>>();
  return {
    async open() {
      const database = await createTestDatabase(TEST_DATABASE_URL!);
      const store = await openPostgresStore(database.url, { poolSize });
      drops.set(store, database.drop);
      return store;
    },
    async dispose(store) {
      await store.close();
      await drops.get(store)?.();
      drops.delete(store);
    },
  };
}
