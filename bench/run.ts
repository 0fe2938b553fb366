import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bulkInsertKeys, placeholderKey } from './keys.js';
import { CONNECTIONS, load, median, type Load, type Target } from './load.js';
import { runRefusalBench, CASES, type RefusalResults } from './refusal.js';
import { runScaleBench, type ScaleResults } from './scale.js';
import { initStore, percentile, pinLoadGenerator, PINNED, startBare, startCadreen } from './servers.js';
import { runSustainedBench, TARGETS as SUSTAINED_TARGETS, type SustainedResults } from './sustained.js';
import { runVerifierBench, TARGETS as VERIFIER_TARGETS, type VerifierResults } from './verifier.js';

/**
 * `npm run bench`: figures measured side by side in one run against real
 * server processes. A benchmark, not a test: it reports and exits 0 even
 * when a target is missed, and fails only when it cannot measure.
 */

const RESULTS = fileURLToPath(new URL('../bench-results.json', import.meta.url));
const ROUNDS = Number(process.env.CADREEN_BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.CADREEN_BENCH_SECONDS ?? 5);
const ALL_PARTS = ['overhead', 'refusal', 'list', 'scale', 'sustained', 'verifier'];
/** Which parts to run (default all): overhead, refusal, list, scale, sustained, verifier. */
const PARTS = new Set((process.env.CADREEN_BENCH_PARTS ?? ALL_PARTS.join(',')).split(',').map((p) => p.trim()));
for (const part of PARTS) if (!ALL_PARTS.includes(part)) throw new Error(`CADREEN_BENCH_PARTS: unknown part ${part} (expected ${ALL_PARTS.join(', ')})`);

/** Limits that never get in the way of the bench's one valid key (per key and per workspace). */
const UNLIMITED = { CADREEN_RATE_LIMIT: '9999999/60s', CADREEN_WORKSPACE_RATE_LIMIT: '9999999/60s' };

/** Authenticated health, the verify endpoint, public /livez and a bare node:http server, alternating rounds. */
async function authOverhead(dir: string) {
  const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'auth.db')}`, ...UNLIMITED, CADREEN_LOG_LEVEL: process.env.CADREEN_LOG_LEVEL ?? 'info' };
  const { key } = initStore(env);
  const cadreen = await startCadreen(env);
  const bare = await startBare();
  try {
    const pid = cadreen.child.pid!;
    const authorization = { authorization: `Bearer ${key.plaintext}` };
    const targets = {
      auth: { url: `${cadreen.url}/api/v1/cadreen/health`, headers: authorization, pid },
      // The key verifies itself: the caller's key and the verified key are each checked and charged.
      verify: {
        url: `${cadreen.url}/api/v1/cadreen/keys/verify`,
        method: 'POST',
        headers: { ...authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ key: key.plaintext }),
        pid,
      },
      unauth: { url: `${cadreen.url}/livez`, headers: {}, pid },
      bare: { url: `${bare.url}/api/v1/cadreen/health`, headers: {}, pid: bare.child.pid! },
    } satisfies Record<string, Target>;
    type Name = keyof typeof targets;
    const runs: Record<Name, Load[]> = { auth: [], verify: [], unauth: [], bare: [] };
    for (const target of Object.values(targets)) await load(target, { seconds: 2 });
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of Object.keys(targets) as Name[]) runs[name].push(await load(targets[name], { seconds: SECONDS }));
    }
    const summary = (name: Name) => ({
      rps: median(runs[name].map((r) => r.rps)),
      p99: median(runs[name].map((r) => r.p99)),
      cpuPerRequest: median(runs[name].map((r) => r.cpuPerRequest)),
      rounds: runs[name].map((r) => Math.round(r.rps)),
    });
    const auth = summary('auth');
    const verify = summary('verify');
    const unauth = summary('unauth');
    const bareResult = summary('bare');
    return { auth, verify, unauth, bare: bareResult, authOverUnauth: auth.rps / unauth.rps, authOverBare: auth.rps / bareResult.rps };
  } finally {
    await cadreen.stop();
    await bare.stop();
  }
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
    const env = { CADREEN_DATABASE_URL: `sqlite:${path}`, ...UNLIMITED };
    const { workspace_id, key } = initStore(env);
    const started = performance.now();
    bulkInsertKeys(path, workspace_id, size - 1, placeholderKey);
    process.stdout.write(`  seeded ${size} keys in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const server = await startCadreen(env);
    try {
      results[size] = await listLatency(server.url, workspace_id, key.plaintext, size);
    } finally {
      await server.stop();
      for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
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
/** Latencies the rotating load generator measured to the microsecond. */
const msPrecise = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

async function main(): Promise<void> {
  pinLoadGenerator();
  const dir = mkdtempSync(join(tmpdir(), 'cadreen-bench-'));
  try {
    const results: Record<string, unknown> = { date: new Date().toISOString() };
    process.stdout.write(PINNED ? 'Servers on CPU 0, load generator on CPU 1\n\n' : 'Processes not pinned (needs Linux, taskset and two CPUs)\n\n');
    if (PARTS.has('overhead')) results.overhead = await reportOverhead(dir);
    if (PARTS.has('refusal')) results.refusal = await reportRefusal(dir);
    if (PARTS.has('list')) results.list = await reportList(dir);
    if (PARTS.has('scale')) results.scale = await reportScale();
    if (PARTS.has('sustained')) results.sustained = await reportSustained(dir);
    if (PARTS.has('verifier')) results.verifier = await reportVerifier(dir);
    mkdirSync(join(RESULTS, '..'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\nResults written to build/bench-results.json\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reportOverhead(dir: string) {
  process.stdout.write(`Auth overhead (${ROUNDS} alternating rounds × ${SECONDS} s, ${CONNECTIONS} connections, median of rounds)\n`);
  const overhead = await authOverhead(dir);
  for (const [name, r] of [
    ['GET /api/v1/cadreen/health (auth)', overhead.auth],
    ['POST /api/v1/cadreen/keys/verify', overhead.verify],
    ['GET /livez (no auth)', overhead.unauth],
    ['bare node:http', overhead.bare],
  ] as const) {
    process.stdout.write(
      `  ${name.padEnd(36)} ${f(r.rps).padStart(7)} req/s   p99 ${ms(r.p99).padEnd(7)} server CPU ${f(r.cpuPerRequest, 1)} µs/request   rounds ${r.rounds.join(' ')}\n`,
    );
  }
  process.stdout.write(`  auth/unauth ${f(overhead.authOverUnauth, 2)}   auth/bare ${f(overhead.authOverBare, 2)}   (throughput ratios; no target)\n\n`);
  return overhead;
}

async function reportRefusal(dir: string) {
  process.stdout.write(
    `Refused unknown key vs valid cached key, GET /api/v1/cadreen/health (${ROUNDS} alternating rounds × ${SECONDS} s, ${CONNECTIONS} connections, median of rounds)\n`,
  );
  const refusal: RefusalResults = await runRefusalBench(dir, ROUNDS, SECONDS);
  process.stdout.write(`  failure limiter: CADREEN_AUTH_FAILURE_LIMIT ${refusal.failureLimit}; each case on its own server\n`);
  for (const [name, label] of Object.entries(CASES) as [keyof typeof CASES, string][]) {
    const r = refusal.cases[name];
    const answers = Object.entries(r.statuses)
      .map(([code, count]) => `${code}×${count}`)
      .join(' ');
    process.stdout.write(
      `  ${label.padEnd(44)} server CPU ${f(r.cpuPerRequest, 1).padStart(6)} µs/request   ${f(r.rps).padStart(6)} req/s   p99 ${msPrecise(r.p99).padEnd(8)}  answers ${answers}` +
        `${r.reconnects > 0 ? `, ${r.reconnects} closed by the server` : ''}   rounds (µs) ${r.rounds.join(' ')}\n`,
    );
  }
  process.stdout.write(
    `  refused (limiter on) / valid ${f(refusal.limitedOverValid, 2)} (target ≤ 1.5) ${verdict(refusal.limitedOverValid <= 1.5)}\n` +
      `  for context: repeated unknown (limiter off) / valid ${f(refusal.repeatedOverValid, 2)}, never-repeated unknown (limiter off) / valid ${f(refusal.freshOverValid, 2)}\n\n`,
  );
  return refusal;
}

async function reportSustained(dir: string) {
  process.stdout.write(`Sustained verification at scale (SQLite, ${CONNECTIONS} connections, as fast as the server answers)\n`);
  const s: SustainedResults = await runSustainedBench(dir, (line) => process.stdout.write(`${line}\n`));
  const t = SUSTAINED_TARGETS;
  const r = s.run;
  process.stdout.write(
    `  ${s.stored} keys stored, ${s.hot} hot, CADREEN_KEY_CACHE_SIZE ${s.cacheSize}, ${s.seconds} s\n` +
      `  ${f(r.rps)} req/s   ${r.requests} requests   server CPU ${f(r.cpuPerRequest, 1)} µs/request   p50 ${msPrecise(r.p50)}   p99 ${msPrecise(r.p99)}   p99.9 ${msPrecise(r.p999)}\n` +
      `  slowest request per 10 s (ms): ${r.maxTimeline.map((m) => f(m)).join(' ')}\n` +
      (s.server
        ? `  server side (probe): longest event-loop delay ${s.server.loopMaxMs} ms, per 10 s: ${s.server.loopMaxTimeline.join(' ')}\n` +
          `  event loop more than 40 ms late ${s.server.stalls.length} times${s.server.stalls.length > 0 ? ` (ms: ${s.server.stalls.map(([, late]) => late).join(' ')})` : ''}\n` +
          `  longest GC pause ${s.server.gcMaxMs} ms (kind ${s.server.gcMaxKind}); main thread waiting for a CPU per 10 s (ms): ${s.server.runQueueTimeline.join(' ')}\n` +
          `  V8 heap used / reserved per 10 s (MB): ${s.server.heapUsedTimeline.map((used, i) => `${used}/${s.server!.heapTotalTimeline[i]}`).join(' ')}\n` +
          `  RSS outside the V8 heap per 10 s (MB): ${s.server.outsideHeapTimeline.join(' ')}\n`
        : '') +
      (s.blocked
        ? `  main thread blocked in the kernel (state D): ${s.blocked.blocked} of ${s.blocked.samples} samples every 10 ms, longest ${s.blocked.longestMs} ms` +
          `${s.blocked.where.length > 0 ? `; in ${s.blocked.where.map(([frames, count]) => `${frames} (${count})`).join(', ')}` : ''}\n`
        : '') +
      `  baseline, bare node:http under the same load for ${s.baseline.seconds} s: ${f(s.baseline.rps)} req/s, worst request ${msPrecise(s.baseline.max)}\n` +
      `  RSS (MB): start ${s.rss.startMB}, after warm-up ${s.rss.afterWarmupMB}, end ${s.rss.endMB}; highest per 10 s: ${s.rss.timeline.join(' ')}\n` +
      `  peak RSS ${s.rss.peakMB} MB (VmHWM; highest of ${s.rss.samples} samples ${s.rss.peakSampledMB} MB) (target ≤ ${t.peakRssMB} MB) ${verdict(s.rss.peakMB <= t.peakRssMB)}\n` +
      `  worst request ${msPrecise(r.max)} (load generator's view; target ≤ ${t.maxLatencyMs} ms) ${verdict(r.max <= t.maxLatencyMs)}\n\n`,
  );
  return s;
}

/** Targets of the embedded verifier, as `met`/`missed`. */
const met = (ok: boolean) => (ok ? 'met' : 'missed');

async function reportVerifier(dir: string) {
  process.stdout.write(`Embedded verifier (@cadreen/sdk Verifier and Fastify plugin, Cadreen on SQLite)\n`);
  const v: VerifierResults = await runVerifierBench(dir, ROUNDS, SECONDS, (line) => process.stdout.write(`${line}\n`));
  const t = VERIFIER_TARGETS;
  const h = v.hit;
  process.stdout.write(
    `  verify() on a cached key ${f(h.verifyNs)} ns/call, SHA-256 hex of the key ${f(h.floorNs)} ns, in this process (median of ${h.rounds.verifyNs.length} rounds × ${h.calls} calls)\n` +
      `    rounds (ns) verify ${h.rounds.verifyNs.map((n) => f(n)).join(' ')}   SHA-256 ${h.rounds.floorNs.map((n) => f(n)).join(' ')}\n` +
      `  verify / SHA-256 ${f(h.ratio, 2)} (target ≤ ${t.hitOverFloor}) ${met(h.ratio <= t.hitOverFloor)}\n`,
  );
  const a = v.apps;
  process.stdout.write(`  Fastify app, GET one route, ${a.layout} (${ROUNDS} alternating rounds × ${SECONDS} s, ${CONNECTIONS} connections, median of rounds)\n`);
  for (const [name, r] of [
    ['no auth', a.plain],
    ['cadreenPlugin', a.cadreen],
    ["better-auth's API-key plugin", a.betterAuth],
  ] as const) {
    if ('skipped' in r) {
      process.stdout.write(`    ${name.padEnd(30)} skipped: ${r.skipped}\n`);
      continue;
    }
    process.stdout.write(
      `    ${name.padEnd(30)} ${f(r.rps).padStart(7)} req/s   p99 ${ms(r.p99).padEnd(7)} app CPU ${f(r.cpuPerRequest, 1)} µs/request   rounds ${r.rounds.join(' ')}\n`,
    );
  }
  process.stdout.write(`  plugin / no auth ${f(a.pluginOverPlain, 2)} (target ≥ ${t.pluginOverPlain}) ${met(a.pluginOverPlain >= t.pluginOverPlain)}\n`);
  if (a.cadreenOverPeer !== null) {
    process.stdout.write(`  plugin / better-auth ${f(a.cadreenOverPeer, 1)}× (target ≥ ${t.cadreenOverPeer}×) ${met(a.cadreenOverPeer >= t.cadreenOverPeer)}\n`);
  }
  process.stdout.write(
    `  for context, app CPU per request: plugin / no auth ${f(a.cpu.pluginOverPlain, 2)}` +
      `${a.cpu.peerOverPlugin === null ? '' : `, better-auth / plugin ${f(a.cpu.peerOverPlugin, 1)}×`}\n`,
  );
  const r = v.revocation;
  process.stdout.write(
    `  revoke acknowledged → app refuses the key (${r.trials} trials)  p50 ${msPrecise(r.p50)}   p99 ${msPrecise(r.p99)}   max ${msPrecise(r.max)}` +
      ` (target p99 < ${t.revocationP99Ms} ms) ${met(r.p99 < t.revocationP99Ms)}, stretch < ${t.revocationStretchMs} ms ${met(r.p99 < t.revocationStretchMs)}\n` +
      `  machine load average (1 min) ${f(v.loadAverage.start, 1)} at the start, ${f(v.loadAverage.end, 1)} at the end\n\n`,
  );
  return v;
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
    process.stdout.write(`  p50 ${f(p.p50, 1)} ms   p99 ${f(p.p99, 1)} ms   max ${f(p.max, 1)} ms (target < 250 ms) ${verdict(p.p99 < 250)}\n\n`);
  } catch (error) {
    scale = { skipped: (error as Error).message };
    process.stdout.write(`PostgreSQL/Redis figures skipped: ${(error as Error).message}\n\n`);
  }
  return scale;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
