import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceServer, type ConformanceServer } from './conformance-server.js';
import { Cadreen, CadreenError, Verifier, type VerifyResult } from '../../packages/sdk/src/index.js';
import { cadreenPlugin } from '../../packages/sdk/src/fastify.js';
import { eventually } from '../support/eventually.js';
import { startVerifierProxy, type ProxyState, type VerifierProxy } from './verifier-proxy.js';
import { newestEventId } from './verifier-support.js';

/** The language-neutral verifier specification in sdks/conformance/verifier-cases.json, run on the TypeScript SDK. */
const SPEC = JSON.parse(readFileSync(new URL('../../sdks/conformance/verifier-cases.json', import.meta.url), 'utf8'));
/** The fixture's bound on each wait: a safety net, not a measurement. */
const WAIT_MS = 10_000;

type Json = any;

/** Replaces `$name` variables, alone or inside a string (`Bearer $a`), deeply. */
function substitute(value: Json, vars: Record<string, string>): Json {
  if (typeof value === 'string') {
    if (value === '$present') return value;
    return value.replace(/\$([a-z_0-9]+)/g, (whole, name: string) => (name in vars ? vars[name]! : whole));
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

function expectMatch(actual: Json, expected: Json, path: string): void {
  if (expected === '$present') return expect(actual, path).not.toBeUndefined();
  if (expected && typeof expected === 'object') {
    for (const [key, value] of Object.entries(expected)) expectMatch(actual?.[key], value, `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

/** The SDK's camelCase result in the API's JSON shape, which the fixture speaks. */
const resultJson = (result: VerifyResult): Json => ({
  valid: result.valid,
  ...(result.valid ? {} : { code: result.code }),
  ...(result.workspaceId !== undefined ? { workspace_id: result.workspaceId } : {}),
  ...(result.keyId !== undefined ? { key_id: result.keyId } : {}),
  ...(result.status !== undefined ? { status: result.status } : {}),
  ...(!result.valid && result.retryAfter !== undefined ? { retry_after: result.retryAfter } : {}),
});

describe('Verifier conformance (sdks/conformance/verifier-cases.json): TypeScript', () => {
  let server: ConformanceServer | undefined;
  const vars: Record<string, string> = {};

  beforeAll(async () => {
    server = await startConformanceServer();
    Object.assign(vars, server.vars);
  });
  afterAll(() => server?.stop());

  for (const [index, spec] of (SPEC.cases as Json[]).entries()) {
    it(spec.name, async () => {
      const baseURL = vars.base_url!;
      const admin = new Cadreen({ apiKey: vars.admin_token!, baseURL, maxRetries: 0 });
      const settings = { ...SPEC.defaults.workspace, ...spec.workspace };
      const { limit, window_seconds: windowSeconds } = settings.rate_limit;
      const workspace = await admin.workspaces.create({ name: `verifier-case-${index}`, rateLimit: { limit, windowSeconds } });
      const inWorkspace = new Cadreen({ apiKey: vars.admin_token!, baseURL, workspaceId: workspace.id, maxRetries: 0 });
      const caseVars: Record<string, string> = { ...vars, ws_id: workspace.id };
      const keyIds: Record<string, string> = {};
      for (const name of spec.keys as string[]) {
        const key = await inWorkspace.apiKeys.create({ metadata: { name: `verifier-${name}` } });
        caseVars[name] = key.spec.token!;
        caseVars[`${name}_id`] = keyIds[name] = key.metadata.id;
      }

      const proxy: VerifierProxy = await startVerifierProxy(baseURL);
      const options = substitute({ ...SPEC.defaults.verifier, ...spec.verifier }, caseVars);
      const verifier = new Verifier({
        baseURL: proxy.url,
        token: options.token,
        maxStalenessMs: options.max_staleness_ms,
        failOpen: options.fail_open,
      });
      let warnings = 0;
      verifier.on('warning', () => warnings++);
      let app: FastifyInstance | undefined;
      let appUrl = '';
      if ((spec.steps as Json[]).some((step) => step.do === 'request')) {
        app = Fastify();
        await app.register(cadreenPlugin, { verifier });
        app.get('/', async (request) => ({
          cadreen: { workspace_id: request.cadreen.workspaceId, key_id: request.cadreen.keyId, status: request.cadreen.status },
        }));
        appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
      }

      try {
        await eventually('the verifier connects', () => verifier.connected, Boolean, { deadlineMs: WAIT_MS });
        for (const [n, raw] of (spec.steps as Json[]).entries()) {
          const step = substitute(raw, caseVars);
          const where = `step ${n + 1} (${step.do}${step.note ? `: ${step.note}` : ''})`;
          proxy.take();
          const warnedBefore = warnings;
          switch (step.do) {
            case 'verify': {
              const outcome = await verifier.verify(step.key).then(
                (result) => ({ result }),
                (error: unknown) => ({ error }),
              );
              if (step.expect?.error) {
                expect('error' in outcome, `${where}: expected ${step.expect.error}`).toBe(true);
                expect((outcome as { error: CadreenError }).error.code, where).toBe(step.expect.error);
              } else {
                if ('error' in outcome) throw outcome.error;
                if (step.expect?.match) expectMatch(resultJson(outcome.result), step.expect.match, `${where} result`);
              }
              break;
            }
            case 'request': {
              const response = await fetch(`${appUrl}/`, { headers: step.authorization === null ? {} : { Authorization: step.authorization } });
              const body = await response.json();
              const expected = step.expect ?? {};
              if (expected.status !== undefined) expect(response.status, `${where} status ${JSON.stringify(body)}`).toBe(expected.status);
              if (expected.code !== undefined) expect(body.error?.code, `${where} code`).toBe(expected.code);
              if (expected.retry_after !== undefined) {
                const header = response.headers.get('retry-after');
                if (expected.retry_after === '$present') expect(header, `${where} Retry-After`).toMatch(/^\d+$/);
                else expect(Number(header), `${where} Retry-After`).toBe(expected.retry_after);
              }
              if (expected.cadreen !== undefined) expectMatch(body.cadreen, expected.cadreen, `${where} cadreen`);
              break;
            }
            case 'revoke':
              await inWorkspace.apiKeys.revoke(keyIds[raw.key]!);
              break;
            case 'rotate':
              await inWorkspace.apiKeys.rotate(keyIds[raw.key]!);
              break;
            case 'set_rate_limit':
              await admin.workspaces.update(workspace.id, { rateLimit: { limit: step.limit, windowSeconds: step.window_seconds } });
              break;
            case 'proxy':
              proxy.setState(step.state as ProxyState);
              break;
            case 'wait':
              await waitFor(step.for);
              break;
            default:
              throw new Error(`unknown step ${step.do}`);
          }
          const calls = proxy.take();
          for (const [route, count] of Object.entries(step.calls ?? {})) {
            expect(calls[route as 'verify' | 'leases'], `${where}: ${route} requests`).toBe(count);
          }
          if (step.warned !== undefined) expect(warnings > warnedBefore, `${where}: warned`).toBe(step.warned);
        }
      } finally {
        await verifier.close();
        await app?.close();
        await proxy.close();
      }

      async function waitFor(what: string): Promise<void> {
        switch (what) {
          case 'connected':
            await eventually('the verifier connects', () => verifier.connected, Boolean, { deadlineMs: WAIT_MS });
            return;
          case 'disconnected':
          case 'stale':
            await eventually('the verifier disconnects', () => verifier.connected, (connected) => !connected, { deadlineMs: WAIT_MS });
            if (what === 'stale') await new Promise((resolve) => setTimeout(resolve, options.max_staleness_ms + 50));
            return;
          case 'caught_up': {
            const newest = await newestEventId(baseURL, vars.admin_token!);
            await eventually('the verifier applies every event', () => verifier.lastEventId ?? -1, (id) => id >= newest, { deadlineMs: WAIT_MS });
            return;
          }
          default:
            throw new Error(`unknown wait ${what}`);
        }
      }
    });
  }
});
