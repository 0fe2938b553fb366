import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEADLINE_MS } from '../support/eventually.js';
import { followEvents } from '../support/sse.js';
import { needs } from '../support/services.js';
import { startCluster, type Cluster } from './cluster.js';
import { startServer, type ServerProcess } from './process.js';
import { callJson } from '../support/json-api.js';

const ADMIN = 'events-admin-token-0123456789';
const VERIFIER = 'events-verifier-token-0123456789';
const WAIT = { timeout: DEADLINE_MS, interval: 5 };

/** Follows a server's event stream with the verifier token (from `lastEventId` when given). */
const follow = (server: ServerProcess, lastEventId?: number) =>
  followEvents(`${server.baseUrl}/api/v1/cadreen/keys/events`, {
    authorization: `Bearer ${VERIFIER}`,
    ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}),
  });

describe('the key event stream across instances (PostgreSQL + Redis)', needs('postgres', 'redis'), () => {
  let cluster: Cluster;
  let a: ServerProcess;
  let b: ServerProcess;
  let workspaceId: string;

  const admin = (server: ServerProcess, method: string, path: string, body?: unknown) => callJson(server.baseUrl, method, path, ADMIN, body);

  beforeAll(async () => {
    cluster = await startCluster({
      CADREEN_ADMIN_TOKEN: ADMIN,
      CADREEN_VERIFIER_TOKENS: VERIFIER,
      CADREEN_RATE_LIMIT: '100000/60s',
      CADREEN_WORKSPACE_RATE_LIMIT: '1000000/60s',
      CADREEN_LOG_LEVEL: 'warn',
    });
    ({ a, b } = cluster);
    workspaceId = cluster.init.workspace_id;
  });

  afterAll(() => cluster?.stop());

  it('streams on A every revoke made on B, in order, within milliseconds', async () => {
    const stream = await follow(a);
    await vi.waitFor(() => expect(stream.events()[0]?.event).toBe('ready'), WAIT);
    const latencies: number[] = [];
    for (let i = 0; i < 30; i++) {
      const created = await admin(b, 'POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { name: `k${i}` });
      const sent = performance.now();
      expect((await admin(b, 'DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.body.id}`)).status).toBe(204);
      const seen = await vi.waitFor(() => {
        const match = stream.events().find((frame) => frame.event === 'key.revoked' && frame.data?.includes(created.body.id));
        expect(match).toBeDefined();
        return match!;
      }, WAIT);
      latencies.push(Math.max(0, seen.at - sent));
    }
    const ids = stream.events().slice(1).map((frame) => Number(frame.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(30);
    latencies.sort((x, y) => x - y);
    console.log(`revoke on B seen on A's stream: p50 ${latencies[14]!.toFixed(1)} ms, p99/max ${latencies[29]!.toFixed(1)} ms (30 revokes)`);
    await stream.close();
  });

  it('a client cut off when its instance restarts resumes on the other from its Last-Event-ID, nothing lost', async () => {
    const stream = await follow(a);
    await vi.waitFor(() => expect(stream.events()[0]?.event).toBe('ready'), WAIT);
    const from = JSON.parse(stream.events()[0]!.data!).last_event_id as number;
    expect(await a.stop()).toBe(0);
    await stream.close();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await admin(b, 'POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { name: `while-down-${i}` });
      await admin(b, 'DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${created.body.id}`);
      made.push(created.body.id);
    }
    a = cluster.a = await startServer(cluster.env);
    const resumed = await follow(b, from);
    await vi.waitFor(() => expect(resumed.events().filter((frame) => frame.event === 'key.revoked')).toHaveLength(3), WAIT);
    expect(resumed.events().filter((frame) => frame.event === 'key.revoked').map((frame) => JSON.parse(frame.data!).key_id)).toEqual(made);
    await resumed.close();
  });
});
