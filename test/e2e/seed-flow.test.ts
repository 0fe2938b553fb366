import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { runCli, startServer, type ServerProcess } from './process.js';
import { callJson } from '../support/json-api.js';

const ADMIN = 'e2e-admin-token-0123456789abcdef';

/**
 * The two reference documents, walked over real HTTP against the real
 * `cadreen serve` process after `cadreen init --json`.
 */
describe('end to end: the reference documents against a real server process', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let workspaceId: string;
  let firstKey: string;
  const issued: string[] = [];

  async function call(method: string, path: string, key?: string, body?: unknown) {
    const answer = await callJson(server.baseUrl, method, path, key || undefined, body);
    if (answer.body?.plaintext) issued.push(answer.body.plaintext);
    if (answer.body?.spec?.token) issued.push(answer.body.spec.token);
    return answer;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-e2e-'));
    env = {
      CADREEN_DATABASE_URL: `sqlite:${join(dir, 'data', 'cadreen.db')}`,
      CADREEN_ADMIN_TOKEN: ADMIN,
      CADREEN_RATE_LIMIT: '1000/60s',
      CADREEN_LOG_LEVEL: 'debug',
    };
    const init = runCli(['init', '--json', '--workspace-name', 'acme', '--email', 'owner@acme.test'], env);
    expect(init.status).toBe(0);
    const created = JSON.parse(init.stdout);
    expect(Object.keys(created).sort()).toEqual(['account_id', 'created_account', 'key', 'profile_id', 'sign_in_url', 'workspace_id']);
    expect(Object.keys(created.key).sort()).toEqual(['id', 'plaintext']);
    workspaceId = created.workspace_id;
    firstKey = created.key.plaintext;
    issued.push(firstKey);
    server = await startServer(env);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('walks the auth guide: create, use, list, rotate, grace, revoke, isolation, rate limit', async () => {
    const keys = `/api/v1/maas/workspaces/${workspaceId}/api-keys`;

    const created = await call('POST', keys, firstKey, { name: 'production' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key_prefix: 'sk_cadreen_', name: 'production', plaintext: expect.stringMatching(/^sk_cadreen_/) });
    const production = created.body;

    const health = await call('GET', '/api/v1/cadreen/health', production.plaintext);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', workspace_id: workspaceId, key_id: production.id });

    const listed = await call('GET', keys, firstKey);
    expect(listed.body.count).toBe(2);
    expect(listed.body.keys.map((k: { name: string }) => k.name)).toEqual(['production', 'default']);

    // The seed rotates with no body and no Content-Type.
    const rotated = await call('POST', `${keys}/${production.id}/rotate`, firstKey);
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'production', key_prefix: 'sk_cadreen_', rotated_from: production.id });
    expect((await call('GET', '/api/v1/cadreen/health', production.plaintext)).body.error.code).toBe('auth_rotating');

    const graceful = await call('POST', `${keys}/${rotated.body.id}/rotate`, firstKey, { grace_period_seconds: 300 });
    expect(graceful.status).toBe(201);
    const during = await call('GET', '/api/v1/cadreen/health', rotated.body.plaintext);
    expect(during.status).toBe(200);
    expect(during.headers.get('cadreen-key-status')).toBe('rotating');

    const revoked = await call('DELETE', `${keys}/${graceful.body.id}`, firstKey);
    expect(revoked.status).toBe(204);
    expect((await call('GET', '/api/v1/cadreen/health', graceful.body.plaintext)).body.error.code).toBe('auth_revoked');

    const second = await call('POST', '/api/v1/maas/workspaces', ADMIN, { name: 'second' });
    expect(second.status).toBe(201);
    const outsider = await call('POST', `/api/v1/maas/workspaces/${second.body.id}/api-keys`, ADMIN, { name: 'outsider' });
    const forbidden = await call('GET', keys, outsider.body.plaintext);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: 'auth_forbidden', message: expect.any(String), request_id: expect.any(String) });

    await call('PATCH', `/api/v1/maas/workspaces/${second.body.id}`, ADMIN, { rate_limit: { limit: 3, window_seconds: 60 } });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await call('GET', '/api/v1/cadreen/health', outsider.body.plaintext);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.body.error.code).toBe('rate_limited');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('walks the list reference: limit, cursor to the end, sortOrder, prefix, includeInfo', async () => {
    for (let i = 0; i < 7; i++) {
      const created = await call('POST', '/v1/api_keys', firstKey, { metadata: { name: `svc-${i}` }, spec: { description: `service ${i}` } });
      expect(created.status).toBe(201);
    }
    const total = (await call('GET', '/v1/api_keys', firstKey)).body.pagination.total;
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('GET', `/v1/api_keys?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, firstKey);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((item: { metadata: { id: string } }) => item.metadata.id));
      cursor = page.body.pagination.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);

    const asc = await call('GET', '/v1/api_keys?sortOrder=asc&limit=1', firstKey);
    expect(asc.body.items[0].metadata.name).toBe('default');
    const prefixed = await call('GET', '/v1/api_keys?prefix=svc-', firstKey);
    expect(prefixed.body.pagination.total).toBe(7);
    const info = await call('GET', '/v1/api_keys?includeInfo=true&limit=2', firstKey);
    expect(info.body.items[0].info.createdBy.spec.type).toBe('PROFILE_TYPE_API_KEY');
    expect(info.body.items[0].info.createdBy.metadata).toMatchObject({ id: expect.any(String), accountId: expect.any(String), name: expect.any(String), profileId: expect.any(String) });
  });

  it('stops on SIGTERM with exit code 0, and no plaintext key is in the data directory or the log', async () => {
    expect(await server.stop()).toBe(0);
    expect(issued.length).toBeGreaterThan(10);
    const files = readdirSync(join(dir, 'data')).map((name) => readFileSync(join(dir, 'data', name)).toString('latin1'));
    const log = server.output();
    expect(log).toContain('cadreen listening');
    for (const plaintext of issued) {
      const secretPart = plaintext.slice('sk_cadreen_'.length);
      for (const content of [...files, log]) expect(content.includes(secretPart)).toBe(false);
    }
  });
});

describe('shutdown', () => {
  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadreen-drain-'));
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'cadreen.db')}` };
    const { key, workspace_id } = JSON.parse(runCli(['init', '--json'], env).stdout);
    const server = await startServer(env);
    try {
      const { port } = new URL(server.baseUrl);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      const body = JSON.stringify({ name: 'in-flight' });
      // Headers and half the body now; the rest after SIGTERM. The server answers `Expect: 100-continue` once it has read
      // the headers: from then on the request is in flight.
      socket.write(
        `POST /api/v1/maas/workspaces/${workspace_id}/api-keys HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Authorization: Bearer ${key.plaintext}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
      );
      await eventually('the server reading the headers (100 Continue)', () => answer, (text) => text.startsWith('HTTP/1.1 100 '));
      const exited = server.stop();
      await eventually('the server saying it drains', () => server.output(), (output) => output.includes('draining'));
      socket.write(body.slice(5));
      await closed;
      expect(answer.replace(/^HTTP\/1\.1 100 [^\r]*\r\n\r\n/, '')).toMatch(/^HTTP\/1\.1 201 /);
      expect(await exited).toBe(0);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('start-up configuration', () => {
  it('stops with one line naming the variable when a value is bad', () => {
    const result = runCli(['serve'], { CADREEN_PORT: 'eighty', CADREEN_DATABASE_URL: 'sqlite::memory:' });
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('CADREEN_PORT');
  });

  it('says how to create the first key when the store is empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadreen-empty-'));
    const server = await startServer({ CADREEN_DATABASE_URL: `sqlite:${join(dir, 'cadreen.db')}` });
    try {
      // Logs are written asynchronously: wait for the line.
      await eventually('the hint to run cadreen init', () => server.output(), (output) => output.includes('cadreen init'));
    } finally {
      expect(await server.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
