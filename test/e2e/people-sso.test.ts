import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCadreen, type CadreenRuntime } from '../../src/core/cadreen.js';
import { buildApp } from '../../src/http/app.js';
import { sealCookieValue } from '../../src/http/cookies.js';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { signInAtProvider, startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';
import { skipWhen } from '../support/skip-reason.js';
import { callJson } from '../support/json-api.js';

const CHROMIUM = '/usr/bin/chromium';

const ADMIN = 'test-admin-token-0123456789';
const CLIENT = { client_id: 'cadreen-test', client_secret: 'a-client-secret-for-tests' };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Cadreen with SSO against `issuer`, listening at its public URL. */
async function startCadreen(issuer: string) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const cadreen: CadreenRuntime = await createCadreen({
    store: await openSqliteStore(':memory:'),
    limiter: new MemoryRateLimiter(),
    config: {
      keyPrefix: 'sk_cadreen_',
      adminToken: ADMIN,
      defaultRateLimit: { limit: 100_000, windowSeconds: 60 },
      publicUrl: base,
      ssoEnabled: true,
      allowedDomains: ['allowed.example'],
      flushIntervalMs: 60_000,
    },
  });
  const app = await buildApp(cadreen, { publicUrl: base, oidc: { issuer, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret } });
  await app.listen({ port, host: '127.0.0.1' });
  return { cadreen, app, base, close: async () => { await app.close(); await cadreen.close(); } };
}

describe('people sign in with an OpenID provider (a real one, through its own pages, in Chromium)', skipWhen(existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`), () => {
  let provider: OidcTestProvider;
  let service: Awaited<ReturnType<typeof startCadreen>>;
  let browser: Browser;
  let workspaceId: string;

  const api = (method: string, path: string, body?: unknown) => callJson(service.base, method, path, ADMIN, body);

  /** Starts sign-in in a fresh browser context and signs in at the provider as `login`; `landed` is where Cadreen sent the browser. */
  async function signInAs(login: string): Promise<{ context: BrowserContext; page: Page; landed: URL }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    let landed: URL | undefined;
    page.on('response', (response) => {
      if (response.url().startsWith(`${service.base}/auth/oidc/callback`)) landed = new URL(response.headers().location ?? '', service.base);
    });
    await page.goto(`${service.base}/auth/oidc/login`);
    await signInAtProvider(page, { login });
    await page.waitForURL((url) => url.href.startsWith(`${service.base}/dashboard/`));
    return { context, page, landed: landed! };
  }

  beforeAll(async () => {
    provider = await startOidcProvider({
      accounts: [
        { sub: 'colleague', email: 'Colleague@Example.com', email_verified: true, name: 'Col League' },
        { sub: 'unverified', email: 'unverified@example.com', email_verified: false },
        { sub: 'stranger', email: 'stranger@elsewhere.example', email_verified: true },
        { sub: 'newcomer', email: 'newcomer@allowed.example', email_verified: true, name: 'New Comer' },
      ],
    });
    service = await startCadreen(provider.issuer);
    provider.setClient({ ...CLIENT, redirect_uris: [`${service.base}/auth/oidc/callback`] });
    const init = await service.cadreen.init({ workspaceName: 'main', email: 'owner@example.com' });
    workspaceId = init.workspaceId;
    const invited = await api('POST', `/api/v1/maas/workspaces/${workspaceId}/members`, { email: 'colleague@example.com', name: 'Col League', role: 'member' });
    expect(invited.status).toBe(201);
    expect(invited.body.sign_in_url).toBeUndefined();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await provider?.close();
  });

  it('an invited person signs in, gets a HttpOnly SameSite=Lax cookie, and what they do carries their name', async () => {
    const { context, page } = await signInAs('colleague');
    const session = (await context.cookies(service.base)).find((cookie) => cookie.name === 'cadreen_session')!;
    // The spent OpenID transaction's cookie is gone with the same answer that set the session.
    expect((await context.cookies()).some((cookie) => cookie.name === 'cadreen_oidc')).toBe(false);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });

    const created = await page.evaluate(async ([base, ws]) => {
      const response = await fetch(`${base}/api/v1/maas/workspaces/${ws}/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'by-colleague' }) });
      return { status: response.status, body: await response.json() };
    }, [service.base, workspaceId] as const);
    expect(created.status).toBe(201);

    const listed = await page.evaluate(async ([base, ws]) => {
      const response = await fetch(`${base}/v1/api_keys?includeInfo=true`, { headers: { 'x-cadreen-workspace-id': ws } });
      return response.json();
    }, [service.base, workspaceId] as const);
    const mine = listed.items.find((item: { metadata: { id: string } }) => item.metadata.id === created.body.id);
    expect(mine.info.createdBy.spec).toMatchObject({ type: 'PROFILE_TYPE_USER', email: 'colleague@example.com', name: 'Col League' });

    const audit = await api('GET', `/api/v1/maas/workspaces/${workspaceId}/audit-events?type=key.created`);
    expect(audit.body.events[0].actor).toMatchObject({ type: 'PROFILE_TYPE_USER', email: 'colleague@example.com', name: 'Col League' });
    const signedIn = await api('GET', `/api/v1/maas/workspaces/${workspaceId}/audit-events?type=session.created`);
    expect(signedIn.body.events[0]).toMatchObject({ code: 'oidc', actor: { email: 'colleague@example.com' } });
    await context.close();
  });

  it('refuses an unverified email and a person neither invited nor of an allowed domain, saying why and recording it', async () => {
    for (const [login, reason] of [['unverified', 'unverified_email'], ['stranger', 'not_invited']] as const) {
      const { context, landed } = await signInAs(login);
      expect(landed.searchParams.get('sign_in_error')).toBe(reason);
      expect((await context.cookies(service.base)).some((cookie) => cookie.name === 'cadreen_session')).toBe(false);
      await context.close();
      const refused = await api('GET', `/api/v1/maas/workspaces/${workspaceId}/audit-events?type=auth.refused`);
      expect(refused.body.events.map((event: { code: string }) => event.code)).toContain(reason);
    }
  });

  it('admits a new person of an allowed domain with no workspace until an owner adds them', async () => {
    const { context, page } = await signInAs('newcomer');
    const me = await page.evaluate(async (base) => (await fetch(`${base}/api/v1/maas/me`)).json(), service.base);
    expect(me).toMatchObject({ profile: { email: 'newcomer@allowed.example', type: 'PROFILE_TYPE_USER' }, memberships: [] });
    const refused = await page.evaluate(async ([base, ws]) => (await fetch(`${base}/api/v1/maas/workspaces/${ws}/api-keys`)).status, [service.base, workspaceId] as const);
    expect(refused).toBe(403);
    await context.close();
  });

  it('refuses a forged state, a replayed code and a wrong nonce', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let callback: string | undefined;
    page.on('request', (request) => {
      if (request.url().startsWith(`${service.base}/auth/oidc/callback`)) callback ??= request.url();
    });
    await page.goto(`${service.base}/auth/oidc/login`);
    const transaction = (await context.cookies()).find((cookie) => cookie.name === 'cadreen_oidc')!;
    await signInAtProvider(page, { login: 'colleague' });
    await page.waitForURL((url) => url.href.startsWith(`${service.base}/dashboard/`));
    expect(callback).toBeDefined();

    const replay = async (url: string, cookieValue: string) => {
      const fresh = await browser.newContext();
      await fresh.addCookies([{ ...transaction, value: cookieValue }]);
      const tab = await fresh.newPage();
      const answer = await tab.request.get(url, { maxRedirects: 0 });
      const reason = new URL(answer.headers().location ?? '', service.base).searchParams.get('sign_in_error');
      const signedIn = (await fresh.cookies(service.base)).some((cookie) => cookie.name === 'cadreen_session');
      await fresh.close();
      return { reason, signedIn };
    };
    // The same code again, with the cookie it was issued for: the provider refuses it.
    expect(await replay(callback!, transaction.value)).toEqual({ reason: 'provider_error', signedIn: false });
    // Another state than the one the cookie holds.
    const forged = new URL(callback!);
    forged.searchParams.set('state', 'forged-state');
    expect(await replay(forged.href, transaction.value)).toEqual({ reason: 'bad_state', signedIn: false });
    // The right state and an unspent code, with a nonce the ID token was not issued for (a cookie signed as ours are):
    // the browser's own callback is held back, so the code is still good.
    // (Chromium's own request interception, which also stops a request reached by a redirect.)
    let held: string | undefined;
    const cdp = await context.newCDPSession(page);
    cdp.on('Fetch.requestPaused', (paused: { requestId: string; request: { url: string } }) => {
      held ??= paused.request.url;
      void cdp.send('Fetch.failRequest', { requestId: paused.requestId, errorReason: 'Aborted' });
    });
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/auth/oidc/callback*', requestStage: 'Request' }] });
    await page.goto(`${service.base}/auth/oidc/login`);
    const issued = (await context.cookies()).find((cookie) => cookie.name === 'cadreen_oidc')!;
    const sealed = JSON.parse(Buffer.from(issued.value.split('.')[0]!, 'base64url').toString());
    // The provider's pages end in the held-back callback; the helper then gives up waiting, which does not matter here.
    const atProvider = signInAtProvider(page, { login: 'colleague' }).catch(() => undefined);
    await expect.poll(() => held, { timeout: 30_000 }).toBeDefined();
    const wrongNonce = sealCookieValue(service.cadreen.cookieSecret, { ...sealed, nonce: 'not-the-nonce' });
    // bad_state, not provider_error: the code was good (it had not been spent), the ID token's nonce was not.
    expect(await replay(held!, wrongNonce)).toEqual({ reason: 'bad_state', signedIn: false });
    await context.close();
    await atProvider;
  });

  it('answers provider_unavailable when the provider cannot be reached', async () => {
    const down = await startCadreen('http://127.0.0.1:9');
    try {
      const response = await fetch(`${down.base}/auth/oidc/login`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(`${down.base}/dashboard/?sign_in_error=provider_unavailable`);
    } finally {
      await down.close();
    }
  });
});
