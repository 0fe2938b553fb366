import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleBlocked, type BlockedReport } from './blocked-sampler.js';
import { bulkInsertKeys, realKeys } from './keys.js';
import { CONNECTIONS, rotate } from './load.js';
import { rotatingLoad, type RotatingLoad } from './rotating-load.js';
import { initStore, memoryKiB, startBare, startCadreen } from './servers.js';

/**
 * A sustained run at scale: many keys stored, a hot set verified over and
 * over at the highest rate the machine gives, for minutes, while the
 * server's resident memory is sampled. What it judges: the peak RSS and the
 * slowest request (a stall of the event loop — a long batch write, or the
 * whole hot set expiring from the cache at once — shows up there).
 *
 * To say where a slow request came from it also measures the same load on a
 * bare node:http server (what the machine alone adds), runs the server with
 * a probe (bench/loop-probe.ts: event-loop delay, GC pauses, time spent
 * waiting for a CPU, heap) and samples whether its main thread is blocked in
 * the kernel (bench/blocked-sampler.ts).
 */

const STORED = Number(process.env.CADREEN_BENCH_SCALE_KEYS ?? 1_000_000);
const HOT = Number(process.env.CADREEN_BENCH_HOT_KEYS ?? 100_000);
const SECONDS = Number(process.env.CADREEN_BENCH_SCALE_SECONDS ?? 180);
/** Room in the key cache for the whole hot set, and then some. */
const CACHE_SIZE = Number(process.env.CADREEN_KEY_CACHE_SIZE ?? Math.ceil(HOT * 1.1));
const SAMPLE_MS = 100;
const PROBE = fileURLToPath(new URL('./loop-probe.js', import.meta.url));
/** How long the same load runs against a bare node:http server first: what the machine alone adds to the slowest request. */
const BASELINE_SECONDS = Math.min(30, SECONDS);

export const TARGETS = { peakRssMB: 300, maxLatencyMs: 50 };

export interface SustainedResults {
  stored: number;
  hot: number;
  seconds: number;
  cacheSize: number;
  seedSeconds: number;
  databaseMB: number;
  /** One pass over the hot set from a cold cache (each hot key read from the store once). */
  warmup: { seconds: number; rps: number; max: number };
  run: RotatingLoad;
  /** The same generator and keys against the bare node:http server, for BASELINE_SECONDS. */
  baseline: { seconds: number; rps: number; p999: number; max: number };
  /** The server's main thread blocked in the kernel (state D) during the sustained run, sampled every 10 ms (Linux). */
  blocked?: BlockedReport;
  /** What the server saw, from the preloaded probe (bench/loop-probe.ts), over the sustained run; absent where it could not run. */
  server?: {
    /** Longest event-loop delay in each 10 s, ms. */
    loopMaxTimeline: number[];
    loopMaxMs: number;
    /** Longest garbage-collection pause, ms, and its kind (1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks). */
    gcMaxMs: number;
    gcMaxKind: number;
    /** Time the server's main thread was ready but waited for a CPU, per 10 s, ms. */
    runQueueTimeline: number[];
    /** Timer turns more than 40 ms late: [end on the monotonic clock in µs (a CPU profile's clock), ms late]. */
    stalls: [number, number][];
    /** V8 heap in use and reserved, and memory outside it, at the end of each 10 s, MB. */
    heapUsedTimeline: number[];
    heapTotalTimeline: number[];
    externalTimeline: number[];
    /** RSS outside the V8 heap (RSS − heap reserved): code, the native modules' and SQLite's memory, threads, buffers, MB. */
    outsideHeapTimeline: number[];
  };
  rss: {
    /** After start-up, before any request. */
    startMB: number;
    afterWarmupMB: number;
    endMB: number;
    /** Highest VmRSS among the samples (every 100 ms). */
    peakSampledMB: number;
    /** VmHWM: the kernel's own high-water mark of the process's RSS, from start to end. */
    peakMB: number;
    samples: number;
    /** Highest sample in each 10 s of the sustained run, MB. */
    timeline: number[];
  };
}

const mb = (kib: number) => Math.round((kib / 1024) * 10) / 10;

export async function runSustainedBench(dir: string, log: (line: string) => void): Promise<SustainedResults> {
  if (HOT > STORED) throw new Error(`CADREEN_BENCH_HOT_KEYS (${HOT}) exceeds CADREEN_BENCH_SCALE_KEYS (${STORED})`);
  const path = join(dir, 'sustained.db');
  const env = {
    CADREEN_DATABASE_URL: `sqlite:${path}`,
    // One workspace holds every key: its budget must not be what refuses them.
    CADREEN_WORKSPACE_RATE_LIMIT: '9999999/60s',
    CADREEN_KEY_CACHE_SIZE: String(CACHE_SIZE),
    CADREEN_LOG_LEVEL: process.env.CADREEN_LOG_LEVEL ?? 'info',
  };
  const { workspace_id } = initStore(env);
  const seedStarted = performance.now();
  const hotKeys: string[] = [];
  // The init key is one of the stored keys too.
  bulkInsertKeys(path, workspace_id, STORED - 1, realKeys(HOT, hotKeys));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const databaseMB = mb(statSync(path).size / 1024);
  log(`  seeded ${STORED} keys (${HOT} hot) in ${seedSeconds.toFixed(1)} s, database ${databaseMB} MB`);

  const bare = await startBare();
  let baseline: SustainedResults['baseline'];
  try {
    const run = await rotatingLoad(
      { url: bare.url, path: '/api/v1/cadreen/health', pid: bare.child.pid!, authorization: rotate(hotKeys.map((k) => `Bearer ${k}`)), expect: [200] },
      { seconds: BASELINE_SECONDS, connections: CONNECTIONS },
    );
    baseline = { seconds: BASELINE_SECONDS, rps: run.rps, p999: run.p999, max: run.max };
  } finally {
    await bare.stop();
  }
  log(`  baseline: bare node:http, same load, ${BASELINE_SECONDS} s: ${Math.round(baseline.rps)} req/s, worst request ${baseline.max.toFixed(1)} ms`);

  const probeFile = join(dir, 'probe.jsonl');
  const probe: Record<string, string> = existsSync(PROBE) ? { CADREEN_BENCH_PROBE_FILE: probeFile } : {};
  // CADREEN_BENCH_SERVER_NODE_ARGS go to this server's node, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof --heapsnapshot-signal=SIGHUP'.
  const nodeArgs = [...(process.env.CADREEN_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(probe.CADREEN_BENCH_PROBE_FILE ? ['--import', PROBE] : [])];
  const server = await startCadreen({ ...env, ...probe }, nodeArgs);
  const pid = server.child.pid!;
  let peakSampled = 0;
  let samples = 0;
  let window: number[] | undefined;
  const sample = () => {
    const memory = memoryKiB(pid);
    if (!memory) return;
    samples++;
    peakSampled = Math.max(peakSampled, memory.rss);
    if (window) window.push(memory.rss);
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  try {
    const startKiB = memoryKiB(pid)?.rss ?? Number.NaN;
    const next = rotate(hotKeys.map((k) => `Bearer ${k}`));
    const target = { url: server.url, path: '/api/v1/cadreen/health', pid, authorization: next, expect: [200] };

    const warmupStarted = performance.now();
    const warm = await rotatingLoad(target, { amount: hotKeys.length, connections: CONNECTIONS });
    const warmupSeconds = (performance.now() - warmupStarted) / 1000;
    const afterWarmupKiB = memoryKiB(pid)?.rss ?? Number.NaN;
    log(`  warm-up: ${hotKeys.length} hot keys in ${warmupSeconds.toFixed(1)} s, RSS ${mb(afterWarmupKiB)} MB`);

    log(`  sustained: ${SECONDS} s of verifications over the hot set…`);
    window = [];
    const ticks: number[] = [];
    const tick = setInterval(() => {
      ticks.push(Math.max(0, ...window!));
      window = [];
    }, 10_000);
    let run: RotatingLoad;
    // The probe's windows start with the run, and its last window ends with it.
    const mark = () => {
      if (probe.CADREEN_BENCH_PROBE_FILE) process.kill(pid, 'SIGUSR2');
    };
    const runStarted = Date.now();
    mark();
    const blockedSampler = sampleBlocked(pid);
    let blocked: BlockedReport | undefined;
    try {
      run = await rotatingLoad(target, { seconds: SECONDS, connections: CONNECTIONS });
    } finally {
      clearInterval(tick);
      blocked = blockedSampler.stop();
    }
    if (window.length > 0) ticks.push(Math.max(...window));
    sample();
    const end = memoryKiB(pid);
    mark();
    const serverSide = await probeLines(probeFile, runStarted);
    return {
      stored: STORED,
      hot: HOT,
      seconds: SECONDS,
      cacheSize: CACHE_SIZE,
      seedSeconds,
      databaseMB,
      warmup: { seconds: warmupSeconds, rps: hotKeys.length / warmupSeconds, max: warm.max },
      run,
      baseline,
      ...(blocked ? { blocked } : {}),
      ...(serverSide ? { server: serverSide } : {}),
      rss: {
        startMB: mb(startKiB),
        afterWarmupMB: mb(afterWarmupKiB),
        endMB: mb(end?.rss ?? Number.NaN),
        peakSampledMB: mb(peakSampled),
        peakMB: mb(end?.peak ?? Number.NaN),
        samples,
        timeline: ticks.map(mb),
      },
    };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

interface ProbeLine {
  from: number;
  at: number;
  mark: boolean;
  loopMaxMs: number;
  gcMaxMs: number;
  gcMaxKind: number;
  runQueueMs: number;
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  stalls: [number, number][];
}

/** The probe's windows from `from` to the closing mark (written on SIGUSR2; waits for it up to 2 s). */
async function probeLines(file: string, from: number): Promise<SustainedResults['server']> {
  const read = (): ProbeLine[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as ProbeLine)
      : [];
  const closed = () => read().some((line) => line.mark && line.from >= from);
  for (let waited = 0; waited < 2000 && !closed(); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  const lines = read().filter((line) => line.from >= from);
  if (lines.length === 0) return undefined;
  const worstGc = lines.reduce((worst, line) => (line.gcMaxMs > worst.gcMaxMs ? line : worst));
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    loopMaxTimeline: lines.map((line) => round(line.loopMaxMs)),
    loopMaxMs: round(Math.max(...lines.map((line) => line.loopMaxMs))),
    gcMaxMs: round(worstGc.gcMaxMs),
    gcMaxKind: worstGc.gcMaxKind,
    runQueueTimeline: lines.map((line) => Math.round(line.runQueueMs)),
    stalls: lines.flatMap((line) => line.stalls),
    heapUsedTimeline: lines.map((line) => line.memory.heapUsed),
    heapTotalTimeline: lines.map((line) => line.memory.heapTotal),
    externalTimeline: lines.map((line) => line.memory.external),
    outsideHeapTimeline: lines.map((line) => round(line.memory.rss - line.memory.heapTotal)),
  };
}
