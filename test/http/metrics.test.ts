import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createKeyHasher, DEFAULT_KEY_PREFIX, generateKey } from '../../src/core/key-format.js';
import type { Store } from '../../src/core/ports.js';
import { isLoopbackHost, metricsAccess } from '../../src/http/routes/metrics.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';
import { createLogger, startService } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { timedStore } from '../../src/store/timed-store.js';
import { keyRow, postgresStores, seedAccount } from '../store/fixtures.js';
import { eventually } from '../support/eventually.js';
import { needs } from '../support/services.js';
import { followEvents } from '../support/sse.js';
import { ADMIN_TOKEN, createHarness, type Harness, type HarnessOptions, type Seeded } from './harness.js';

/** One scrape: every sample by its series (`name{label="value",…}`, labels sorted). */
type Samples = Map<string, number>;

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*,?)?\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL_PARTS = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;
/** A sample value as Prometheus reads it (Go's ParseFloat: Inf and NaN in any case; prom-client writes NaN as `Nan`). */
const NUMBER = /^(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)$/i;

const series = (name: string, labels: Record<string, string> = {}): string =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((label) => `${label}=${JSON.stringify(labels[label])}`)
    .join(',')}}`;

/**
 * Parses the Prometheus text exposition format (version 0.0.4) strictly:
 * every line is a HELP, a TYPE before the family's samples, or a sample of a
 * declared family with well-formed labels and value; anything else throws.
 */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '' || HELP_LINE.test(line)) continue;
    const declared = TYPE_LINE.exec(line);
    if (declared) {
      expect(types.has(declared[1]!), `${declared[1]} declared twice`).toBe(false);
      types.set(declared[1]!, declared[2]!);
      continue;
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`not a line of the exposition format: ${line}`);
    const [, name, labelText = '', value] = sample;
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, '');
    expect(types.get(family), `a sample of an undeclared family: ${line}`).toBeDefined();
    if (family !== name) expect(['histogram', 'summary']).toContain(types.get(family));
    expect(value, line).toMatch(NUMBER);
    const labels: Record<string, string> = {};
    for (const [, label, text] of labelText.matchAll(LABEL_PARTS)) labels[label!] = JSON.parse(`"${text}"`);
    const key = series(name!, labels);
    expect(samples.has(key), `${key} twice`).toBe(false);
    samples.set(key, Number(value));
  }
  return samples;
}

/** A harness over loopback whose core, store and app all record into one registry. */
async function metricsHarness(
  options: { host?: string; token?: string; store?: Store } & Pick<HarnessOptions, 'rateLimit'> = {},
): Promise<{ h: Harness; collector: PrometheusMetrics }> {
  const collector = new PrometheusMetrics();
  const h = await createHarness({
    transport: 'socket',
    telemetry: collector,
    store: timedStore(options.store ?? (await openSqliteStore(':memory:')), collector),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    app: { metrics: { collector, host: options.host ?? '127.0.0.1', ...(options.token ? { token: options.token } : {}) } },
  });
  return { h, collector };
}

async function getMetrics(h: Harness, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.baseUrl}/metrics`, { headers });
}

async function scrape(h: Harness, headers: Record<string, string> = {}): Promise<Samples> {
  const response = await getMetrics(h, headers);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

/** How much each series moved between two scrapes (a series absent before counts from 0). */
const delta = (before: Samples, after: Samples, name: string, labels: Record<string, string> = {}): number =>
  (after.get(series(name, labels)) ?? 0) - (before.get(series(name, labels)) ?? 0);

describe('GET /metrics', () => {
  describe('after verifications, cache misses and hits, a rate-limited call and refused keys', () => {
    let h: Harness;
    let ws: Seeded;
    let revoked: { id: string; key: string };
    let verifier: { id: string; key: string };
    const unknown = generateKey(DEFAULT_KEY_PREFIX).plaintext;
    let before: Samples;
    let after: Samples;
    let text: string;

    beforeAll(async () => {
      ({ h } = await metricsHarness({ rateLimit: { limit: 3, windowSeconds: 3600 } }));
      ws = await h.seed();
      revoked = await h.newKey(ws.workspaceId, 'revoked');
      verifier = await h.newKey(ws.workspaceId, 'verifier');
      expect((await h.request('DELETE', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${revoked.id}`, { key: verifier.key })).status).toBe(204);
      before = await scrape(h);

      const health = (key?: string) => h.request('GET', '/api/v1/cadreen/health', key ? { key } : {});
      expect((await health(ws.key)).status).toBe(200); // a cache miss
      expect((await health(ws.key)).status).toBe(200); // a hit
      expect((await health(ws.key)).status).toBe(200); // a hit: the key's limit of 3 is spent
      expect((await health(ws.key)).body.error.code).toBe('rate_limited'); // a hit, refused by the key's bucket
      expect((await health(revoked.key)).body.error.code).toBe('auth_revoked'); // a miss
      expect((await health(unknown)).body.error.code).toBe('auth_invalid'); // a miss: the store knows no such key
      expect((await health(unknown)).body.error.code).toBe('auth_invalid'); // a hit of the unknown-key cache
      expect((await health()).body.error.code).toBe('auth_missing'); // no lookup at all
      // The verifier key's second use (a hit) verifies the revoked key (a hit).
      const verified = await h.request('POST', '/api/v1/cadreen/keys/verify', { key: verifier.key, body: { key: revoked.key } });
      expect(verified.body).toMatchObject({ valid: false, code: 'auth_revoked' });
      expect((await h.request('GET', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys/${verifier.id}`, { key: verifier.key })).status).toBe(200);
      expect((await h.request('GET', `/no/such/route/${ws.key}`)).status).toBe(404);

      // Each answer is recorded once it is written out: wait for the last one.
      after = await eventually(
        'the unmatched request is counted',
        () => scrape(h),
        (samples) => delta(before, samples, 'cadreen_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }) === 1,
      );
      text = await (await getMetrics(h)).text();
    });
    afterAll(() => h.close());

    it('counts each authentication and each verify answer by its outcome, exactly', () => {
      const verifications = (source: string, outcome: string) => delta(before, after, 'cadreen_verifications_total', { source, outcome });
      expect(verifications('authentication', 'valid')).toBe(5);
      expect(verifications('authentication', 'rate_limited')).toBe(1);
      expect(verifications('authentication', 'auth_revoked')).toBe(1);
      expect(verifications('authentication', 'auth_invalid')).toBe(2);
      expect(verifications('authentication', 'auth_missing')).toBe(1);
      expect(verifications('authentication', 'auth_rotating')).toBe(0);
      expect(verifications('verify', 'auth_revoked')).toBe(1);
      expect(verifications('verify', 'valid')).toBe(0);
      // Every outcome is exported from the start, so a rate over it needs no first occurrence.
      expect(before.get(series('cadreen_verifications_total', { source: 'verify', outcome: 'auth_rotating' }))).toBe(0);
    });

    it('counts key-cache hits, misses and hits of the unknown-key cache', () => {
      const lookups = (result: string) => delta(before, after, 'cadreen_key_cache_lookups_total', { result });
      expect(lookups('miss')).toBe(3);
      expect(lookups('hit')).toBe(6);
      expect(lookups('negative_hit')).toBe(1);
    });

    it('counts the rate-limited call under the bucket that refused it', () => {
      expect(delta(before, after, 'cadreen_rate_limited_total', { bucket: 'key' })).toBe(1);
      expect(delta(before, after, 'cadreen_rate_limited_total', { bucket: 'workspace' })).toBe(0);
      expect(delta(before, after, 'cadreen_rate_limited_total', { bucket: 'client' })).toBe(0);
    });

    it('counts requests and their durations by method, route pattern and status', () => {
      const requests = (method: string, route: string, status: string) => delta(before, after, 'cadreen_http_requests_total', { method, route, status });
      expect(requests('GET', '/api/v1/cadreen/health', '200')).toBe(3);
      expect(requests('GET', '/api/v1/cadreen/health', '429')).toBe(1);
      expect(requests('GET', '/api/v1/cadreen/health', '401')).toBe(4);
      expect(requests('POST', '/api/v1/cadreen/keys/verify', '200')).toBe(1);
      expect(requests('GET', '/api/v1/maas/workspaces/:workspace_id/api-keys/:key_id', '200')).toBe(1);
      const durations = (suffix: string) =>
        delta(before, after, `cadreen_http_request_duration_seconds_${suffix}`, { method: 'GET', route: '/api/v1/cadreen/health', status: '401' });
      expect(durations('count')).toBe(4);
      expect(delta(before, after, 'cadreen_http_request_duration_seconds_bucket', { method: 'GET', route: '/api/v1/cadreen/health', status: '401', le: '+Inf' })).toBe(4);
    });

    it('times the store lookups that the cache misses sent to the store', () => {
      // The seeded key and the revoked one were not cached; the unknown key was looked up once, then remembered.
      expect(delta(before, after, 'cadreen_store_operation_duration_seconds_count', { operation: 'find_key_by_hash' })).toBe(3);
    });

    it('shows the audit queue, and empties it when the recorder writes', async () => {
      // Refused: the seeded key once (rate limited), the revoked key twice (its request and its verification).
      expect(after.get(series('cadreen_audit_queue_events'))).toBe(3);
      expect(after.get(series('cadreen_audit_events_dropped_total'))).toBe(0);
      await h.cadreen.usage.flush();
      const flushed = await scrape(h);
      expect(flushed.get(series('cadreen_audit_queue_events'))).toBe(0);
      expect(delta(after, flushed, 'cadreen_store_operation_duration_seconds_count', { operation: 'insert_audit_events' })).toBe(1);
    });

    it('puts no key, hash or id in any label', () => {
      const hash = createKeyHasher();
      for (const secret of [ws.key, revoked.key, verifier.key, unknown]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(hash(secret));
      }
      for (const id of [ws.keyId, revoked.id, verifier.id, ws.workspaceId, ws.accountId, ws.profileId]) expect(text).not.toContain(id);
      // Every route label is a registered route's pattern (or `unmatched`), never a path as requested.
      const labelled = [...text.matchAll(/^cadreen_http_requests_total\{method="([A-Z]+)",route="([^"]*)"/gm)].map(([, method, url]) => ({ method: method!, url: url! }));
      expect(labelled.map(({ url }) => url)).toContain('/api/v1/maas/workspaces/:workspace_id/api-keys/:key_id');
      for (const route of labelled) expect(route.url === 'unmatched' || h.app.hasRoute(route as never), route.url).toBe(true);
    });

    it('answers in the exposition format under prom-client’s content type, with Node’s process metrics', async () => {
      const response = await getMetrics(h);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const samples = parseExposition(await response.text());
      expect(samples.get(series('process_cpu_user_seconds_total'))).toBeGreaterThan(0);
      expect([...samples.keys()].some((key) => key.startsWith('nodejs_eventloop_lag_seconds'))).toBe(true);
    });

    it('is never refused by a key’s rate limit (it holds no key) and is listed in the OpenAPI document', async () => {
      for (let i = 0; i < 5; i++) expect((await getMetrics(h)).status).toBe(200);
      expect((await h.request('GET', '/openapi.json')).body.paths['/metrics']).toBeDefined();
    });
  });

  it('counts the event streams open on this instance', async () => {
    const { h } = await metricsHarness();
    try {
      const subscribers = async () => (await scrape(h)).get(series('cadreen_event_stream_subscribers'));
      expect(await subscribers()).toBe(0);
      const stream = await followEvents(`${h.baseUrl}/api/v1/cadreen/keys/events`, { authorization: `Bearer ${ADMIN_TOKEN}` });
      await eventually('the stream is ready', () => stream.events(), (events) => events.some((event) => event.event === 'ready'));
      expect(await subscribers()).toBe(1);
      await stream.close();
      await eventually('the closed stream is no longer counted', subscribers, (count) => count === 0);
    } finally {
      await h.close();
    }
  });

  describe('who may scrape', () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('is public only without a token and on a loopback address; with a token, for its bearers only; else off', () => {
      for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) {
        expect(isLoopbackHost(host), host).toBe(true);
        expect(metricsAccess({ host }), host).toBe('public');
      }
      for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', 'metrics.example.com', 'localhost.example.com']) {
        expect(isLoopbackHost(host), host).toBe(false);
        expect(metricsAccess({ host }), host).toBe('off');
      }
      for (const host of ['127.0.0.1', '0.0.0.0']) expect(metricsAccess({ host, token: 'a-metrics-token-0123456789' })).toBe('token');
    });

    it('answers on a loopback host without a token', async () => {
      ({ h } = await metricsHarness({ host: '127.0.0.1' }));
      expect((await getMetrics(h)).status).toBe(200);
    });

    it('with a token set, refuses a scrape without it (auth_missing) or with another (auth_invalid) and serves its bearer', async () => {
      const token = 'a-metrics-token-0123456789';
      ({ h } = await metricsHarness({ host: '127.0.0.1', token }));
      const missing = await getMetrics(h);
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('auth_missing');
      for (const wrong of [`${token}x`, 'another-token-0123456789', ADMIN_TOKEN]) {
        const refused = await getMetrics(h, { authorization: `Bearer ${wrong}` });
        expect(refused.status).toBe(401);
        const body = (await refused.json()) as { error: { code: string; request_id: string } };
        expect(body.error.code).toBe('auth_invalid');
        expect(body.error.request_id).toMatch(/^req_/);
      }
      await scrape(h, { authorization: `Bearer ${token}` });
    });

    it('is not there on a non-loopback host without a token: 404 like any unknown path', async () => {
      ({ h } = await metricsHarness({ host: '0.0.0.0' }));
      const response = await getMetrics(h);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
      expect((await h.request('GET', '/openapi.json')).body.paths['/metrics']).toBeUndefined();
    });

    it('is served by the service with CADREEN_METRICS_TOKEN, counting what its store and core did', async () => {
      const token = 'a-metrics-token-0123456789';
      const config = loadConfig({ CADREEN_DATABASE_URL: 'sqlite::memory:', CADREEN_PORT: '0', CADREEN_METRICS_TOKEN: token, CADREEN_LOG_LEVEL: 'silent' });
      const service = await startService(config, createLogger(config));
      try {
        expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
        expect((await fetch(`${service.url}/api/v1/cadreen/health`)).status).toBe(401);
        const response = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        expect(response.status).toBe(200);
        const samples = parseExposition(await response.text());
        // Start-up asked the store whether an account exists; the refused health check was counted by the core.
        expect(samples.get(series('cadreen_store_operation_duration_seconds_count', { operation: 'list_accounts' }))).toBeGreaterThanOrEqual(1);
        expect(samples.get(series('cadreen_verifications_total', { source: 'authentication', outcome: 'auth_missing' }))).toBe(1);
      } finally {
        await service.stop();
      }
    });

    it('reads CADREEN_METRICS_TOKEN at start, and refuses a short one naming the variable', () => {
      expect(loadConfig({ CADREEN_METRICS_TOKEN: 'a-metrics-token-0123456789' }).metricsToken).toBe('a-metrics-token-0123456789');
      expect(loadConfig({}).metricsToken).toBeUndefined();
      for (const bad of ['short', 'has a space in it 0123456789']) {
        expect(() => loadConfig({ CADREEN_METRICS_TOKEN: bad })).toThrow(ConfigError);
        expect(() => loadConfig({ CADREEN_METRICS_TOKEN: bad })).toThrow(/^CADREEN_METRICS_TOKEN is invalid/);
      }
    });
  });
});

/** Times a key write, a lookup by hash and an audit write on `open()`'s store. */
function describeStoreLatency(open: () => Promise<Store>, dispose: (store: Store) => Promise<void>) {
  it('times key writes, lookups by hash and audit writes by operation', async () => {
    const opened = await open();
    try {
      const collector = new PrometheusMetrics();
      const store = timedStore(opened, collector);
      const { workspace, accountId, systemProfileId, now, event } = await seedAccount(store);
      const key = keyRow({ workspaceId: workspace.id, accountId, createdBy: systemProfileId, now }, 'timed');
      const profile = { id: key.actorProfileId, accountId, type: 'PROFILE_TYPE_API_KEY' as const, name: 'timed', email: null, createdBy: systemProfileId, createdAt: now };
      expect(await store.insertKey(key, profile, event('key.created', { keyId: key.id }), { maxKeys: 10 })).toBe('inserted');
      expect((await store.findKeyByHash(key.hash))?.key.id).toBe(key.id);
      expect(await store.findKeyByHash('no-such-hash')).toBeUndefined();
      await store.insertAuditEvents([event('auth.refused', { keyId: key.id, code: 'auth_revoked' })]);
      const samples = parseExposition(await collector.scrape());
      const count = (operation: string) => samples.get(series('cadreen_store_operation_duration_seconds_count', { operation }));
      expect(count('insert_key')).toBe(1);
      expect(count('find_key_by_hash')).toBe(2);
      expect(count('insert_audit_events')).toBe(1);
      expect(count('insert_workspace')).toBe(1);
      expect(samples.get(series('cadreen_store_operation_duration_seconds_sum', { operation: 'find_key_by_hash' }))).toBeGreaterThan(0);
      // A failed call is timed too.
      await expect(store.insertAuditEvents([event('auth.refused', { id: 'evt_same' }), event('auth.refused', { id: 'evt_same' })])).rejects.toThrow();
      expect(parseExposition(await collector.scrape()).get(series('cadreen_store_operation_duration_seconds_count', { operation: 'insert_audit_events' }))).toBe(2);
    } finally {
      await dispose(opened);
    }
  });
}

describe('store latency on SQLite', () => {
  describeStoreLatency(() => openSqliteStore(':memory:'), (store) => store.close());
});

describe('store latency on PostgreSQL', needs('postgres'), () => {
  const postgres = postgresStores(2);
  describeStoreLatency(postgres.open, postgres.dispose);
});
