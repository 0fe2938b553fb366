import { StoreUnavailableError } from './errors.js';
import type { AuditEvent, Millis } from './model.js';
import type { Store } from './ports.js';

/** Refused-authentication events waiting to be written (new and retried together); more are dropped and counted. */
export const MAX_PENDING_REFUSALS = 10_000;
/** Writes of one batch (one per flush) before it is dropped; the same for a key's last-use time. */
export const MAX_WRITE_ATTEMPTS = 3;

export interface BatchLogger {
  warn(details: object, message: string): void;
}

/** Refusals gathered during one flush interval, written together. */
interface RefusalBatch {
  events: AuditEvent[];
  /** Failed writes so far. */
  attempts: number;
}

/**
 * Collects writes that must not sit on a request's critical path — last-use
 * times and refused-authentication events — and writes them in batches.
 * Refusals are capped per key and minute so a flood of bad requests cannot
 * fill the store.
 *
 * Nothing here can jam: the queue is bounded, each batch is written on its
 * own (a batch that fails never holds back later ones) and at most
 * `MAX_WRITE_ATTEMPTS` times over successive flushes, then dropped with a
 * counted warning. Once a write finds the store unavailable, the remaining
 * writes of that flush wait for the next one without using an attempt.
 */
export class UsageRecorder {
  private lastUsed = new Map<string, Millis>();
  /** Failed writes so far of the last-use times merged back into `lastUsed`, by key. */
  private readonly lastUsedAttempts = new Map<string, number>();
  private refusals: AuditEvent[] = [];
  /** Batches that failed and wait for another attempt, oldest first. */
  private retries: RefusalBatch[] = [];
  /** Refusals queued, being written or waiting for a retry: what MAX_PENDING_REFUSALS bounds. */
  private pendingRefusals = 0;
  private readonly refusalsPerMinute = new Map<string, number>();
  private currentMinute = 0;
  private droppedSinceFlush = 0;
  private totalDropped = 0;
  private totalDroppedLastUsed = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private writing = false;

  constructor(
    private readonly store: Store,
    private readonly options: { flushIntervalMs: number; maxRefusalsPerKeyMinute: number; logger?: BatchLogger },
  ) {
    // A timer tick while a slow write is still running is skipped rather than queued behind it.
    this.timer = setInterval(() => {
      if (!this.writing) void this.flush();
    }, options.flushIntervalMs);
    this.timer.unref();
  }

  /** Refused-authentication events waiting to be written (queued, being written or waiting for a retry). */
  get pendingEvents(): number {
    return this.pendingRefusals;
  }

  /** Refused-authentication events dropped since start (queue full or writes failed too often). */
  get droppedEvents(): number {
    return this.totalDropped;
  }

  /** Last-use times dropped since start after failed writes. */
  get droppedLastUseTimes(): number {
    return this.totalDroppedLastUsed;
  }

  keyUsed(keyId: string, at: Millis): void {
    const previous = this.lastUsed.get(keyId);
    if (previous === undefined || previous < at) this.lastUsed.set(keyId, at);
  }

  /** Queues an `auth.refused` event unless this key already had its share this minute. */
  refused(event: AuditEvent): void {
    const minute = Math.floor(event.createdAt / 60_000);
    if (minute !== this.currentMinute) {
      this.currentMinute = minute;
      this.refusalsPerMinute.clear();
    }
    const capKey = event.keyId ?? `${event.workspaceId}:${event.code}`;
    const seen = this.refusalsPerMinute.get(capKey) ?? 0;
    if (seen >= this.options.maxRefusalsPerKeyMinute) return;
    this.refusalsPerMinute.set(capKey, seen + 1);
    if (this.pendingRefusals >= MAX_PENDING_REFUSALS) {
      this.droppedSinceFlush += 1;
      this.totalDropped += 1;
      return;
    }
    this.pendingRefusals += 1;
    this.refusals.push(event);
  }

  /** Writes everything gathered so far, and retries what failed before (up to its attempts). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    this.writing = true;
    try {
      const batches = this.retries;
      if (this.refusals.length > 0) batches.push({ events: this.refusals, attempts: 0 });
      this.retries = [];
      this.refusals = [];
      const lastUsed = this.lastUsed;
      this.lastUsed = new Map();

      let unavailable = false;
      const failures: unknown[] = [];
      for (const batch of batches) {
        if (unavailable) {
          this.retries.push(batch);
          continue;
        }
        try {
          await this.store.insertAuditEvents(batch.events);
          this.pendingRefusals -= batch.events.length;
        } catch (error) {
          unavailable = error instanceof StoreUnavailableError;
          failures.push(error);
          batch.attempts += 1;
          if (batch.attempts < MAX_WRITE_ATTEMPTS) this.retries.push(batch);
          else {
            this.pendingRefusals -= batch.events.length;
            this.droppedSinceFlush += batch.events.length;
            this.totalDropped += batch.events.length;
          }
        }
      }
      if (failures.length > 0) {
        this.options.logger?.warn(
          { err: failures[0], failed_batches: failures.length, waiting: this.pendingRefusals },
          'could not record refused authentications; will retry',
        );
      }
      if (this.droppedSinceFlush > 0) {
        this.options.logger?.warn(
          { dropped: this.droppedSinceFlush, total_dropped: this.totalDropped },
          'dropped refused-authentication events (queue full or writes failed too often)',
        );
        this.droppedSinceFlush = 0;
      }

      if (unavailable) this.mergeBack(lastUsed, false);
      else await this.writeLastUsed(lastUsed);
    } finally {
      this.writing = false;
    }
  }

  private async writeLastUsed(lastUsed: Map<string, Millis>): Promise<void> {
    if (lastUsed.size === 0) return;
    try {
      await this.store.touchKeys(lastUsed);
      for (const id of lastUsed.keys()) this.lastUsedAttempts.delete(id);
    } catch (error) {
      const dropped = this.mergeBack(lastUsed, true);
      this.options.logger?.warn({ err: error, waiting: this.lastUsed.size }, 'could not record key usage; will retry');
      if (dropped > 0) {
        this.options.logger?.warn(
          { dropped, total_dropped: this.totalDroppedLastUsed },
          'dropped last-use times after repeated failed writes',
        );
      }
    }
  }

  /** Puts unwritten last-use times back for the next flush, dropping those that failed too often; answers how many were dropped. */
  private mergeBack(lastUsed: Map<string, Millis>, failed: boolean): number {
    let dropped = 0;
    for (const [id, at] of lastUsed) {
      const attempts = (this.lastUsedAttempts.get(id) ?? 0) + (failed ? 1 : 0);
      if (attempts >= MAX_WRITE_ATTEMPTS) {
        this.lastUsedAttempts.delete(id);
        dropped += 1;
        continue;
      }
      if (attempts > 0) this.lastUsedAttempts.set(id, attempts);
      this.keyUsed(id, at);
    }
    this.totalDroppedLastUsed += dropped;
    return dropped;
  }
}
