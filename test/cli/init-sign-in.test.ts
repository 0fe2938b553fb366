import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/process.js';

const LINK = /^http:\/\/127\.0\.0\.1:8080\/auth\/link\?token=[A-Za-z0-9_-]{43}$/;

describe('cadreen init gives the person a way into the dashboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadreen-init-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a single-use sign-in link under the key, and sign_in_url with --json', () => {
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'text.db')}` };
    const text = runCli(['init', '--email', 'me@example.com'], env);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('Sign in to the dashboard with this link (it works once, for 15 minutes):');
    expect(text.stdout.split('\n').map((line) => line.trim()).some((line) => LINK.test(line))).toBe(true);

    const json = runCli(['init', '--json', '--email', 'me@example.com'], { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'json.db')}` });
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).sign_in_url).toMatch(LINK);
  });

  it('builds the link on CADREEN_PUBLIC_URL when it is set', () => {
    const json = runCli(['init', '--json'], { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'public.db')}`, CADREEN_PUBLIC_URL: 'https://keys.example.com/' });
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).sign_in_url).toMatch(/^https:\/\/keys\.example\.com\/auth\/link\?token=/);
  });

  it('run again on the same store adds a workspace, the same person and a key to the one account; --new-account makes another', () => {
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'twice.db')}`, CADREEN_ADMIN_TOKEN: 'init-admin-token-0123456789' };
    const first = JSON.parse(runCli(['init', '--json', '--email', 'me@example.com', '--workspace-name', 'one'], env).stdout);
    const second = runCli(['init', '--json', '--email', 'ME@example.com', '--workspace-name', 'two'], env);
    expect(second.status, second.stderr).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(first.created_account).toBe(true);
    expect(again).toMatchObject({ account_id: first.account_id, created_account: false, profile_id: first.profile_id });
    expect(again.workspace_id).not.toBe(first.workspace_id);
    const text = runCli(['init', '--workspace-name', 'three'], env);
    expect(text.stdout).toContain(`Account    ${first.account_id} (this store's existing account`);
    const separate = JSON.parse(runCli(['init', '--json', '--new-account', '--workspace-name', 'four'], env).stdout);
    expect(separate.account_id).not.toBe(first.account_id);
    expect(separate.created_account).toBe(true);
    const refused = runCli(['init', '--json', '--workspace-name', 'five'], env);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('--new-account');
  });
});
