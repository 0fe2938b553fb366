import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { DEADLINE_MS } from '../../support/eventually.js';
import { ADMIN_TOKEN, type Harness } from '../harness.js';
import type { FuzzRequest } from './requests.js';
import { matchRoute, type RouteMatch, type WorkspaceName } from './routes.js';

/**
 * The seeded world a fuzz run acts on, and the ways of sending a generated
 * request to it (in-process, over a socket, as raw bytes).
 *
 * Three tenants: `main` holds the anchor key, the one key no generated
 * request names by id, which must still work after the run; `other` is a
 * second tenant whose ids and key probe isolation; `scratch` is a workspace
 * whose settings may be changed freely. Dead keys (revoked, rotated, expired)
 * and a key rotating within its grace period are the other credentials.
 */
export interface World {
  workspaces: Record<WorkspaceName, string>;
  accounts: Record<'main' | 'other', string>;
  /** Plaintexts by placeholder name: anchor, other, rotating, revoked, rotated, expired, admin. */
  secrets: Record<string, string>;
  /** Key ids generated requests may name, per workspace; keys the run creates join them. */
  pools: Record<'main' | 'other', string[]>;
  /** Cursors from list answers, to be reused and tampered with. */
  cursors: string[];
  /** The workspace of every known key id, and every known workspace id to itself. */
  owners: Map<string, string>;
  /** Who a plaintext authenticates as: a workspace id, `admin`, or `none` (dead keys). */
  principals: Map<string, string>;
}

/** A generated request with its placeholders filled in: what goes on the wire. */
export interface SentRequest {
  aim: string;
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body?: string;
  remoteAddress: string;
}

/** What came back; `error` when no answer did. */
export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  error?: string;
}

const KEYS_OF = (workspaceId: string) => `/api/v1/maas/workspaces/${workspaceId}/api-keys`;

async function expectStatus(h: Harness, status: number, method: string, url: string, body?: unknown) {
  const response = await h.request(method, url, { key: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });
  if (response.status !== status) throw new Error(`seeding ${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Seeds the three workspaces, their keys and the dead and rotating keys. */
export async function seedWorld(h: Harness): Promise<World> {
  const main = await h.seed('main');
  const other = await h.seed('other');
  const scratch = await h.seed('scratch');
  const world: World = {
    workspaces: { main: main.workspaceId, other: other.workspaceId, scratch: scratch.workspaceId },
    accounts: { main: main.accountId, other: other.accountId },
    secrets: { anchor: main.key, other: other.key, admin: ADMIN_TOKEN },
    pools: { main: [], other: [] },
    cursors: [],
    owners: new Map(),
    principals: new Map([
      [main.key, main.workspaceId],
      [other.key, other.workspaceId],
      [scratch.key, scratch.workspaceId],
      [ADMIN_TOKEN, 'admin'],
    ]),
  };
  for (const id of [main.workspaceId, other.workspaceId, scratch.workspaceId]) world.owners.set(id, id);
  for (const [seeded, owner] of [[main, main], [other, other], [scratch, scratch]] as const) world.owners.set(seeded.keyId, owner.workspaceId);

  const add = async (name: 'main' | 'other', label: string) => {
    const key = await h.newKey(world.workspaces[name], label);
    world.owners.set(key.id, world.workspaces[name]);
    world.principals.set(key.key, world.workspaces[name]);
    world.pools[name].push(key.id);
    return key;
  };
  for (let i = 0; i < 6; i++) await add('main', `victim ${i}`);
  for (let i = 0; i < 3; i++) await add('other', `other victim ${i}`);

  const revoked = await add('main', 'revoked');
  await expectStatus(h, 204, 'DELETE', `${KEYS_OF(main.workspaceId)}/${revoked.id}`);
  const rotated = await add('main', 'rotated');
  const successor = await expectStatus(h, 201, 'POST', `${KEYS_OF(main.workspaceId)}/${rotated.id}/rotate`, { grace_period_seconds: 0 });
  const rotating = await add('main', 'rotating');
  const next = await expectStatus(h, 201, 'POST', `${KEYS_OF(main.workspaceId)}/${rotating.id}/rotate`, { grace_period_seconds: 7 * 86_400 });
  for (const issued of [successor, next]) {
    world.owners.set(issued.id, main.workspaceId);
    world.principals.set(issued.plaintext, main.workspaceId);
    world.pools.main.push(issued.id);
  }
  // The expired key is never named by id: an update could give it a new expiry and bring it back.
  const expired = await h.newKey(main.workspaceId, 'expired', Date.now() + 60_000);
  world.owners.set(expired.id, main.workspaceId);
  h.advance(120_000);
  Object.assign(world.secrets, { revoked: revoked.key, rotated: rotated.key, rotating: rotating.key, expired: expired.key });
  for (const dead of [revoked.key, rotated.key, expired.key]) world.principals.set(dead, 'none');

  for (const url of [`${KEYS_OF(main.workspaceId)}?limit=1`, `/api/v1/maas/workspaces/${main.workspaceId}/audit-events?limit=1`, '/api/v1/maas/workspaces?limit=1']) {
    const page = await expectStatus(h, 200, 'GET', url);
    if (page.next_cursor) world.cursors.push(page.next_cursor);
  }
  return world;
}

/** Changes one character in the middle of a key: right shape, wrong checksum. */
const mutated = (key: string) => {
  const at = Math.floor(key.length / 2);
  return key.slice(0, at) + (key[at] === 'A' ? 'B' : 'A') + key.slice(at + 1);
};

/** Replaces the placeholders of a generated request with the world's ids, keys and cursors. */
export function fill(world: World, text: string): string {
  return text.replace(/\{\{([a-z]+(?::[a-z0-9]+)*)\}\}/g, (whole, name: string) => {
    const [kind, first, second] = name.split(':');
    switch (kind) {
      case 'ws':
        return world.workspaces[first as WorkspaceName] ?? whole;
      case 'acct':
        return world.accounts[first as 'main' | 'other'] ?? whole;
      case 'key': {
        const pool = world.pools[first as 'main' | 'other'];
        return pool?.length ? pool[Number(second) % pool.length]! : 'key_00000000000000000000000000';
      }
      case 'secret': {
        const secret = world.secrets[first!];
        if (secret === undefined) return whole;
        return second === 'mutated' ? mutated(secret) : secret;
      }
      case 'cursor': {
        const cursor = world.cursors.length ? world.cursors[Number(first) % world.cursors.length]! : 'no-cursor';
        return second === 'tampered' ? mutated(cursor) : cursor;
      }
      default:
        return whole;
    }
  });
}

/** The request as it goes on the wire. */
export function resolve(world: World, request: FuzzRequest): SentRequest {
  const headers: Record<string, string | string[]> = {};
  const set = (name: string, value: string | string[]) => {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...[existing].flat(), ...[value].flat()];
  };
  if (request.authorization !== undefined) set('authorization', fill(world, request.authorization));
  if (request.workspaceHeader !== undefined) {
    set('x-cadreen-workspace-id', Array.isArray(request.workspaceHeader) ? request.workspaceHeader.map((value) => fill(world, value)) : fill(world, request.workspaceHeader));
  }
  if (request.contentType !== undefined) set('content-type', request.contentType);
  for (const [name, value] of request.headers) set(name, value);
  return {
    aim: request.aim,
    method: request.method,
    url: fill(world, request.path) + fill(world, request.query),
    headers,
    ...(request.body !== undefined ? { body: fill(world, request.body) } : {}),
    remoteAddress: request.remoteAddress,
  };
}

/** Sends in-process through Fastify's `inject` (no socket: the fast lane and Node's parser are not met). */
export async function sendInProcess(app: FastifyInstance, sent: SentRequest): Promise<Exchange> {
  try {
    const response = await app.inject({
      method: sent.method as 'GET',
      url: sent.url,
      headers: sent.headers,
      remoteAddress: sent.remoteAddress,
      ...(sent.body !== undefined ? { payload: sent.body } : {}),
    });
    return { status: response.statusCode, headers: response.headers, text: response.body };
  } catch (error) {
    return { status: 0, headers: {}, text: '', error: `inject threw: ${String(error)}` };
  }
}

/** Longest a socket exchange may take before it counts as no answer (a safety net, not a measurement). */
const NO_ANSWER_MS = DEADLINE_MS;

/** Sends over a real connection with Node's HTTP client (one connection per request). */
export function sendOverHttp(port: number, sent: SentRequest): Promise<Exchange> {
  return new Promise((done) => {
    let settled = false;
    const finish = (exchange: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(exchange);
    };
    let request: ReturnType<typeof httpRequest>;
    try {
      request = httpRequest({
        host: '127.0.0.1',
        port,
        method: sent.method,
        path: sent.url,
        // Node's client sends a HEAD body without Content-Length; framed, the server reads it as this request's body
        // instead of as a malformed next request.
        headers: {
          ...sent.headers,
          ...(sent.method === 'HEAD' && sent.body !== undefined ? { 'content-length': String(Buffer.byteLength(sent.body)) } : {}),
          connection: 'close',
        },
        agent: false,
      });
    } catch (error) {
      finish({ status: -1, headers: {}, text: '', error: `client refused to send: ${String(error)}` });
      return;
    }
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: 0, headers: {}, text: '', error: `no answer within ${NO_ANSWER_MS} ms` });
    }, NO_ANSWER_MS);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => finish({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', (error) => finish({ status: 0, headers: {}, text: '', error: `answer cut short: ${String(error)}` }));
    });
    request.on('error', (error) => {
      // Node's client reads an answer to HEAD as ending with its head, so body bytes are "data after" it.
      const headBody = sent.method === 'HEAD' && String(error).includes('Data after');
      finish({ status: 0, headers: {}, text: '', error: headBody ? 'the answer to a HEAD request carries a body (Node’s client: data after the answer)' : `no answer: ${String(error)}` });
    });
    if (sent.body !== undefined) request.end(sent.body);
    else request.end();
  });
}

/**
 * Parses one HTTP/1.1 answer from raw bytes (skipping 1xx interim answers);
 * undefined until the answer is complete.
 */
export function parseAnswer(raw: Buffer, closed: boolean, toHead = false): Exchange | undefined {
  let offset = 0;
  for (;;) {
    const headEnd = raw.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) return undefined;
    const lines = raw.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      offset = bodyStart;
      continue;
    }
    if (toHead) {
      // An answer to HEAD ends with its head; read to the close to see that nothing follows.
      if (!closed) return undefined;
      const rest = raw.subarray(bodyStart).toString('utf8');
      return rest === '' ? { status, headers, text: '' } : { status, headers, text: rest, error: 'the answer to a HEAD request carries a body' };
    }
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      let at = bodyStart;
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', at);
        if (lineEnd < 0) return closed ? { status, headers, text: Buffer.concat(parts).toString('utf8'), error: 'chunked answer cut short' } : undefined;
        const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) return { status, headers, text: Buffer.concat(parts).toString('utf8'), error: 'bad chunk size in answer' };
        if (size === 0) return { status, headers, text: Buffer.concat(parts).toString('utf8') };
        if (raw.length < lineEnd + 2 + size + 2) return closed ? { status, headers, text: '', error: 'chunked answer cut short' } : undefined;
        parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    }
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    if (length !== undefined) {
      if (raw.length < bodyStart + length) return closed ? { status, headers, text: '', error: 'answer shorter than its Content-Length' } : undefined;
      return { status, headers, text: raw.subarray(bodyStart, bodyStart + length).toString('utf8') };
    }
    return closed ? { status, headers, text: raw.subarray(bodyStart).toString('utf8') } : undefined;
  }
}

/** Writes `bytes` on a fresh connection and reads one answer (to the close, for a HEAD request). */
export function sendRaw(port: number, bytes: Buffer): Promise<Exchange> {
  const toHead = bytes.subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (exchange: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(exchange);
    };
    const timer = setTimeout(() => finish({ status: 0, headers: {}, text: '', error: `no answer within ${NO_ANSWER_MS} ms` }), NO_ANSWER_MS);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parseAnswer(Buffer.concat(chunks), false, toHead);
      if (answer) finish(answer);
    });
    const closed = () => finish(parseAnswer(Buffer.concat(chunks), true, toHead) ?? { status: 0, headers: {}, text: '', error: chunks.length ? 'connection closed mid-answer' : 'connection closed without an answer' });
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', (error) => {
      if (chunks.length) closed();
      else finish({ status: 0, headers: {}, text: '', error: `no answer: ${String(error)}` });
    });
  });
}

const decode = (segment: string | undefined): string | undefined => {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

const jsonOf = (text: string): any => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Records what a successful answer created or revealed: new keys and workspaces, cursors. */
export function learn(world: World, sent: SentRequest, exchange: Exchange): void {
  if (exchange.status < 200 || exchange.status >= 300 || sent.method === 'HEAD') return;
  const body = jsonOf(exchange.text);
  if (!body || typeof body !== 'object') return;
  const path = new URL(sent.url, 'http://fuzz').pathname;
  const match = matchRoute(sent.method, path);
  if (!match) return;
  const cursor = body.next_cursor ?? body.pagination?.nextCursor;
  if (typeof cursor === 'string' && world.cursors.length < 100) world.cursors.push(cursor);
  if (exchange.status !== 201) return;
  if (match.route.path === '/api/v1/maas/workspaces' && typeof body.id === 'string') {
    world.owners.set(body.id, body.id);
    return;
  }
  const id: unknown = body.id ?? body.metadata?.id;
  const plaintext: unknown = body.plaintext ?? body.spec?.token;
  const workspace: unknown = body.metadata?.workspaceId ?? world.owners.get(decode(match.params.workspace_id) ?? '');
  if (typeof id !== 'string' || typeof workspace !== 'string') return;
  world.owners.set(id, workspace);
  if (typeof plaintext === 'string') world.principals.set(plaintext, workspace);
  for (const name of ['main', 'other'] as const) {
    if (world.workspaces[name] === workspace && world.pools[name].length < 200) world.pools[name].push(id);
  }
}

/** The caller a request's Authorization header names: a workspace id, `admin`, `none`, or `ambiguous` for a near miss of a real credential. */
function principalOf(world: World, authorization: string | string[] | undefined): string {
  if (typeof authorization !== 'string') return authorization === undefined ? 'none' : 'ambiguous';
  if (authorization.startsWith('Bearer ')) {
    const known = world.principals.get(authorization.slice('Bearer '.length));
    if (known !== undefined) return known;
  }
  for (const secret of world.principals.keys()) if (authorization.includes(secret)) return 'ambiguous';
  return 'none';
}

/**
 * Isolation: a success that the caller's credential could not have earned
 * (and, for every authenticated success, `Cache-Control: no-store`).
 * Only successes are judged (refusals are the contract's business); a
 * credential garbled around a real one is not judged, since whether a server
 * tolerates `bearer` in lower case is its own choice.
 */
export function isolationProblems(world: World, sent: SentRequest, exchange: Exchange, options: { normalizePath: boolean }): string[] {
  if (exchange.status < 200 || exchange.status >= 300) return [];
  const rawPath = sent.url.split('?')[0]!;
  const path = options.normalizePath ? new URL(rawPath, 'http://fuzz').pathname : rawPath;
  const match = matchRoute(sent.method, path);
  if (!match || match.route.access === 'public') return [];
  const problems: string[] = [];
  if (!String(exchange.headers['cache-control'] ?? '').includes('no-store')) problems.push('an authenticated success without Cache-Control: no-store');
  const unearned = unearnedSuccess(world, sent, exchange, match);
  if (unearned) problems.push(unearned);
  return problems;
}

/** Why the caller could not have earned this success, if it could not. */
function unearnedSuccess(world: World, sent: SentRequest, exchange: Exchange, match: RouteMatch): string | undefined {
  const principal = principalOf(world, sent.headers.authorization);
  if (principal === 'ambiguous') return undefined;
  if (principal === 'none') return 'a protected route succeeded without a valid credential';
  if ((match.route.access === 'admin' || match.route.access === 'verifier') && principal !== 'admin') return 'an admin route succeeded with a key';

  let workspace: string | undefined;
  if (match.params.workspace_id !== undefined) {
    workspace = world.owners.get(decode(match.params.workspace_id) ?? '');
    if (workspace === undefined || world.owners.get(workspace) !== workspace) return 'a route succeeded on a workspace that does not exist';
    if (principal !== 'admin' && principal !== workspace) return 'a key acted on another workspace';
  } else if (match.route.dialect === 'resource') {
    // Whitespace around a header value is not part of it (a real server strips it; `inject` does not).
    const raw = sent.headers['x-cadreen-workspace-id'];
    const header = typeof raw === 'string' ? raw.trim() : raw;
    if (principal === 'admin') {
      workspace = typeof header === 'string' ? world.owners.get(header) : undefined;
      if (workspace === undefined) return 'the admin token succeeded on the resource dialect without naming a known workspace';
    } else {
      if (typeof header === 'string' && header !== principal) return 'a key acted with X-Cadreen-Workspace-Id naming another workspace';
      workspace = principal;
    }
  }
  const keyParam = match.params.key_id ?? match.params.id;
  if (keyParam !== undefined && world.owners.get(decode(keyParam) ?? '') !== workspace) {
    return 'a route succeeded on a key id outside the workspace it acts on';
  }
  if (match.route.path === '/api/v1/cadreen/keys/verify' && exchange.status === 200) {
    const verified = jsonOf(exchange.text);
    const key = jsonOf(sent.body ?? '')?.key;
    if (verified?.valid === true) {
      const owner = typeof key === 'string' ? world.principals.get(key) : undefined;
      if (owner === undefined || owner === 'none' || owner === 'admin') return 'verify called a key valid that is unknown, dead or not a key';
      if (principal !== 'admin' && owner !== principal) return 'verify revealed a key of another workspace as valid';
    }
  }
  return undefined;
}
