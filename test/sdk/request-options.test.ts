import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  APIUserAbortError,
  Cadreen,
  CadreenError,
  ConflictError,
  ConnectionError,
  InternalServerError,
  InvalidRequestError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  VERSION,
} from '../../packages/sdk/src/index.js';
import { eventually, settles } from '../support/eventually.js';

const PACKAGE = JSON.parse(readFileSync(new URL('../../packages/sdk/package.json', import.meta.url), 'utf8'));

/** An answer of the stub: a status with a JSON body (and headers), or `hang` to never answer. */
type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

const busy = (retryAfter: string): Answer => ({
  status: 503,
  headers: { 'Retry-After': retryAfter },
  body: { error: { code: 'service_unavailable', message: 'the store is busy; retry shortly', request_id: 'req_stub' } },
});
const limited = (retryAfter: string): Answer => ({
  status: 429,
  headers: { 'Retry-After': retryAfter },
  body: { error: { code: 'rate_limited', message: 'rate limit exceeded', request_id: 'req_stub' } },
});
const healthy: Answer = { status: 200, body: { status: 'ok', workspace_id: 'ws_stub', key_id: 'key_stub' } };

/** Canned answers from a stub server: unknown codes, Retry-After, per-request options, the User-Agent. */
describe('TypeScript SDK against canned answers', () => {
  let stub: Server;
  let url: string;
  let answers: Answer[] = [];
  let received: IncomingHttpHeaders[] = [];
  const hanging = new Set<ServerResponse>();

  beforeAll(async () => {
    stub = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const answer = answers[Math.min(received.length, answers.length - 1)]!;
        received.push(request.headers);
        if (answer === 'hang') {
          hanging.add(response);
          return;
        }
        response.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
  });
  beforeEach(() => {
    for (const response of hanging) response.destroy();
    hanging.clear();
    received = [];
  });
  afterAll(async () => {
    for (const response of hanging) response.destroy();
    stub.closeAllConnections();
    await new Promise<void>((resolve) => stub.close(() => resolve()));
  });

  const client = (options: ConstructorParameters<typeof Cadreen>[0] = {}) => new Cadreen({ apiKey: 'sk_cadreen_stub', baseURL: url, ...options });

  it('keeps an error code it does not know as the server sent it, and picks the family by HTTP status', async () => {
    const cases: Array<[number, new (...args: never[]) => CadreenError]> = [
      [400, InvalidRequestError],
      [403, PermissionDeniedError],
      [409, ConflictError],
      [418, InvalidRequestError],
      [429, RateLimitError],
      [500, InternalServerError],
      [502, InternalServerError],
      [503, ServiceUnavailableError],
    ];
    for (const [status, Family] of cases) {
      answers = [{ status, body: { error: { code: 'brand_new_code', message: 'from a newer server', request_id: 'req_new' } } }];
      const error = await client({ maxRetries: 0 }).health().catch((e: unknown) => e);
      expect(error, String(status)).toBeInstanceOf(Family);
      expect(error, String(status)).toMatchObject({ code: 'brand_new_code', status, message: 'from a newer server', requestId: 'req_new' });
    }
  });

  it('names a known code’s family by the code, whatever the status', async () => {
    answers = [{ status: 400, body: { error: { code: 'not_found', message: 'odd but known' } } }];
    const error = await client({ maxRetries: 0 }).health().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NotFoundError', code: 'not_found', status: 400 });
  });

  it('waits out a Retry-After of a 503 and of a 429, on a POST too, then answers', async () => {
    answers = [busy('1'), limited('1'), { status: 200, body: { valid: true, key_id: 'key_stub' } }];
    const started = performance.now();
    expect(await client({ maxRetries: 2 }).verify('sk_cadreen_any')).toEqual({ valid: true, key_id: 'key_stub' });
    expect(received).toHaveLength(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('throws at once, with the seconds, a Retry-After longer than 60 s by default', async () => {
    for (const answer of [busy('61'), limited('61')]) {
      answers = [answer, healthy];
      received = [];
      const error = await settles('a refused call', client({ maxRetries: 2 }).health().catch((e: unknown) => e), 10_000);
      expect(error).toBeInstanceOf(CadreenError);
      expect((error as CadreenError).retryAfter).toBe(61);
      expect(received).toHaveLength(1);
    }
  });

  it('takes its Retry-After cap from maxRetryAfterSeconds', async () => {
    answers = [busy('2'), healthy];
    const error = await client({ maxRetries: 2, maxRetryAfterSeconds: 1 }).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ retryAfter: 2 });
    expect(received).toHaveLength(1);

    answers = [busy('1'), healthy];
    received = [];
    expect(await client({ maxRetries: 2, maxRetryAfterSeconds: 1 }).health()).toMatchObject({ status: 'ok' });
    expect(received).toHaveLength(2);
  });

  it('sends cadreen-typescript/<the SDK package’s version> as its User-Agent', async () => {
    answers = [healthy];
    await client().health();
    expect(VERSION).toBe(PACKAGE.version);
    expect(received[0]!['user-agent']).toBe(`cadreen-typescript/${PACKAGE.version}`);
  });

  it('stops at once with APIUserAbortError when the signal aborts during a Retry-After wait, sending nothing more', async () => {
    answers = [busy('60'), healthy];
    const controller = new AbortController();
    const call = client({ maxRetries: 2 })
      .health({ signal: controller.signal })
      .catch((e: unknown) => e);
    await eventually('the first attempt', () => received.length, (n) => n === 1);
    controller.abort(new Error('the user went away'));
    const error = await settles('the aborted call', call, 10_000);
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(error).not.toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'aborted', status: undefined, cause: new Error('the user went away') });
    expect(received).toHaveLength(1);
  });

  it('stops with APIUserAbortError when the signal aborts while waiting for the answer, and does not retry', async () => {
    answers = ['hang', healthy];
    const controller = new AbortController();
    const call = client({ maxRetries: 2 })
      .apiKeys.list({}, { signal: controller.signal })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await eventually('the request', () => received.length, (n) => n === 1);
    controller.abort();
    const error = await settles('the aborted call', call, 10_000);
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(received).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    answers = [healthy];
    const error = await client().health({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(received).toHaveLength(0);
  });

  it('takes timeout and maxRetries per call over the client’s own', async () => {
    answers = ['hang'];
    const patient = client({ timeout: 60_000, maxRetries: 0 });
    const error = await settles('the timed-out call', patient.health({ timeout: 100 }).catch((e: unknown) => e), 10_000);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'timeout' });
    expect(received).toHaveLength(1);

    answers = [limited('1'), healthy];
    received = [];
    expect(await client({ maxRetries: 0 }).health({ maxRetries: 1 })).toMatchObject({ status: 'ok' });
    expect(received).toHaveLength(2);

    answers = [limited('1'), healthy];
    received = [];
    await expect(client({ maxRetries: 2 }).health({ maxRetries: 0 })).rejects.toBeInstanceOf(RateLimitError);
    expect(received).toHaveLength(1);
  });
});
