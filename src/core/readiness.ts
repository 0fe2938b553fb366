import type { Store } from './ports.js';
import type { Millis } from './model.js';

/** How long one write probe's verdict stands: readiness checks come often, writes to prove it should not. */
const PROBE_INTERVAL_MS = 5000;

/**
 * Whether the store takes writes right now (a full disk or a lock held
 * elsewhere can leave it readable but not writable). A real write is made at
 * most every 5 s; in between the last verdict is repeated.
 */
export class ReadinessProbe {
  private last: { at: Millis; failure: unknown } | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: () => Millis,
  ) {}

  check(): Promise<void> {
    const now = this.clock();
    if (this.last && now - this.last.at < PROBE_INTERVAL_MS) {
      return this.last.failure === undefined ? Promise.resolve() : Promise.reject(this.last.failure);
    }
    this.pending ??= this.store
      .probeWrite()
      .then(
        () => {
          this.last = { at: this.clock(), failure: undefined };
        },
        (failure: unknown) => {
          this.last = { at: this.clock(), failure };
          throw failure;
        },
      )
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
