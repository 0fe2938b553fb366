import type { AuditEvent, Millis } from './model.js';
import type { Store } from '../store/store.js';

/** Refused-authentication events kept while the store cannot take them; more are dropped. */
const MAX_PENDING_REFUSALS = 10_000;

export interface BatchLogger {
  warn(details: object, message: string): void;
}

/**
 * Collects writes that must not sit on a request's critical path — last-use
 * times and refused-authentication events — and writes them in batches.
 * Refusals are capped per key and minute so a flood of bad requests cannot
 * fill the store.
 */
export class UsageRecorder {
  private lastUsed = new Map<string, Millis>();
  private refusals: AuditEvent[] = [];
  private readonly refusalsPerMinute = new Map<string, number>();
  private currentMinute = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly options: { flushIntervalMs: number; maxRefusalsPerKeyMinute: number; logger?: BatchLogger },
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
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
    // While the store is away unwritten batches wait here; bound them like everything else.
    if (this.refusals.length >= MAX_PENDING_REFUSALS) return;
    const capKey = event.keyId ?? `${event.workspaceId}:${event.code}`;
    const seen = this.refusalsPerMinute.get(capKey) ?? 0;
    if (seen >= this.options.maxRefusalsPerKeyMinute) return;
    this.refusalsPerMinute.set(capKey, seen + 1);
    this.refusals.push(event);
  }

  /** Writes everything gathered so far. Failed batches are kept and retried on the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const lastUsed = this.lastUsed;
      const refusals = this.refusals;
      this.lastUsed = new Map();
      this.refusals = [];
      try {
        await this.store.touchKeys(lastUsed);
      } catch (error) {
        for (const [id, at] of lastUsed) this.keyUsed(id, at);
        this.options.logger?.warn({ err: error }, 'could not record key usage; will retry');
      }
      try {
        await this.store.insertAuditEvents(refusals);
      } catch (error) {
        this.refusals.unshift(...refusals);
        this.options.logger?.warn({ err: error }, 'could not record refused authentications; will retry');
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
