import type { KeyEvent, Millis } from './model.js';
import type { Store } from './ports.js';

/** Events read from the outbox per query. */
const PAGE = 500;

/** What a new subscriber gets: where its stream starts, whether it must drop its cache, and what it missed. */
export interface KeyEventStart {
  /** The id the stream is at now (the client's Last-Event-ID from here on). */
  latest: number;
  /** The client's Last-Event-ID is older than the retention (or not ours): it must drop everything it cached. */
  reset: boolean;
  /** Events after the client's Last-Event-ID, up to `latest`. */
  backlog: KeyEvent[];
  /** Stops delivering to this subscriber. */
  close(): void;
}

/**
 * Fans the outbox out to the event streams of this instance. It reads new
 * events when poked (a change here, or an invalidation from another instance
 * through Redis) and at least every `pollMs` while anyone listens, one query
 * for all streams; meanwhile it announces expiries, and it prunes events
 * older than the retention.
 */
export class KeyEventHub {
  private latest: number | undefined;
  private readonly listeners = new Set<(events: KeyEvent[]) => void>();
  private reading: Promise<void> | undefined;
  private again = false;
  private poll: NodeJS.Timeout | undefined;
  private prune: NodeJS.Timeout | undefined;
  private closed = false;
  private pruning: Promise<unknown> | undefined;
  private sweptUntil: Millis | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: { pollMs: number; retentionMs: number; clock: () => Millis; onError?: (error: unknown) => void },
  ) {}

  /** Event streams open on this instance. */
  get subscribers(): number {
    return this.listeners.size;
  }

  /** Reads what is new now (coalesced: at most one read runs, and one more after it). */
  poke(): void {
    if (this.latest === undefined || this.listeners.size === 0 || this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.readNew().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Subscribes from `lastEventId` (null: from now on). */
  async subscribe(lastEventId: number | null, listener: (events: KeyEvent[]) => void): Promise<KeyEventStart> {
    const { latest: newest, prunedThrough } = await this.store.keyEventBounds();
    if (this.latest === undefined || this.listeners.size === 0) {
      // Nobody follows the outbox here (yet, or any more): start at once from the newest (a resuming client reads what it missed from the store).
      this.latest = Math.max(this.latest ?? 0, newest);
    } else if (newest > this.latest) {
      this.poke();
    }
    await this.reading;
    const latest = this.latest!;
    let delivered = latest;
    const deliver = (events: KeyEvent[]) => {
      const fresh = events.filter((event) => event.id > delivered);
      if (fresh.length === 0) return;
      delivered = fresh[fresh.length - 1]!.id;
      listener(fresh);
    };
    this.listeners.add(deliver);
    this.ensureTimers();
    const close = () => {
      this.listeners.delete(deliver);
      if (this.listeners.size === 0) this.stopTimers();
    };
    if (lastEventId === null) return { latest, reset: false, backlog: [], close };
    if (lastEventId < prunedThrough || lastEventId > latest) return { latest, reset: true, backlog: [], close };
    const backlog: KeyEvent[] = [];
    for (let after = lastEventId; after < latest; ) {
      const page = (await this.store.listKeyEvents(after, PAGE)).filter((event) => event.id <= latest);
      if (page.length === 0) break;
      backlog.push(...page);
      after = page[page.length - 1]!.id;
    }
    return { latest, reset: false, backlog, close };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopTimers();
    clearInterval(this.prune);
    this.listeners.clear();
    await Promise.all([this.reading, this.pruning]);
  }

  private async readNew(): Promise<void> {
    try {
      for (;;) {
        const events = await this.store.listKeyEvents(this.latest!, PAGE);
        if (events.length === 0) return;
        this.latest = events[events.length - 1]!.id;
        for (const listener of this.listeners) listener(events);
        if (events.length < PAGE) return;
      }
    } catch (error) {
      // The store is away: streams keep their heartbeat, and the next poll tries again.
      this.options.onError?.(error);
    }
  }

  /** Prunes events past the retention now and every minute (whether or not anyone listens). */
  startPruning(): void {
    const prune = () => {
      this.store.pruneKeyEvents(this.options.clock() - this.options.retentionMs).catch((error: unknown) => this.options.onError?.(error));
    };
    this.pruning = this.store.pruneKeyEvents(this.options.clock() - this.options.retentionMs).catch((error: unknown) => this.options.onError?.(error));
    this.prune ??= setInterval(prune, 60_000);
    this.prune.unref();
  }

  private ensureTimers(): void {
    this.poll ??= setInterval(() => void this.sweep(), this.options.pollMs);
    this.poll.unref();
  }

  /**
   * Announces keys that expired since the last sweep (`key.expired`), then
   * reads what is new. Expiry needs no change to happen, so it is swept for
   * while anyone listens; verifiers also stop trusting an entry at its
   * `expires_at` by themselves.
   */
  private async sweep(): Promise<void> {
    const now = this.options.clock();
    const from = this.sweptUntil ?? now - 60_000;
    try {
      await this.store.recordExpiries(from, now);
      this.sweptUntil = now;
    } catch (error) {
      this.options.onError?.(error);
    }
    this.poke();
  }

  private stopTimers(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }
}
