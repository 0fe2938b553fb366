import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type HarnessOptions, type Seeded } from './harness.js';
import { expectWorkspaceUnchanged, snapshotWorkspace } from './workspace-snapshot.js';

/** A call to one protected route, built for a given workspace and a key of it. */
export interface RouteCall {
  method: string;
  url: string;
  body?: unknown;
}

/**
 * The refusals every protected route shares (Unkey's `runCommonRouteTests`):
 * no header, not Bearer, garbage, bad checksum, unknown, revoked, rotating,
 * expired, and — where the route names a workspace — another workspace's key.
 * Each case also asserts the error shape and that nothing changed: the target
 * workspace's key rows are the same field for field, and its audit log gained
 * nothing but the `auth.refused` event that refusing one of its own keys records.
 */
export function describeSharedAuthNegatives(
  route: string,
  build: (target: Seeded) => RouteCall,
  options: { namesWorkspace: boolean; transport?: HarnessOptions['transport'] },
) {
  const over = options.transport === 'socket' ? ' over HTTP' : '';
  describe(`${route}${over}: shared authentication refusals`, () => {
    let harness: Harness;
    let target: Seeded;

    beforeAll(async () => {
      harness = await createHarness({ transport: options.transport ?? 'inject' });
      target = await harness.seed('target');
    });
    afterAll(() => harness.close());

    /** Sends the route's call with `key`; `recorded` says whether the refusal is recorded as an audit event of the target. */
    async function expectRefused(key: string | undefined, code: string, { status = 401, headers = {}, recorded = false }: { status?: number; headers?: Record<string, string>; recorded?: boolean } = {}) {
      const call = build(target);
      const before = await snapshotWorkspace(harness, target.workspaceId);
      const response = await harness.request(call.method, call.url, {
        ...(key !== undefined ? { key } : {}),
        ...(call.body !== undefined ? { body: call.body } : {}),
        headers,
      });
      expect(response.status).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect(typeof response.body.error.message).toBe('string');
      expect(response.body.error.request_id).toMatch(/^req_/);
      await expectWorkspaceUnchanged(harness, target.workspaceId, before, recorded ? { recorded: code } : {});
      return response;
    }

    it('refuses a request without an Authorization header with auth_missing', async () => {
      await expectRefused(undefined, 'auth_missing');
    });

    it('refuses a non-Bearer Authorization header with auth_missing', async () => {
      await expectRefused(undefined, 'auth_missing', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    });

    it('refuses garbage with auth_invalid', async () => {
      await expectRefused('not-a-key', 'auth_invalid');
    });

    it('refuses a key with a wrong checksum with auth_invalid', async () => {
      const last = target.key.at(-1) === 'a' ? 'b' : 'a';
      await expectRefused(target.key.slice(0, -1) + last, 'auth_invalid');
    });

    it('refuses a well-formed key the service never issued with auth_invalid', async () => {
      const other = await createHarness();
      const stranger = await other.seed();
      await other.close();
      await expectRefused(stranger.key, 'auth_invalid');
    });

    it('refuses a revoked key with auth_revoked', async () => {
      const { id, key } = await harness.newKey(target.workspaceId, 'to-revoke');
      await harness.request('DELETE', `/api/v1/maas/workspaces/${target.workspaceId}/api-keys/${id}`, { key: target.key });
      await expectRefused(key, 'auth_revoked', { recorded: true });
    });

    it('refuses a rotated key with auth_rotating', async () => {
      const { id, key } = await harness.newKey(target.workspaceId, 'to-rotate');
      const rotated = await harness.request('POST', `/api/v1/maas/workspaces/${target.workspaceId}/api-keys/${id}/rotate`, { key: target.key });
      expect(rotated.status).toBe(201);
      await expectRefused(key, 'auth_rotating', { recorded: true });
    });

    it('refuses an expired key with auth_invalid', async () => {
      // A minute ahead of the service's clock, then the clock a day on: expired however long the steps take.
      const { key } = await harness.newKey(target.workspaceId, 'short-lived', Date.now() + 60_000);
      harness.advance(86_400_000);
      try {
        await expectRefused(key, 'auth_invalid', { recorded: true });
      } finally {
        harness.advance(-86_400_000);
      }
    });

    if (options.namesWorkspace) {
      it('refuses a key of another workspace with auth_forbidden', async () => {
        const other = await harness.seed('other');
        // Recorded in the key's own workspace, not in the one it reached for.
        await expectRefused(other.key, 'auth_forbidden', { status: 403 });
      });
    }
  });
}
