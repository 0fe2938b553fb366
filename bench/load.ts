import autocannon from 'autocannon';
import { cpuMicros } from './servers.js';

/** Concurrent connections of the load generators (every part but the list). */
export const CONNECTIONS = Number(process.env.CADREEN_BENCH_CONNECTIONS ?? 10);

/** What one autocannon run sends, and to which server process. */
export interface Target {
  url: string;
  /** The server process whose CPU time is charged to these requests. */
  pid: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface Load {
  rps: number;
  /** In ms, at autocannon's whole-millisecond resolution. */
  p99: number;
  /** CPU time the server process spent per request (user + system), in µs; NaN where it cannot be read. */
  cpuPerRequest: number;
}

/**
 * One autocannon run of a fixed request against `target` for `seconds`.
 * Refuses to report a run with a connection error, a timeout or an answer
 * that is not a 2xx.
 */
export async function load(target: Target, run: { seconds: number; connections?: number }): Promise<Load> {
  const cpuBefore = cpuMicros(target.pid);
  const result = await autocannon({
    url: target.url,
    headers: target.headers ?? {},
    method: target.method ?? 'GET',
    ...(target.body === undefined ? {} : { body: target.body }),
    connections: run.connections ?? CONNECTIONS,
    duration: run.seconds,
  });
  const cpuAfter = cpuMicros(target.pid);
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
    throw new Error(`${target.method ?? 'GET'} ${target.url}: answers ${JSON.stringify(statuses)}, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  const total = result.requests.total;
  const cpuPerRequest = cpuBefore === undefined || cpuAfter === undefined || total === 0 ? Number.NaN : (cpuAfter - cpuBefore) / total;
  return { rps: result.requests.average, p99: result.latency.p99, cpuPerRequest };
}

/** Cycles through `values` in order, one per call. */
export function rotate<T>(values: readonly T[]): () => T {
  if (values.length === 0) throw new Error('nothing to rotate through');
  let next = 0;
  return () => {
    const value = values[next]!;
    next = next + 1 === values.length ? 0 : next + 1;
    return value;
  };
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
