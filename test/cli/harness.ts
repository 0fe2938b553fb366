import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli, startServer, type ServerProcess } from '../e2e/process.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  json: () => any;
}

/**
 * Runs a program to completion without blocking the event loop (so that a stub server in this
 * process can answer it).
 */
export function run(command: string, args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

export interface CliServer {
  dir: string;
  /** A directory holding `cadreen` and `cadenya`, as an install puts them on the PATH. */
  bin: string;
  server: ServerProcess;
  admin: string;
  /** What `cadreen init --json` printed: the first workspace and its key. */
  init: { workspace_id: string; key: { id: string; plaintext: string } };
  /** CADREEN_API_KEY (the first key), CADREEN_BASE_URL and CADREEN_ADMIN_TOKEN. */
  env: Record<string, string>;
  /** Runs `cadreen …` (or `cadenya …`) as a user would, with `env` and `extra`. */
  cli(args: string[], extra?: Record<string, string | undefined>, name?: string): Promise<CliResult>;
  stop(): Promise<void>;
}

/** A real `cadreen serve` on SQLite, initialised with `cadreen init`, and the client commands pointed at it. */
export async function startCliServer(prefix: string): Promise<CliServer> {
  const dir = mkdtempSync(join(tmpdir(), `cadreen-${prefix}-`));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(CLI, join(bin, 'cadreen'));
  symlinkSync(CLI, join(bin, 'cadenya'));
  const admin = `${prefix}-admin-token-0123456789`;
  const serverEnv = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CADREEN_ADMIN_TOKEN: admin, CADREEN_RATE_LIMIT: '100000/60s' };
  const init = JSON.parse(runCli(['init', '--json'], serverEnv).stdout);
  const server = await startServer(serverEnv);
  const env = { CADREEN_API_KEY: init.key.plaintext, CADREEN_BASE_URL: server.baseUrl, CADREEN_ADMIN_TOKEN: admin };
  return {
    dir,
    bin,
    server,
    admin,
    init,
    env,
    cli: (args, extra = {}, name = 'cadreen') => run(join(bin, name), args, { ...env, ...extra }),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
