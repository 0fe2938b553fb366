import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startCluster, type Cluster } from './cluster.js';
import type { ServerProcess } from './process.js';
import { callJson } from '../support/json-api.js';

const ADMIN = 'people-admin-token-0123456789';

/** Sessions and memberships across two real `cadreen serve` processes on one PostgreSQL and one Redis. */
describe('people on two instances (PostgreSQL + Redis)', needs('postgres', 'redis'), () => {
  let cluster: Cluster;
  let a: ServerProcess;
  let b: ServerProcess;
  let workspaceId: string;

  /** Spends a sign-in link on `server` as its own page's form does; answers the session cookie. */
  async function signIn(server: ServerProcess, link: string): Promise<string> {
    const token = new URL(link).searchParams.get('token')!;
    const response = await fetch(`${server.baseUrl}/auth/link`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.baseUrl },
      body: `token=${encodeURIComponent(token)}`,
    });
    expect(response.status).toBe(303);
    return response.headers.get('set-cookie')!.split(';')[0]!;
  }

  const get = (server: ServerProcess, path: string, cookie: string) => fetch(`${server.baseUrl}${path}`, { headers: { cookie } }).then((r) => r.status);
  const admin = (server: ServerProcess, method: string, path: string, body?: unknown) => callJson(server.baseUrl, method, path, ADMIN, body);

  beforeAll(async () => {
    cluster = await startCluster(
      {
        CADREEN_ADMIN_TOKEN: ADMIN,
        CADREEN_RATE_LIMIT: '100000/60s',
        // Every access line is written, so the test can show no session or link token reaches the log.
        CADREEN_LOG_LEVEL: 'debug',
      },
      ['--email', 'owner@example.com'],
    );
    ({ a, b } = cluster);
    workspaceId = cluster.init.workspace_id;
  });

  afterAll(() => cluster?.stop());

  it('a session started on A works on B, and signing out on A ends it on B at once', async () => {
    const added = await admin(a, 'POST', `/api/v1/maas/workspaces/${workspaceId}/members`, { email: 'one@example.com', role: 'member' });
    const cookie = await signIn(a, added.body.sign_in_url);
    expect(await get(b, `/api/v1/maas/workspaces/${workspaceId}/api-keys`, cookie)).toBe(200);
    const out = await fetch(`${a.baseUrl}/auth/sign-out`, { method: 'POST', headers: { cookie, origin: a.baseUrl } });
    expect(out.status).toBe(204);
    expect(await get(b, '/api/v1/maas/me', cookie)).toBe(401);
    expect(await get(a, '/api/v1/maas/me', cookie)).toBe(401);
    const secrets = [cookie.split('=')[1]!, new URL(added.body.sign_in_url).searchParams.get('token')!];
    for (const server of [a, b]) for (const secret of secrets) expect(server.output()).not.toContain(secret);
  });

  it('a member removed on B is refused on A on their very next request', async () => {
    const added = await admin(a, 'POST', `/api/v1/maas/workspaces/${workspaceId}/members`, { email: 'two@example.com', role: 'member' });
    const cookie = await signIn(a, added.body.sign_in_url);
    expect(await get(a, `/api/v1/maas/workspaces/${workspaceId}/api-keys`, cookie)).toBe(200);
    const removed = await admin(b, 'DELETE', `/api/v1/maas/workspaces/${workspaceId}/members/${added.body.profile.id}`);
    expect(removed.status).toBe(204);
    const started = performance.now();
    const status = await get(a, `/api/v1/maas/workspaces/${workspaceId}/api-keys`, cookie);
    const elapsed = performance.now() - started;
    expect(status).toBe(403);
    // Printed, not asserted: the refusal comes from the very next request, whatever it costs.
    console.log(`removed member refused on the other instance by the next request (${elapsed.toFixed(1)} ms)`);
  });
});
