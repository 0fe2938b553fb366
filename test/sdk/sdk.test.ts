import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APIUserAbortError,
  AuthenticationError,
  Cadreen,
  ConfigurationError,
  type AuditEventListParams,
  ConflictError,
  ConnectionError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from '../../packages/sdk/src/index.js';
import { MAX_RETRY_AFTER_SECONDS, retryDelayMs } from '../../packages/sdk/src/transport.js';
import { runCli, startServer, type ServerProcess } from '../e2e/process.js';

const ADMIN = 'sdk-admin-token-0123456789';

/** The TypeScript SDK against a real server process. */
describe('TypeScript SDK', () => {
  let dir: string;
  let server: ServerProcess;
  let key: string;
  let workspaceId: string;
  let cadreen: Cadreen;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-sdk-'));
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CADREEN_ADMIN_TOKEN: ADMIN, CADREEN_RATE_LIMIT: '100000/60s' };
    const init = JSON.parse(runCli(['init', '--json'], env).stdout);
    key = init.key.plaintext;
    workspaceId = init.workspace_id;
    server = await startServer(env);
    cadreen = new Cadreen({ apiKey: key, baseURL: server.baseUrl });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the key and base URL from the environment and refuses to start without a key', () => {
    const saved = { key: process.env.CADREEN_API_KEY, url: process.env.CADREEN_BASE_URL };
    try {
      process.env.CADREEN_API_KEY = key;
      process.env.CADREEN_BASE_URL = server.baseUrl;
      expect(new Cadreen().baseURL).toBe(server.baseUrl);
      delete process.env.CADREEN_API_KEY;
      expect(() => new Cadreen()).toThrow(ConfigurationError);
    } finally {
      if (saved.key === undefined) delete process.env.CADREEN_API_KEY;
      else process.env.CADREEN_API_KEY = saved.key;
      if (saved.url === undefined) delete process.env.CADREEN_BASE_URL;
      else process.env.CADREEN_BASE_URL = saved.url;
    }
  });

  it('health names the workspace and key', async () => {
    expect(await cadreen.health()).toMatchObject({ status: 'ok', workspace_id: workspaceId });
  });

  it('creates, gets, updates, rotates and revokes a key', async () => {
    const created = await cadreen.apiKeys.create({ metadata: { name: 'sdk', labels: { env: 'test' } }, spec: { description: 'from the SDK' } });
    expect(created.spec.token).toMatch(/^sk_cadreen_/);
    const id = created.metadata.id;
    expect((await cadreen.apiKeys.get(id)).spec).toEqual({ description: 'from the SDK' });
    const withInfo = await cadreen.apiKeys.get(id, { includeInfo: true });
    expect(withInfo.info?.createdBy?.spec.type).toBe('PROFILE_TYPE_API_KEY');
    expect((await cadreen.apiKeys.update(id, { metadata: { name: 'sdk-renamed' } })).metadata.name).toBe('sdk-renamed');
    const rotated = await cadreen.apiKeys.rotate(id, { gracePeriodSeconds: 60 });
    expect(rotated.status.rotatedFrom).toBe(id);
    expect((await cadreen.apiKeys.revoke(id)).status.state).toBe('REVOKED');
    await expect(cadreen.apiKeys.rotate(id)).rejects.toBeInstanceOf(ConflictError);
    const verified = await cadreen.verify(rotated.spec.token!);
    expect(verified).toMatchObject({ valid: true, key_id: rotated.metadata.id });
  });

  it('pages through 250 keys with the async iterator, and awaits one page at a time', async () => {
    await Promise.all(Array.from({ length: 250 }, (_, i) => cadreen.apiKeys.create({ metadata: { name: `bulk-${String(i).padStart(3, '0')}` } })));
    const names: string[] = [];
    for await (const item of cadreen.apiKeys.list({ limit: 50, prefix: 'bulk-' })) names.push(item.metadata.name);
    expect(names).toHaveLength(250);
    expect(new Set(names).size).toBe(250);
    const first = await cadreen.apiKeys.list({ limit: 100, prefix: 'bulk-', sortOrder: 'asc' });
    expect(first.items).toHaveLength(100);
    expect(first.total).toBe(250);
    expect(first.items[0]!.metadata.name).toBe('bulk-000');
    const second = await first.getNextPage();
    expect(second.items[0]!.metadata.name).toBe('bulk-100');
  });

  it('stops walking pages with APIUserAbortError once the signal aborts, and answers calls with per-request options', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const walk = (async () => {
      for await (const item of cadreen.apiKeys.list({ limit: 2 }, { signal: controller.signal })) {
        seen.push(item.metadata.id);
        if (seen.length === 2) controller.abort();
      }
    })();
    await expect(walk).rejects.toBeInstanceOf(APIUserAbortError);
    expect(seen).toHaveLength(2);
    const live = new AbortController();
    expect(await cadreen.health({ signal: live.signal, timeout: 10_000, maxRetries: 0 })).toMatchObject({ status: 'ok', workspace_id: workspaceId });
    expect((await cadreen.apiKeys.list({ limit: 1 }, { signal: live.signal })).items).toHaveLength(1);
  });

  it('throws one error class per family, carrying code, status and request id', async () => {
    const stranger = new Cadreen({ apiKey: 'sk_cadreen_000000000000000000000000000000000000', baseURL: server.baseUrl });
    const auth = await stranger.health().catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(AuthenticationError);
    expect(auth).toMatchObject({ code: 'auth_invalid', status: 401, requestId: expect.stringMatching(/^req_/) });
    await expect(cadreen.apiKeys.get('key_01HXK0000000000000000000000')).rejects.toBeInstanceOf(NotFoundError);
    const invalid = await cadreen.apiKeys.create({ metadata: { name: '' } }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect((invalid as InvalidRequestError).details?.[0]?.field).toBe('metadata.name');
    await expect(cadreen.workspaces.list()).rejects.toBeInstanceOf(PermissionDeniedError);
    const offline = new Cadreen({ apiKey: key, baseURL: 'http://127.0.0.1:1', maxRetries: 0 });
    await expect(offline.health()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('manages workspaces and reads the audit log with the admin token', async () => {
    const admin = new Cadreen({ apiKey: ADMIN, baseURL: server.baseUrl });
    const workspace = await admin.workspaces.create({ name: 'sdk-workspace' });
    expect(workspace).toMatchObject({ name: 'sdk-workspace' });
    const all = [];
    for await (const w of admin.workspaces.list({ limit: 1 })) all.push(w.id);
    expect(all).toContain(workspace.id);
    const scoped = new Cadreen({ apiKey: ADMIN, baseURL: server.baseUrl, workspaceId: workspace.id });
    const created = await scoped.apiKeys.create({ metadata: { name: 'admin-made' } });
    expect(created.metadata.workspaceId).toBe(workspace.id);
    const events = await scoped.auditEvents.list({ limit: 5 });
    expect(events.items.map((e) => e.type)).toEqual(['key.created', 'workspace.created']);
  });

  it('creates, gets, lists and updates workspaces in camelCase, sending the API snake_case, and null clears a limit', async () => {
    const bodies: unknown[] = [];
    const recording: typeof fetch = (input, init) => {
      if (init?.body) bodies.push(JSON.parse(String(init.body)));
      return fetch(input, init);
    };
    const admin = new Cadreen({ apiKey: ADMIN, baseURL: server.baseUrl, fetch: recording });
    // The workspace made by init has the deployment's defaults.
    const { accountId, rateLimit: keyDefault, workspaceRateLimit: workspaceDefault } = (await admin.workspaces.list()).items[0]!;
    expect(keyDefault).toEqual({ limit: 100000, windowSeconds: 60, source: 'default' });
    const created = await admin.workspaces.create({ name: 'sdk-limits', accountId, rateLimit: { limit: 10, windowSeconds: 60 } });
    expect(bodies[0]).toEqual({ name: 'sdk-limits', account_id: accountId, rate_limit: { limit: 10, window_seconds: 60 } });
    expect(created).toEqual({
      id: expect.stringMatching(/^ws_/),
      accountId,
      name: 'sdk-limits',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      rateLimit: { limit: 10, windowSeconds: 60, source: 'workspace' },
      workspaceRateLimit: { ...workspaceDefault, source: 'default' },
    });
    const updated = await admin.workspaces.update(created.id, { rateLimit: null, workspaceRateLimit: { limit: 500, windowSeconds: 10 } });
    expect(bodies[1]).toEqual({ rate_limit: null, workspace_rate_limit: { limit: 500, window_seconds: 10 } });
    expect(updated.rateLimit).toEqual(keyDefault);
    expect(updated.workspaceRateLimit).toEqual({ limit: 500, windowSeconds: 10, source: 'workspace' });
    expect(await admin.workspaces.get(created.id)).toEqual(updated);
    const renamed = await admin.workspaces.update(created.id, { name: 'sdk-renamed' });
    expect(bodies[2]).toEqual({ name: 'sdk-renamed' });
    expect(renamed).toMatchObject({ name: 'sdk-renamed', workspaceRateLimit: { limit: 500, source: 'workspace' } });
    const page = await admin.workspaces.list({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.total).toBeGreaterThanOrEqual(2);
    expect(page.hasNextPage()).toBe(true);
    expect((await page.getNextPage()).items[0]!.id).not.toBe(page.items[0]!.id);
  });

  it('adds, lists, changes and removes the members of a workspace, in camelCase, with the sign-in link', async () => {
    const admin = new Cadreen({ apiKey: ADMIN, baseURL: server.baseUrl });
    const { id: ws } = await admin.workspaces.create({ name: 'sdk-people' });
    const ada = await admin.members.add({ workspaceId: ws, email: 'ada@example.com', name: 'Ada', role: 'owner' });
    expect(ada).toMatchObject({
      workspaceId: ws,
      role: 'owner',
      createdAt: expect.any(String),
      profile: { id: expect.stringMatching(/^prof_/), accountId: expect.stringMatching(/^acct_/), type: 'PROFILE_TYPE_USER', name: 'Ada', email: 'ada@example.com' },
    });
    expect(new URL(ada.signInUrl!).pathname).toBe('/auth/link');
    expect(new URL(ada.signInUrl!).searchParams.get('token')).toBeTruthy();
    const repeated = await admin.members.add({ workspaceId: ws, email: 'ada@example.com', role: 'member' }).catch((e: unknown) => e);
    expect(repeated).toBeInstanceOf(ConflictError);
    expect(repeated).toMatchObject({ code: 'conflict', status: 409 });

    await expect(admin.members.remove(ada.profile.id, { workspaceId: ws })).rejects.toMatchObject({ code: 'conflict' });
    await expect(admin.members.update(ada.profile.id, { workspaceId: ws, role: 'member' })).rejects.toBeInstanceOf(ConflictError);

    const grace = await admin.members.add({ workspaceId: ws, email: 'grace@example.com', role: 'member' });
    expect(grace.profile.name).toBeNull();
    expect((await admin.members.update(grace.profile.id, { workspaceId: ws, role: 'owner' })).role).toBe('owner');
    const first = await admin.members.list({ workspaceId: ws, limit: 1 });
    expect(first.items.map((m) => m.profile.email)).toEqual(['ada@example.com']);
    expect(first.hasNextPage()).toBe(true);
    const everyone = [];
    for await (const member of admin.members.list({ workspaceId: ws, limit: 1 })) everyone.push(`${member.profile.email} ${member.role}`);
    expect(everyone).toEqual(['ada@example.com owner', 'grace@example.com owner']);

    expect(await admin.members.remove(ada.profile.id, { workspaceId: ws })).toBeUndefined();
    const left = [];
    for await (const member of admin.members.list({ workspaceId: ws })) left.push(member.profile.id);
    expect(left).toEqual([grace.profile.id]);

    const scoped = new Cadreen({ apiKey: ADMIN, baseURL: server.baseUrl, workspaceId: ws });
    const params: AuditEventListParams = { type: 'member.added' };
    const added = await scoped.auditEvents.list(params);
    expect(added.items.map((e) => e.type)).toEqual(['member.added', 'member.added']);
    expect(added.items[0]!.actor?.type).toBe('PROFILE_TYPE_SYSTEM');
    expect(added.items[0]!.member).toMatchObject({ profileId: grace.profile.id, email: 'grace@example.com' });
  });

  it('refuses a key that changes members with PermissionDeniedError, and acts on the key’s own workspace when none is named', async () => {
    const paths: string[] = [];
    const recording: typeof fetch = (input, init) => {
      paths.push(new URL(String(input)).pathname);
      return fetch(input, init);
    };
    const client = new Cadreen({ apiKey: key, baseURL: server.baseUrl, fetch: recording, maxRetries: 0 });
    const refused = await client.members.add({ email: 'eve@example.com', role: 'member' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect(refused).toMatchObject({ code: 'auth_forbidden', status: 403 });
    expect(paths).toEqual(['/api/v1/cadreen/health', `/api/v1/maas/workspaces/${workspaceId}/members`]);
    await client.members.remove('prof_01HXK0000000000000000000000').catch(() => undefined);
    expect(paths.slice(2)).toEqual([`/api/v1/maas/workspaces/${workspaceId}/members/prof_01HXK0000000000000000000000`]);

    const admin = new Cadreen({ apiKey: ADMIN, baseURL: server.baseUrl });
    await expect(admin.members.list()).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('me names the key’s own profile and workspace, and nothing for the admin token', async () => {
    const me = await cadreen.me();
    expect(me.profile).toMatchObject({ type: 'PROFILE_TYPE_API_KEY', id: expect.stringMatching(/^prof_/), accountId: expect.stringMatching(/^acct_/) });
    expect(me.memberships).toEqual([{ workspaceId, workspaceName: 'default', role: 'member' }]);
    expect(await new Cadreen({ apiKey: ADMIN, baseURL: server.baseUrl }).me()).toEqual({ profile: null, memberships: [] });
  });
});

describe('TypeScript SDK retries', () => {
  let dir: string;
  let server: ServerProcess;
  let key: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-sdk-retry-'));
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CADREEN_RATE_LIMIT: '2/1s' };
    key = JSON.parse(runCli(['init', '--json'], env).stdout).key.plaintext;
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits out a 429 as Retry-After says and then succeeds', async () => {
    const cadreen = new Cadreen({ apiKey: key, baseURL: server.baseUrl, maxRetries: 2 });
    const started = Date.now();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await cadreen.health());
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('gives up with RateLimitError and retryAfter when retries are off', async () => {
    // A window of an hour: the third call is refused however slowly the machine runs.
    const hourly = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'hourly.sqlite')}`, CADREEN_RATE_LIMIT: '2/3600s' };
    const hourlyKey = JSON.parse(runCli(['init', '--json'], hourly).stdout).key.plaintext;
    const hourlyServer = await startServer(hourly);
    try {
      const cadreen = new Cadreen({ apiKey: hourlyKey, baseURL: hourlyServer.baseUrl, maxRetries: 0 });
      await cadreen.health();
      await cadreen.health();
      const error = await cadreen.health().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitError);
      expect((error as RateLimitError).retryAfter).toBeGreaterThanOrEqual(1);
    } finally {
      await hourlyServer.stop();
    }
  });

  it('honours Retry-After on 429 and 503 up to its cap, and retries a 408 only for idempotent calls', () => {
    for (const status of [429, 503]) {
      expect(retryDelayMs(status, 'POST', 5, 0)).toBe(5000);
      expect(retryDelayMs(status, 'GET', MAX_RETRY_AFTER_SECONDS, 0)).toBe(MAX_RETRY_AFTER_SECONDS * 1000);
      expect(retryDelayMs(status, 'GET', MAX_RETRY_AFTER_SECONDS + 1, 0)).toBeUndefined();
      expect(retryDelayMs(status, 'GET', undefined, 0)).toBeLessThanOrEqual(625);
      expect(retryDelayMs(status, 'GET', 10, 0, 10)).toBe(10_000);
      expect(retryDelayMs(status, 'GET', 11, 0, 10)).toBeUndefined();
    }
    for (const method of ['GET', 'PATCH', 'DELETE']) expect(retryDelayMs(408, method, undefined, 0)).toBeDefined();
    expect(retryDelayMs(408, 'POST', undefined, 0)).toBeUndefined();
    for (const status of [400, 403, 405, 409, 414, 431, 500]) expect(retryDelayMs(status, 'GET', undefined, 0)).toBeUndefined();
  });

  it('never retries a create after a network failure that may have reached the server', async () => {
    let calls = 0;
    const flaky: typeof fetch = async () => {
      calls++;
      throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    };
    const cadreen = new Cadreen({ apiKey: key, baseURL: server.baseUrl, maxRetries: 2, fetch: flaky });
    await expect(cadreen.apiKeys.create({ metadata: { name: 'once' } })).rejects.toBeInstanceOf(ConnectionError);
    expect(calls).toBe(1);
    calls = 0;
    await expect(cadreen.apiKeys.list()).rejects.toBeInstanceOf(ConnectionError);
    expect(calls).toBe(3);
  });
});

