import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Real server processes for the benchmarks, on free loopback ports, stopped by PID. */

/**
 * On Linux with two or more CPUs the servers run on CPU 0 and the load
 * generator (this process) on CPU 1, so neither takes the other's CPU and the
 * scheduler does not move them between runs.
 */
const TASKSET = '/usr/bin/taskset';
export const PINNED = process.platform === 'linux' && availableParallelism() >= 2 && existsSync(TASKSET);

/** Moves this process (the load generator) to CPU 1 when pinning is possible. */
export function pinLoadGenerator(): void {
  if (PINNED) spawnSync(TASKSET, ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
}

/** `node args…`, on CPU 0 when pinning is possible. */
function spawnServer(args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return PINNED ? spawn(TASKSET, ['-c', '0', process.execPath, ...args], options) : spawn(process.execPath, args, options);
}

/** CPU time (user + system) a process has used so far, in microseconds; undefined where /proc is not there. */
export function cpuMicros(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks of 10 ms (fields 14 and 15 of proc(5), 12 and 13 after the name).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process now and at its peak so far (VmRSS, VmHWM), in KiB; undefined where /proc is not there. */
export function memoryKiB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    const rss = field('VmRSS');
    const peak = field('VmHWM');
    return Number.isFinite(rss) && Number.isFinite(peak) ? { rss, peak } : undefined;
  } catch {
    return undefined;
  }
}

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForLive(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/livez`)).status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
}

/** `cadreen serve` with `env` (and `nodeArgs` for node itself), once /livez answers. */
export async function startCadreen(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawnServer([...nodeArgs, CLI, 'serve', '--port', String(port)], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitForLive(url, child);
  return { child, url, stop: stopper(child) };
}

/** The bare node:http baseline. */
export async function startBare(): Promise<ServerProcess> {
  const child = spawnServer([BARE], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (chunk) => resolve(Number(String(chunk).trim()))));
  const url = `http://127.0.0.1:${port}`;
  await waitForLive(url, child);
  return { child, url, stop: stopper(child) };
}

/** `cadreen init --json` against the store `env` names. */
export function initStore(env: Record<string, string>): { workspace_id: string; key: { id: string; plaintext: string } } {
  const result = spawnSync(process.execPath, [CLI, 'init', '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`init failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
