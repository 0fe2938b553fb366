import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, startServer, type ServerProcess } from '../e2e/process.js';
import { readmeExample } from '../support/readme.js';

const ADMIN = 'cli-members-admin-token-0123456789';
const LINK = /^http:\/\/127\.0\.0\.1:\d+\/auth\/link\?token=\S+$/;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  json: () => any;
}

/**
 * Runs `cadreen …` to completion without blocking the event loop, so that a stub server in this
 * process can answer it.
 */
function run(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

/** `cadreen members …` against a real server without single sign-on (sign-in links). */
describe('cadreen members', () => {
  let dir: string;
  let server: ServerProcess;
  let env: Record<string, string>;
  let keyEnv: Record<string, string>;
  let ownWorkspace: string;

  const cli = (args: string[], extra: Record<string, string> = {}) => run(args, { ...env, ...extra });
  const newWorkspace = async (name: string): Promise<string> => (await cli(['workspaces', 'create', '--name', name])).json().id;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-cli-members-'));
    const serverEnv = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CADREEN_ADMIN_TOKEN: ADMIN, CADREEN_RATE_LIMIT: '100000/60s' };
    const init = JSON.parse(runCli(['init', '--json'], serverEnv).stdout);
    ownWorkspace = init.workspace_id;
    server = await startServer(serverEnv);
    env = { CADREEN_API_KEY: ADMIN, CADREEN_BASE_URL: server.baseUrl };
    keyEnv = { CADREEN_API_KEY: init.key.plaintext };
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('add --json prints exactly {profile_id, email, role, sign_in_url}', async () => {
    const ws = await newWorkspace('cli-members-json');
    const added = await cli(['members', 'add', '--workspace-id', ws, '--email', 'ada@example.com', '--name', 'Ada', '--role', 'owner', '--json']);
    expect(added.status, added.stderr).toBe(0);
    const body = added.json();
    expect(Object.keys(body).sort()).toEqual(['email', 'profile_id', 'role', 'sign_in_url']);
    expect(body).toMatchObject({ profile_id: expect.stringMatching(/^prof_/), email: 'ada@example.com', role: 'owner', sign_in_url: expect.stringMatching(LINK) });
    expect(added.stderr).toBe('');
  });

  it('add without --json prints the sign-in link on a line of its own, saying it works once for 15 minutes', async () => {
    const ws = await newWorkspace('cli-members-text');
    const added = await cli(['members', 'add', '--workspace-id', ws, '--email', 'grace@example.com']);
    expect(added.status, added.stderr).toBe(0);
    const lines = added.stdout.split('\n');
    expect(lines.filter((line) => LINK.test(line))).toHaveLength(1);
    expect(added.stdout).toMatch(/works once/);
    expect(added.stdout).toMatch(/15 minutes/);
    expect(added.stdout).toMatch(/as member/);
  });

  it('lists members in the API’s JSON, page by page or all of them, and as a table', async () => {
    const ws = await newWorkspace('cli-members-list');
    for (const [email, role] of [['a@example.com', 'owner'], ['b@example.com', 'member'], ['c@example.com', 'member']] as const) {
      expect((await cli(['members', 'add', '--workspace-id', ws, '--email', email, '--role', role, '--json'])).status).toBe(0);
    }
    const page = await cli(['members', 'list', '--workspace-id', ws, '--limit', '2']);
    expect(page.status, page.stderr).toBe(0);
    const direct = await (await fetch(`${server.baseUrl}/api/v1/maas/workspaces/${ws}/members?limit=2`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json();
    expect(page.json()).toEqual(direct);
    const next = (await cli(['members', 'list', '--workspace-id', ws, '--limit', '2', '--cursor', direct.next_cursor])).json();
    expect(next.members.map((m: { profile: { email: string } }) => m.profile.email)).toEqual(['c@example.com']);
    const all = (await cli(['members', 'list', '--workspace-id', ws, '--limit', '1', '--all'])).json();
    expect(all.members.map((m: { profile: { email: string } }) => m.profile.email)).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    expect(all.next_cursor).toBeNull();
    const table = (await cli(['members', 'list', '--workspace-id', ws, '--all', '--format', 'table'])).stdout.trim().split('\n');
    expect(table[0]).toMatch(/^EMAIL\s+NAME\s+ROLE\s+PROFILE\s+ADDED$/);
    expect(table).toHaveLength(4);
  });

  it('changes a role and removes a member, but never the last owner', async () => {
    const ws = await newWorkspace('cli-members-change');
    const owner = (await cli(['members', 'add', '--workspace-id', ws, '--email', 'owner@example.com', '--role', 'owner', '--json'])).json();
    const member = (await cli(['members', 'add', '--workspace-id', ws, '--email', 'member@example.com', '--json'])).json();
    expect(member.role).toBe('member');

    const lastOwner = await cli(['members', 'remove', '--workspace-id', ws, '--profile-id', owner.profile_id]);
    expect(lastOwner.status).toBe(4);
    expect(lastOwner.stderr).toMatch(/^error: conflict: /);
    expect((await cli(['members', 'update', '--workspace-id', ws, '--profile-id', owner.profile_id, '--role', 'member'])).status).toBe(4);

    const promoted = await cli(['members', 'update', '--workspace-id', ws, '--profile-id', member.profile_id, '--role', 'owner']);
    expect(promoted.status, promoted.stderr).toBe(0);
    expect(promoted.json()).toMatchObject({ profile: { id: member.profile_id, email: 'member@example.com' }, workspace_id: ws, role: 'owner' });
    const removed = await cli(['members', 'remove', '--workspace-id', ws, '--profile-id', owner.profile_id]);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('');
    const left = (await cli(['members', 'list', '--workspace-id', ws])).json();
    expect(left.members.map((m: { profile: { id: string } }) => m.profile.id)).toEqual([member.profile_id]);
  });

  it('exits 4 on a duplicate email, 3 for an API key, 2 for usage errors and 5 when unreachable, with the code on stderr', async () => {
    const ws = await newWorkspace('cli-members-errors');
    expect((await cli(['members', 'add', '--workspace-id', ws, '--email', 'dup@example.com', '--json'])).status).toBe(0);
    const duplicate = await cli(['members', 'add', '--workspace-id', ws, '--email', 'dup@example.com', '--json']);
    expect(duplicate.status).toBe(4);
    expect(duplicate.stderr).toMatch(/^error: conflict: /);
    expect(duplicate.stdout).toBe('');

    const byKey = await cli(['members', 'add', '--email', 'eve@example.com'], keyEnv);
    expect(byKey.status).toBe(3);
    expect(byKey.stderr.trim()).toMatch(/^error: auth_forbidden: /);
    expect(byKey.stderr.trim().split('\n')).toHaveLength(1);
    expect((await cli(['members', 'add', '--workspace-id', ownWorkspace, '--email', 'eve@example.com'], keyEnv)).status).toBe(3);

    expect((await cli(['members', 'add', '--workspace-id', ws, '--email', 'x@example.com', '--role', 'boss'])).status).toBe(2);
    expect((await cli(['members', 'add', '--workspace-id', ws])).status).toBe(2);
    expect((await cli(['members', 'update', '--workspace-id', ws, '--profile-id', 'prof_x'])).status).toBe(2);
    expect((await cli(['members', 'remove', '--workspace-id', ws])).status).toBe(2);
    const noWorkspace = await cli(['members', 'list']);
    expect(noWorkspace.status).toBe(2);
    expect(noWorkspace.stderr).toMatch(/^error: configuration_error: /);
    expect((await cli(['members', 'list', '--workspace-id', ws, '--base-url', 'http://127.0.0.1:1'])).status).toBe(5);
  });

  it('has --help on every members command', async () => {
    for (const command of [['members'], ['members', 'list'], ['members', 'add'], ['members', 'update'], ['members', 'remove']]) {
      const help = await cli([...command, '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^Usage: /);
    }
  });

  it('runs every line of the README’s members example successfully', async () => {
    const script = readmeExample('cli-members');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, 'cadreen'));
    const ws = await newWorkspace('cli-members-readme');
    const member = (await cli(['members', 'add', '--workspace-id', ws, '--email', 'readme@example.com', '--json'])).json();
    expect(script.split('\n').filter((line) => /^cadreen members /.test(line)).length).toBeGreaterThanOrEqual(4);
    const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
        env: { ...process.env, CADREEN_BASE_URL: server.baseUrl, CADREEN_ADMIN_TOKEN: ADMIN, WORKSPACE_ID: ws, PROFILE_ID: member.profile_id, PATH: `${bin}:${process.env.PATH}` },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('close', (status) => resolve({ status, stderr }));
    });
    expect(result.status, result.stderr).toBe(0);
    const left = (await cli(['members', 'list', '--workspace-id', ws])).json();
    expect(left.members.map((m: { profile: { id: string } }) => m.profile.id)).not.toContain(member.profile_id);
  });
});

/** A server with single sign-on answers without a sign-in link; a stub stands in for it here. */
describe('cadreen members add, on a server with single sign-on', () => {
  let stub: Server;
  let url: string;
  beforeAll(async () => {
    stub = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            profile: { id: 'prof_01HXK0000000000000000000000', account_id: 'acct_1', type: 'PROFILE_TYPE_USER', name: null, email: 'sso@example.com', created_at: '2030-01-01T00:00:00.000Z' },
            workspace_id: 'ws_1',
            role: 'member',
            created_at: '2030-01-01T00:00:00.000Z',
          }),
        );
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => stub.close(() => resolve())));

  it('prints sign_in_url null with --json, and says no link is needed without it', async () => {
    const env = { CADREEN_API_KEY: 'admin', CADREEN_BASE_URL: url };
    const json = await run(['members', 'add', '--workspace-id', 'ws_1', '--email', 'sso@example.com', '--json'], env);
    expect(json.status, json.stderr).toBe(0);
    expect(json.json()).toEqual({ profile_id: 'prof_01HXK0000000000000000000000', email: 'sso@example.com', role: 'member', sign_in_url: null });
    const text = await run(['members', 'add', '--workspace-id', 'ws_1', '--email', 'sso@example.com'], env);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/single sign-on/);
    expect(text.stdout).not.toMatch(/auth\/link/);
  });
});
