import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, startServer, type ServerProcess } from '../e2e/process.js';
import { readmeExample } from '../support/readme.js';

const ADMIN = 'cli-admin-token-0123456789';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A page of GET /v1/api_keys without the one field that moves on its own, `status.lastUsedAt`. */
function withoutLastUse(page: { items: { status: Record<string, unknown> }[] }) {
  return { ...page, items: page.items.map(({ status: { lastUsedAt: _, ...status }, ...item }) => ({ ...item, status })) };
}

/** The client commands and the README's examples against a real server process. */
describe('command line client', () => {
  let dir: string;
  let bin: string;
  let server: ServerProcess;
  let env: Record<string, string>;

  /** Runs `cadreen …` (or `cadenya …`) as a user would, through the installed bin names. */
  function cli(args: string[], extra: Record<string, string> = {}, name = 'cadreen') {
    const result = spawnSync(join(bin, name), args, { env: { ...process.env, ...env, ...extra }, encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, json: () => JSON.parse(result.stdout) };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-cli-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, 'cadreen'));
    symlinkSync(CLI, join(bin, 'cadenya'));
    const serverEnv = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CADREEN_ADMIN_TOKEN: ADMIN, CADREEN_RATE_LIMIT: '100000/60s' };
    const init = JSON.parse(runCli(['init', '--json'], serverEnv).stdout);
    server = await startServer(serverEnv);
    env = { CADREEN_API_KEY: init.key.plaintext, CADREEN_BASE_URL: server.baseUrl, CADREEN_ADMIN_TOKEN: ADMIN, WORKSPACE_ID: init.workspace_id };
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, gets, updates, rotates and revokes a key, printing the API’s JSON', () => {
    const created = cli(['api-keys', 'create', '--name', 'cli-key', '--label', 'env=test', '--description', 'from the CLI']);
    expect(created.status).toBe(0);
    const key = created.json();
    expect(key).toMatchObject({ metadata: { name: 'cli-key', labels: { env: 'test' } }, spec: { description: 'from the CLI', token: expect.stringMatching(/^sk_cadreen_/) } });
    const id = key.metadata.id;
    expect(cli(['api-keys', 'get', id]).json().spec.token).toBeUndefined();
    expect(cli(['api-keys', 'update', id, '--name', 'cli-key-2']).json().metadata.name).toBe('cli-key-2');
    const rotated = cli(['api-keys', 'rotate', id, '--grace-period', '60']).json();
    expect(rotated.status.rotatedFrom).toBe(id);
    expect(cli(['api-keys', 'revoke', rotated.metadata.id]).json().status.state).toBe('REVOKED');
  });

  it('lists with exactly the reference flags, under both names, in the shape of GET /v1/api_keys', async () => {
    const viaCadenya = cli(['api-keys', 'list', '--api-key', env.CADREEN_API_KEY!, '--limit', '2', '--sort-order', 'asc', '--include-info'], {}, 'cadenya');
    expect(viaCadenya.status).toBe(0);
    const body = viaCadenya.json();
    const direct = await (await fetch(`${server.baseUrl}/v1/api_keys?limit=2&sortOrder=asc&includeInfo=true`, { headers: { Authorization: `Bearer ${env.CADREEN_API_KEY}` } })).json();
    // A key's last use is written in batches, so it may move between the two reads (the listing key is on this page);
    // everything else must be the same.
    for (const item of body.items) expect(item.status.lastUsedAt ?? null, 'lastUsedAt').toSatisfy((at: string | null) => at === null || !Number.isNaN(Date.parse(at)));
    expect(withoutLastUse(body)).toEqual(withoutLastUse(direct));
    const next = cli(['api-keys', 'list', '--limit', '2', '--sort-order', 'asc', '--include-info', '--cursor', body.pagination.nextCursor]).json();
    expect(next.items[0].metadata.id).not.toBe(body.items[0].metadata.id);
    expect(cli(['api-keys', 'list', '--prefix', 'cli-']).json().items.every((i: { metadata: { name: string } }) => i.metadata.name.startsWith('cli-'))).toBe(true);
  });

  it('follows cursors through 250 keys with --all', async () => {
    const admin = { Authorization: `Bearer ${env.CADREEN_API_KEY}`, 'Content-Type': 'application/json' };
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${server.baseUrl}/v1/api_keys`, { method: 'POST', headers: admin, body: JSON.stringify({ metadata: { name: `many-${batch}-${i}` } }) }),
        ),
      );
    }
    const all = cli(['api-keys', 'list', '--all', '--prefix', 'many-', '--limit', '40']).json();
    expect(all.items).toHaveLength(250);
    expect(new Set(all.items.map((i: { metadata: { id: string } }) => i.metadata.id)).size).toBe(250);
    const table = cli(['api-keys', 'list', '--all', '--prefix', 'many-', '--format', 'table']).stdout.trim().split('\n');
    expect(table[0]).toMatch(/^NAME\s+ID\s+STATUS\s+CREATED\s+LAST USED$/);
    expect(table).toHaveLength(251);
  });

  it('manages workspaces and lists audit events', () => {
    const workspace = cli(['workspaces', 'create', '--name', 'cli-ws', '--api-key', ADMIN]).json();
    expect(workspace.id).toMatch(/^ws_/);
    expect(cli(['workspaces', 'list', '--all', '--api-key', ADMIN]).json().workspaces.map((w: { id: string }) => w.id)).toContain(workspace.id);
    const events = cli(['audit-events', 'list', '--type', 'key.created', '--limit', '3']).json();
    expect(events.items).toHaveLength(3);
    expect(events.items[0].type).toBe('key.created');
  });

  it('exits 2 for usage errors, 3 for authentication, 4 for other API errors and 5 when unreachable, with the code on stderr', () => {
    const usage = cli(['api-keys', 'list', '--sort-order', 'sideways']);
    expect(usage.status).toBe(2);
    expect(cli(['api-keys', 'list'], { CADREEN_API_KEY: '' }).status).toBe(2);
    const auth = cli(['api-keys', 'list', '--api-key', 'sk_cadreen_nope']);
    expect(auth.status).toBe(3);
    expect(auth.stderr.trim()).toMatch(/^error: auth_invalid: /);
    expect(auth.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli(['workspaces', 'list']).status).toBe(3);
    const missing = cli(['api-keys', 'get', 'key_01HXK0000000000000000000000']);
    expect(missing.status).toBe(4);
    expect(missing.stderr).toMatch(/^error: not_found: /);
    expect(cli(['api-keys', 'list', '--base-url', 'http://127.0.0.1:1']).status).toBe(5);
  });

  it('has --help on every command', () => {
    for (const command of [[], ['api-keys'], ['api-keys', 'list'], ['api-keys', 'create'], ['api-keys', 'rotate'], ['workspaces', 'list'], ['audit-events', 'list'], ['serve'], ['init']]) {
      const help = cli([...command, '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^Usage: /);
    }
  });

  describe('README examples', () => {

    it('runs every CLI line of the README successfully', () => {
      const lines = readmeExample('cli').split('\n').filter((line) => /^(cadreen|cadenya) /.test(line));
      expect(lines.length).toBeGreaterThan(8);
      const keyId = cli(['api-keys', 'create', '--name', 'billing-readme']).json().metadata.id;
      for (const line of lines) {
        const result = spawnSync('bash', ['-c', line], {
          env: { ...process.env, ...env, KEY_ID: keyId, PATH: `${bin}:${process.env.PATH}` },
          encoding: 'utf8',
        });
        expect(result.status, `${line}\n${result.stderr}`).toBe(0);
      }
    });

    it('runs the README’s SDK example successfully', () => {
      const outputDir = join(ROOT, 'test-output');
      mkdirSync(outputDir, { recursive: true });
      const file = join(outputDir, 'readme-sdk-example.mjs');
      writeFileSync(file, readmeExample('sdk'));
      const result = spawnSync(process.execPath, [file], { env: { ...process.env, ...env }, encoding: 'utf8', cwd: ROOT });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain('billing-worker ACTIVE');
      expect(result.stdout).toContain('auth_invalid 401 req_');
    });
  });
});
