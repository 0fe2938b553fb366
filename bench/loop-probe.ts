import { appendFileSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/**
 * Preloaded into a bench server (`node --import …/loop-probe.js`), never into
 * a deployment: every 10 s it appends one JSON line to the file named by
 * CADREEN_BENCH_PROBE_FILE with what the server itself saw in that time —
 * the longest event-loop delay and every timer turn more than 40 ms late
 * (stamped with the CPU profiler's clock), the longest garbage-collection
 * pause, the process's memory by kind (MB) at the window's end, and how
 * long its main thread waited for a CPU (run queue, from /proc) — so a slow
 * request seen by the load generator can be told apart from a stall of the
 * server and from a machine that gave the server no CPU. SIGUSR2 closes the
 * current window at once and restarts the 10 s windows.
 */

const file = process.env.CADREEN_BENCH_PROBE_FILE;
if (file) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let gcMax = 0;
  let gcTotal = 0;
  let gcMaxKind = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcTotal += entry.duration;
      if (entry.duration > gcMax) {
        gcMax = entry.duration;
        gcMaxKind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  // Timer turns that came more than 40 ms late: when they ended (monotonic clock in µs, the CPU profiler's clock) and how late, ms.
  let stalls: [number, number][] = [];
  let lastTick = process.hrtime.bigint();
  setInterval(() => {
    const now = process.hrtime.bigint();
    const late = Number(now - lastTick) / 1e6 - 5;
    if (late > 40) stalls.push([Number(now / 1000n), Math.round(late)]);
    lastTick = now;
  }, 5).unref();
  /** Nanoseconds this thread has waited on a run queue so far (second field of schedstat). */
  const runQueueNs = () => {
    try {
      return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
    } catch {
      return Number.NaN;
    }
  };
  let waited = runQueueNs();
  let windowStarted = Date.now();
  const write = (mark: boolean) => {
    const now = runQueueNs();
    const line = {
      from: windowStarted,
      at: Date.now(),
      mark,
      loopMaxMs: loop.max / 1e6,
      loopP99Ms: loop.percentile(99) / 1e6,
      gcMaxMs: gcMax,
      // 1 scavenge, 2 mark-sweep-compact, 4 incremental marking, 8 weak callbacks.
      gcMaxKind,
      gcTotalMs: gcTotal,
      runQueueMs: (now - waited) / 1e6,
      stalls,
      memory: Object.fromEntries(Object.entries(process.memoryUsage()).map(([name, bytes]) => [name, Math.round(bytes / 104_858) / 10])),
    };
    waited = now;
    stalls = [];
    windowStarted = line.at;
    loop.reset();
    gcMax = 0;
    gcTotal = 0;
    gcMaxKind = 0;
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  let timer = setInterval(() => write(false), 10_000).unref();
  // SIGUSR2 from the bench: close the current window now and start the 10 s windows afresh (start and end of a run).
  process.on('SIGUSR2', () => {
    write(true);
    clearInterval(timer);
    timer = setInterval(() => write(false), 10_000).unref();
  });
}
