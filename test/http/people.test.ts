import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { createTestDatabase, needs, TEST_DATABASE_URL } from '../support/services.js';
import { ADMIN_TOKEN, createHarness, type Harness } from './harness.js';

const ORIGIN = 'http://127.0.0.1:8080';

/** The token of a sign-in link printed by init or an invitation. */
const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

/** The same behaviour on every store: in-memory SQLite, or a PostgreSQL database of its own. */
function describePeople(backend: string, openStore?: () => Promise<{ store: Store; drop: () => Promise<void> }>) {
  describe(`people: members, sign-in links and sessions (${backend})`, () => {
    let h: Harness;
    let drop: (() => Promise<void>) | undefined;
    let workspaceId: string;
    let ownerKey: string;
    let ownerLink: string;

    /** Spends a sign-in link as the browser's form does; answers the session cookie (or the page's status). */
    async function signIn(token: string): Promise<{ status: number; cookie?: string; setCookie?: string; location?: string }> {
      const response = await h.app.inject({
        method: 'POST',
        url: '/auth/link',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
        payload: `token=${encodeURIComponent(token)}`,
      });
      const setCookie = response.headers['set-cookie'] as string | undefined;
      const cookie = setCookie?.split(';')[0];
      return { status: response.statusCode, ...(cookie ? { cookie, setCookie } : {}), ...(response.headers.location ? { location: String(response.headers.location) } : {}) };
    }

    const asPerson = (cookie: string, headers: Record<string, string> = {}) => ({ headers: { cookie, ...headers } });

    beforeAll(async () => {
      const opened = await openStore?.();
      drop = opened?.drop;
      h = await createHarness(opened ? { store: opened.store } : {});
      const result = await h.cadreen.init({ workspaceName: 'main', email: 'Owner@Example.com' });
      workspaceId = result.workspaceId;
      ownerKey = result.key.plaintext;
      ownerLink = result.signInUrl;
    });
    afterAll(async () => {
      await h.close();
      await drop?.();
    });

    it('init makes the person an owner and prints a single-use link to the public URL', async () => {
      expect(ownerLink).toMatch(/^http:\/\/127\.0\.0\.1:8080\/auth\/link\?token=[A-Za-z0-9_-]{43}$/);
      const members = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN });
      expect(members.body.members).toEqual([
        expect.objectContaining({ role: 'owner', workspace_id: workspaceId, profile: expect.objectContaining({ email: 'owner@example.com', type: 'PROFILE_TYPE_USER' }) }),
      ]);
    });

    it('a sign-in link shows a Continue page, then sets an HttpOnly SameSite=Lax session cookie once', async () => {
      const page = await h.app.inject({ method: 'GET', url: `/auth/link?token=${tokenOf(ownerLink)}` });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<form method="post" action="/auth/link">');
      const first = await signIn(tokenOf(ownerLink));
      expect(first.status).toBe(303);
      expect(first.location).toBe(`${ORIGIN}/dashboard/`);
      expect(first.setCookie).toMatch(/^cadreen_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800$/);
      const again = await signIn(tokenOf(ownerLink));
      expect(again.status).toBe(400);
      expect(again.cookie).toBeUndefined();
    });

    it('an expired link shows a page saying so and signs nobody in', async () => {
      const invited = await h.request('POST', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN, body: { email: 'late@example.com', role: 'member' } });
      h.advance(16 * 60_000);
      const response = await h.app.inject({
        method: 'POST',
        url: '/auth/link',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
        payload: `token=${tokenOf(invited.body.sign_in_url)}`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('This sign-in link has expired');
      expect(response.headers['set-cookie']).toBeUndefined();
    });

    it('a session acts as the person: keys it creates name them, and the audit log names them', async () => {
      const members = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN });
      const ownerId = members.body.members[0].profile.id;
      const link = await h.cadreen.people.issueSignInLink(ownerId);
      const session = (await signIn(tokenOf(link))).cookie!;

      const me = await h.app.inject({ method: 'GET', url: '/api/v1/maas/me', ...asPerson(session) });
      expect(me.json()).toEqual({
        profile: expect.objectContaining({ id: ownerId, email: 'owner@example.com' }),
        memberships: [{ workspace_id: workspaceId, workspace_name: 'main', role: 'owner' }],
      });

      const created = await h.app.inject({
        method: 'POST',
        url: `/api/v1/maas/workspaces/${workspaceId}/api-keys`,
        ...asPerson(session, { origin: ORIGIN, 'content-type': 'application/json' }),
        payload: JSON.stringify({ name: 'made-by-a-person' }),
      });
      expect(created.statusCode).toBe(201);
      expect(created.json().created_by).toBe(ownerId);

      const resource = await h.app.inject({
        method: 'GET',
        url: `/v1/api_keys/${created.json().id}?includeInfo=true`,
        ...asPerson(session, { 'x-cadreen-workspace-id': workspaceId }),
      });
      expect(resource.json().info.createdBy.spec).toEqual({ type: 'PROFILE_TYPE_USER', email: 'owner@example.com', name: 'Owner' });

      const audit = await h.app.inject({ method: 'GET', url: `/api/v1/maas/workspaces/${workspaceId}/audit-events?type=key.created`, ...asPerson(session) });
      expect(audit.json().events[0].actor).toEqual({ profile_id: ownerId, type: 'PROFILE_TYPE_USER', name: 'Owner', email: 'owner@example.com' });
    });

    it('refuses a change made with the cookie from another Origin (403) and changes nothing', async () => {
      const members = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN });
      const session = (await signIn(tokenOf(await h.cadreen.people.issueSignInLink(members.body.members[0].profile.id)))).cookie!;
      const before = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { key: ADMIN_TOKEN });
      for (const origin of ['https://evil.example', undefined]) {
        const response = await h.app.inject({
          method: 'POST',
          url: `/api/v1/maas/workspaces/${workspaceId}/api-keys`,
          headers: { cookie: session, 'content-type': 'application/json', ...(origin ? { origin } : {}) },
          payload: JSON.stringify({ name: 'cross-site' }),
        });
        expect(response.statusCode).toBe(403);
        expect(response.json().error.code).toBe('auth_forbidden');
      }
      const after = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { key: ADMIN_TOKEN });
      expect(after.body.count).toBe(before.body.count);
    });

    it('only owners manage members; a member of one workspace is refused in another; a removed member is refused at once', async () => {
      const other = await h.request('POST', '/api/v1/maas/workspaces', { key: ADMIN_TOKEN, body: { name: 'other' } });
      const added = await h.request('POST', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN, body: { email: 'Colleague@Example.com', name: 'Colleague', role: 'member' } });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ role: 'member', profile: { email: 'colleague@example.com', name: 'Colleague' } });
      expect(added.body.sign_in_url).toMatch(/\/auth\/link\?token=/);
      const duplicate = await h.request('POST', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN, body: { email: 'colleague@example.com', role: 'member' } });
      expect(duplicate.status).toBe(409);

      const colleague = (await signIn(tokenOf(added.body.sign_in_url))).cookie!;
      const invite = await h.app.inject({
        method: 'POST',
        url: `/api/v1/maas/workspaces/${workspaceId}/members`,
        headers: { cookie: colleague, origin: ORIGIN, 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'x@example.com', role: 'owner' }),
      });
      expect(invite.statusCode).toBe(403);
      const byKey = await h.request('POST', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ownerKey, body: { email: 'y@example.com', role: 'member' } });
      expect(byKey.status).toBe(403);

      const elsewhere = await h.app.inject({ method: 'GET', url: `/api/v1/maas/workspaces/${other.body.id}/api-keys`, headers: { cookie: colleague } });
      expect(elsewhere.statusCode).toBe(403);
      const home = await h.app.inject({ method: 'GET', url: `/api/v1/maas/workspaces/${workspaceId}/api-keys`, headers: { cookie: colleague } });
      expect(home.statusCode).toBe(200);

      const removed = await h.request('DELETE', `/api/v1/maas/workspaces/${workspaceId}/members/${added.body.profile.id}`, { key: ADMIN_TOKEN });
      expect(removed.status).toBe(204);
      const after = await h.app.inject({ method: 'GET', url: `/api/v1/maas/workspaces/${workspaceId}/api-keys`, headers: { cookie: colleague } });
      expect(after.statusCode).toBe(403);
      const events = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/audit-events?type=member.removed`, { key: ADMIN_TOKEN });
      expect(events.body.events[0].member).toMatchObject({ profile_id: added.body.profile.id, email: 'colleague@example.com' });
    });

    it('keeps the last owner: demoting or removing them is 409', async () => {
      const members = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN });
      const owner = members.body.members.find((member: { role: string }) => member.role === 'owner');
      const demote = await h.request('PATCH', `/api/v1/maas/workspaces/${workspaceId}/members/${owner.profile.id}`, { key: ADMIN_TOKEN, body: { role: 'member' } });
      expect(demote.status).toBe(409);
      const remove = await h.request('DELETE', `/api/v1/maas/workspaces/${workspaceId}/members/${owner.profile.id}`, { key: ADMIN_TOKEN });
      expect(remove.status).toBe(409);
      expect(remove.body.error.code).toBe('conflict');
    });

    it('sign-out ends the session: the cookie is refused afterwards', async () => {
      const members = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN });
      const session = (await signIn(tokenOf(await h.cadreen.people.issueSignInLink(members.body.members[0].profile.id)))).cookie!;
      const out = await h.app.inject({ method: 'POST', url: '/auth/sign-out', headers: { cookie: session, origin: ORIGIN } });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
      const me = await h.app.inject({ method: 'GET', url: '/api/v1/maas/me', headers: { cookie: session } });
      expect(me.statusCode).toBe(401);
      const ended = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/audit-events?type=session.ended`, { key: ADMIN_TOKEN });
      expect(ended.body.events).toHaveLength(1);
    });

    it('a session in use every 11 hours still ends 7 days after sign-in', async () => {
      const members = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN });
      const session = (await signIn(tokenOf(await h.cadreen.people.issueSignInLink(members.body.members[0].profile.id)))).cookie!;
      for (let hours = 11; hours <= 165; hours += 11) {
        h.advance(11 * 3600_000);
        const me = await h.app.inject({ method: 'GET', url: '/api/v1/maas/me', headers: { cookie: session } });
        expect(me.statusCode, `after ${hours} h`).toBe(200);
      }
      h.advance(11 * 3600_000);
      const me = await h.app.inject({ method: 'GET', url: '/api/v1/maas/me', headers: { cookie: session } });
      expect(me.statusCode).toBe(401);
    });

    it('a session unused for 12 hours is over', async () => {
      const members = await h.request('GET', `/api/v1/maas/workspaces/${workspaceId}/members`, { key: ADMIN_TOKEN });
      const session = (await signIn(tokenOf(await h.cadreen.people.issueSignInLink(members.body.members[0].profile.id)))).cookie!;
      h.advance(12 * 3600_000 + 1000);
      const me = await h.app.inject({ method: 'GET', url: '/api/v1/maas/me', headers: { cookie: session } });
      expect(me.statusCode).toBe(401);
    });
  });
}

describePeople('SQLite');
describe('PostgreSQL', needs('postgres'), () => {
  describePeople('PostgreSQL', async () => {
    const database = await createTestDatabase(TEST_DATABASE_URL!);
    return { store: await openPostgresStore(database.url, { poolSize: 5 }), drop: database.drop };
  });
});
