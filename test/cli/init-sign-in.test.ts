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
});
