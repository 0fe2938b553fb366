import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Verifier } from '@cadreen/sdk';
import { cadreenPlugin } from '@cadreen/sdk/fastify';
import Fastify from 'fastify';
import { load, median, type Load, type Target } from './load.js';
import { initStore, percentile, PINNED, startCadreen, type ServerProcess } from './servers.js';

/**
 * The embedded verifier (`@cadreen/sdk`'s `Verifier` and `cadreenPlugin`), measured three ways:
 * - the cost of `verify()` on a cached key next to one SHA-256 of the key, in this process;
 * - a Fastify app's route behind the plugin, next to the same route without auth and the same
 *   route behind better-auth's API-key plugin (each app its own process on the servers' CPU);
 * - how long after a revoke is acknowledged the app behind the plugin refuses the key.
 *
 * Run as `node verifier.js app <plain|cadreen|better-auth>`, this file is the app itself.
 */

export const TARGETS = { hitOverFloor: 3, pluginOverPlain: 0.8, cadreenOverPeer: 20, revocationP99Ms: 250, revocationStretchMs: 50 };

const VERIFIER_TOKEN = 'bench-verifier-token-0123456789';
/**
 * The highest per-key limit whose lease (a tenth of it) the lease API grants in one call
 * (100 000 units): a verifier asks for `floor(limit / 10)` units.
 */
const KEY_LIMIT = 1_000_000;
const LIMITS = {
  CADREEN_RATE_LIMIT: `${KEY_LIMIT}/60s`,
  CADREEN_WORKSPACE_RATE_LIMIT: '9999999/60s',
  // The revocation trials' own refusals must not trip the per-client failure limiter.
  CADREEN_AUTH_FAILURE_LIMIT: '9999999/60s',
};
/** Calls per round of the hit measurement; warm-up plus all rounds stay under one key's limit per minute. */
const HIT_CALLS = 50_000;
const HIT_ROUNDS = 9;
const HIT_WARMUP_ROUNDS = 2;
const REVOCATION_TRIALS = 100;
const ROUTE = '/v1/things';

type AppKind = 'plain' | 'cadreen' | 'better-auth';
const APP_KINDS: AppKind[] = ['plain', 'cadreen', 'better-auth'];

interface Throughput {
  rps: number;
  p99: number;
  cpuPerRequest: number;
  rounds: number[];
}

export interface VerifierResults {
  hit: { verifyNs: number; floorNs: number; ratio: number; calls: number; rounds: { verifyNs: number[]; floorNs: number[] } };
  apps: {
    layout: string;
    plain: Throughput;
    cadreen: Throughput;
    betterAuth: Throughput | { skipped: string };
    pluginOverPlain: number;
    cadreenOverPeer: number | null;
    /** The same comparisons in the app's CPU time per request (steadier than throughput on a shared machine). */
    cpu: { pluginOverPlain: number; peerOverPlugin: number | null };
  };
  revocation: { trials: number; p50: number; p99: number; max: number };
  /** The machine's 1-minute load average when the part started and ended (other work on it moves every figure). */
  loadAverage: { start: number; end: number };
}

const SELF = fileURLToPath(import.meta.url);
const TASKSET = '/usr/bin/taskset';

/** One of the three apps as its own process, on the servers' CPU when pinning is possible, once it listens. */
async function startApp(kind: AppKind, env: Record<string, string>): Promise<ServerProcess> {
  const args = [SELF, 'app', kind];
  const options = { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] as ('ignore' | 'pipe' | 'inherit')[] };
  const child: ChildProcess = PINNED && existsSync(TASKSET) ? spawn(TASKSET, ['-c', '0', process.execPath, ...args], options) : spawn(process.execPath, args, options);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk) => resolve(Number(String(chunk).trim())));
    child.once('exit', (code) => reject(new Error(`the ${kind} app exited with ${code} before listening`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** better-auth with its API-key plugin on SQLite (better-sqlite3, with the pragmas Cadreen's own SQLite store uses). */
async function openBetterAuth(path: string) {
  const [{ betterAuth }, { apiKey }, { default: Database }] = await Promise.all([
    import('better-auth'),
    import('@better-auth/api-key'),
    import('better-sqlite3'),
  ]);
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  const options = {
    database,
    baseURL: 'http://127.0.0.1:3000',
    secret: 'bench-better-auth-secret-0123456789abcdef',
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    // The same limit per key as Cadreen's in this bench.
    plugins: [apiKey({ rateLimit: { enabled: true, timeWindow: 60_000, maxRequests: KEY_LIMIT } })],
  };
  return { auth: betterAuth(options), options, database };
}

/** A better-auth database with its tables, one user and one API key; the key's plaintext stays in this process. */
async function seedBetterAuth(path: string): Promise<string> {
  const { auth, options, database } = await openBetterAuth(path);
  try {
    const { getMigrations } = await import('better-auth/db/migration');
    await (await getMigrations(options)).runMigrations();
    const { user } = await auth.api.signUpEmail({ body: { email: 'bench@example.com', password: 'bench-password-0123', name: 'Bench' } });
    const created = await auth.api.createApiKey({ body: { userId: user.id, name: 'bench' } });
    return created.key;
  } finally {
    database.close();
  }
}

const bearer = (header: string | undefined) => /^Bearer ([^\s]+)$/.exec(header ?? '')?.[1];

/** The app: one route answering the caller's owner, behind nothing, the Cadreen plugin or better-auth. */
async function serveApp(kind: AppKind): Promise<void> {
  const app = Fastify({ logger: false });
  const closers: Array<() => unknown> = [];
  if (kind === 'plain') {
    app.get(ROUTE, async () => ({ things: [], owner: 'ws_01HXK0000000000000000000000' }));
  } else if (kind === 'cadreen') {
    // CADREEN_BASE_URL and CADREEN_VERIFIER_TOKEN, as an app would be configured.
    const verifier = new Verifier();
    closers.push(() => verifier.close());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the verifier never connected to the event stream')), 10_000);
      verifier.on('connected', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await app.register(cadreenPlugin, { verifier });
    app.get(ROUTE, async (request) => ({ things: [], owner: request.cadreen.workspaceId }));
  } else {
    const { auth, database } = await openBetterAuth(process.env.BENCH_BETTER_AUTH_DB!);
    closers.push(() => database.close());
    app.decorateRequest('owner', '');
    app.addHook('onRequest', async (request, reply) => {
      const key = bearer(request.headers.authorization);
      const result = key === undefined ? undefined : await auth.api.verifyApiKey({ body: { key } });
      if (!result?.valid || !result.key) return reply.code(401).send({ error: { code: 'auth_invalid', message: 'invalid API key' } });
      (request as unknown as { owner: string }).owner = result.key.referenceId;
    });
    app.get(ROUTE, async (request) => ({ things: [], owner: (request as unknown as { owner: string }).owner }));
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${(app.server.address() as { port: number }).port}\n`);
  process.once('SIGTERM', () => {
    void app.close().then(async () => {
      for (const close of closers) await close();
      process.exit(0);
    });
  });
}

/** ns per call of `verify()` on a cached key, and of one SHA-256 hex digest of the same key, in alternating rounds. */
async function measureHit(baseURL: string, key: string): Promise<VerifierResults['hit']> {
  const verifier = new Verifier({ baseURL, token: VERIFIER_TOKEN });
  try {
    await new Promise<void>((resolve) => verifier.on('connected', resolve));
    const header = `Bearer ${key}`;
    const verifyRound = async (calls: number) => {
      const started = performance.now();
      for (let i = 0; i < calls; i++) {
        const result = await verifier.verify(header);
        if (!result.valid) throw new Error(`a cached key was refused: ${result.code}`);
      }
      return ((performance.now() - started) * 1e6) / calls;
    };
    let sink = 0;
    const floorRound = (calls: number) => {
      const started = performance.now();
      for (let i = 0; i < calls; i++) sink ^= createHash('sha256').update(key).digest('hex').charCodeAt(i & 63);
      return ((performance.now() - started) * 1e6) / calls;
    };
    // The first call asks Cadreen, the second leases units; the warm-up lets V8 optimise both loops.
    for (let round = 0; round < HIT_WARMUP_ROUNDS; round++) {
      await verifyRound(HIT_CALLS);
      floorRound(HIT_CALLS);
    }
    const rounds = { verifyNs: [] as number[], floorNs: [] as number[] };
    for (let round = 0; round < HIT_ROUNDS; round++) {
      rounds.verifyNs.push(await verifyRound(HIT_CALLS));
      rounds.floorNs.push(floorRound(HIT_CALLS));
    }
    if (sink === -1) process.stdout.write('');
    const verifyNs = median(rounds.verifyNs);
    const floorNs = median(rounds.floorNs);
    return { verifyNs, floorNs, ratio: verifyNs / floorNs, calls: HIT_CALLS, rounds };
  } finally {
    await verifier.close();
  }
}

/** The same request to each app in alternating rounds (autocannon), median of rounds. */
async function measureApps(
  apps: Partial<Record<AppKind, ServerProcess>>,
  keys: Record<AppKind, string>,
  rounds: number,
  seconds: number,
): Promise<Record<AppKind, Throughput | undefined>> {
  const kinds = APP_KINDS.filter((kind) => apps[kind] !== undefined);
  const target = (kind: AppKind): Target => ({ url: `${apps[kind]!.url}${ROUTE}`, headers: { authorization: `Bearer ${keys[kind]}` }, pid: apps[kind]!.child.pid! });
  const runs: Record<AppKind, Load[]> = { plain: [], cadreen: [], 'better-auth': [] };
  for (const kind of kinds) await load(target(kind), { seconds: 2 });
  for (let round = 0; round < rounds; round++) for (const kind of kinds) runs[kind].push(await load(target(kind), { seconds }));
  const summary = (kind: AppKind): Throughput | undefined =>
    runs[kind].length === 0
      ? undefined
      : {
          rps: median(runs[kind].map((r) => r.rps)),
          p99: median(runs[kind].map((r) => r.p99)),
          cpuPerRequest: median(runs[kind].map((r) => r.cpuPerRequest)),
          rounds: runs[kind].map((r) => Math.round(r.rps)),
        };
  return { plain: summary('plain'), cadreen: summary('cadreen'), 'better-auth': summary('better-auth') };
}

/** Milliseconds from a revoke acknowledged by Cadreen until the app behind the plugin refuses the key, per trial. */
async function measureRevocation(cadreen: ServerProcess, app: ServerProcess, workspaceId: string, owner: string): Promise<number[]> {
  const keys = `${cadreen.url}/api/v1/maas/workspaces/${workspaceId}/api-keys`;
  const delays: number[] = [];
  for (let trial = 0; trial < REVOCATION_TRIALS; trial++) {
    const response = await fetch(keys, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `revocation-${trial}` }),
    });
    if (response.status !== 201) throw new Error(`creating a key answered ${response.status}`);
    const created = (await response.json()) as { id: string; plaintext: string };
    const ask = async () => {
      const answer = await fetch(`${app.url}${ROUTE}`, { headers: { authorization: `Bearer ${created.plaintext}` } });
      await answer.arrayBuffer();
      return answer.status;
    };
    if ((await ask()) !== 200) throw new Error('a new key was refused by the app');
    const revoked = await fetch(`${keys}/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${owner}` } });
    if (revoked.status !== 204) throw new Error(`revoking a key answered ${revoked.status}`);
    const acknowledged = performance.now();
    for (;;) {
      const status = await ask();
      if (status === 401) break;
      if (status !== 200) throw new Error(`the app answered ${status} while the revoke travelled`);
      if (performance.now() - acknowledged > 5000) throw new Error('the app still admitted a key 5 s after its revoke');
    }
    delays.push(performance.now() - acknowledged);
  }
  return delays;
}

/** All three measurements, against one Cadreen server on SQLite and the three apps. */
export async function runVerifierBench(dir: string, rounds: number, seconds: number, log: (line: string) => void): Promise<VerifierResults> {
  const env = {
    CADREEN_DATABASE_URL: `sqlite:${join(dir, 'verifier.db')}`,
    CADREEN_VERIFIER_TOKENS: VERIFIER_TOKEN,
    CADREEN_LOG_LEVEL: process.env.CADREEN_LOG_LEVEL ?? 'info',
    ...LIMITS,
  };
  const loadAtStart = loadavg()[0]!;
  const { workspace_id: workspaceId, key: owner } = initStore(env);
  const processes: ServerProcess[] = [];
  try {
    const cadreen = await startCadreen(env);
    processes.push(cadreen);
    const createKey = async (name: string) => {
      const response = await fetch(`${cadreen.url}/api/v1/maas/workspaces/${workspaceId}/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.plaintext}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (response.status !== 201) throw new Error(`creating a key answered ${response.status}`);
      return ((await response.json()) as { plaintext: string }).plaintext;
    };

    const hit = await measureHit(cadreen.url, await createKey('hit'));

    const appEnv = { CADREEN_BASE_URL: cadreen.url, CADREEN_VERIFIER_TOKEN: VERIFIER_TOKEN, BENCH_BETTER_AUTH_DB: join(dir, 'better-auth.db') };
    const apps: Partial<Record<AppKind, ServerProcess>> = {};
    const keys: Record<AppKind, string> = { plain: await createKey('plain'), cadreen: await createKey('plugin'), 'better-auth': '' };
    let peerSkipped: string | undefined;
    try {
      keys['better-auth'] = await seedBetterAuth(appEnv.BENCH_BETTER_AUTH_DB);
    } catch (error) {
      peerSkipped = `better-auth could not be set up: ${(error as Error).message}`;
      log(`  ${peerSkipped}`);
    }
    for (const kind of APP_KINDS) {
      if (kind === 'better-auth' && peerSkipped) continue;
      apps[kind] = await startApp(kind, appEnv);
      processes.push(apps[kind]!);
    }
    const measured = await measureApps(apps, keys, rounds, seconds);
    const plain = measured.plain!;
    const plugin = measured.cadreen!;
    const peer = measured['better-auth'];

    const delays = await measureRevocation(cadreen, apps.cadreen!, workspaceId, owner.plaintext);
    return {
      hit,
      apps: {
        layout: 'one process per app (plain, plugin, better-auth), same route and answer',
        plain,
        cadreen: plugin,
        betterAuth: peer ?? { skipped: peerSkipped ?? 'not measured' },
        pluginOverPlain: plugin.rps / plain.rps,
        cadreenOverPeer: peer ? plugin.rps / peer.rps : null,
        cpu: { pluginOverPlain: plugin.cpuPerRequest / plain.cpuPerRequest, peerOverPlugin: peer ? peer.cpuPerRequest / plugin.cpuPerRequest : null },
      },
      revocation: { trials: delays.length, p50: percentile(delays, 50), p99: percentile(delays, 99), max: Math.max(...delays) },
      loadAverage: { start: loadAtStart, end: loadavg()[0]! },
    };
  } finally {
    for (const server of processes.reverse()) await server.stop();
  }
}

if (process.argv[1] === SELF && process.argv[2] === 'app') {
  const kind = process.argv[3] as AppKind;
  if (!APP_KINDS.includes(kind)) throw new Error(`expected an app kind (${APP_KINDS.join(', ')}), got ${kind}`);
  serveApp(kind).catch((error: unknown) => {
    process.stderr.write(`${kind} app failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
