import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES as SERVER_CODES } from '../../src/core/errors.js';
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
  type Page,
} from '../../packages/sdk/src/index.js';
import { freePort } from '../e2e/process.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

interface Canned {
  status?: number;
  headers?: Record<string, string>;
  body?: Json;
  drop?: boolean;
}

interface Step {
  name: string;
  call: string;
  as?: string;
  client?: { max_retries?: number };
  args?: Obj;
  canned?: Canned[];
  unreachable?: boolean;
  save?: string;
  expect: { result?: Json; error?: Json; requests?: number; request?: Json; min_seconds?: number };
}

interface Fixture {
  error_codes: string[];
  identities: Record<string, { api_key: string; workspace_id?: string }>;
  steps: Step[];
}

const FIXTURE_PATH = new URL('../../sdks/conformance/cases.json', import.meta.url);
const START_SERVER = fileURLToPath(new URL('../../sdks/conformance/start-server.mjs', import.meta.url));
const fixture = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as Fixture;

/** Replaces `${a.b}` references and `$repeat` forms with their values. */
function interpolate(value: Json, vars: Obj): Json {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]+)\}$/.exec(value);
    if (whole) return lookup(vars, whole[1]!);
    return value.replace(/\$\{([^}]+)\}/g, (_, path: string) => String(lookup(vars, path)));
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, vars));
  if (value !== null && typeof value === 'object') {
    if ('$repeat' in value) {
      const [text, times] = value.$repeat as [string, number];
      return text.repeat(times);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  }
  return value;
}

function lookup(vars: Obj, path: string): Json {
  let current: Json | undefined = vars;
  for (const part of path.split('.')) {
    current = current !== null && typeof current === 'object' ? (current as Obj)[part] : undefined;
    if (current === undefined) throw new Error(`fixture variable \${${path}} is not set`);
  }
  return current;
}

/** Why `actual` does not match the fixture's `expected`, or undefined when it does. */
function mismatch(expected: Json, actual: unknown, at = '$'): string | undefined {
  const isAbsent = actual === undefined || actual === null;
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if ('$absent' in expected) return isAbsent ? undefined : `${at}: expected absent, got ${JSON.stringify(actual)}`;
    if ('$present' in expected) return isAbsent ? `${at}: expected a value` : undefined;
    if ('$match' in expected) {
      return typeof actual === 'string' && new RegExp(expected.$match as string).test(actual)
        ? undefined
        : `${at}: ${JSON.stringify(actual)} does not match /${expected.$match}/`;
    }
    if ('$length' in expected) {
      return Array.isArray(actual) && actual.length === expected.$length ? undefined : `${at}: expected ${expected.$length} elements`;
    }
    if ('$contains' in expected) {
      return Array.isArray(actual) && actual.some((item) => mismatch(expected.$contains as Json, item) === undefined)
        ? undefined
        : `${at}: no element matches ${JSON.stringify(expected.$contains)} in ${JSON.stringify(actual)}`;
    }
    if ('$gte' in expected) {
      return typeof actual === 'number' && actual >= (expected.$gte as number) ? undefined : `${at}: ${actual} < ${expected.$gte}`;
    }
    if ('$time' in expected) {
      return typeof actual === 'string' && Date.parse(actual) === Date.parse(expected.$time as string)
        ? undefined
        : `${at}: ${JSON.stringify(actual)} is not the instant ${expected.$time}`;
    }
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const problem = mismatch(value, (actual as Record<string, unknown>)[key], `${at}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${at}: expected ${expected.length} elements, got ${JSON.stringify(actual)}`;
    for (const [i, item] of expected.entries()) {
      const problem = mismatch(item, actual[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** The fixture's family name of an SDK error. */
function family(error: CadreenError): string {
  const families: [new (...args: never[]) => CadreenError, string][] = [
    [AuthenticationError, 'authentication'],
    [PermissionDeniedError, 'permission_denied'],
    [NotFoundError, 'not_found'],
    [ConflictError, 'conflict'],
    [InvalidRequestError, 'invalid_request'],
    [RateLimitError, 'rate_limit'],
    [ServiceUnavailableError, 'service_unavailable'],
    [InternalServerError, 'internal'],
    [ConnectionError, 'connection'],
  ];
  return families.find(([Class]) => error instanceof Class)?.[1] ?? 'other';
}

const pageJson = <T>(page: Page<T>) => ({ items: page.items, next_cursor: page.nextCursor ?? null, total: page.total ?? null });

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Only the arguments the step names, so that an absent argument is not sent and a null one is. */
function pick(args: Obj, names: Record<string, string>): Obj | undefined {
  const out: Obj = {};
  for (const [from, to] of Object.entries(names)) if (from in args) out[to] = args[from]!;
  return Object.keys(out).length > 0 ? out : undefined;
}

function keyBody(args: Obj) {
  const metadata = pick(args, { name: 'name', external_id: 'externalId', labels: 'labels' });
  const spec = pick(args, { description: 'description', expires_at: 'expiresAt' });
  return { ...(metadata ? { metadata } : {}), ...(spec ? { spec } : {}) };
}

/** Runs one fixture call through the TypeScript SDK and returns the API's JSON. */
async function invoke(cadreen: Cadreen, call: string, args: Obj): Promise<unknown> {
  const id = args.id as string;
  const keyQuery = pick(args, { limit: 'limit', prefix: 'prefix', sort_order: 'sortOrder', include_info: 'includeInfo', cursor: 'cursor' }) ?? {};
  const pageQuery = pick(args, { limit: 'limit', cursor: 'cursor', type: 'type' }) ?? {};
  switch (call) {
    case 'health':
      return cadreen.health();
    case 'verify':
      return cadreen.verify(args.key as string);
    case 'api_keys.create':
      return cadreen.apiKeys.create(keyBody(args) as never);
    case 'api_keys.list':
      return collect(cadreen.apiKeys.list(keyQuery));
    case 'api_keys.list_page':
      return pageJson(await cadreen.apiKeys.list(keyQuery));
    case 'api_keys.get':
      return cadreen.apiKeys.get(id, pick(args, { include_info: 'includeInfo' }));
    case 'api_keys.update':
      return cadreen.apiKeys.update(id, keyBody(args));
    case 'api_keys.rotate':
      return cadreen.apiKeys.rotate(id, pick(args, { grace_period_seconds: 'gracePeriodSeconds' }));
    case 'api_keys.revoke':
      return cadreen.apiKeys.revoke(id);
    case 'workspaces.create':
      return cadreen.workspaces.create(pick(args, { name: 'name', account_id: 'account_id', rate_limit: 'rate_limit' }) as never);
    case 'workspaces.list':
      return collect(cadreen.workspaces.list(pageQuery));
    case 'workspaces.list_page':
      return pageJson(await cadreen.workspaces.list(pageQuery));
    case 'workspaces.get':
      return cadreen.workspaces.get(id);
    case 'workspaces.update':
      return cadreen.workspaces.update(id, pick(args, { name: 'name', rate_limit: 'rate_limit' }) ?? {});
    case 'audit_events.list':
      return collect(cadreen.auditEvents.list(pageQuery));
    case 'audit_events.list_page':
      return pageJson(await cadreen.auditEvents.list(pageQuery));
    default:
      throw new Error(`unknown fixture call ${call}`);
  }
}

interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Json;
}

/** A loopback HTTP server that answers with the step's canned responses, in order, and records what it received. */
async function fakeServer(canned: Canned[]): Promise<{ url: string; requests: RecordedRequest[]; close: () => Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: text ? (JSON.parse(text) as Json) : null,
      });
      const answer = canned[Math.min(requests.length, canned.length) - 1]!;
      if (answer.drop) {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the conformance fixture', () => {
  it('names exactly the server’s error codes, and a step expects each of them', () => {
    expect(fixture.error_codes).toEqual([...SERVER_CODES]);
    const expected = new Set(fixture.steps.map((step) => (step.expect.error as { code?: string } | undefined)?.code));
    for (const code of SERVER_CODES) expect(expected.has(code), code).toBe(true);
  });
});

describe('TypeScript SDK conformance (sdks/conformance/cases.json)', () => {
  let helper: ChildProcess;
  const vars: Obj = {};

  beforeAll(async () => {
    helper = spawn(process.execPath, [START_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: helper.stdout! }).once('line', resolve);
      helper.once('exit', (code) => reject(new Error(`start-server.mjs exited with ${code}`)));
    });
    vars.server = JSON.parse(firstLine) as Obj;
  });
  afterAll(async () => {
    if (helper && helper.exitCode === null) {
      const exited = new Promise((resolve) => helper.once('exit', resolve));
      helper.stdin!.end();
      await exited;
    }
  });

  for (const step of fixture.steps) {
    it(step.name, async () => {
      const identity = fixture.identities[step.as ?? 'owner']!;
      const fake = step.canned ? await fakeServer(step.canned) : undefined;
      const baseURL = fake ? fake.url : step.unreachable ? `http://127.0.0.1:${await freePort()}` : ((vars.server as Obj).base_url as string);
      const workspaceId = identity.workspace_id === undefined ? undefined : (interpolate(identity.workspace_id, vars) as string);
      const cadreen = new Cadreen({
        apiKey: interpolate(identity.api_key, vars) as string,
        baseURL,
        ...(workspaceId ? { workspaceId } : {}),
        ...(step.client?.max_retries !== undefined ? { maxRetries: step.client.max_retries } : {}),
      });
      const started = performance.now();
      let result: unknown;
      let error: unknown;
      try {
        result = await invoke(cadreen, step.call, interpolate(step.args ?? {}, vars) as Obj);
      } catch (caught) {
        error = caught;
      } finally {
        await fake?.close();
      }
      const seconds = (performance.now() - started) / 1000;

      if (step.expect.error !== undefined) {
        expect(error, `expected an error, got ${JSON.stringify(result)}`).toBeInstanceOf(CadreenError);
        const e = error as CadreenError;
        const actual = {
          code: e.code,
          status: e.status,
          family: family(e),
          request_id: e.requestId,
          retry_after: e instanceof RateLimitError ? e.retryAfter : undefined,
          details: e.details,
        };
        expect(mismatch(interpolate(step.expect.error, vars), actual)).toBeUndefined();
      } else {
        if (error) throw error;
        expect(mismatch(interpolate(step.expect.result ?? {}, vars), result)).toBeUndefined();
        if (step.save) vars[step.save] = result as Json;
      }
      if (step.expect.requests !== undefined) expect(fake?.requests).toHaveLength(step.expect.requests);
      if (step.expect.request !== undefined) expect(mismatch(interpolate(step.expect.request, vars), fake?.requests.at(-1))).toBeUndefined();
      if (step.expect.min_seconds !== undefined) expect(seconds).toBeGreaterThanOrEqual(step.expect.min_seconds);
    });
  }
});
