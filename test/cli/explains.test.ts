import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliResult, type CliServer } from './harness.js';

/** stderr holds exactly one line, and no stack trace. */
function oneLine(result: CliResult): string {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

/**
 * The client commands say what went wrong in their own words (flags, not SDK options or HTTP
 * headers), print the API's `details`, and exit with the documented code; and the workspace,
 * audit-log and table commands, against a real server process.
 */
describe('command line: errors, exit codes and the workspace and audit commands', () => {
  let s: CliServer;
  /** A server that answers every request 200 with a page that is not JSON: not a Cadreen server. */
  let notCadreen: Server;
  let notCadreenUrl: string;

  beforeAll(async () => {
    s = await startCliServer('cli-explains');
    notCadreen = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>'));
    await new Promise<void>((resolve) => notCadreen.listen(0, '127.0.0.1', resolve));
    const address = notCadreen.address();
    notCadreenUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => notCadreen?.close(resolve));
    await s?.stop();
  });

  describe('exit codes', () => {
    it('exits 0 on success', async () => {
      expect((await s.cli(['api-keys', 'list'])).status).toBe(0);
    });

    it('exits 1 with one line and no stack trace when something unexpected happens (a server that is not Cadreen)', async () => {
      const result = await s.cli(['api-keys', 'list', '--base-url', notCadreenUrl]);
      expect(result.status).toBe(1);
      expect(oneLine(result)).toMatch(/^error: unexpected: /);
    });

    it.each([
      ['an unknown command', ['api-keys', 'frobnicate'], /^error: usage: unknown command 'frobnicate'/],
      ['an unknown option', ['api-keys', 'list', '--nope'], /^error: usage: unknown option '--nope'/],
      ['a value outside the choices', ['api-keys', 'list', '--sort-order', 'sideways'], /^error: usage: --sort-order must be one of asc, desc \(got "sideways"\)$/],
      ['a required option left out', ['api-keys', 'create'], /^error: usage: required option '--name <name>' not specified$/],
      ['a required argument left out', ['api-keys', 'get'], /^error: usage: missing required argument 'id'$/],
      ['an empty argument', ['api-keys', 'get', ''], /^error: usage: <id> must not be empty/],
      ['a label without =', ['api-keys', 'create', '--name', 'x', '--label', 'noequals'], /^error: usage: --label must be key=value.*\(got "noequals"\)$/],
      ['a label key the API refuses', ['api-keys', 'create', '--name', 'x', '--label', '-x=1'], /^error: usage: --label key "-x" must start with a letter or digit/],
      ['a grace period over 7 days', ['api-keys', 'rotate', 'key_x', '--grace-period', '9999999'], /^error: usage: --grace-period must be at most 604800 \(got "9999999"\)$/],
      ['a grace period that is not a number', ['api-keys', 'rotate', 'key_x', '--grace-period', '1h'], /^error: usage: --grace-period must be a whole number/],
      ['a page size of 0', ['api-keys', 'list', '--limit', '0'], /^error: usage: --limit must be at least 1 \(got "0"\)$/],
      ['a page size of 0 on the audit log', ['audit-events', 'list', '--limit', '0'], /^error: usage: --limit must be at least 1/],
      ['an expiry that is not a time', ['api-keys', 'create', '--name', 'x', '--expires-at', 'tomorrow'], /^error: usage: --expires-at must be an RFC 3339 time .*\(got "tomorrow"\)$/],
      ['an expiry on a day the month lacks', ['api-keys', 'update', 'key_x', '--expires-at', '2030-02-30T00:00:00Z'], /^error: usage: --expires-at must be an RFC 3339 time .*\(got "2030-02-30T00:00:00Z"\)$/],
      ['an unknown audit event type', ['audit-events', 'list', '--type', 'key.exploded'], /^error: usage: --type must be one of key\.created, /],
      ['a rate limit without a window', ['workspaces', 'update', 'ws_x', '--rate-limit', '100'], /^error: usage: --rate-limit must be <requests>\/<window>/],
      ['a rate limit window over 24 hours', ['workspaces', 'update', 'ws_x', '--rate-limit', '100/25h'], /^error: usage: --rate-limit must be/],
      ['a workspace update that changes nothing', ['workspaces', 'update', 'ws_x'], /^error: usage: nothing to change: pass --name, --rate-limit or --workspace-rate-limit$/],
      ['an unknown shell', ['completion', 'ksh'], /^error: usage: <shell> must be one of bash, zsh, fish \(got "ksh"\)$/],
    ])('exits 2 for %s, naming the flag, before sending anything', async (_case, args, message) => {
      const result = await s.cli(args);
      expect(result.status).toBe(2);
      expect(oneLine(result)).toMatch(message);
      expect(result.stdout).toBe('');
    });

    it.each([
      ['no API key', ['api-keys', 'list'], { CADREEN_API_KEY: '' }, /^error: configuration_error: no API key: pass --api-key or set CADREEN_API_KEY$/],
      ['an empty --api-key', ['api-keys', 'list', '--api-key', ''], {}, /^error: configuration_error: --api-key is empty/],
      ['an empty --workspace-id', ['api-keys', 'list', '--workspace-id', ''], {}, /^error: configuration_error: --workspace-id is empty/],
      ['an empty --workspace-id on members', ['members', 'list', '--workspace-id', ''], {}, /^error: configuration_error: --workspace-id is empty/],
      ['a base URL without a scheme', ['api-keys', 'list'], { CADREEN_BASE_URL: '127.0.0.1:18201' }, /^error: configuration_error: CADREEN_BASE_URL is "127\.0\.0\.1:18201", .*--base-url/],
      ['a --base-url that is not http', ['api-keys', 'list', '--base-url', 'ftp://127.0.0.1'], {}, /^error: configuration_error: --base-url is "ftp:\/\/127\.0\.0\.1", .*CADREEN_BASE_URL/],
    ])('exits 2 for %s, naming the flag and the variable', async (_case, args, extra, message) => {
      const result = await s.cli(args, extra);
      expect(result.status).toBe(2);
      expect(oneLine(result)).toMatch(message);
    });

    it('exits 3 for a refused key and for a key on an admin command', async () => {
      const unknown = await s.cli(['api-keys', 'list', '--api-key', 'sk_cadreen_nope']);
      expect(unknown.status).toBe(3);
      expect(oneLine(unknown)).toMatch(/^error: auth_invalid: /);
      const forbidden = await s.cli(['workspaces', 'list']);
      expect(forbidden.status).toBe(3);
      expect(oneLine(forbidden)).toMatch(/^error: auth_forbidden: /);
    });

    it('exits 4 for any other API error, with the request id', async () => {
      const missing = await s.cli(['api-keys', 'get', 'key_01HXK0000000000000000000000']);
      expect(missing.status).toBe(4);
      expect(oneLine(missing)).toMatch(/^error: not_found: .* \(request req_\w+\)$/);
    });

    it('exits 5 when the server cannot be reached', async () => {
      const result = await s.cli(['api-keys', 'list', '--base-url', 'http://127.0.0.1:1']);
      expect(result.status).toBe(5);
      expect(oneLine(result)).toMatch(/^error: connection_error: /);
    });
  });

  describe("the API's details, in flag names", () => {
    it.each([
      ['a page size over the maximum', ['api-keys', 'list', '--limit', '1000'], /^error: invalid_request: the request query is invalid: --limit must be at most 500 \(request req_\w+\)$/],
      ['an expiry in the past', ['api-keys', 'create', '--name', 'x', '--expires-at', '2001-01-01T00:00:00Z'], /: --expires-at must be in the future \(request/],
      ['an empty key name', ['api-keys', 'create', '--name', ''], /: --name must not be empty \(request/],
      ['an empty workspace name', ['workspaces', 'update', 'WS', '--name', '', '--api-key', 'ADMIN'], /: --name must not be empty \(request/],
      ['an audit page over the maximum', ['audit-events', 'list', '--limit', '501'], /: --limit must be at most 500 \(request/],
      ['a workspace page over the maximum', ['workspaces', 'list', '--limit', '5000', '--api-key', 'ADMIN'], /: --limit must be at most 1000 \(request/],
    ])('prints the server’s reason for %s with the flag it came from (exit 4)', async (_case, args, message) => {
      const filled = args.map((arg) => (arg === 'WS' ? s.init.workspace_id : arg === 'ADMIN' ? s.admin : arg));
      const result = await s.cli(filled);
      expect(result.status).toBe(4);
      const line = oneLine(result);
      expect(line).toMatch(message);
      // The validator's own words and the API's field names stay out.
      expect(line).not.toMatch(/<=|>=|NOT have|spec\.|metadata\.|gracePeriodSeconds/);
    });

    it('tells the admin token to pass --workspace-id, not to send a header or pass an SDK option', async () => {
      const keys = await s.cli(['api-keys', 'list', '--api-key', s.admin]);
      expect(keys.status).toBe(2);
      const keysLine = oneLine(keys);
      expect(keysLine).toMatch(/^error: invalid_request: the admin token acts on one workspace: pass --workspace-id/);
      expect(keysLine).not.toMatch(/X-Cadreen-Workspace-Id|header/);
      const members = await s.cli(['members', 'list', '--api-key', s.admin]);
      expect(members.status).toBe(2);
      const membersLine = oneLine(members);
      expect(membersLine).toMatch(/pass --workspace-id$/);
      expect(membersLine).not.toMatch(/\{ workspaceId \}|new Cadreen/);
      // With the flag, the same commands work.
      expect((await s.cli(['api-keys', 'list', '--api-key', s.admin, '--workspace-id', s.init.workspace_id])).status).toBe(0);
    });

    it('never speaks of SDK options when the API key is missing', async () => {
      const line = oneLine(await s.cli(['api-keys', 'list'], { CADREEN_API_KEY: undefined }));
      expect(line).toContain('--api-key');
      expect(line).not.toMatch(/\{ apiKey \}|environment variable/);
    });
  });

  describe('workspaces get and update', () => {
    it('gets a workspace with the admin token or its own key, in the API’s JSON or as a table', async () => {
      const id = s.init.workspace_id;
      const direct = await (await fetch(`${s.server.baseUrl}/api/v1/maas/workspaces/${id}`, { headers: { Authorization: `Bearer ${s.admin}` } })).json();
      const asAdmin = await s.cli(['workspaces', 'get', id, '--api-key', s.admin]);
      expect(asAdmin.status).toBe(0);
      expect(asAdmin.json()).toEqual(direct);
      expect((await s.cli(['workspaces', 'get', id])).json()).toEqual(direct);
      const table = (await s.cli(['workspaces', 'get', id, '--format', 'table'])).stdout.trimEnd().split('\n');
      expect(table[0]).toMatch(/^NAME\s+ID\s+ACCOUNT\s+RATE LIMIT\s+WORKSPACE LIMIT\s+CREATED$/);
      expect(table[1]).toContain(id);
      expect(table).toHaveLength(2);
    });

    it("renames a workspace and sets and clears its limits, which its keys' answers then report", async () => {
      const admin = { CADREEN_API_KEY: s.admin };
      const workspace = (await s.cli(['workspaces', 'create', '--name', 'limits'], admin)).json();
      const key = await (
        await fetch(`${s.server.baseUrl}/api/v1/maas/workspaces/${workspace.id}/api-keys`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${s.admin}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: 'probe' }),
        })
      ).json();
      const policy = async () =>
        (await fetch(`${s.server.baseUrl}/api/v1/cadreen/health`, { headers: { Authorization: `Bearer ${key.plaintext}` } })).headers.get('ratelimit-policy');

      const set = await s.cli(['workspaces', 'update', workspace.id, '--name', 'limited', '--rate-limit', '120/1m', '--workspace-rate-limit', '5000/1h'], admin);
      expect(set.status, set.stderr).toBe(0);
      expect(set.json()).toMatchObject({
        id: workspace.id,
        name: 'limited',
        rate_limit: { limit: 120, window_seconds: 60, source: 'workspace' },
        workspace_rate_limit: { limit: 5000, window_seconds: 3600, source: 'workspace' },
      });
      expect(await policy()).toBe('"key";q=120;w=60, "workspace";q=5000;w=3600');

      const cleared = await s.cli(['workspaces', 'update', workspace.id, '--rate-limit', 'default'], admin);
      expect(cleared.json()).toMatchObject({
        name: 'limited',
        rate_limit: { limit: 100000, window_seconds: 60, source: 'default' },
        workspace_rate_limit: { limit: 5000, window_seconds: 3600, source: 'workspace' },
      });
      expect(await policy()).toBe('"key";q=100000;w=60, "workspace";q=5000;w=3600');
      expect((await s.cli(['workspaces', 'get', workspace.id], admin)).json().rate_limit.source).toBe('default');
    });

    it('creates a workspace with its limits', async () => {
      const created = await s.cli(['workspaces', 'create', '--name', 'born-limited', '--rate-limit', '50/30s'], { CADREEN_API_KEY: s.admin });
      expect(created.json().rate_limit).toEqual({ limit: 50, window_seconds: 30, source: 'workspace' });
    });

    it('refuses an update with an API key (exit 3) and an unknown workspace (exit 4)', async () => {
      expect((await s.cli(['workspaces', 'update', s.init.workspace_id, '--name', 'mine'])).status).toBe(3);
      const missing = await s.cli(['workspaces', 'update', 'ws_01HXK0000000000000000000000', '--name', 'x', '--api-key', s.admin]);
      expect(missing.status).toBe(4);
      expect(missing.stderr).toMatch(/^error: not_found: /);
    });
  });

  it('follows cursors through the whole audit log with audit-events list --all', async () => {
    const admin = { CADREEN_API_KEY: s.admin };
    const workspace = (await s.cli(['workspaces', 'create', '--name', 'audited'], admin)).json();
    for (let i = 0; i < 7; i++) {
      await fetch(`${s.server.baseUrl}/api/v1/maas/workspaces/${workspace.id}/api-keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${s.admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `audited-${i}` }),
      });
    }
    const scoped = ['--workspace-id', workspace.id, '--type', 'key.created'];
    const onePage = (await s.cli(['audit-events', 'list', ...scoped, '--limit', '3'], admin)).json();
    expect(onePage.items).toHaveLength(3);
    expect(onePage.pagination.nextCursor).toEqual(expect.any(String));
    const all = await s.cli(['audit-events', 'list', ...scoped, '--limit', '3', '--all'], admin);
    expect(all.status, all.stderr).toBe(0);
    const { items, pagination } = all.json();
    expect(items).toHaveLength(7);
    expect(new Set(items.map((e: { id: string }) => e.id)).size).toBe(7);
    expect(pagination).toEqual({});
    // Newest first, across pages.
    const times = items.map((e: { createdAt: string }) => e.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    const table = (await s.cli(['audit-events', 'list', ...scoped, '--limit', '3', '--all', '--format', 'table'], admin)).stdout.trimEnd().split('\n');
    expect(table).toHaveLength(8);
  });

  it.each([
    ['api-keys list', ['api-keys', 'list'], /^NAME\s+ID\s+STATUS\s+CREATED\s+LAST USED$/, 'default'],
    ['workspaces list', ['workspaces', 'list', '--api-key', 'ADMIN'], /^NAME\s+ID\s+ACCOUNT\s+RATE LIMIT\s+WORKSPACE LIMIT\s+CREATED$/, 'WS'],
    ['members list', ['members', 'list'], /^EMAIL\s+NAME\s+ROLE\s+PROFILE\s+ADDED$/, 'owner'],
    ['audit-events list', ['audit-events', 'list'], /^TIME\s+TYPE\s+KEY\s+CODE\s+ACTOR$/, 'key.created'],
  ])('prints %s as a table with --format table', async (_case, args, header, cell) => {
    const filled = args.map((arg) => (arg === 'ADMIN' ? s.admin : arg));
    const result = await s.cli([...filled, '--format', 'table']);
    expect(result.status, result.stderr).toBe(0);
    const [first, ...rows] = result.stdout.trimEnd().split('\n');
    expect(first).toMatch(header);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.join('\n')).toContain(cell === 'WS' ? s.init.workspace_id : cell);
    expect(() => JSON.parse(result.stdout)).toThrow();
  });
});
