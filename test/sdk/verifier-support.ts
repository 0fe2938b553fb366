import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStreamParser, type ServerSentEvent } from '../../packages/sdk/src/event-stream.js';
import { eventually } from '../support/eventually.js';
import { runCli, startServer, type ServerProcess } from '../e2e/process.js';

export const ADMIN_TOKEN = 'verifier-admin-token-0123456789';
export const VERIFIER_TOKEN = 'verifier-token-abcdefghijklmnop';

export interface Cadreen {
  baseUrl: string;
  workspaceId: string;
  ownerKey: string;
  process: ServerProcess;
  stop(): Promise<void>;
}

/** A real `cadreen serve` on SQLite with a verifier token, seeded by `cadreen init`. */
export async function startCadreen(env: Record<string, string> = {}): Promise<Cadreen> {
  const dir = mkdtempSync(join(tmpdir(), 'cadreen-verifier-'));
  const fullEnv = {
    CADREEN_DATABASE_URL: `sqlite:${join(dir, 'cadreen.db')}`,
    CADREEN_ADMIN_TOKEN: ADMIN_TOKEN,
    CADREEN_VERIFIER_TOKENS: VERIFIER_TOKEN,
    CADREEN_RATE_LIMIT: '100000/60s',
    CADREEN_WORKSPACE_RATE_LIMIT: '1000000/60s',
    CADREEN_LOG_LEVEL: 'warn',
    ...env,
  };
  const init = runCli(['init', '--json'], fullEnv);
  if (init.status !== 0) throw new Error(`cadreen init failed: ${init.stderr}`);
  const seeded = JSON.parse(init.stdout);
  const server = await startServer(fullEnv);
  return {
    baseUrl: server.baseUrl,
    workspaceId: seeded.workspace_id,
    ownerKey: seeded.key.plaintext,
    process: server,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The events of a subscription of the test's own, straight to the server (not through any proxy). */
export interface EventLog {
  /** Every event received, `ready` first. */
  events: ServerSentEvent[];
  /** Resolves with the first event (received so far or later) that `match` accepts. */
  waitFor(what: string, match: (event: ServerSentEvent) => boolean): Promise<ServerSentEvent>;
  close(): void;
}

export async function watchEvents(baseUrl: string, token = ADMIN_TOKEN): Promise<EventLog> {
  const controller = new AbortController();
  const events: ServerSentEvent[] = [];
  const response = await fetch(`${baseUrl}/api/v1/cadreen/keys/events`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!response.ok) throw new Error(`the event stream answered ${response.status}`);
  const parser = new EventStreamParser((event) => events.push(event));
  const decoder = new TextDecoder();
  void (async () => {
    const reader = response.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(decoder.decode(value, { stream: true }));
    }
  })().catch(() => undefined);
  const log: EventLog = {
    events,
    async waitFor(what, match) {
      return eventually(what, () => events.find(match), (event) => event !== undefined) as Promise<ServerSentEvent>;
    },
    close: () => controller.abort(),
  };
  await log.waitFor('the ready event', (event) => event.event === 'ready');
  return log;
}

/** The newest event id the server holds: the `ready` event of a short subscription of the test's own. */
export async function newestEventId(baseUrl: string, token = ADMIN_TOKEN): Promise<number> {
  const log = await watchEvents(baseUrl, token);
  log.close();
  return JSON.parse(log.events[0]!.data).last_event_id;
}

/** The id of an event that names `keyId` (or a workspace change), as a number. */
export const idOf = (event: ServerSentEvent): number => Number(event.id);
export const about = (type: string, keyId: string) => (event: ServerSentEvent) =>
  event.event === type && (JSON.parse(event.data) as { key_id?: string }).key_id === keyId;
