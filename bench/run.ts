import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { runScaleBench, type ScaleResults } from './scale.js';
import { cpuMicros, initStore, percentile, pinLoadGenerator, PINNED, startBare, startCadreen } from './servers.js';

/**
 * `npm run bench`: figures measured side by side in one run against real
 * server processes. A benchmark, not a test: it reports and exits 0 even
 * when a target is missed, and fails only when it cannot measure.
 */

const RESULTS = fileURLToPath(new URL('../bench-results.json', import.meta.url));
const ROUNDS = Number(process.env.CADREEN_BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.CADREEN_BENCH_SECONDS ?? 5);
/** Concurrent connections of the load generator in the overhead part. */
const CONNECTIONS = Number(process.env.CADREEN_BENCH_CONNECTIONS ?? 10);
/** Which parts to run (default all): overhead, list, scale. */
const PARTS = new Set((process.env.CADREEN_BENCH_PARTS ?? 'overhead,list,scale').split(','));

interface Load {
  rps: number;
  p99: number;
  /** CPU time the server process spent per request (user + system), in µs; NaN where it cannot be read. */
  cpuPerRequest: number;
}

/** One autocannon run against the server process `pid`; refuses to report a run with any non-2xx answer or error. */
async function load(url: string, headers: Record<string, string>, seconds: number, pid: number, connections = CONNECTIONS): Promise<Load> {
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({ url, headers, duration: seconds, connections });
  const cpuAfter = cpuMicros(pid);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx and ${result.errors} errors`);
  const cpuPerRequest = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : (cpuAfter - cpuBefore) / result.requests.total;
  return { rps: result.requests.average, p99: result.latency.p99, cpuPerRequest };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Authenticated health vs public /livez vs a bare node:http server, alternating rounds. */
async function authOverhead(dir: string) {
  const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'auth.db')}`, CADREEN_RATE_LIMIT: '9999999/60s', CADREEN_LOG_LEVEL: process.env.CADREEN_LOG_LEVEL ?? 'info' };
  const { key } = initStore(env);
  const cadreen = await startCadreen(env);
  const bare = await startBare();
  try {
    const targets = {
      auth: { url: `${cadreen.url}/api/v1/cadreen/health`, headers: { authorization: `Bearer ${key.plaintext}` }, pid: cadreen.child.pid! },
      unauth: { url: `${cadreen.url}/livez`, headers: {}, pid: cadreen.child.pid! },
      bare: { url: `${bare.url}/api/v1/cadreen/health`, headers: {}, pid: bare.child.pid! },
    };
    const runs: Record<keyof typeof targets, Load[]> = { auth: [], unauth: [], bare: [] };
    for (const target of Object.values(targets)) await load(target.url, target.headers, 2, target.pid);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, target] of Object.entries(targets) as [keyof typeof targets, (typeof targets)['auth']][]) {
        runs[name].push(await load(target.url, target.headers, SECONDS, target.pid));
      }
    }
    const summary = (name: keyof typeof targets) => ({
      rps: median(runs[name].map((r) => r.rps)),
      p99: median(runs[name].map((r) => r.p99)),
      cpuPerRequest: median(runs[name].map((r) => r.cpuPerRequest)),
      rounds: runs[name].map((r) => Math.round(r.rps)),
    });
    const auth = summary('auth');
    const unauth = summary('unauth');
    const bareResult = summary('bare');
    return { auth, unauth, bare: bareResult, authOverUnauth: auth.rps / unauth.rps, authOverBare: auth.rps / bareResult.rps };
  } finally {
    await cadreen.stop();
    await bare.stop();
  }
}

/** Adds `count` active keys to the workspace, straight into the SQLite file, keeping its counters true. */
function bulkInsertKeys(path: string, workspaceId: string, count: number): void {
  const db = new BetterSqlite3(path);
  const template = db.prepare('select * from api_keys where workspace_id = ? limit 1').get(workspaceId) as Record<string, unknown>;
  const insert = db.prepare(
    `insert into api_keys (id, workspace_id, account_id, actor_profile_id, created_by, name, hash, start, state, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
  );
  const ulid = monotonicFactory();
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `key_${ulid(now - count + i)}`;
      insert.run(id, workspaceId, template.account_id, template.actor_profile_id, template.created_by, `bulk-${i}`, `bench-${id}`, 'sk_cadreen_bnch', now - count + i);
    }
    db.prepare('update workspaces set keys_active = keys_active + ? where id = ?').run(count, workspaceId);
  })();
  db.close();
}

/** Sequential list-page latencies (limit 100), after warm-up. */
async function listLatency(url: string, workspaceId: string, key: string, expectedCount: number) {
  const page = `${url}/api/v1/maas/workspaces/${workspaceId}/api-keys?limit=100`;
  const headers = { authorization: `Bearer ${key}` };
  const first = await (await fetch(page, { headers })).json();
  if (first.count !== expectedCount || first.keys.length !== 100) throw new Error(`expected ${expectedCount} keys, got ${first.count}`);
  for (let i = 0; i < 30; i++) await (await fetch(page, { headers })).arrayBuffer();
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const started = performance.now();
    await (await fetch(page, { headers })).arrayBuffer();
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function listScaling(dir: string) {
  const results: Record<string, { p50: number; p99: number }> = {};
  for (const size of [1_000, 1_000_000]) {
    const path = join(dir, `list-${size}.db`);
    const env = { CADREEN_DATABASE_URL: `sqlite:${path}`, CADREEN_RATE_LIMIT: '9999999/60s' };
    const { workspace_id, key } = initStore(env);
    const started = performance.now();
    bulkInsertKeys(path, workspace_id, size - 1);
    process.stdout.write(`  seeded ${size} keys in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const server = await startCadreen(env);
    try {
      results[size] = await listLatency(server.url, workspace_id, key.plaintext, size);
    } finally {
      await server.stop();
    }
  }
  const small = results[1_000]!;
  const large = results[1_000_000]!;
  return { small, large, ratio: large.p50 / small.p50 };
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const f = (n: number, digits = 0) => n.toFixed(digits);
/** autocannon's latencies are whole milliseconds: 0 means under one. */
const ms = (n: number) => (n === 0 ? '< 1 ms' : `${n} ms`);

async function main(): Promise<void> {
  pinLoadGenerator();
  const dir = mkdtempSync(join(tmpdir(), 'cadreen-bench-'));
  try {
    const results: Record<string, unknown> = { date: new Date().toISOString() };
    if (PARTS.has('overhead')) results.overhead = await reportOverhead(dir);
    if (PARTS.has('list')) results.list = await reportList(dir);
    if (PARTS.has('scale')) results.scale = await reportScale();
    mkdirSync(join(RESULTS, '..'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\nResults written to build/bench-results.json\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reportOverhead(dir: string) {
  process.stdout.write(`Auth overhead (${ROUNDS} alternating rounds × ${SECONDS} s, ${CONNECTIONS} connections, median of rounds)\n`);
  process.stdout.write(PINNED ? '  servers on CPU 0, load generator on CPU 1\n' : '  processes not pinned (needs Linux, taskset and two CPUs)\n');
  const overhead = await authOverhead(dir);
  for (const [name, r] of [['GET /api/v1/cadreen/health (auth)', overhead.auth], ['GET /livez (no auth)', overhead.unauth], ['bare node:http', overhead.bare]] as const) {
    process.stdout.write(
      `  ${name.padEnd(36)} ${f(r.rps).padStart(7)} req/s   p99 ${ms(r.p99).padEnd(7)} server CPU ${f(r.cpuPerRequest, 1)} µs/request   rounds ${r.rounds.join(' ')}\n`,
    );
  }
  process.stdout.write(`  auth/unauth ${f(overhead.authOverUnauth, 2)} (target ≥ 0.85) ${verdict(overhead.authOverUnauth >= 0.85)}\n`);
  process.stdout.write(`  auth/bare   ${f(overhead.authOverBare, 2)} (target ≥ 0.60) ${verdict(overhead.authOverBare >= 0.6)}\n\n`);
  return overhead;
}

async function reportList(dir: string) {
  process.stdout.write('List page latency, limit 100, 300 sequential requests\n');
  const list = await listScaling(dir);
  process.stdout.write(`  10^3 keys  p50 ${f(list.small.p50, 2)} ms   p99 ${f(list.small.p99, 2)} ms\n`);
  process.stdout.write(`  10^6 keys  p50 ${f(list.large.p50, 2)} ms   p99 ${f(list.large.p99, 2)} ms\n`);
  process.stdout.write(`  ratio p50(10^6)/p50(10^3) ${f(list.ratio, 2)} (target ≤ 1.5) ${verdict(list.ratio <= 1.5)}\n\n`);
  return list;
}

async function reportScale() {
  let scale: ScaleResults | { skipped: string };
  try {
    scale = await runScaleBench(SECONDS);
    process.stdout.write(`Verification throughput (${SECONDS} s, 10 connections)\n`);
    for (const [name, r] of Object.entries(scale.verify)) {
      process.stdout.write(`  ${name.padEnd(24)} ${f(r.rps).padStart(7)} req/s   p99 ${ms(r.p99)}\n`);
    }
    const p = scale.propagation;
    process.stdout.write(`\nRevocation propagation across two instances (PostgreSQL + Redis, ${p.rounds} revokes)\n`);
    process.stdout.write(`  p50 ${f(p.p50, 1)} ms   p99 ${f(p.p99, 1)} ms   max ${f(p.max, 1)} ms (target < 250 ms) ${verdict(p.p99 < 250)}\n`);
  } catch (error) {
    scale = { skipped: (error as Error).message };
    process.stdout.write(`PostgreSQL/Redis figures skipped: ${(error as Error).message}\n`);
  }
  return scale;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
