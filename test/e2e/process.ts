import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built CLI, as `npm start` and the `cadreen`/`cadenya` bins run it. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Log levels that leave out the server's `cadreen listening` line. */
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * Starts `cadreen serve` on a free loopback port and waits until it listens
 * there (its `cadreen listening` line) and /livez answers. Another process may
 * take the port between choosing and binding it (other test runs share this
 * machine): then the server exits with EADDRINUSE and another port is tried.
 */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const quiet = QUIET_LEVELS.has(env.CADREEN_LOG_LEVEL ?? process.env.CADREEN_LOG_LEVEL ?? 'info');
  for (let attempt = 1; ; attempt++) {
    const started = await startOnFreePort(env, quiet);
    if (started.server) return started.server;
    if (!/EADDRINUSE/.test(started.output) || attempt === 5) throw new Error(`cadreen serve did not start:\n${started.output}`);
  }
}

async function startOnFreePort(env: Record<string, string>, quiet: boolean): Promise<{ server?: ServerProcess; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  // A safety net against a server that never starts; a loaded machine takes seconds, not a minute.
  const deadline = Date.now() + 60_000;
  for (;;) {
    // Until this process says it listens, an answer on the port may come from another one.
    if (quiet || output.includes('cadreen listening')) {
      try {
        if ((await fetch(`${baseUrl}/livez`)).ok) break;
      } catch {
        // not listening yet
      }
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await exited;
      return { output };
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cadreen serve did not start within a minute:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    server: {
      child,
      baseUrl,
      output: () => output,
      stop: () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        return exited;
      },
    },
    output,
  };
}
