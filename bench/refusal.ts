import { join } from 'node:path';
import { unknownKeys } from './keys.js';
import { CONNECTIONS, median, rotate } from './load.js';
import { rotatingLoad, type RotatingLoad, type RotatingTarget } from './rotating-load.js';
import { initStore, startCadreen, type ServerProcess } from './servers.js';

/**
 * What a refused unknown key costs the server, next to a valid cached key:
 * server CPU per request of the authenticated health check, each case on its
 * own server process (so one case's failure counter cannot throttle
 * another's), in alternating rounds of one run.
 */

/** Limits that never get in the way of the valid key (per key and per workspace). */
const UNLIMITED = { CADREEN_RATE_LIMIT: '9999999/60s', CADREEN_WORKSPACE_RATE_LIMIT: '9999999/60s' };
/** The per-client failure limiter out of the way. */
const NO_FAILURE_LIMIT = { CADREEN_AUTH_FAILURE_LIMIT: '9999999/60s' };

/** Distinct unknown keys cycled through by the "never repeated" case: more than it sends in the whole part. */
const FRESH_KEYS = Number(process.env.CADREEN_BENCH_FRESH_KEYS ?? 300_000);
/** Distinct unknown keys cycled through by the "repeated" case: few enough for any negative cache. */
const REPEATED_KEYS = 1_000;

export const CASES = {
  valid: 'valid cached key',
  limited: 'unknown keys, failure limiter on',
  repeated: `unknown keys (${REPEATED_KEYS} repeated), limiter off`,
  fresh: 'unknown keys (never repeated), limiter off',
} as const;
type Case = keyof typeof CASES;

export interface RefusalResults {
  failureLimit: string;
  cases: Record<Case, { rps: number; p99: number; reconnects: number; cpuPerRequest: number; statuses: Record<string, number>; rounds: number[] }>;
  /** CPU per refused unknown key (limiter on) over CPU per valid cached key: target ≤ 1.5. */
  limitedOverValid: number;
  repeatedOverValid: number;
  freshOverValid: number;
}

export async function runRefusalBench(dir: string, rounds: number, seconds: number): Promise<RefusalResults> {
  const servers: ServerProcess[] = [];
  const start = async (name: string, env: Record<string, string>) => {
    const full = { CADREEN_DATABASE_URL: `sqlite:${join(dir, `refusal-${name}.db`)}`, CADREEN_LOG_LEVEL: process.env.CADREEN_LOG_LEVEL ?? 'info', ...env };
    const { key } = initStore(full);
    const server = await startCadreen(full);
    servers.push(server);
    return { server, key: key.plaintext };
  };
  try {
    const valid = await start('valid', UNLIMITED);
    const limited = await start('limited', UNLIMITED);
    const repeated = await start('repeated', { ...UNLIMITED, ...NO_FAILURE_LIMIT });
    const fresh = await start('fresh', { ...UNLIMITED, ...NO_FAILURE_LIMIT });
    const health = (server: ServerProcess) => ({ url: server.url, path: '/api/v1/cadreen/health', pid: server.child.pid! });
    const freshKeys = unknownKeys(FRESH_KEYS).map((k) => `Bearer ${k}`);
    // Every case takes its Authorization header from a rotation, so the load generator does the same work.
    const targets: Record<Case, RotatingTarget> = {
      valid: { ...health(valid.server), authorization: rotate([`Bearer ${valid.key}`]), expect: [200] },
      // Distinct keys as an attacker would send them; after the limit, 429 before any hashing.
      limited: { ...health(limited.server), authorization: rotate(freshKeys), expect: [401, 429] },
      repeated: { ...health(repeated.server), authorization: rotate(unknownKeys(REPEATED_KEYS).map((k) => `Bearer ${k}`)), expect: [401] },
      fresh: { ...health(fresh.server), authorization: rotate(freshKeys), expect: [401] },
    };
    const runs: Record<Case, RotatingLoad[]> = { valid: [], limited: [], repeated: [], fresh: [] };
    for (const target of Object.values(targets)) await rotatingLoad(target, { seconds: 2, connections: CONNECTIONS });
    for (let round = 0; round < rounds; round++) {
      for (const name of Object.keys(targets) as Case[]) {
        runs[name].push(await rotatingLoad(targets[name], { seconds, connections: CONNECTIONS }));
      }
    }
    const summary = (name: Case) => {
      const statuses: Record<string, number> = {};
      for (const run of runs[name]) for (const [code, count] of Object.entries(run.statuses)) statuses[code] = (statuses[code] ?? 0) + count;
      return {
        rps: median(runs[name].map((r) => r.rps)),
        p99: median(runs[name].map((r) => r.p99)),
        reconnects: runs[name].reduce((sum, r) => sum + r.reconnects, 0),
        cpuPerRequest: median(runs[name].map((r) => r.cpuPerRequest)),
        statuses,
        rounds: runs[name].map((r) => Math.round(r.cpuPerRequest * 10) / 10),
      };
    };
    const cases = { valid: summary('valid'), limited: summary('limited'), repeated: summary('repeated'), fresh: summary('fresh') };
    return {
      failureLimit: process.env.CADREEN_AUTH_FAILURE_LIMIT ?? 'default',
      cases,
      limitedOverValid: cases.limited.cpuPerRequest / cases.valid.cpuPerRequest,
      repeatedOverValid: cases.repeated.cpuPerRequest / cases.valid.cpuPerRequest,
      freshOverValid: cases.fresh.cpuPerRequest / cases.valid.cpuPerRequest,
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}
