import { expect } from 'vitest';
import type { ApiKey, AuditEvent } from '../../src/core/model.js';
import type { Harness } from './harness.js';

/** Every key row and audit event of a workspace, as the store holds them. */
export interface WorkspaceSnapshot {
  keys: ApiKey[];
  events: AuditEvent[];
}

/** Reads past every row: these workspaces hold a few hundred at most. */
const ALL = { order: 'asc', after: null, limit: 100_000 } as const;

/**
 * Takes the snapshot once the batched writes (last use, refused
 * authentications) already gathered are in the store, so only what happens
 * after it can differ.
 */
export async function snapshotWorkspace(harness: Harness, workspaceId: string): Promise<WorkspaceSnapshot> {
  await harness.cadreen.usage.flush();
  const { store } = harness.cadreen;
  // `now` only decides which listed keys count as expired; without a status filter every row is listed.
  const keys = await store.listKeys({ workspaceId, now: 0 }, ALL);
  const events = await store.listAuditEvents({ workspaceId }, ALL);
  return { keys, events };
}

/** What a request may legitimately have changed: the event recording its refusal, the last use of the key that made it. */
export interface Allowed {
  /** The code of the one `auth.refused` event that refusing one of the workspace's own keys records. */
  recorded?: string;
  /** The id of the key that authenticated the request: its `lastUsedAt` may move forward, nothing else of it. */
  usedBy?: string;
}

/**
 * Asserts that nothing changed in the workspace since `before`: every key row
 * is the same, field for field, and no audit event was added or altered,
 * except for what `allowed` names.
 */
export async function expectWorkspaceUnchanged(harness: Harness, workspaceId: string, before: WorkspaceSnapshot, allowed: Allowed = {}): Promise<void> {
  const after = await snapshotWorkspace(harness, workspaceId);
  const earlier = new Map(before.keys.map((key) => [key.id, key]));
  const caller = after.keys.find((key) => key.id === allowed.usedBy);
  const callerBefore = caller && earlier.get(caller.id);
  if (caller && callerBefore?.lastUsedAt != null) expect(caller.lastUsedAt, 'last use of the calling key').toBeGreaterThanOrEqual(callerBefore.lastUsedAt);
  const comparable = after.keys.map((key) => (key === caller && callerBefore ? { ...key, lastUsedAt: callerBefore.lastUsedAt } : key));
  expect(comparable, 'key rows').toEqual(before.keys);
  const known = new Set(before.events.map((event) => event.id));
  expect(after.events.filter((event) => known.has(event.id)), 'earlier audit events').toEqual(before.events);
  const added = after.events.filter((event) => !known.has(event.id));
  expect(
    added.map((event) => [event.type, event.code]),
    'audit events added',
  ).toEqual(allowed.recorded === undefined ? [] : [['auth.refused', allowed.recorded]]);
}
