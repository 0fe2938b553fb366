import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCadreen, type CadreenRuntime } from '../../src/core/cadreen.js';
import { DEFAULT_KEY_PREFIX } from '../../src/core/key-format.js';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { startServer, type ServerProcess } from '../e2e/process.js';
import { signInAtProvider, startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';
import { skipWhen } from '../support/skip-reason.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'people-dashboard-admin-token-0123456789';
const ADA = 'ada@example.com';
const BOB = 'bob@example.com';

if (process.env.CI === 'true' && !existsSync(CHROMIUM)) throw new Error(`CI=true needs ${CHROMIUM} (see .ci/run)`);

/**
 * People in the dashboard, on the embedded default (SQLite, no OpenID provider): the account is
 * created through the core, whose sign-in link is opened in real Chromium against a real server
 * process; then keys, the audit log, members and the address of each view, as a person uses them.
 */
describe('people in the dashboard, in Chromium', skipWhen(existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`), () => {
  let dir: string;
  let server: ServerProcess;
  let core: CadreenRuntime;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let init: Awaited<ReturnType<CadreenRuntime['init']>>;
  /** Moves the test's own core clock (the server keeps real time): a link issued in the past has expired. */
  let offset = 0;
  let bobLink: string;
  const consoleErrors: string[] = [];

  /** The API as the owner's first key (created by `init`) calls it. */
  async function api(method: string, path: string, body?: unknown, token: string = init.key.plaintext): Promise<any> {
    const response = await fetch(server.baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = response.status === 204 ? undefined : await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Opens a sign-in link and presses Continue, as a person does with the link they were given. */
  async function openLink(on: Page, link: string): Promise<void> {
    await on.goto(link);
    await Promise.all([on.waitForNavigation(), on.getByRole('button', { name: 'Continue' }).click()]);
  }

  const dialog = () => page.getByRole('dialog');
  const tab = (name: string) => page.getByRole('tab', { name });
  const keyRow = (name: string) => page.locator('table.keys tbody tr', { has: page.getByRole('rowheader', { name: new RegExp(`^${name}\\b`) }) });
  const memberRow = (on: Page, email: string) => on.locator('table.members tbody tr', { hasText: email });
  const events = (on: Page = page) => on.locator('table.audit tbody tr');
  const pageInfo = (on: Page = page) => on.locator('.page-info');
  const query = (on: Page = page) => Object.fromEntries(new URL(on.url()).searchParams);
  /** The audit rows once every key in them is named (names are read after the rows are shown). */
  async function settledEvents(on: Page = page): Promise<string[]> {
    await expect.poll(() => on.locator('table.audit .pending').count()).toBe(0);
    return events(on).allTextContents();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-people-dashboard-'));
    const database = join(dir, 'cadreen.db');
    server = await startServer({ CADREEN_DATABASE_URL: `sqlite:${database}`, CADREEN_ADMIN_TOKEN: ADMIN, CADREEN_RATE_LIMIT: '100000/60s' });
    // The core of this test process shares the server's database; its links point at the server.
    core = await createCadreen({
      store: await openSqliteStore(database),
      limiter: new MemoryRateLimiter(),
      config: { keyPrefix: DEFAULT_KEY_PREFIX, defaultRateLimit: { limit: 100_000, windowSeconds: 60 }, publicUrl: server.baseUrl, clock: () => Date.now() + offset },
    });
    init = await core.init({ workspaceName: 'acme', email: ADA });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await core?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('offers sign-in links and, second, an API key — and no SSO button without a provider', async () => {
    await page.goto(`${server.baseUrl}/dashboard/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Use an API key instead' }).count()).toBe(1);
    expect(await page.locator('main').textContent()).toContain('cadreen init --email');
    expect(await page.getByLabel('API key or admin token').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign in with SSO' }).count()).toBe(0);
  });

  it('says in a sentence why single sign-on came back without a session, and drops the reason from the address', async () => {
    await page.goto(`${server.baseUrl}/dashboard/?sign_in_error=not_invited`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('There is no invitation for your email address here');
    expect(query()).toEqual({});
    await page.goto(`${server.baseUrl}/dashboard/?sign_in_error=unverified_email`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('has not verified your email address');
  });

  it('signs the person in with the link from init: a session cookie that is HttpOnly, SameSite=Lax on /, and no token in the page', async () => {
    await openLink(page, init.signInUrl);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    await expect.poll(() => page.locator('header .who').textContent()).toContain(ADA);
    expect(await page.locator('header .who').textContent()).toContain('acme (owner)');
    const cookies = await context.cookies(server.baseUrl);
    const session = cookies.find((cookie) => cookie.name === 'cadreen_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('cadreen_session');
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
    expect(query()).toEqual({ workspace: init.workspaceId });
    // The first key was created by the person at init.
    await expect.poll(() => keyRow('default').locator('td[data-label="Created by"]').textContent()).toContain(ADA);
  });

  it('a key the person creates names them as its creator; one created with a key names that key', async () => {
    await page.getByRole('button', { name: 'Create key' }).click();
    await dialog().getByLabel('Name').fill('from-browser');
    await dialog().getByRole('button', { name: 'Create' }).click();
    expect(await dialog().getByLabel('API key', { exact: true }).inputValue()).toMatch(/^sk_cadreen_/);
    await dialog().getByRole('button', { name: /I have stored it/ }).click();
    await expect.poll(() => keyRow('from-browser').locator('td[data-label="Created by"]').textContent()).toContain(ADA);

    await api('POST', `/api/v1/maas/workspaces/${init.workspaceId}/api-keys`, { name: 'made-by-a-key' });
    await page.reload();
    await expect.poll(() => keyRow('made-by-a-key').locator('td[data-label="Created by"]').textContent()).toBe('key default');
  });

  it('the audit log names the person, says “Key created” and names the key', async () => {
    await tab('Audit log').click();
    expect(query().tab).toBe('audit');
    const created = events().filter({ hasText: 'from-browser' });
    await expect.poll(() => created.count()).toBe(1);
    expect(await created.locator('td[data-label="Event"]').textContent()).toContain('Key created');
    expect(await created.locator('td[data-label="Actor"]').textContent()).toContain(ADA);
    const signedIn = events().filter({ hasText: 'Signed in' });
    expect(await signedIn.locator('td[data-label="Details"]').textContent()).toBe('with a sign-in link');
    expect(await signedIn.locator('td[data-label="Actor"]').textContent()).toContain(ADA);
    const byKey = events().filter({ hasText: 'made-by-a-key' });
    await expect.poll(() => byKey.count()).toBe(1);
    expect(await byKey.locator('td[data-label="Actor"]').textContent()).toBe('key default');
    expect(await page.locator('table.audit').textContent()).not.toMatch(/key_[0-9A-Z]{26}/);
  });

  it('an owner invites a colleague by email and is shown their single-use link to copy', async () => {
    await tab('Members').click();
    await expect.poll(() => memberRow(page, ADA).textContent()).toContain('you');
    expect(await memberRow(page, ADA).locator('td[data-label="Role"]').textContent()).toBe('owner');
    await page.getByRole('button', { name: 'Invite member' }).click();
    await dialog().getByLabel('Email').fill(BOB);
    await dialog().getByLabel('Name (optional)').fill('Bob Builder');
    await dialog().getByLabel('Role').selectOption('member');
    await dialog().getByRole('button', { name: 'Invite' }).click();
    const link = dialog().getByLabel('Sign-in link');
    await expect.poll(() => link.count()).toBe(1);
    bobLink = await link.inputValue();
    expect(bobLink.startsWith(`${server.baseUrl}/auth/link?token=`)).toBe(true);
    expect(await dialog().textContent()).toMatch(/signs them in once, and only within 15 minutes/);
    await dialog().getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => dialog().getByRole('status').textContent()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(bobLink);
    await dialog().getByRole('button', { name: 'Done' }).click();
    expect(await dialog().count()).toBe(0);
    expect(await page.evaluate((token) => document.documentElement.outerHTML.includes(token), new URL(bobLink).searchParams.get('token')!)).toBe(false);
    await expect.poll(() => memberRow(page, BOB).locator('td[data-label="Role"]').textContent()).toBe('member');
    expect(await memberRow(page, BOB).getByRole('rowheader').textContent()).toContain('Bob Builder');
  });

  it('the colleague signs in with their link, sees the members read-only, and each sees the other’s actions by name', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const bob = await other.newPage();
      await openLink(bob, bobLink);
      await expect.poll(() => bob.locator('header .who').textContent()).toContain('acme (member)');
      await bob.getByRole('tab', { name: 'Members' }).click();
      await expect.poll(() => memberRow(bob, ADA).count()).toBe(1);
      expect(await bob.getByRole('button', { name: 'Invite member' }).count()).toBe(0);
      expect(await bob.locator('table.members').getByRole('button').count()).toBe(0);
      await bob.getByRole('tab', { name: 'Audit log' }).click();
      const added = events(bob).filter({ hasText: 'Member added' }).filter({ hasText: BOB });
      await expect.poll(() => added.count()).toBe(1);
      expect(await added.locator('td[data-label="Actor"]').textContent()).toContain(ADA);
      expect(await added.locator('td[data-label="Details"]').textContent()).toContain('as member');
    } finally {
      await other.close();
    }
    await tab('Audit log').click();
    const bobSignedIn = events().filter({ hasText: 'Signed in' }).filter({ hasText: BOB });
    await expect.poll(() => bobSignedIn.count()).toBe(1);
    expect(await bobSignedIn.locator('td[data-label="Actor"]').textContent()).toContain('Bob Builder');
  });

  it('an owner changes a member’s role and removes them after confirming', async () => {
    await tab('Members').click();
    await memberRow(page, BOB).getByRole('button', { name: `Make Bob Builder (${BOB}) an owner` }).click();
    await expect.poll(() => memberRow(page, BOB).locator('td[data-label="Role"]').textContent()).toBe('owner');
    expect(await page.getByRole('status').textContent()).toBe(`Bob Builder (${BOB}) is now an owner.`);
    await memberRow(page, BOB).getByRole('button', { name: `Remove Bob Builder (${BOB})` }).click();
    expect(await dialog().textContent()).toContain('can no longer use this workspace');
    await dialog().getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => memberRow(page, BOB).count()).toBe(0);
    const members = await api('GET', `/api/v1/maas/workspaces/${init.workspaceId}/members`);
    expect(members.members.map((m: { profile: { email: string } }) => m.profile.email)).toEqual([ADA]);
  });

  it('refuses to leave the workspace without an owner, with the code and a sentence', async () => {
    await memberRow(page, ADA).getByRole('button', { name: `Make ada (${ADA}) a member` }).click();
    await dialog().getByRole('button', { name: 'Make me a member' }).click();
    await expect.poll(() => dialog().getByRole('alert').textContent()).toContain('conflict');
    expect(await dialog().getByRole('alert').textContent()).toContain('without an owner');
    await page.keyboard.press('Escape');
  });

  it('keeps the tab, the filters and the page in the address: a reload, and a new tab, show the same', async () => {
    await Promise.all(Array.from({ length: 60 }, (_, i) =>
      api('POST', `/api/v1/maas/workspaces/${init.workspaceId}/api-keys`, { name: `bulk-${String(i).padStart(2, '0')}` })));
    await tab('API keys').click();
    await page.getByLabel('Name starts with').fill('bulk-');
    await expect.poll(() => query().prefix).toBe('bulk-');
    await page.getByLabel('Sort by creation').selectOption('asc');
    await expect.poll(() => pageInfo().textContent()).toBe('Page 1 of 2');
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => pageInfo().textContent()).toBe('Page 2 of 2');
    expect(query()).toMatchObject({ tab: 'keys', prefix: 'bulk-', order: 'asc', page: '2' });
    const secondPage = await page.locator('table.keys tbody th').allTextContents();
    expect(secondPage).toHaveLength(10);

    await page.reload();
    await expect.poll(() => pageInfo().textContent()).toBe('Page 2 of 2');
    expect(await page.getByLabel('Name starts with').inputValue()).toBe('bulk-');
    expect(await page.getByLabel('Sort by creation').inputValue()).toBe('asc');
    expect(await tab('API keys').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('table.keys tbody th').allTextContents()).toEqual(secondPage);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => pageInfo().textContent()).toBe('Page 1 of 2');

    await tab('Audit log').click();
    expect(query()).toEqual({ workspace: init.workspaceId, tab: 'audit' });
    await page.getByLabel('Event type').selectOption('key.created');
    await expect.poll(() => events().count()).toBe(25);
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => pageInfo().textContent()).toBe('Page 2');
    const olderEvents = await settledEvents();
    expect(query()).toMatchObject({ tab: 'audit', type: 'key.created', page: '2' });

    await page.reload();
    await expect.poll(() => pageInfo().textContent()).toBe('Page 2');
    expect(await tab('Audit log').getAttribute('aria-selected')).toBe('true');
    expect(await page.getByLabel('Event type').inputValue()).toBe('key.created');
    expect(await settledEvents()).toEqual(olderEvents);

    // A new tab has no history of its own: it reads the pages before the one the address names.
    const copy = await context.newPage();
    try {
      await copy.goto(page.url());
      await expect.poll(() => pageInfo(copy).textContent()).toBe('Page 2');
      expect(await settledEvents(copy)).toEqual(olderEvents);
      await copy.getByRole('button', { name: 'Newer' }).click();
      await expect.poll(() => pageInfo(copy).textContent()).toBe('Page 1');
    } finally {
      await copy.close();
    }
  });

  it('switches between the person’s workspaces, showing each with their role there', async () => {
    const second = await api('POST', '/api/v1/maas/workspaces', { name: 'lab' }, ADMIN);
    await api('POST', `/api/v1/maas/workspaces/${second.id}/members`, { email: ADA, role: 'member' }, ADMIN);
    await page.reload();
    const switcher = page.getByRole('combobox', { name: 'Workspace', exact: true });
    await expect.poll(() => switcher.locator('option').allTextContents()).toEqual(['acme — owner', 'lab — member']);
    await switcher.selectOption({ label: 'lab — member' });
    await expect.poll(() => page.locator('header .who').textContent()).toContain('lab (member)');
    expect(query()).toEqual({ workspace: second.id, tab: 'audit' });
    await expect.poll(() => events().filter({ hasText: 'Member added' }).count()).toBe(1);
    await tab('Members').click();
    await expect.poll(() => memberRow(page, ADA).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Invite member' }).count()).toBe(0);
    await switcher.selectOption({ label: 'acme — owner' });
    await expect.poll(() => page.locator('header .who').textContent()).toContain('acme (owner)');
  });

  it('signs out: the session ends on the server, the cookie goes, and the sign-in page says so', async () => {
    const before = (await context.cookies(server.baseUrl)).find((cookie) => cookie.name === 'cadreen_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('You are signed out.');
    expect(await page.getByRole('heading', { name: 'Use an API key instead' }).count()).toBe(1);
    expect((await context.cookies(server.baseUrl)).some((cookie) => cookie.name === 'cadreen_session')).toBe(false);
    expect(query()).toEqual({});
    const replayed = await fetch(`${server.baseUrl}/api/v1/maas/me`, { headers: { Cookie: `cadreen_session=${before.value}` } });
    expect(replayed.status).toBe(401);
    await page.reload();
    await expect.poll(() => page.getByLabel('API key or admin token').isVisible()).toBe(true);
  });

  it('a used sign-in link and an expired one each open a page that says so, and sign nobody in', async () => {
    await openLink(page, init.signInUrl);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/already used/);

    offset = -16 * 60_000;
    const expired = await core.people.issueSignInLink(init.profileId);
    offset = 0;
    await openLink(page, expired);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/expired/);
    expect((await context.cookies(server.baseUrl)).some((cookie) => cookie.name === 'cadreen_session')).toBe(false);
  });

  it('set no inline style and logged no error but the refusals it provoked', async () => {
    await page.goto(`${server.baseUrl}/dashboard/`);
    expect(await page.locator('[style]').count()).toBe(0);
    // 401: GET /me without a session; 409: the last owner kept; 400: the used and expired links.
    const unexpected = consoleErrors.filter((text) => !/status of (401|409|400)/.test(text));
    expect(unexpected).toEqual([]);
  });
});

/** The sign-in page of a server with single sign-on: the button, and what a refusal says, through a real provider's pages. */
describe('the dashboard’s single sign-on, in Chromium', skipWhen(existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`), () => {
  const CLIENT = { client_id: 'cadreen-dashboard', client_secret: 'a-client-secret-for-the-dashboard' };
  let dir: string;
  let provider: OidcTestProvider;
  let server: ServerProcess;
  let core: CadreenRuntime;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-people-sso-'));
    const database = join(dir, 'cadreen.db');
    provider = await startOidcProvider({
      accounts: [
        { sub: 'ada', email: ADA, email_verified: true, name: 'Ada Lovelace' },
        { sub: 'stranger', email: 'stranger@elsewhere.example', email_verified: true },
      ],
    });
    server = await startServer({
      CADREEN_DATABASE_URL: `sqlite:${database}`,
      CADREEN_ADMIN_TOKEN: ADMIN,
      CADREEN_OIDC_ISSUER: provider.issuer,
      CADREEN_OIDC_CLIENT_ID: CLIENT.client_id,
      CADREEN_OIDC_CLIENT_SECRET: CLIENT.client_secret,
    });
    provider.setClient({ ...CLIENT, redirect_uris: [`${server.baseUrl}/auth/oidc/callback`] });
    core = await createCadreen({
      store: await openSqliteStore(database),
      limiter: new MemoryRateLimiter(),
      config: { keyPrefix: DEFAULT_KEY_PREFIX, defaultRateLimit: { limit: 100_000, windowSeconds: 60 }, publicUrl: server.baseUrl, ssoEnabled: true },
    });
    await core.init({ workspaceName: 'acme', email: ADA });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await core?.close();
    await server?.stop();
    await provider?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('offers “Sign in with SSO” first, which signs an invited person in through the provider’s pages', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}/dashboard/`);
      const sso = page.getByRole('button', { name: 'Sign in with SSO' });
      await expect.poll(() => sso.count()).toBe(1);
      expect(await sso.evaluate((button) => button === document.activeElement)).toBe(true);
      expect(await page.getByLabel('API key or admin token').isVisible()).toBe(true);
      await sso.click();
      await signInAtProvider(page, { login: 'ada' });
      await page.waitForURL((url) => url.href.startsWith(`${server.baseUrl}/dashboard/`));
      await expect.poll(() => page.locator('header .who').textContent()).toContain(ADA);
      expect(await page.locator('header .who').textContent()).toContain('acme (owner)');
      await page.getByRole('tab', { name: 'Audit log' }).click();
      const signedIn = page.locator('table.audit tbody tr').filter({ hasText: 'Signed in' });
      await expect.poll(() => signedIn.count()).toBe(1);
      expect(await signedIn.locator('td[data-label="Details"]').textContent()).toBe('with single sign-on');
    } finally {
      await context.close();
    }
  });

  it('brings a person nobody invited back to the sign-in page, saying why in a sentence', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}/dashboard/`);
      await page.getByRole('button', { name: 'Sign in with SSO' }).click();
      await signInAtProvider(page, { login: 'stranger' });
      await page.waitForURL((url) => url.href.startsWith(`${server.baseUrl}/dashboard/`));
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('There is no invitation for your email address here');
      expect(new URL(page.url()).search).toBe('');
      expect((await context.cookies(server.baseUrl)).some((cookie) => cookie.name === 'cadreen_session')).toBe(false);
    } finally {
      await context.close();
    }
  });
});
