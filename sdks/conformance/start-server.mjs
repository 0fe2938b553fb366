#!/usr/bin/env node
// Starts a seeded Cadreen server for the SDK conformance suites and prints one JSON line:
// {"base_url","admin_token","account_id","workspace_id","owner_key","owner_key_id"}.
// It runs until its standard input closes or it receives SIGTERM/SIGINT, then stops the
// server and removes its temporary directory. It builds nothing: run `npm run build` first.
//
//   node sdks/conformance/start-server.mjs [--rate-limit 100000/60s]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const ADMIN_TOKEN = 'conformance-admin-token-0123456789';

const flag = process.argv.indexOf('--rate-limit');
const rateLimit = flag === -1 ? '100000/60s' : process.argv[flag + 1];

if (!existsSync(CLI)) {
  process.stderr.write(`start-server: ${CLI} is missing; run \`npm run build\` in the repository first\n`);
  process.exit(1);
}

/** A loopback port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'cadreen-conformance-'));
const env = {
  ...process.env,
  CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
  CADREEN_ADMIN_TOKEN: ADMIN_TOKEN,
  CADREEN_RATE_LIMIT: rateLimit,
  CADREEN_LOG_LEVEL: 'warn',
};

let server;
let stopping;
function stop(code) {
  stopping ??= (async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('close', () => stop(0));
process.stdin.resume();

try {
  const init = spawnSync(process.execPath, [CLI, 'init', '--json'], { env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`cadreen init failed:\n${init.stderr}`);
  const seed = JSON.parse(init.stdout);
  const port = await freePort();
  server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${baseUrl}/livez`)).ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || Date.now() > deadline) throw new Error('cadreen serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.stdout.write(
    `${JSON.stringify({
      base_url: baseUrl,
      admin_token: ADMIN_TOKEN,
      account_id: seed.account_id,
      workspace_id: seed.workspace_id,
      owner_key: seed.key.plaintext,
      owner_key_id: seed.key.id,
    })}\n`,
  );
} catch (error) {
  process.stderr.write(`start-server: ${error.message}\n`);
  await stop(1);
}
