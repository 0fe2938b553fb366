import { connect, type Socket } from 'node:net';
import { cpuMicros } from './servers.js';

/**
 * A load generator for requests whose Authorization header changes on every
 * request (many keys). autocannon rebuilds a request through its generic
 * builder whenever a header changes, which caps it at a third of the rate it
 * reaches with a fixed request on this machine; and with a fixed list of
 * requests every connection walks the list in the same order, so each key
 * arrives ten times at once and a second sees a tenth of the distinct keys it
 * should. Here every connection takes the next key from one shared rotation,
 * so consecutive requests carry distinct keys, and each request's latency is
 * measured to the microsecond.
 *
 * HTTP/1.1 keep-alive, one request at a time per connection, GET only;
 * answers must carry a Content-Length (the service's JSON answers do).
 */

export interface RotatingTarget {
  /** Base URL of the server, e.g. http://127.0.0.1:8080. */
  url: string;
  path: string;
  /** The server process whose CPU time is charged to these requests. */
  pid: number;
  /** The Authorization header of the next request. */
  authorization: () => string;
  /** The statuses every answer must have. */
  expect: number[];
}

export interface RotatingLoad {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  p999: number;
  /** Slowest request, ms. */
  max: number;
  /** Slowest request in each 10 s of the run, ms. */
  maxTimeline: number[];
  cpuPerRequest: number;
  statuses: Record<string, number>;
  /** Connections the server closed (answers with `Connection: close`), reopened at once. */
  reconnects: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Runs `connections` keep-alive connections against `target` for `seconds`, or until `amount` requests were answered. */
export async function rotatingLoad(
  target: RotatingTarget,
  run: { seconds?: number; amount?: number; connections: number },
): Promise<RotatingLoad> {
  const { hostname, port } = new URL(target.url);
  const head = `GET ${target.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: `;
  const latencies: Float64Array[] = [];
  let current = new Float64Array(1 << 16);
  let filled = 0;
  const record = (ms: number) => {
    if (filled === current.length) {
      latencies.push(current);
      current = new Float64Array(1 << 16);
      filled = 0;
    }
    current[filled++] = ms;
  };
  const statuses: Record<string, number> = {};
  const maxTimeline: number[] = [];
  let windowMax = 0;
  let answered = 0;
  let sent = 0;
  let reconnects = 0;
  let failure: Error | undefined;

  const started = performance.now();
  const deadline = run.seconds === undefined ? Number.POSITIVE_INFINITY : started + run.seconds * 1000;
  const more = () => failure === undefined && (run.amount === undefined ? performance.now() < deadline : sent < run.amount);
  const ticker = setInterval(() => {
    maxTimeline.push(windowMax);
    windowMax = 0;
  }, 10_000);
  const cpuBefore = cpuMicros(target.pid);

  const connection = () =>
    new Promise<void>((resolve) => {
      let socket: Socket;
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let waiting = false;
      const send = () => {
        if (!more()) {
          socket.end();
          return resolve();
        }
        sent++;
        waiting = true;
        sentAt = performance.now();
        socket.write(`${head}${target.authorization()}\r\n\r\n`, 'latin1');
      };
      const fail = (error: Error) => {
        failure ??= error;
        socket.destroy();
        resolve();
      };
      const open = () => {
        pending = Buffer.alloc(0);
        socket = connect({ host: hostname, port: Number(port), noDelay: true });
        socket.on('connect', send);
        socket.on('error', (error) => fail(error));
        socket.on('end', () => {
          // The server closed the connection: a failure during an answer; between answers, open another.
          if (waiting) return fail(new Error('connection closed before the answer was complete'));
          socket.destroy();
          if (more()) {
            reconnects++;
            open();
          } else resolve();
        });
        socket.on('data', (chunk: Buffer) => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          const end = pending.indexOf(HEADER_END);
          if (end < 0) return;
          const headers = pending.toString('latin1', 0, end).toLowerCase();
          const length = /\r\ncontent-length: *(\d+)/.exec(headers);
          if (!length) return fail(new Error(`answer without Content-Length: ${headers.split('\r\n')[0]}`));
          const total = end + 4 + Number(length[1]);
          if (pending.length < total) return;
          if (pending.length > total) return fail(new Error('more bytes than one answer'));
          const latency = performance.now() - sentAt;
          waiting = false;
          pending = Buffer.alloc(0);
          answered++;
          record(latency);
          if (latency > windowMax) windowMax = latency;
          const status = headers.slice(9, 12);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (/\r\nconnection: *close/.test(headers)) {
            reconnects++;
            socket.removeAllListeners();
            socket.on('error', () => {});
            socket.destroy();
            if (more()) open();
            else resolve();
            return;
          }
          send();
        });
      };
      open();
    });

  try {
    await Promise.all(Array.from({ length: run.connections }, connection));
  } finally {
    clearInterval(ticker);
  }
  const cpuAfter = cpuMicros(target.pid);
  const elapsed = (performance.now() - started) / 1000;
  if (windowMax > 0) maxTimeline.push(windowMax);
  if (failure) throw failure;
  const unexpected = Object.entries(statuses).filter(([code]) => !target.expect.includes(Number(code)));
  if (unexpected.length > 0) throw new Error(`GET ${target.path}: unexpected answers ${JSON.stringify(Object.fromEntries(unexpected))}`);

  const all = new Float64Array(answered);
  let offset = 0;
  for (const chunk of latencies) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  all.set(current.subarray(0, filled), offset);
  all.sort();
  const at = (p: number) => (all.length === 0 ? Number.NaN : all[Math.min(all.length - 1, Math.ceil((p / 100) * all.length) - 1)]!);
  return {
    rps: answered / elapsed,
    requests: answered,
    p50: at(50),
    p99: at(99),
    p999: at(99.9),
    max: all.length === 0 ? Number.NaN : all[all.length - 1]!,
    maxTimeline,
    cpuPerRequest: cpuBefore === undefined || cpuAfter === undefined || answered === 0 ? Number.NaN : (cpuAfter - cpuBefore) / answered,
    statuses,
    reconnects,
  };
}
