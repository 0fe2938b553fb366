import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEADLINE_MS } from '../support/eventually.js';
import { needs } from '../support/services.js';
import { startCluster, type Cluster } from './cluster.js';
import { freePort } from './process.js';
import { callJson } from '../support/json-api.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ADMIN = 'apps-admin-token-0123456789';
const VERIFIER = 'apps-verifier-token-0123456789';
const TRIALS = 100;
const WAIT = { timeout: DEADLINE_MS, interval: 1 };

/** The fenced block after `marker` in the README: the very code a reader copies. */
function example(marker: string): string {
  const at = README.indexOf(marker);
  if (at < 0) throw new Error(`README has no ${marker}`);
  const match = /```\w+\n([\s\S]*?)```/.exec(README.slice(at));
  return match![1]!;
}

interface App {
  name: string;
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** Starts one of the README's customer apps against `cadreen`, waiting until it answers. */
async function startApp(name: string, command: string, args: string[], env: Record<string, string>, url: string, cwd: string): Promise<App> {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await vi.waitFor(async () => {
    expect(child.exitCode, output).toBeNull();
    const response = await fetch(url).catch(() => undefined);
    expect(response?.status, output).toBe(401);
  }, { timeout: DEADLINE_MS, interval: 100 });
  return { name, url, child, output: () => output };
}

/**
 * DESIGN §10's promise, across languages and instances: customer apps (the
 * README's Fastify, Python WSGI and Go apps) verify through instance A; keys
 * are revoked or rotated on instance B; each app refuses the key soon after.
 */
describe('apps verifying through one instance refuse keys revoked on another (PostgreSQL + Redis)', needs('postgres', 'redis'), () => {
  let cluster: Cluster;
  let workspaceId: string;
  let dir: string;
  const apps: App[] = [];

  const admin = (method: string, path: string, body?: unknown) => callJson(cluster.b.baseUrl, method, path, ADMIN, body);

  beforeAll(async () => {
    cluster = await startCluster({
      CADREEN_ADMIN_TOKEN: ADMIN,
      CADREEN_VERIFIER_TOKENS: VERIFIER,
      CADREEN_RATE_LIMIT: '1000000/60s',
      CADREEN_WORKSPACE_RATE_LIMIT: '9000000/60s',
      CADREEN_LOG_LEVEL: 'warn',
    });
    workspaceId = cluster.init.workspace_id;

    dir = mkdtempSync(join(tmpdir(), 'cadreen-apps-'));
    const appEnv = { CADREEN_BASE_URL: cluster.a.baseUrl, CADREEN_VERIFIER_TOKEN: VERIFIER };
    // TypeScript: the Fastify app, run from the repository so that @cadreen/sdk resolves.
    const outputDir = join(ROOT, 'test-output');
    mkdirSync(outputDir, { recursive: true });
    const fastifyFile = join(outputDir, 'apps-verifier-fastify.mjs');
    writeFileSync(fastifyFile, example('<!-- example: verifier-fastify -->'));
    const fastifyPort = await freePort();
    apps.push(await startApp('fastify', process.execPath, [fastifyFile], { ...appEnv, PORT: String(fastifyPort) }, `http://127.0.0.1:${fastifyPort}/v1/invoices`, ROOT));
    // Python: the WSGI app, with the SDK from this repository.
    writeFileSync(join(dir, 'wsgi_app.py'), example('<!-- verifier-example: wsgi -->'));
    const pythonPort = await freePort();
    apps.push(
      await startApp('python-wsgi', 'python3', [join(dir, 'wsgi_app.py')], { ...appEnv, PORT: String(pythonPort), PYTHONPATH: join(ROOT, 'sdks/python') }, `http://127.0.0.1:${pythonPort}/`, dir),
    );
    // Go: the net/http app, built against the SDK in this repository.
    const goDir = join(dir, 'go-app');
    mkdirSync(goDir);
    writeFileSync(join(goDir, 'main.go'), example('<!-- go verifier example -->'));
    writeFileSync(
      join(goDir, 'go.mod'),
      `module appexample\n\ngo 1.19\n\nrequire github.com/timothy-billingrails/cadreen-sdks/go v0.0.0\n\nreplace github.com/timothy-billingrails/cadreen-sdks/go => ${join(ROOT, 'sdks/go')}\n`,
    );
    const built = spawnSync('go', ['build', '-o', 'app', '.'], { cwd: goDir, env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const goPort = await freePort();
    apps.push(await startApp('go-net-http', join(goDir, 'app'), [], { ...appEnv, ADDR: `127.0.0.1:${goPort}` }, `http://127.0.0.1:${goPort}/invoices`, goDir));
  }, 300_000);

  afterAll(async () => {
    for (const app of apps) app.child.kill('SIGTERM');
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`each app refuses a key revoked or rotated on the other instance: ${TRIALS} trials each, p99 under 250 ms`, async () => {
    const report: string[] = [];
    for (const app of apps) {
      const seen: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const created = await admin('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { name: `${app.name}-${trial}` });
        const headers = { authorization: `Bearer ${created.body.plaintext}` };
        const first = await fetch(app.url, { headers });
        expect(first.status, app.output()).toBe(200);
        // Every fifth trial rotates instead of revoking (no grace: the old key must be refused at once).
        const change =
          trial % 5 === 4
            ? await admin('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.body.id}/rotate`, { grace_period_seconds: 0 })
            : await admin('DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.body.id}`);
        const changed = performance.now();
        expect([200, 201, 204]).toContain(change.status);
        await vi.waitFor(async () => expect((await fetch(app.url, { headers })).status).toBe(401), WAIT);
        seen.push(performance.now() - changed);
      }
      seen.sort((x, y) => x - y);
      const p = (q: number) => seen[Math.min(seen.length - 1, Math.ceil(q * seen.length) - 1)]!;
      report.push(`${app.name}: p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms, max ${seen[seen.length - 1]!.toFixed(1)} ms`);
      expect(p(0.99), app.name).toBeLessThan(250);
    }
    console.log(`revoked or rotated on B, refused by an app verifying through A (${TRIALS} trials each):\n  ${report.join('\n  ')}`);
  });
});
