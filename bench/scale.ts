import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { initStore as init, percentile, startCadreen as startServer, type ServerProcess as Server } from './servers.js';

/**
 * Scale-out figures: verification throughput on SQLite and on PostgreSQL
 * (warm cache, and with the cache off so every request reaches the store),
 * and how long a revoke on one instance takes to be refused on another.
 */

const DATABASE_URL = process.env.CADREEN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.CADREEN_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function createSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `cadreen_bench_${process.pid}_${Date.now()}`;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/** Requests per second and p99 (ms) of authenticated health checks for `seconds`. */
async function throughput(url: string, key: string, seconds: number): Promise<{ rps: number; p99: number; errors: number }> {
  const run = (duration: number) =>
    autocannon({ url: `${url}/api/v1/cadreen/health`, connections: 10, duration, headers: { authorization: `Bearer ${key}` } });
  await run(1);
  const result = await run(seconds);
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.non2xx + result.errors };
}


/** Milliseconds from a revoke acknowledged by instance A until instance B refuses the key, `rounds` times. */
async function propagation(a: Server, b: Server, workspaceId: string, owner: string, rounds: number): Promise<number[]> {
  const headers = { authorization: `Bearer ${owner}`, 'content-type': 'application/json' };
  const delays: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const created = await (
      await fetch(`${a.url}/api/v1/maas/workspaces/${workspaceId}/api-keys`, { method: 'POST', headers, body: JSON.stringify({ name: `p-${i}` }) })
    ).json();
    const key = created.plaintext as string;
    const health = () => fetch(`${b.url}/api/v1/cadreen/health`, { headers: { authorization: `Bearer ${key}` } });
    if ((await health()).status !== 200) throw new Error('key not usable on the second instance');
    await fetch(`${a.url}/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${owner}` } });
    const acknowledged = performance.now();
    for (;;) {
      if ((await health()).status === 401) break;
      if (performance.now() - acknowledged > 5000) throw new Error('revoke never reached the second instance');
    }
    delays.push(performance.now() - acknowledged);
  }
  return delays;
}

export interface ScaleResults {
  verify: Record<string, { rps: number; p99: number; errors: number }>;
  propagation: { rounds: number; p50: number; p99: number; max: number };
}

/** Runs the scale-out benchmarks; PostgreSQL and Redis must be reachable. */
export async function runScaleBench(seconds = 5): Promise<ScaleResults> {
  const dir = mkdtempSync(join(tmpdir(), 'cadreen-bench-scale-'));
  const schema = await createSchema();
  const servers: Server[] = [];
  try {
    const verify: ScaleResults['verify'] = {};
    // Neither the key's limit nor its workspace's budget refuses the load, and the propagation
    // loop's own refusals (401 once the revoke arrives) do not trip the per-client failure limiter.
    const common = {
      CADREEN_RATE_LIMIT: '9999999/60s',
      CADREEN_WORKSPACE_RATE_LIMIT: '9999999/60s',
      CADREEN_AUTH_FAILURE_LIMIT: '9999999/60s',
      CADREEN_LOG_LEVEL: 'info',
    };
    const sqliteEnv = { ...common, CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` };
    const sqliteKey = init(sqliteEnv).key.plaintext;
    const pgEnv = { ...common, CADREEN_DATABASE_URL: schema.url };
    const pgInit = init(pgEnv);
    for (const [name, env, key] of [
      ['sqlite, warm cache', sqliteEnv, sqliteKey],
      ['postgres, warm cache', pgEnv, pgInit.key.plaintext],
      ['postgres, cache off', { ...pgEnv, CADREEN_CACHE_TTL_MS: '0' }, pgInit.key.plaintext],
    ] as const) {
      const server = await startServer(env);
      servers.push(server);
      verify[name] = await throughput(server.url, key, seconds);
      await server.stop();
    }

    const scaled = { ...pgEnv, CADREEN_REDIS_URL: REDIS_URL, CADREEN_REDIS_PREFIX: `cadreen-bench-${process.pid}:` };
    const [a, b] = await Promise.all([startServer(scaled), startServer(scaled)]);
    servers.push(a!, b!);
    const delays = await propagation(a!, b!, pgInit.workspace_id, pgInit.key.plaintext, 100);
    return {
      verify,
      propagation: { rounds: delays.length, p50: percentile(delays, 50), p99: percentile(delays, 99), max: Math.max(...delays) },
    };
  } finally {
    for (const server of servers) if (server.child.exitCode === null) await server.stop();
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
