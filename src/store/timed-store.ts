import type { Store, Telemetry } from '../core/ports.js';

/**
 * Which store methods are timed: every method of the port but `close`. A
 * record over the port's keys, so a method added to `Store` does not compile
 * until it is listed here.
 */
const TIMED: Record<keyof Store, boolean> = {
  insertAccount: true,
  listAccounts: true,
  findAccount: true,
  findProfile: true,
  findProfiles: true,
  insertWorkspace: true,
  findWorkspace: true,
  listWorkspaces: true,
  countWorkspaces: true,
  updateWorkspace: true,
  insertKey: true,
  findKeyByHash: true,
  findKeyById: true,
  findKey: true,
  listKeys: true,
  countKeys: true,
  updateKey: true,
  rotateKey: true,
  revokeKey: true,
  touchKeys: true,
  findUsersByEmail: true,
  insertUser: true,
  findMembership: true,
  listMembers: true,
  listMembershipsOf: true,
  addMember: true,
  changeMemberRole: true,
  removeMember: true,
  insertSession: true,
  findSessionByHash: true,
  touchSession: true,
  endSession: true,
  insertSignInLink: true,
  redeemSignInLink: true,
  listKeyEvents: true,
  keyEventBounds: true,
  recordExpiries: true,
  pruneKeyEvents: true,
  insertAuditEvents: true,
  listAuditEvents: true,
  ping: true,
  probeWrite: true,
  secret: true,
  close: false,
};

/** `findKeyByHash` → `find_key_by_hash`. */
const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * The same store, reporting how long each call took (whether it succeeded or
 * failed) to `telemetry.storeOperation`, for any backend. A call costs two
 * clock readings more; nothing else changes.
 */
export function timedStore(store: Store, telemetry: Pick<Telemetry, 'storeOperation'>): Store {
  const timed: Partial<Record<keyof Store, Method>> = {};
  for (const method of Object.keys(TIMED) as (keyof Store)[]) {
    const call = (store[method] as Method).bind(store);
    if (!TIMED[method]) {
      timed[method] = call;
      continue;
    }
    const operation = snakeCase(method);
    timed[method] = async (...args) => {
      const started = performance.now();
      try {
        return await call(...args);
      } finally {
        telemetry.storeOperation(operation, (performance.now() - started) / 1000);
      }
    };
  }
  return timed as Store;
}
