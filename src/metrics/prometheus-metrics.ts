import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DENIAL_MESSAGES, type DenialCode } from '../core/errors.js';
import type { KeyCacheResult, LimitedBucket, Telemetry, VerificationSource } from '../core/ports.js';

/** Request durations, in seconds: a cached verification takes well under a millisecond. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Store call durations, in seconds: an indexed SQLite read takes tens of microseconds. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const SOURCES: readonly VerificationSource[] = ['authentication', 'verify'];
/** Every outcome but `auth_forbidden`: a key of another workspace authenticates (`valid`), then the route refuses it. */
const OUTCOMES = ['valid', ...(Object.keys(DENIAL_MESSAGES) as DenialCode[]).filter((code) => code !== 'auth_forbidden')];
const CACHE_RESULTS: readonly KeyCacheResult[] = ['hit', 'negative_hit', 'miss'];
const BUCKETS: readonly LimitedBucket[] = ['key', 'workspace', 'client', 'admin', 'verifier', 'person'];

/** The `route` label of requests that matched no route (404, 405): one value, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** One label set's count, raised on the hot path by a plain addition. */
interface Tally {
  count: number;
}

/**
 * A counter whose increments are plain additions to numbers held here; the
 * prom-client counter catches up when it is scraped. (prom-client's own `inc`
 * hashes the label set on every call, even through a `labels()` child.)
 */
class TalliedCounter<L extends string> {
  private readonly tallies: { tally: Tally; labels: Partial<Record<L, string>>; exported: number }[] = [];
  private readonly counter: Counter<L>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    const tallies = this.tallies;
    this.counter = new Counter<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const entry of tallies) {
          if (entry.tally.count === entry.exported) continue;
          this.inc(entry.labels, entry.tally.count - entry.exported);
          entry.exported = entry.tally.count;
        }
      },
    });
  }

  /** A new tally for one label set; its series is exported from now on, starting at 0. */
  tally(labels: Partial<Record<L, string>>): Tally {
    const tally = { count: 0 };
    this.counter.inc(labels, 0);
    this.tallies.push({ tally, labels, exported: 0 });
    return tally;
  }
}

/** Everything the service reads at scrape time rather than counting as it goes. */
export interface MetricSources {
  /** Event streams (Server-Sent Events) open on this instance. */
  eventStreams(): number;
  /** Refused-authentication events waiting to be written, and those dropped since start. */
  auditQueue(): { waiting: number; dropped: number };
}

/** What one route records per request. */
export interface RouteRecorder {
  record(method: string, status: number, seconds: number): void;
}

/**
 * The service's Prometheus metrics, in a registry of its own (several apps
 * in one process each keep theirs): the domain's `Telemetry`, HTTP requests
 * by route, the gauges read at scrape time, and Node's process metrics.
 * Counters on the request path are plain additions (see `TalliedCounter`);
 * histograms are prom-client's, through children resolved once.
 */
export class PrometheusMetrics implements Telemetry {
  readonly registry = new Registry();
  private readonly verificationCounter: TalliedCounter<'source' | 'outcome'>;
  private readonly verifications: Record<VerificationSource, Record<string, Tally>>;
  private readonly cacheLookups: Record<KeyCacheResult, Tally>;
  private readonly refusals: Record<string, Tally>;
  private readonly refusalCounter: TalliedCounter<'bucket'>;
  private readonly storeDurations: Histogram<'operation'>;
  private readonly storeChildren = new Map<string, Histogram.Internal<'operation'>>();
  private readonly requests: TalliedCounter<'method' | 'route' | 'status'>;
  private readonly requestDurations: Histogram<'method' | 'route' | 'status'>;
  private readonly routes = new Map<string, RouteRecorder>();
  private sources: MetricSources | undefined;

  constructor() {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });

    const verifications = (this.verificationCounter = new TalliedCounter(
      registry,
      'cadreen_verifications_total',
      'Verification outcomes by source (authentication: every request to an authenticated route; verify: answers of POST /api/v1/cadreen/keys/verify) and outcome (valid, or the refusal code)',
      ['source', 'outcome'],
    ));
    this.verifications = Object.fromEntries(
      SOURCES.map((source) => [source, Object.fromEntries(OUTCOMES.map((outcome) => [outcome, verifications.tally({ source, outcome })]))]),
    ) as Record<VerificationSource, Record<string, Tally>>;

    const lookups = new TalliedCounter(
      registry,
      'cadreen_key_cache_lookups_total',
      'Key cache lookups on the verification path: hit (a known key), negative_hit (a hash remembered as naming no key), miss (the store is asked)',
      ['result'],
    );
    this.cacheLookups = Object.fromEntries(CACHE_RESULTS.map((result) => [result, lookups.tally({ result })])) as Record<KeyCacheResult, Tally>;

    this.refusalCounter = new TalliedCounter(
      registry,
      'cadreen_rate_limited_total',
      'Calls refused by a rate limit, by the kind of bucket that had no room (key, workspace, client failed-authentication limit, admin, verifier, person)',
      ['bucket'],
    );
    this.refusals = Object.fromEntries(BUCKETS.map((bucket) => [bucket, this.refusalCounter.tally({ bucket })]));

    this.storeDurations = new Histogram({
      name: 'cadreen_store_operation_duration_seconds',
      help: 'Duration of store calls by operation (the store method, e.g. find_key_by_hash, insert_audit_events, insert_key)',
      labelNames: ['operation'],
      buckets: STORE_BUCKETS,
      registers: [registry],
    });

    this.requests = new TalliedCounter(
      registry,
      'cadreen_http_requests_total',
      'HTTP requests answered, by method, route pattern (unmatched for no route) and status',
      ['method', 'route', 'status'],
    );
    this.requestDurations = new Histogram({
      name: 'cadreen_http_request_duration_seconds',
      help: 'HTTP request durations, from the request to the last byte of the answer, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers: [registry],
    });

    const read = (): MetricSources | undefined => this.sources;
    new Gauge({
      name: 'cadreen_event_stream_subscribers',
      help: 'Event streams (GET /api/v1/cadreen/keys/events) open on this instance',
      registers: [registry],
      collect() {
        this.set(read()?.eventStreams() ?? 0);
      },
    });
    new Gauge({
      name: 'cadreen_audit_queue_events',
      help: 'Refused-authentication audit events waiting to be written to the store',
      registers: [registry],
      collect() {
        this.set(read()?.auditQueue().waiting ?? 0);
      },
    });
    let exportedDrops = 0;
    new Counter({
      name: 'cadreen_audit_events_dropped_total',
      help: 'Refused-authentication audit events dropped since start (queue full, or writes failed too often)',
      registers: [registry],
      collect() {
        const dropped = read()?.auditQueue().dropped ?? 0;
        if (dropped > exportedDrops) this.inc(dropped - exportedDrops);
        exportedDrops = dropped;
      },
    });
  }

  /** Where the gauges are read from at scrape time. */
  readFrom(sources: MetricSources): void {
    this.sources = sources;
  }

  /** The exposition format's content type, for the scrape's answer. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric, in the Prometheus text exposition format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  verification(source: VerificationSource, outcome: 'valid' | DenialCode): void {
    // Every known outcome has its tally from the start; a code added later gets one on first sight.
    (this.verifications[source][outcome] ??= this.verificationCounter.tally({ source, outcome })).count++;
  }

  keyCacheLookup(result: KeyCacheResult): void {
    this.cacheLookups[result].count++;
  }

  rateLimited(bucket: LimitedBucket): void {
    (this.refusals[bucket] ??= this.refusalCounter.tally({ bucket })).count++;
  }

  storeOperation(operation: string, seconds: number): void {
    let child = this.storeChildren.get(operation);
    if (child === undefined) {
      child = this.storeDurations.labels({ operation });
      this.storeChildren.set(operation, child);
    }
    child.observe(seconds);
  }

  /** The recorder of one route pattern (or `UNMATCHED_ROUTE`), made once and kept. */
  route(pattern: string): RouteRecorder {
    let recorder = this.routes.get(pattern);
    if (recorder === undefined) {
      recorder = this.newRouteRecorder(pattern);
      this.routes.set(pattern, recorder);
    }
    return recorder;
  }

  private newRouteRecorder(route: string): RouteRecorder {
    const series = new Map<string, Map<number, { tally: Tally; duration: Histogram.Internal<'method' | 'route' | 'status'> }>>();
    return {
      record: (method, status, seconds) => {
        let byStatus = series.get(method);
        if (byStatus === undefined) {
          byStatus = new Map();
          series.set(method, byStatus);
        }
        let entry = byStatus.get(status);
        if (entry === undefined) {
          const labels = { method, route, status: String(status) };
          entry = { tally: this.requests.tally(labels), duration: this.requestDurations.labels(labels) };
          byStatus.set(status, entry);
        }
        entry.tally.count++;
        entry.duration.observe(seconds);
      },
    };
  }
}
