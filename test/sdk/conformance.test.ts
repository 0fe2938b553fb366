import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceServer, type ConformanceServer } from './conformance-server.js';
import { ERROR_CODES } from '../../src/core/errors.js';
import {
  AuthenticationError,
  Cadreen,
  CadreenError,
  ConflictError,
  ConnectionError,
  InternalServerError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  type Me,
  type Member,
  type MemberProfile,
  type RateLimit,
  type Workspace,
} from '../../packages/sdk/src/index.js';

/** The language-neutral SDK specification in sdks/conformance/cases.json, run on the TypeScript SDK. */
const CASES = JSON.parse(readFileSync(new URL('../../sdks/conformance/cases.json', import.meta.url), 'utf8'));

const FAMILIES: Record<string, new (...args: never[]) => CadreenError> = {
  authentication: AuthenticationError,
  permission: PermissionDeniedError,
  not_found: NotFoundError,
  conflict: ConflictError,
  invalid_request: InvalidRequestError,
  rate_limit: RateLimitError,
  unavailable: ServiceUnavailableError,
  internal: InternalServerError,
  connection: ConnectionError,
};

type Json = any;

/** Replaces `$name` and `$repeat:c:n` strings by their values, deeply. */
function substitute(value: Json, vars: Record<string, string>): Json {
  if (typeof value === 'string' && value.startsWith('$repeat:')) {
    const [, char, count] = value.split(':');
    return char!.repeat(Number(count));
  }
  if (typeof value === 'string' && value.startsWith('$') && value.slice(1) in vars) return vars[value.slice(1)];
  if (Array.isArray(value)) return value.map((item) => substitute(item, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

/** Subset match with `$present` and `$token`. */
function expectMatch(actual: Json, expected: Json, path = 'result'): void {
  if (expected === '$present') return expect(actual, path).not.toBeUndefined();
  if (expected === '$token') return expect(actual, path).toMatch(/^sk_cadreen_[0-9A-Za-z]{36}$/);
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expected.forEach((item, i) => expectMatch(actual[i], item, `${path}[${i}]`));
    return;
  }
  if (expected && typeof expected === 'object') {
    for (const [key, value] of Object.entries(expected)) expectMatch(actual?.[key], value, `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

const at = (value: Json, path: string): Json => path.split('.').reduce((v, key) => v?.[key], value);

/** The SDK's camelCase people types back in the API's JSON shape, which the fixture speaks. */
const profileJson = (p: MemberProfile) => ({ id: p.id, account_id: p.accountId, type: p.type, name: p.name, email: p.email, created_at: p.createdAt });
const memberJson = (m: Member & { signInUrl?: string }) => ({
  profile: profileJson(m.profile),
  workspace_id: m.workspaceId,
  role: m.role,
  created_at: m.createdAt,
  ...(m.signInUrl !== undefined ? { sign_in_url: m.signInUrl } : {}),
});
const meJson = (me: Me) => ({
  profile: me.profile ? profileJson(me.profile) : null,
  memberships: me.memberships.map((m) => ({ workspace_id: m.workspaceId, workspace_name: m.workspaceName, role: m.role })),
});

/** The SDK's camelCase workspace back in the API's JSON shape. */
const limitJson = (r: RateLimit) => ({ limit: r.limit, window_seconds: r.windowSeconds, source: r.source });
const workspaceJson = (w: Workspace) => ({
  id: w.id,
  account_id: w.accountId,
  name: w.name,
  created_at: w.createdAt,
  rate_limit: limitJson(w.rateLimit),
  workspace_rate_limit: limitJson(w.workspaceRateLimit),
});

/** Performs one neutral call with the TypeScript SDK and returns the API-shaped result. */
async function perform(client: Cadreen, call: string, args: Json): Promise<Json> {
  switch (call) {
    case 'health':
      return client.health();
    case 'verify':
      return client.verify(args.key);
    case 'api_keys.create':
      return client.apiKeys.create({
        metadata: { name: args.name, ...(args.labels ? { labels: args.labels } : {}), ...(args.external_id ? { externalId: args.external_id } : {}) },
        spec: { ...(args.description !== undefined ? { description: args.description } : {}), ...(args.expires_at ? { expiresAt: args.expires_at } : {}) },
      });
    case 'api_keys.get':
      return client.apiKeys.get(args.id, args.include_info ? { includeInfo: true } : {});
    case 'api_keys.update':
      return client.apiKeys.update(args.id, {
        metadata: { ...(args.name !== undefined ? { name: args.name } : {}) },
        spec: { ...(args.description !== undefined ? { description: args.description } : {}) },
      });
    case 'api_keys.rotate':
      return client.apiKeys.rotate(args.id, args.grace_period_seconds !== undefined ? { gracePeriodSeconds: args.grace_period_seconds } : {});
    case 'api_keys.revoke':
      return client.apiKeys.revoke(args.id);
    case 'api_keys.list': {
      const params = {
        ...(args.prefix ? { prefix: args.prefix } : {}),
        ...(args.limit ? { limit: args.limit } : {}),
        ...(args.sort_order ? { sortOrder: args.sort_order } : {}),
        ...(args.include_info ? { includeInfo: true } : {}),
      };
      if (args.all) {
        let count = 0;
        for await (const _ of client.apiKeys.list(params)) count++;
        return { count };
      }
      const page = await client.apiKeys.list(params);
      return { items: page.items, total: page.total };
    }
    case 'workspaces.create':
      return workspaceJson(await client.workspaces.create({ name: args.name }));
    case 'workspaces.list': {
      let count = 0;
      for await (const _ of client.workspaces.list()) count++;
      return { count };
    }
    case 'members.add':
      return memberJson(
        await client.members.add({ workspaceId: args.workspace_id, email: args.email, role: args.role, ...(args.name !== undefined ? { name: args.name } : {}) }),
      );
    case 'members.update':
      return memberJson(await client.members.update(args.profile_id, { workspaceId: args.workspace_id, role: args.role }));
    case 'members.remove':
      await client.members.remove(args.profile_id, { workspaceId: args.workspace_id });
      return {};
    case 'members.list': {
      const params = { workspaceId: args.workspace_id, ...(args.limit ? { limit: args.limit } : {}) };
      if (args.all) {
        let count = 0;
        for await (const _ of client.members.list(params)) count++;
        return { count };
      }
      return { items: (await client.members.list(params)).items.map(memberJson) };
    }
    case 'me':
      return meJson(await client.me());
    default:
      throw new Error(`unknown call ${call}`);
  }
}

describe('SDK conformance fixture', () => {
  it('expects every code of the server’s error registry somewhere, and no other', () => {
    const codes = new Set<string>([
      ...CASES.steps.filter((step: Json) => step.expect.error).map((step: Json) => step.expect.error.code),
      ...CASES.canned.map((canned: Json) => canned.expect.code),
      ...CASES.retries.filter((retry: Json) => retry.expect.error).map((retry: Json) => retry.expect.error.code),
    ]);
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort());
  });
});

describe('SDK conformance (sdks/conformance/cases.json): TypeScript', () => {
  let server: ConformanceServer | undefined;
  const vars: Record<string, string> = {};

  beforeAll(async () => {
    server = await startConformanceServer();
    Object.assign(vars, server.vars);
  });
  afterAll(() => server?.stop());

  function clientFor(as: string): Cadreen {
    const caller = as.startsWith('key:') ? { api_key: `$${as.slice(4)}` } : CASES.callers[as];
    const { api_key, base_url, workspace_id, max_retries } = substitute(caller, vars);
    return new Cadreen({
      apiKey: api_key,
      baseURL: base_url ?? vars.base_url,
      maxRetries: max_retries ?? 2,
      ...(workspace_id ? { workspaceId: workspace_id } : {}),
    });
  }

  it('passes every step against a real server, in order', async () => {
    for (const step of CASES.steps) {
      const client = clientFor(step.as);
      const args = substitute(step.args, vars);
      let result: Json;
      let failure: unknown;
      try {
        result = await perform(client, step.call, args);
      } catch (error) {
        failure = error;
      }
      if (step.expect.error) {
        const { code, status, family } = step.expect.error;
        expect(failure, step.name).toBeInstanceOf(FAMILIES[family]!);
        expect((failure as CadreenError).code, step.name).toBe(code);
        expect((failure as CadreenError).status, step.name).toBe(status);
        continue;
      }
      if (failure) throw new Error(`${step.name}: ${String(failure)}`);
      expectMatch(result, substitute(step.expect.match, vars), step.name);
      for (const path of step.expect.absent ?? []) expect(at(result, path), `${step.name}: ${path}`).toBeUndefined();
      for (const [name, path] of Object.entries<string>(step.save ?? {})) vars[name] = at(result, path);
    }
  });
});

/** Canned answers from a stub server: every error code's mapping, and the retry rules. */
describe('SDK conformance canned answers (sdks/conformance/cases.json): TypeScript', () => {
  let stub: Server;
  let answers: Json[] = [];
  let received: number[] = [];
  let url: string;
  beforeAll(async () => {
    stub = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const answer = answers[Math.min(received.length, answers.length - 1)];
        received.push(performance.now());
        response.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => stub.close(() => resolve())));

  function expectError(failure: unknown, expected: Json): void {
    expect(failure).toBeInstanceOf(FAMILIES[expected.family]!);
    expect(failure).toMatchObject({ code: expected.code, status: expected.status });
    if (expected.request_id) expect((failure as CadreenError).requestId).toBe(expected.request_id);
    if (expected.retry_after !== undefined) expect((failure as CadreenError).retryAfter).toBe(expected.retry_after);
  }

  for (const canned of CASES.canned) {
    it(canned.name, async () => {
      answers = [canned];
      received = [];
      const client = new Cadreen({ apiKey: 'sk_cadreen_canned', baseURL: url, maxRetries: 0 });
      expectError(await client.health().catch((error: unknown) => error), canned.expect);
    });
  }

  for (const retry of CASES.retries) {
    it(retry.name, async () => {
      answers = retry.answers;
      received = [];
      const client = new Cadreen({ apiKey: 'sk_cadreen_canned', baseURL: url, maxRetries: retry.max_retries });
      let result: Json;
      let failure: unknown;
      try {
        result = await perform(client, retry.call, retry.args ?? {});
      } catch (error) {
        failure = error;
      }
      expect(received).toHaveLength(retry.expect.requests);
      if (retry.expect.min_gap_ms !== undefined) expect(received[1]! - received[0]!).toBeGreaterThanOrEqual(retry.expect.min_gap_ms);
      if (retry.expect.error) return expectError(failure, retry.expect.error);
      if (failure) throw failure;
      expectMatch(result, retry.expect.match);
    });
  }
});
