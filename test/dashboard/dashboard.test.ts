import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type ServerProcess } from '../e2e/process.js';
import { skipWhen } from '../support/skip-reason.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'dashboard-admin-token-0123456789';
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

if (process.env.CI === 'true' && !existsSync(CHROMIUM)) throw new Error(`CI=true needs ${CHROMIUM} (see .ci/run)`);

/** The dashboard in real Chromium against a real server process, as a user goes through it. */
describe('dashboard in Chromium', skipWhen(existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`), () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let ownerKey: string;
  let workspaceId: string;
  const consoleErrors: string[] = [];

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(server.baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${ownerKey}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return response.status === 204 ? undefined : response.json();
  }
  const createKey = (name: string) => api('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { name });

  async function signIn(token: string) {
    await page.goto(`${server.baseUrl}/dashboard/`);
    await page.getByLabel('API key or admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Whether a string is anywhere on the page: text, attributes or a form field's value. */
  const onPage = (text: string) =>
    page.evaluate((t) => document.documentElement.outerHTML.includes(t) || [...document.querySelectorAll('input, textarea')].some((e) => (e as HTMLInputElement).value.includes(t)), text);

  const row = (name: string) => page.locator('table.keys tbody tr', { has: page.getByRole('rowheader', { name: new RegExp(`^${name}\\b`) }) });
  const rows = () => page.locator('table.keys tbody tr');
  const caption = () => page.locator('table.keys caption');
  const dialog = () => page.getByRole('dialog');
  const prefixFilter = () => page.getByLabel('Name starts with');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-dashboard-'));
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'cadreen.db')}`, CADREEN_ADMIN_TOKEN: ADMIN, CADREEN_RATE_LIMIT: '100000/60s' };
    const init = JSON.parse(runCli(['init', '--json', '--workspace-name', 'acme'], env).stdout);
    ownerKey = init.key.plaintext;
    workspaceId = init.workspace_id;
    server = await startServer(env);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    mkdirSync(OUTPUT, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with a key kept in sessionStorage only, and marks the key in use', async () => {
    await signIn(ownerKey);
    await expect.poll(() => row('default').count()).toBe(1);
    await expect.poll(() => row('default').textContent()).toContain('signed in with this key');
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).toContain(ownerKey);
    await page.reload();
    await expect.poll(() => row('default').count()).toBe(1);
  });

  it('shows a new key’s plaintext once, copies it, and it is gone from the page after closing', async () => {
    await page.getByRole('button', { name: 'Create key' }).click();
    await dialog().getByLabel('Name').fill('browser-made');
    await dialog().getByLabel('Labels').fill('env=test\nteam=core');
    await dialog().getByRole('button', { name: 'Create' }).click();
    const plaintext = await dialog().getByLabel('API key', { exact: true }).inputValue();
    expect(plaintext).toMatch(/^sk_cadreen_[0-9A-Za-z]{36}$/);
    expect(await dialog().textContent()).toContain('This is the only time it is shown');
    await dialog().getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => dialog().getByRole('status').textContent()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(plaintext);

    await dialog().getByRole('button', { name: /I have stored it/ }).click();
    expect(await dialog().count()).toBe(0);
    await expect.poll(() => row('browser-made').count()).toBe(1);
    expect(await onPage(plaintext.slice(15))).toBe(false);
    expect(await row('browser-made').textContent()).toMatch(/sk_cadreen_\w{4}….*env=test.*team=core/);
  });

  it('shows the code, a sentence and the field for a refused create, and catches a bad label line itself', async () => {
    await page.getByRole('button', { name: 'Create key' }).click();
    await dialog().getByLabel('Name').fill('bad-labels');
    await dialog().getByLabel('Labels').fill('not a label');
    await dialog().getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => dialog().getByRole('alert').textContent()).toContain('“not a label” is not key=value');
    await dialog().getByLabel('Labels').fill('bad key=1');
    await dialog().getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => dialog().getByRole('alert').textContent()).toContain('invalid_request');
    const alert = await dialog().getByRole('alert').textContent();
    expect(alert).toContain('nothing was changed');
    expect(alert).toContain('labels');
    await page.keyboard.press('Escape');
    expect(await dialog().count()).toBe(0);
    expect(await row('bad-labels').count()).toBe(0);
  });

  it('rotates with a grace period: a new plaintext once, the old row rotating until the grace ends', async () => {
    await row('browser-made').getByRole('button', { name: 'Rotate browser-made' }).click();
    await dialog().getByLabel('Grace period').selectOption({ label: '1 hour' });
    await dialog().getByRole('button', { name: 'Rotate' }).click();
    const plaintext = await dialog().getByLabel('API key', { exact: true }).inputValue();
    expect(plaintext).toMatch(/^sk_cadreen_/);
    await dialog().getByRole('button', { name: /I have stored it/ }).click();
    await expect.poll(() => row('browser-made').count()).toBe(2);
    const statuses = await row('browser-made').locator('td[data-label="Status"]').allTextContents();
    expect(statuses).toContain('active');
    // The end of the grace period the server set, as the browser writes it.
    const listed = await api('GET', `/api/v1/maas/workspaces/${workspaceId}/api-keys?prefix=browser-made`);
    const graceUntil = listed.keys.find((k: { status: string }) => k.status === 'rotating').grace_until as string;
    const shown = await page.evaluate((iso) => {
      const end = new Date(iso);
      return `rotatingworks until ${end.toLocaleDateString(undefined, { dateStyle: 'medium' })} ${end.toLocaleTimeString(undefined, { timeStyle: 'short' })}`;
    }, graceUntil);
    expect(statuses).toContain(shown);
    expect(await onPage(plaintext.slice(15))).toBe(false);
  });

  it('revokes only after the key’s name is typed', async () => {
    await createKey('doomed');
    await prefixFilter().fill('doomed');
    await expect.poll(() => row('doomed').count()).toBe(1);
    await row('doomed').getByRole('button', { name: 'Revoke doomed' }).click();
    const confirm = dialog().getByRole('button', { name: 'Revoke' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog().getByLabel(/Type the key’s name/).fill('doome');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog().getByLabel(/Type the key’s name/).fill('doomed');
    await confirm.click();
    await expect.poll(() => row('doomed').locator('.badge').textContent()).toBe('revoked');
    expect(await page.getByRole('status').filter({ hasText: 'revoked' }).textContent()).toBe('Key “doomed” revoked.');
    expect(await row('doomed').getByRole('button', { name: 'Revoke doomed' }).isDisabled()).toBe(true);
  });

  it('filters by status and by name prefix, with an empty state that says what to do', async () => {
    await prefixFilter().fill('');
    await page.getByLabel('Status').selectOption('revoked');
    await expect.poll(() => caption().textContent()).toBe('1 key match');
    expect(await rows().locator('th').textContent()).toMatch(/^doomed/);
    await page.getByLabel('Status').selectOption('rotating');
    await expect.poll(() => caption().textContent()).toBe('1 key match');
    await page.getByLabel('Status').selectOption('');
    await prefixFilter().fill('nothing-like-this');
    await expect.poll(() => page.getByText('No key matches these filters').isVisible()).toBe(true);
    expect(await page.locator('table.keys').isVisible()).toBe(false);
    await prefixFilter().fill('');
    await expect.poll(() => caption().textContent()).toBe('4 keys');
  });

  it('pages through 120 keys with the cursor, both ways, in either order', async () => {
    for (let batch = 0; batch < 4; batch++) {
      await Promise.all(Array.from({ length: 30 }, (_, i) => createKey(`bulk-${String(batch * 30 + i).padStart(3, '0')}`)));
    }
    await prefixFilter().fill('bulk-');
    await expect.poll(() => caption().textContent()).toBe('120 keys match');
    const seen = new Set<string>();
    const ids = () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key-id')!));
    const next = page.getByRole('button', { name: 'Next page' });
    for (let pageNumber = 1; ; pageNumber++) {
      await expect.poll(() => page.locator('.page-info').textContent()).toBe(`Page ${pageNumber} of 3`);
      for (const id of await ids()) seen.add(id);
      if (await next.isDisabled()) break;
      await next.click();
    }
    expect(seen.size).toBe(120);
    expect(await rows().count()).toBe(20);
    const lastPage = await ids();
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => page.locator('.page-info').textContent()).toBe('Page 2 of 3');
    expect((await ids()).some((id) => lastPage.includes(id))).toBe(false);

    await page.getByLabel('Sort by creation').selectOption('asc');
    await expect.poll(() => page.locator('.page-info').textContent()).toBe('Page 1 of 3');
    const ascending = await ids();
    expect([...ascending].sort()).toEqual(ascending);
    await page.getByLabel('Sort by creation').selectOption('desc');
    await prefixFilter().fill('');
    await expect.poll(() => caption().textContent()).toBe('124 keys');
    await page.screenshot({ path: join(OUTPUT, 'dashboard-keys.png'), fullPage: true });
  });

  it('shows the audit log newest first, by type and page, reachable with the arrow keys', async () => {
    await page.getByRole('tab', { name: 'API keys' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Audit log' }).getAttribute('aria-selected')).toBe('true');
    const events = page.locator('table.audit tbody tr');
    await expect.poll(() => events.count()).toBe(25);
    expect(await events.first().textContent()).toContain('key.created');
    const firstPage = await events.allTextContents();
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => page.locator('.page-info').textContent()).toBe('Page 2');
    expect(await events.allTextContents()).not.toEqual(firstPage);

    await page.getByLabel('Event type').selectOption('key.revoked');
    await expect.poll(() => events.count()).toBe(1);
    expect(await events.textContent()).toContain('key.revoked');
    await page.getByLabel('Event type').selectOption('key.rotated');
    await expect.poll(() => events.allTextContents()).toHaveLength(1);
    await page.getByRole('tab', { name: 'API keys' }).click();
  });

  it('stays readable at 360 px wide', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    try {
      await expect.poll(() => rows().count()).toBe(50);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      expect(await rows().first().getByRole('rowheader').textContent()).toMatch(/^bulk-119/);
      expect(await rows().first().getByRole('button', { name: 'Rotate bulk-119' }).isVisible()).toBe(true);
      await page.screenshot({ path: join(OUTPUT, 'dashboard-keys-360.png') });
      await page.getByRole('button', { name: 'Create key' }).click();
      expect(await dialog().evaluate((d) => d.getBoundingClientRect().right)).toBeLessThanOrEqual(360);
      await page.keyboard.press('Escape');
      await page.getByRole('tab', { name: 'Audit log' }).click();
      await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(25);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await page.getByRole('tab', { name: 'API keys' }).click();
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('works from the keyboard: a dialog opens on Enter, takes the focus, and Escape gives it back', async () => {
    await page.getByRole('button', { name: 'Create key' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('name');
    await page.keyboard.type('typed-in');
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog().getByLabel('API key', { exact: true }).count()).toBe(1);
    await page.keyboard.press('Escape');
    expect(await dialog().count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Create key');
    await expect.poll(() => row('typed-in').count()).toBe(1);
  });

  it('shows the code and a sentence when the key in use is revoked, and for a revoked key at sign-in', async () => {
    const self = await createKey('self');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(self.plaintext);
    await prefixFilter().fill('self');
    await row('self').getByRole('button', { name: 'Revoke self' }).click();
    expect(await dialog().textContent()).toContain('revoking it signs you out');
    await dialog().getByLabel(/Type the key’s name/).fill('self');
    await dialog().getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('auth_revoked');
    expect(await page.getByLabel('API key or admin token').isVisible()).toBe(true);
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(self.plaintext);

    await signIn(self.plaintext);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('auth_revoked');
    expect(await page.getByRole('alert').textContent()).toContain('This key has been revoked. Sign in with another key.');
    await page.getByLabel('API key or admin token').fill('sk_cadreen_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('auth_invalid');
  });

  it('lets the admin token pick and create workspaces', async () => {
    await signIn(ADMIN);
    await expect.poll(() => page.getByRole('button', { name: 'acme' }).count()).toBe(1);
    await page.getByLabel('New workspace').fill('staging');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'staging' }).count()).toBe(1);
    await page.getByRole('button', { name: 'staging' }).click();
    await expect.poll(() => page.getByText('This workspace has no keys yet').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Change workspace' }).click();
    await page.getByRole('button', { name: 'acme' }).click();
    await expect.poll(() => caption().textContent()).toBe('126 keys');
  });

  it('broke no Content-Security-Policy rule, set no inline style and logged no error on the way', async () => {
    expect(await page.locator('[style]').count()).toBe(0);
    const unexpected = consoleErrors.filter((text) => !/status of (401|400)/.test(text));
    expect(unexpected).toEqual([]);
  });
});
