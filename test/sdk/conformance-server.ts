import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const START_SERVER = fileURLToPath(new URL('../../sdks/conformance/start-server.mjs', import.meta.url));

/** The seeded server every SDK's conformance suite runs against, and the variables it prints (keys, ids, base URL). */
export interface ConformanceServer {
  vars: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts `sdks/conformance/start-server.mjs` and waits for the one JSON line naming what it seeded. */
export async function startConformanceServer(): Promise<ConformanceServer> {
  const server: ChildProcess = spawn(process.execPath, [START_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    server.stdout!.once('data', (chunk) => resolve(String(chunk)));
    server.once('exit', (code) => reject(new Error(`start-server exited with ${code}`)));
  });
  return {
    vars: JSON.parse(line) as Record<string, string>,
    async stop() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    },
  };
}
