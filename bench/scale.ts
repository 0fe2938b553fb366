import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

/**
 * Scale-out figures: verification throughput on SQLite and on PostgreSQL
 * (warm cache, and with the cache off so every request reaches the store),
 * and how long a revoke on one instance takes to be refused on another.
 */

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const DATABASE_URL = process.env.CADREEN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.CADREEN_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Server {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/livez`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, url, stop: () => (child.kill('SIGTERM'), exited) };
}

function init(env: Record<string, string>): { workspace_id: string; key: { plaintext: string } } {
  const result = spawnSync(process.execPath, [CLI, 'init', '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

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

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

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
    const common = { CADREEN_RATE_LIMIT: '9999999/60s', CADREEN_LOG_LEVEL: 'info' };
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
