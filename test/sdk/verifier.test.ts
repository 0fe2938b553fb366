import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamParser, type ServerSentEvent } from '../../packages/sdk/src/event-stream.js';
import { cadreenMiddleware } from '../../packages/sdk/src/express.js';
import { cadreenPlugin } from '../../packages/sdk/src/fastify.js';
import {
  Cadreen,
  PermissionDeniedError,
  ServiceUnavailableError,
  Verifier,
  hasValidKeyFormat,
  type VerifierOptions,
  type VerifyResult,
} from '../../packages/sdk/src/index.js';
import { freePort } from '../e2e/process.js';
import { eventually } from '../support/eventually.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startVerifierProxy, type VerifierProxy } from './verifier-proxy.js';
import { ADMIN_TOKEN, VERIFIER_TOKEN, about, idOf, startCadreen, watchEvents, type EventLog } from './verifier-support.js';
import { readmeExample } from '../support/readme.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the event-stream parser', () => {
  it('reads events split anywhere, with LF, CRLF or CR line ends, comments and multi-line data', () => {
    const text = ': heartbeat\r\n\r\nretry: 1000\nevent: ready\ndata: {"last_event_id":7}\n\nid: 8\revent: key.revoked\rdata: {"key_id":"key_1",\rdata: "workspace_id":"ws_1"}\r\r';
    for (const size of [1, 2, 3, 7, text.length]) {
      const events: ServerSentEvent[] = [];
      const parser = new EventStreamParser((event) => events.push(event));
      for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
      expect(events).toEqual([
        { id: undefined, event: 'ready', data: '{"last_event_id":7}' },
        { id: '8', event: 'key.revoked', data: '{"key_id":"key_1",\n"workspace_id":"ws_1"}' },
      ]);
    }
  });
});

describe('Verifier against a real Cadreen', () => {
  let cadreen: Awaited<ReturnType<typeof startCadreen>>;
  let tcp: TcpProxy;
  let proxy: VerifierProxy;
  let events: EventLog;
  let admin: Cadreen;
  const verifiers: Verifier[] = [];

  beforeAll(async () => {
    cadreen = await startCadreen();
    tcp = await startTcpProxy(Number(new URL(cadreen.baseUrl).port));
    proxy = await startVerifierProxy(tcp.url('http'));
    events = await watchEvents(cadreen.baseUrl);
    admin = new Cadreen({ apiKey: ADMIN_TOKEN, baseURL: cadreen.baseUrl, workspaceId: cadreen.workspaceId, maxRetries: 0 });
  });
  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
    proxy.setState('open');
    tcp.restore();
  });
  afterAll(async () => {
    events?.close();
    await proxy?.close();
    await tcp?.close();
    await cadreen?.stop();
  });

  /** A verifier through the proxies (verifier → counting HTTP proxy → TCP proxy → Cadreen), connected. */
  async function connectedVerifier(options: Partial<VerifierOptions> = {}): Promise<Verifier> {
    const verifier = new Verifier({ baseURL: proxy.url, token: VERIFIER_TOKEN, ...options });
    verifiers.push(verifier);
    await eventually('the verifier connects', () => verifier.connected, Boolean);
    return verifier;
  }

  async function newKey(name: string, workspaceId = cadreen.workspaceId, spec: { expiresAt?: string } = {}) {
    const client = new Cadreen({ apiKey: ADMIN_TOKEN, baseURL: cadreen.baseUrl, workspaceId, maxRetries: 0 });
    const key = await client.apiKeys.create({ metadata: { name }, spec });
    return { id: key.metadata.id, token: key.spec.token!, client };
  }

  /** Until the verifier has applied the event (from the test's own subscription) that `match` names. */
  async function applied(verifier: Verifier, what: string, match: (event: ServerSentEvent) => boolean): Promise<void> {
    const event = await events.waitFor(what, match);
    await eventually(`the verifier applies ${what}`, () => verifier.lastEventId ?? -1, (id) => id >= idOf(event));
  }

  const valid = (keyId: string, status = 'active') => ({ valid: true, workspaceId: cadreen.workspaceId, keyId, status });

  it('answers a key it has seen from memory: no request reaches Cadreen for a thousand verifications', async () => {
    const verifier = await connectedVerifier();
    const key = await newKey('memory');
    proxy.take();
    expect(await verifier.verify(key.token)).toEqual(valid(key.id));
    expect(proxy.take()).toMatchObject({ verify: 1 });
    for (let i = 0; i < 1000; i++) expect(await verifier.verify(`Bearer ${key.token}`)).toEqual(valid(key.id));
    // One lease of 10 % of the limit (100 000/60 s) covers them all.
    expect(proxy.take()).toMatchObject({ verify: 0, leases: 1 });
  });

  it('refuses a malformed key without asking Cadreen, with the same checksum rule as the server', async () => {
    const verifier = await connectedVerifier();
    const key = await newKey('format');
    proxy.take();
    const forged = key.token.slice(0, -1) + (key.token.endsWith('0') ? '1' : '0');
    expect(hasValidKeyFormat(key.token)).toBe(true);
    expect(hasValidKeyFormat(forged)).toBe(false);
    for (const input of [forged, 'sk_cadreen_nope', `Bearer ${forged}`, 'Bearer ', key.token.slice(1)]) {
      expect((await verifier.verify(input)).valid).toBe(false);
    }
    expect(await verifier.verify(undefined)).toEqual({ valid: false, code: 'auth_missing' });
    expect(await verifier.verify(`Basic ${key.token}`)).toEqual({ valid: false, code: 'auth_missing' });
    expect(proxy.take()).toMatchObject({ verify: 0, leases: 0 });
  });

  it('refuses a revoked key once the revocation event arrives, and asks again after a rotation', async () => {
    const verifier = await connectedVerifier();
    const revoked = await newKey('to-revoke');
    const rotated = await newKey('to-rotate');
    for (const key of [revoked, rotated]) {
      expect(await verifier.verify(key.token)).toEqual(valid(key.id));
      expect(await verifier.verify(key.token)).toEqual(valid(key.id));
    }
    proxy.take();

    await admin.apiKeys.revoke(revoked.id);
    await applied(verifier, 'the revocation', about('key.revoked', revoked.id));
    expect(await verifier.verify(revoked.token)).toMatchObject({ valid: false, code: 'auth_revoked', keyId: revoked.id });
    expect(proxy.take()).toMatchObject({ verify: 1 });

    // Within a grace period the old key still authenticates, as `rotating`, and is cached as such.
    await admin.apiKeys.rotate(rotated.id, { gracePeriodSeconds: 3600 });
    await applied(verifier, 'the rotation', about('key.rotated', rotated.id));
    expect(await verifier.verify(rotated.token)).toEqual(valid(rotated.id, 'rotating'));
    expect(await verifier.verify(rotated.token)).toEqual(valid(rotated.id, 'rotating'));
    expect(proxy.take()).toMatchObject({ verify: 1 });
  });

  it('stops trusting a cached answer at the key’s expires_at', async () => {
    const verifier = await connectedVerifier();
    const expiresAt = new Date(Date.now() + 1500);
    const key = await newKey('expiring', cadreen.workspaceId, { expiresAt: expiresAt.toISOString() });
    expect(await verifier.verify(key.token)).toEqual(valid(key.id));
    expect(await verifier.verify(key.token)).toEqual(valid(key.id));
    await eventually('the key expires', () => Date.now(), (now) => now > expiresAt.getTime() + 5);
    proxy.take();
    expect(await verifier.verify(key.token)).toMatchObject({ valid: false, code: 'auth_invalid' });
    expect(proxy.take().verify).toBe(1);
  });

  it('while the stream is cut serves cached answers within maxStalenessMs, past it asks Cadreen each time, and with Cadreen unreachable fails closed unless failOpen', async () => {
    const patient = await connectedVerifier({ maxStalenessMs: 60_000 });
    const strict = await connectedVerifier({ maxStalenessMs: 1 });
    const lenient = await connectedVerifier({ maxStalenessMs: 1, failOpen: true });
    const warnings: string[] = [];
    lenient.on('warning', (message) => warnings.push(message));
    const key = await newKey('cut');
    for (const verifier of [patient, strict, lenient]) {
      expect(await verifier.verify(key.token)).toEqual(valid(key.id));
      expect(await verifier.verify(key.token)).toEqual(valid(key.id));
    }

    proxy.setState('stream_cut');
    await eventually('every stream drops', () => [patient, strict, lenient].some((v) => v.connected), (any) => !any);
    await sleep(10); // past the strict verifiers' 1 ms
    proxy.take();
    for (let i = 0; i < 50; i++) expect(await patient.verify(key.token)).toEqual(valid(key.id));
    expect(proxy.take()).toMatchObject({ verify: 0, leases: 0 });
    for (let i = 0; i < 3; i++) expect(await strict.verify(key.token)).toEqual(valid(key.id));
    expect(proxy.take().verify).toBe(3);

    // Cadreen out of reach too: a real network cut between the proxy and the server.
    tcp.cut();
    const refused = await strict.verify(key.token).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    expect((refused as ServiceUnavailableError).code).toBe('service_unavailable');
    expect(await patient.verify(key.token)).toEqual(valid(key.id));
    expect(warnings).toEqual([]);
    expect(await lenient.verify(key.token)).toEqual(valid(key.id));
    expect(warnings.length).toBeGreaterThan(0);
    const stranger = await newKey('never-seen');
    await expect(lenient.verify(stranger.token)).rejects.toBeInstanceOf(ServiceUnavailableError);

    tcp.restore();
    proxy.setState('open');
    await eventually('every stream reconnects', () => [patient, strict, lenient].every((v) => v.connected), Boolean);
    expect(await strict.verify(key.token)).toEqual(valid(key.id));
  });

  it('resumes the stream from Last-Event-ID after a cut: every change made during the cut takes effect, none is lost', async () => {
    const verifier = await connectedVerifier({ maxStalenessMs: 60_000 });
    const keys = await Promise.all(['resume-a', 'resume-b', 'resume-c', 'resume-d'].map((name) => newKey(name)));
    for (const key of keys) {
      expect(await verifier.verify(key.token)).toEqual(valid(key.id));
      expect(await verifier.verify(key.token)).toEqual(valid(key.id));
    }
    const [revoked, rotated, other, untouched] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    const before = verifier.lastEventId!;
    const disconnections: string[] = [];
    verifier.on('disconnected', (reason) => disconnections.push(reason));

    proxy.setState('stream_cut');
    await eventually('the stream drops', () => verifier.connected, (connected) => !connected);
    await admin.apiKeys.revoke(revoked.id);
    await admin.apiKeys.rotate(rotated.id);
    await admin.apiKeys.revoke(other.id);
    const last = await events.waitFor('the last change', about('key.revoked', other.id));
    proxy.take();
    // Within maxStalenessMs the cut hides the changes: answered from the cache and the leases held.
    for (const key of keys) expect(await verifier.verify(key.token)).toEqual(valid(key.id));
    expect(proxy.take()).toMatchObject({ verify: 0, leases: 0 });
    expect(verifier.lastEventId).toBe(before);

    proxy.setState('open');
    await eventually('the stream reconnects', () => verifier.connected, Boolean);
    await eventually('the verifier applies the changes made during the cut', () => verifier.lastEventId ?? -1, (id) => id >= idOf(last));
    expect(disconnections).toHaveLength(1);
    expect(await verifier.verify(revoked.token)).toMatchObject({ valid: false, code: 'auth_revoked' });
    expect(await verifier.verify(rotated.token)).toMatchObject({ valid: false, code: 'auth_rotating' });
    expect(await verifier.verify(other.token)).toMatchObject({ valid: false, code: 'auth_revoked' });
    proxy.take();
    // A resume is not a reset: what did not change is still answered from memory.
    expect(await verifier.verify(untouched.token)).toEqual(valid(untouched.id));
    expect(proxy.take().verify).toBe(0);
  });

  it('counts a stream that falls silent (no heartbeat for 3 s) as cut, and reconnects', async () => {
    const verifier = await connectedVerifier();
    const reasons: string[] = [];
    verifier.on('disconnected', (reason) => reasons.push(reason));
    proxy.setState('stream_silent');
    await eventually('the silent stream counts as cut', () => verifier.connected, (connected) => !connected);
    expect(reasons[0]).toMatch(/heartbeat/);
    proxy.setState('open');
    await eventually('the stream reconnects', () => verifier.connected, Boolean);
  });

  /**
   * Three verifiers, ten callers each cycling through the tokens, until each caller is refused for
   * every token in a row: then no verifier holds a unit it could still spend.
   */
  async function hammer(tokens: string[]): Promise<{ admitted: number; refusals: VerifyResult[] }> {
    const three = await Promise.all([1, 2, 3].map(() => connectedVerifier()));
    let admitted = 0;
    const refusals: VerifyResult[] = [];
    // One miss each first (charged by the server), so what follows is spent from leases.
    for (const [i, verifier] of three.entries()) if ((await verifier.verify(tokens[i % tokens.length]!)).valid) admitted++;
    await Promise.all(
      three.flatMap((verifier, v) =>
        Array.from({ length: 10 }, async (_, caller) => {
          for (let inARow = 0, i = 0; inARow < 2 * tokens.length; i++) {
            const result = await verifier.verify(tokens[(v + caller + i) % tokens.length]!);
            if (result.valid) {
              admitted++;
              inARow = 0;
            } else {
              inARow++;
              refusals.push(result);
            }
          }
        }),
      ),
    );
    return { admitted, refusals };
  }

  it('leases: three verifiers hammering one key limited to 100 per 60 s admit at most 100 and at least 90', async () => {
    const workspace = await admin.workspaces.create({ name: 'hammered', rateLimit: { limit: 100, windowSeconds: 60 } });
    const key = await newKey('hammered', workspace.id);
    const { admitted, refusals } = await hammer([key.token]);
    console.log(`key limit 100/60 s, three verifiers: ${admitted} admitted`);
    expect(admitted).toBeLessThanOrEqual(100);
    expect(admitted).toBeGreaterThanOrEqual(90);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ valid: false, code: 'rate_limited', keyId: key.id });
      expect(refusal.valid === false && refusal.retryAfter).toBeGreaterThanOrEqual(1);
    }
  });

  it('leases: the workspace budget holds the same way across keys and verifiers', async () => {
    const workspace = await admin.workspaces.create({
      name: 'budgeted',
      rateLimit: { limit: 100_000, windowSeconds: 60 },
      workspaceRateLimit: { limit: 100, windowSeconds: 60 },
    });
    const keys = await Promise.all(['budget-a', 'budget-b', 'budget-c'].map((name) => newKey(name, workspace.id)));
    const { admitted, refusals } = await hammer(keys.map((key) => key.token));
    console.log(`workspace budget 100/60 s, three keys, three verifiers: ${admitted} admitted`);
    expect(admitted).toBeLessThanOrEqual(100);
    expect(admitted).toBeGreaterThanOrEqual(90);
    for (const refusal of refusals) expect(refusal).toMatchObject({ valid: false, code: 'rate_limited' });
  });

  it('a verifier token may verify, lease and subscribe, and nothing else (403 auth_forbidden)', async () => {
    const key = await newKey('managed');
    const asVerifier = new Cadreen({ apiKey: VERIFIER_TOKEN, baseURL: cadreen.baseUrl, workspaceId: cadreen.workspaceId, maxRetries: 0 });
    expect(await asVerifier.verify(key.token)).toMatchObject({ valid: true, key_id: key.id });
    const calls: Array<() => PromiseLike<unknown>> = [
      () => asVerifier.apiKeys.list(),
      () => asVerifier.apiKeys.get(key.id),
      () => asVerifier.apiKeys.revoke(key.id),
      () => asVerifier.apiKeys.create({ metadata: { name: 'nope' } }),
      () => asVerifier.workspaces.list(),
    ];
    for (const call of calls) {
      const error = await Promise.resolve(call()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermissionDeniedError);
      expect(error).toMatchObject({ code: 'auth_forbidden', status: 403 });
    }
    expect((await admin.apiKeys.get(key.id)).status.state).toBe('ACTIVE');
  });

  describe('middleware', () => {
    async function apps(verifier: Verifier) {
      const fastify = Fastify();
      await fastify.register(cadreenPlugin, { verifier });
      fastify.get('/whoami', async (request) => request.cadreen);
      const fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' });
      const app = express();
      app.use(cadreenMiddleware({ verifier }));
      app.get('/whoami', (req, res) => {
        res.json(req.cadreen);
      });
      const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      const expressUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return {
        urls: { fastify: fastifyUrl, express: expressUrl },
        close: async () => {
          await fastify.close();
          await new Promise((resolve) => server.close(resolve));
        },
      };
    }

    it('Fastify and Express set the caller on the request and answer refusals with the error body, Request-Id and Retry-After', async () => {
      const verifier = await connectedVerifier({ maxStalenessMs: 1 });
      const { urls, close } = await apps(verifier);
      try {
        const key = await newKey('middleware');
        const limitedWorkspace = await admin.workspaces.create({ name: 'one-call', rateLimit: { limit: 2, windowSeconds: 3600 } });
        const limited = await newKey('limited', limitedWorkspace.id);
        const revoked = await newKey('revoked');
        await admin.apiKeys.revoke(revoked.id);
        for (const [framework, url] of Object.entries(urls)) {
          const get = (authorization?: string) => fetch(`${url}/whoami`, { headers: authorization ? { authorization } : {} });
          const ok = await get(`Bearer ${key.token}`);
          expect(ok.status, framework).toBe(200);
          expect(await ok.json()).toEqual({ workspaceId: cadreen.workspaceId, keyId: key.id, status: 'active' });
          for (const [authorization, code] of [
            [undefined, 'auth_missing'],
            ['Basic abc', 'auth_missing'],
            ['Bearer sk_cadreen_nope', 'auth_invalid'],
            [`Bearer ${revoked.token}`, 'auth_revoked'],
          ] as const) {
            const refused = await get(authorization);
            expect(refused.status, `${framework} ${code}`).toBe(401);
            const body = await refused.json();
            expect(body).toEqual({ error: { code, message: expect.any(String), request_id: expect.stringMatching(/^req_/) } });
            expect(refused.headers.get('request-id')).toBe(body.error.request_id);
            expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
          }
        }
        // Two units for the limited key: the first answer of each framework; the rest are refused.
        for (const url of [urls.fastify, urls.express, urls.fastify, urls.express]) {
          const response = await fetch(`${url}/whoami`, { headers: { authorization: `Bearer ${limited.token}` } });
          if (response.status === 200) continue;
          expect(response.status).toBe(429);
          expect((await response.json()).error.code).toBe('rate_limited');
          expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        }
        tcp.cut();
        proxy.setState('stream_cut');
        await eventually('the stream drops', () => verifier.connected, (connected) => !connected);
        await sleep(10);
        for (const url of Object.values(urls)) {
          const down = await fetch(`${url}/whoami`, { headers: { authorization: `Bearer ${key.token}` } });
          expect(down.status).toBe(503);
          expect(down.headers.get('retry-after')).toBe('1');
          expect((await down.json()).error.code).toBe('service_unavailable');
        }
      } finally {
        await close();
      }
    });
  });

  describe('README examples', () => {

    for (const name of ['verifier-fastify', 'verifier-express']) {
      it(`runs the README’s ${name} app: the caller's workspace for a key, Cadreen's refusal without one, a clean stop`, async () => {
        const outputDir = join(ROOT, 'test-output');
        mkdirSync(outputDir, { recursive: true });
        const file = join(outputDir, `readme-${name}.mjs`);
        writeFileSync(file, readmeExample(name));
        const port = await freePort();
        const child = spawn(process.execPath, [file], {
          cwd: ROOT,
          env: { ...process.env, CADREEN_BASE_URL: cadreen.baseUrl, CADREEN_VERIFIER_TOKEN: VERIFIER_TOKEN, PORT: String(port) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        try {
          await eventually(`${name} listens`, () => output, (text) => text.includes('listening') || child.exitCode !== null);
          expect(child.exitCode, output).toBeNull();
          const key = await newKey(name);
          const url = `http://localhost:${port}/v1/invoices`;
          const ok = await fetch(url, { headers: { authorization: `Bearer ${key.token}` } });
          expect(ok.status, output).toBe(200);
          expect(await ok.json()).toEqual({ workspace: cadreen.workspaceId, key: key.id });
          const missing = await fetch(url);
          expect(missing.status).toBe(401);
          expect((await missing.json()).error.code).toBe('auth_missing');
        } finally {
          child.kill('SIGTERM');
        }
        expect(await exited, output).toBe(0);
      });
    }
  });
});
