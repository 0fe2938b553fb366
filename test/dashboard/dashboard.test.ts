import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type ServerProcess } from '../e2e/process.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'dashboard-admin-token-0123456789';
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

if (process.env.CI === 'true' && !existsSync(CHROMIUM)) throw new Error(`CI=true needs ${CHROMIUM} (see .ci/run)`);

/** The dashboard in real Chromium against a real server process. */
describe.skipIf(!existsSync(CHROMIUM))('dashboard in Chromium', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let ownerKey: string;
  let workspaceId: string;

  async function api(method: string, path: string, body?: unknown, key = ownerKey) {
    const response = await fetch(server.baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return response.status === 204 ? undefined : response.json();
  }

  async function signIn(token: string) {
    await page.goto(`${server.baseUrl}/dashboard/`);
    await page.getByLabel('API key or admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const row = (name: string) => page.locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-dashboard-'));
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CADREEN_ADMIN_TOKEN: ADMIN, CADREEN_RATE_LIMIT: '100000/60s' };
    const init = JSON.parse(runCli(['init', '--json', '--workspace-name', 'acme'], env).stdout);
    ownerKey = init.key.plaintext;
    workspaceId = init.workspace_id;
    server = await startServer(env);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage();
    mkdirSync(OUTPUT, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is served by Cadreen with a strict Content-Security-Policy and no inline script', async () => {
    const response = await fetch(`${server.baseUrl}/dashboard/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/style=/);
    expect((await fetch(`${server.baseUrl}/dashboard/..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it('signs in with a key kept in sessionStorage only and lists the workspace’s keys', async () => {
    await signIn(ownerKey);
    await expect.poll(() => row('default').count()).toBe(1);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('cadreen.token'))).toBe(ownerKey);
  });

  it('shows a new key’s plaintext once, and it is gone from the page after closing', async () => {
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('browser-made');
    await dialog.getByLabel('Labels').fill('env=test');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const plaintext = await page.getByLabel('API key', { exact: true }).inputValue();
    expect(plaintext).toMatch(/^sk_cadreen_[0-9A-Za-z]{36}$/);
    await expect.poll(() => page.getByText('This is the only time this key is shown').count()).toBe(1);
    await page.getByRole('button', { name: /I have stored it/ }).click();
    await expect.poll(() => row('browser-made').count()).toBe(1);
    const html = await page.content();
    expect(html).not.toContain(plaintext.slice(15));
    expect(await row('browser-made').textContent()).toContain('env=test');
  });

  it('rotates with a grace period: a new plaintext once, the old row rotating until the grace ends', async () => {
    await row('browser-made').getByRole('button', { name: 'Rotate browser-made' }).click();
    await page.getByRole('dialog').getByLabel('Grace period').selectOption({ label: '1 hour' });
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    expect(await page.getByLabel('API key', { exact: true }).inputValue()).toMatch(/^sk_cadreen_/);
    await page.getByRole('button', { name: /I have stored it/ }).click();
    await expect.poll(() => page.locator('tbody tr', { hasText: 'rotating until' }).count()).toBe(1);
  });

  it('revokes only after the key’s name is typed', async () => {
    await api('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { name: 'doomed' });
    await page.getByLabel('Name starts with').fill('doomed');
    await expect.poll(() => row('doomed').count()).toBe(1);
    await row('doomed').getByRole('button', { name: 'Revoke doomed' }).click();
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Revoke' });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByRole('dialog').getByLabel(/Type the key’s name/).fill('doomed');
    await confirm.click();
    await expect.poll(() => row('doomed').locator('.badge').textContent()).toBe('revoked');
    await page.getByLabel('Name starts with').fill('');
  });

  it('filters by status and by name prefix', async () => {
    await page.getByLabel('Status').selectOption('revoked');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Name starts with').fill('nothing-like-this');
    await expect.poll(() => page.getByText('No key matches these filters').count()).toBe(1);
    await page.getByLabel('Name starts with').fill('');
    await expect.poll(() => row('default').count()).toBe(1);
  });

  it('pages through 120 keys with the cursor', async () => {
    for (let batch = 0; batch < 4; batch++) {
      await Promise.all(Array.from({ length: 30 }, (_, i) => api('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { name: `bulk-${batch}-${i}` })));
    }
    await page.getByLabel('Name starts with').fill('bulk-');
    await expect.poll(() => page.locator('caption').first().textContent()).toBe('120 keys');
    const seen = new Set<string>();
    for (;;) {
      for (const id of await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key-id')))) seen.add(id!);
      const next = page.getByRole('button', { name: 'Next page' });
      if (await next.isDisabled()) break;
      const before = await page.locator('tbody tr').first().getAttribute('data-key-id');
      await next.click();
      await expect.poll(() => page.locator('tbody tr').first().getAttribute('data-key-id')).not.toBe(before);
    }
    expect(seen.size).toBe(120);
    await page.getByLabel('Name starts with').fill('');
    await expect.poll(() => page.locator('caption').first().textContent()).toBe('124 keys');
    await page.screenshot({ path: join(OUTPUT, 'dashboard-keys.png'), fullPage: true });
  });

  it('shows the audit log, newest first', async () => {
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(25);
    expect(await page.locator('table.audit tbody tr').first().textContent()).toContain('key.created');
    // Older pages hold the earlier revoke.
    for (let i = 0; i < 10 && !(await page.locator('table.audit').textContent())?.includes('key.revoked'); i++) {
      await page.getByRole('button', { name: 'Older' }).click();
      await page.waitForTimeout(100);
    }
    expect(await page.locator('table.audit').textContent()).toContain('key.revoked');
    await page.getByRole('tab', { name: 'API keys' }).click();
  });

  it('stays readable at 360 px wide', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await expect.poll(() => page.locator('tbody tr').count()).toBe(50);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-keys-360.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows the error code and a sentence for a revoked key', async () => {
    const revoked = (await api('POST', `/api/v1/maas/workspaces/${workspaceId}/api-keys`, { name: 'revoked-signin' })) as { id: string; plaintext: string };
    await api('DELETE', `/api/v1/maas/workspaces/${workspaceId}/api-keys/${revoked.id}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(revoked.plaintext);
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('auth_revoked');
    expect(await alert.textContent()).toContain('This key has been revoked');
  });

  it('lets the admin token pick and create workspaces', async () => {
    await signIn(ADMIN);
    await expect.poll(() => page.getByRole('button', { name: 'acme' }).count()).toBe(1);
    await page.getByLabel('New workspace').fill('staging');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'staging' }).count()).toBe(1);
    await page.getByRole('button', { name: 'acme' }).click();
    await expect.poll(() => page.locator('caption').first().textContent()).toBe('125 keys');
  });
});
