#!/usr/bin/env node
// Starts a seeded Cadreen server for the SDK test suites of every language.
// Prints one JSON line {base_url, admin_token, workspace_id, owner_key, limited_base_url, limited_key}
// and keeps running until stdin closes or SIGTERM; then stops the servers and removes its files.
// Needs `npm run build` first (it runs dist/cli/main.js).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const ADMIN_TOKEN = 'conformance-admin-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'cadreen-sdk-server-'));
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function serve(name, rateLimit) {
  const env = {
    ...process.env,
    CADREEN_DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}`,
    CADREEN_ADMIN_TOKEN: ADMIN_TOKEN,
    CADREEN_RATE_LIMIT: rateLimit,
  };
  const init = spawnSync(process.execPath, [CLI, 'init', '--json'], { env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(init.stderr);
  const seeded = JSON.parse(init.stdout);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { env, stdio: 'ignore' });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/livez`)).ok) return { url, seeded };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('server did not start');
}

let stopped = false;
async function stop() {
  if (stopped) return;
  stopped = true;
  await Promise.all(
    children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM'))))),
  );
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();

try {
  const [main, limited] = await Promise.all([serve('main', '100000/60s'), serve('limited', '2/60s')]);
  process.stdout.write(
    `${JSON.stringify({
      base_url: main.url,
      admin_token: ADMIN_TOKEN,
      workspace_id: main.seeded.workspace_id,
      owner_key: main.seeded.key.plaintext,
      limited_base_url: limited.url,
      limited_key: limited.seeded.key.plaintext,
    })}\n`,
  );
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
  await stop();
}
