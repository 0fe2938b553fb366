import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import type { ApiKey, AuditEvent, Millis } from '../../src/core/model.js';
import { MAX_PENDING_REFUSALS, MAX_WRITE_ATTEMPTS, UsageRecorder } from '../../src/core/usage-recorder.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/core/ports.js';
import { createTestDatabase, needs, TEST_DATABASE_URL } from '../support/services.js';
import { keyRow } from './fixtures.js';

interface Backend {
  name: string;
  /** Suite options: skipped, saying why, when the backend's server did not answer. */
  options: ReturnType<typeof needs>;
  open(): Promise<{ store: Store; dispose: () => Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    options: {},
    async open() {
      const store = await openSqliteStore(':memory:');
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'postgres',
    options: needs('postgres'),
    async open() {
      const database = await createTestDatabase(TEST_DATABASE_URL!);
      const store = await openPostgresStore(database.url);
      return {
        store,
        dispose: async () => {
          await store.close();
          await database.drop();
        },
      };
    },
  },
];

/** A store that fails chosen writes, for the rest delegating to a real one. */
class FaultyStore {
  /** Audit batches containing one of these event ids fail with a plain (non-unavailable) error. */
  readonly poisoned = new Set<string>();
  /** While set, every write fails as unavailable. */
  unavailable = false;
  /** Last-use writes still to fail with a plain error. */
  touchFailures = 0;
  auditWrites = 0;
  touchWrites = 0;

  constructor(readonly real: Store) {}

  asStore(): Store {
    return new Proxy(this.real, {
      get: (target, property, receiver) => {
        if (property === 'insertAuditEvents') return (events: AuditEvent[]) => this.insertAuditEvents(events);
        if (property === 'touchKeys') return (lastUsed: ReadonlyMap<string, Millis>) => this.touchKeys(lastUsed);
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  private async insertAuditEvents(events: AuditEvent[]): Promise<void> {
    this.auditWrites += 1;
    if (this.unavailable) throw new StoreUnavailableError('the store is unreachable');
    if (events.some((e) => this.poisoned.has(e.id))) throw new Error('a bug in this batch');
    await this.real.insertAuditEvents(events);
  }

  private async touchKeys(lastUsed: ReadonlyMap<string, Millis>): Promise<void> {
    this.touchWrites += 1;
    if (this.unavailable) throw new StoreUnavailableError('the store is unreachable');
    if (this.touchFailures > 0) {
      this.touchFailures -= 1;
      throw new Error('a bug in this batch');
    }
    await this.real.touchKeys(lastUsed);
  }
}

for (const backend of BACKENDS) {
  describe(`usage recorder over ${backend.name}`, backend.options, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let faulty: FaultyStore;
    let recorder: UsageRecorder;
    let warnings: { details: Record<string, unknown>; message: string }[];
    const workspaceId = newId('ws');
    const now = Date.now();

    const refusal = (extra: Partial<AuditEvent> = {}): AuditEvent => ({
      id: newId('evt'),
      workspaceId,
      type: 'auth.refused',
      actorProfileId: null,
      keyId: newId('key'),
      code: 'auth_revoked',
      ip: '192.0.2.7',
      createdAt: now,
      ...extra,
    });

    const recorded = async () =>
      (await store.listAuditEvents({ workspaceId, type: 'auth.refused' }, { order: 'asc', after: null, limit: 20_000 })).map((e) => e.id);

    beforeEach(async () => {
      ({ store, dispose } = await backend.open());
      faulty = new FaultyStore(store);
      warnings = [];
      recorder = new UsageRecorder(faulty.asStore(), {
        // Only explicit flushes write in these tests.
        flushIntervalMs: 3_600_000,
        maxRefusalsPerKeyMinute: 10,
        logger: { warn: (details, message) => void warnings.push({ details: details as Record<string, unknown>, message }) },
      });
    });

    afterEach(async () => {
      faulty.unavailable = false;
      faulty.poisoned.clear();
      await recorder.close();
      await dispose();
    });

    it('records a full queue of refusals in one flush, and a refusal that comes later too', async () => {
      const flood = Array.from({ length: MAX_PENDING_REFUSALS }, () => refusal());
      for (const event of flood) recorder.refused(event);
      await recorder.flush();
      const later = refusal();
      recorder.refused(later);
      await recorder.flush();
      const ids = await recorded();
      expect(ids).toHaveLength(MAX_PENDING_REFUSALS + 1);
      expect(ids).toContain(later.id);
      expect(recorder.droppedEvents).toBe(0);
      expect(warnings).toEqual([]);
    });

    it('drops a batch that keeps failing after three attempts, counts it, and records the batches around it', async () => {
      const poison = refusal();
      faulty.poisoned.add(poison.id);
      recorder.refused(poison);
      await recorder.flush();
      const meanwhile = refusal();
      recorder.refused(meanwhile);
      await recorder.flush();
      expect(await recorded()).toEqual([meanwhile.id]);
      await recorder.flush();
      expect(faulty.auditWrites).toBe(MAX_WRITE_ATTEMPTS + 1);
      expect(recorder.droppedEvents).toBe(1);
      expect(warnings.filter((w) => w.details.dropped !== undefined).map((w) => w.details)).toEqual([{ dropped: 1, total_dropped: 1 }]);

      // Dropped means no further attempts.
      await recorder.flush();
      expect(faulty.auditWrites).toBe(MAX_WRITE_ATTEMPTS + 1);
      const after = refusal();
      recorder.refused(after);
      await recorder.flush();
      expect((await recorded()).sort()).toEqual([meanwhile.id, after.id].sort());
    });

    it('keeps refusals through a short outage and postpones the rest of a flush once the store is found unavailable', async () => {
      const first = refusal();
      recorder.refused(first);
      faulty.unavailable = true;
      await recorder.flush();
      const second = refusal();
      recorder.refused(second);
      const writesBefore = faulty.auditWrites;
      await recorder.flush();
      // The retried batch found the store away; the new batch waited without a write.
      expect(faulty.auditWrites).toBe(writesBefore + 1);
      faulty.unavailable = false;
      await recorder.flush();
      expect((await recorded()).sort()).toEqual([first.id, second.id].sort());
      expect(recorder.droppedEvents).toBe(0);
    });

    it('drops refusals beyond the queue bound while the store is away and reports them once in a warning', async () => {
      faulty.unavailable = true;
      for (let i = 0; i < MAX_PENDING_REFUSALS + 25; i++) recorder.refused(refusal());
      expect(recorder.droppedEvents).toBe(25);
      await recorder.flush();
      const reports = warnings.filter((w) => w.details.dropped !== undefined);
      expect(reports.map((w) => w.details)).toEqual([{ dropped: 25, total_dropped: 25 }]);
      faulty.unavailable = false;
      await recorder.flush();
      expect(await recorded()).toHaveLength(MAX_PENDING_REFUSALS);
    });

    it('bounds the queue at 10 000 refusals between flushes, counts each one dropped, and takes more once they are written', async () => {
      for (let i = 0; i < MAX_PENDING_REFUSALS + 5; i++) recorder.refused(refusal());
      expect(recorder.droppedEvents).toBe(5);
      await recorder.flush();
      expect(await recorded()).toHaveLength(MAX_PENDING_REFUSALS);
      expect(warnings.filter((w) => w.details.dropped !== undefined).map((w) => w.details)).toEqual([{ dropped: 5, total_dropped: 5 }]);

      const later = refusal();
      recorder.refused(later);
      expect(recorder.droppedEvents).toBe(5);
      await recorder.flush();
      expect(await recorded()).toContain(later.id);
    });

    it('counts refusals waiting for another attempt against the bound, and frees their room once they are dropped', async () => {
      const failing = Array.from({ length: 6_000 }, () => refusal());
      faulty.poisoned.add(failing[0]!.id);
      for (const event of failing) recorder.refused(event);
      await recorder.flush();
      // 6 000 wait for a retry: 4 000 more fit, the rest is dropped.
      const meanwhile = Array.from({ length: 5_000 }, () => refusal());
      for (const event of meanwhile) recorder.refused(event);
      expect(recorder.droppedEvents).toBe(1_000);

      await recorder.flush();
      await recorder.flush();
      expect(faulty.auditWrites).toBe(MAX_WRITE_ATTEMPTS + 1);
      expect(recorder.droppedEvents).toBe(1_000 + 6_000);
      expect((await recorded()).sort()).toEqual(meanwhile.slice(0, 4_000).map((e) => e.id).sort());

      for (let i = 0; i < MAX_PENDING_REFUSALS; i++) recorder.refused(refusal());
      expect(recorder.droppedEvents).toBe(7_000);
      await recorder.flush();
      expect(await recorded()).toHaveLength(4_000 + MAX_PENDING_REFUSALS);
    });

    it('keeps a key’s refusals to its share a minute, without counting the rest as dropped', async () => {
      const keyId = newId('key');
      for (let i = 0; i < 12; i++) recorder.refused(refusal({ keyId }));
      const nextMinute = refusal({ keyId, createdAt: now + 60_000 });
      recorder.refused(nextMinute);
      await recorder.flush();
      const ids = await recorded();
      expect(ids).toHaveLength(10 + 1);
      expect(ids).toContain(nextMinute.id);
      expect(recorder.droppedEvents).toBe(0);
    });

    it('retries a last-use time that failed to be written, and drops it after three failures', async () => {
      const key = await insertKey(store, workspaceId, now);
      faulty.touchFailures = 1;
      recorder.keyUsed(key.id, now + 1_000);
      await recorder.flush();
      await recorder.flush();
      expect((await store.findKey(workspaceId, key.id))?.lastUsedAt).toBe(now + 1_000);

      faulty.touchFailures = MAX_WRITE_ATTEMPTS;
      recorder.keyUsed(key.id, now + 2_000);
      for (let i = 0; i < MAX_WRITE_ATTEMPTS + 1; i++) await recorder.flush();
      expect(recorder.droppedLastUseTimes).toBe(1);
      expect((await store.findKey(workspaceId, key.id))?.lastUsedAt).toBe(now + 1_000);
      expect(warnings.filter((w) => w.details.dropped !== undefined).map((w) => w.details)).toEqual([{ dropped: 1, total_dropped: 1 }]);

      recorder.keyUsed(key.id, now + 3_000);
      await recorder.flush();
      expect((await store.findKey(workspaceId, key.id))?.lastUsedAt).toBe(now + 3_000);
    });
  });
}

/** One account, workspace and key, straight through the store. */
async function insertKey(store: Store, workspaceId: string, now: Millis): Promise<ApiKey> {
  const accountId = newId('acct');
  const systemProfileId = newId('prof');
  await store.insertAccount({ id: accountId, name: 'Acme', systemProfileId, createdAt: now }, [
    { id: systemProfileId, accountId, type: 'PROFILE_TYPE_SYSTEM', name: 'Cadreen', email: null, createdBy: null, createdAt: now },
  ]);
  const event = (type: AuditEvent['type'], keyId: string | null = null): AuditEvent => ({
    id: newId('evt'),
    workspaceId,
    type,
    actorProfileId: systemProfileId,
    keyId,
    code: null,
    ip: null,
    createdAt: now,
  });
  await store.insertWorkspace({ id: workspaceId, accountId, name: 'main', rateLimit: null, workspaceRateLimit: null, createdAt: now }, event('workspace.created'));
  const key = keyRow({ workspaceId, accountId, createdBy: systemProfileId, now }, 'used');
  const profile = { id: key.actorProfileId, accountId, type: 'PROFILE_TYPE_API_KEY' as const, name: 'used', email: null, createdBy: systemProfileId, createdAt: now };
  expect(await store.insertKey(key, profile, event('key.created', key.id), { maxKeys: 10 })).toBe('inserted');
  return key;
}
