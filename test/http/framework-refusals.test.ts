import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type Seeded } from './harness.js';

/**
 * What the HTTP framework and Node's parser would answer themselves — an
 * unknown route, a wrong method, an over-long parameter, a broken encoding, a
 * NUL, oversized headers, malformed HTTP — is answered in the one error shape,
 * over a real loopback socket.
 */

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: any;
  text: string;
}

/** Sends `request` as bytes on a new connection and reads the answer until the server closes it. */
function exchange(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no complete answer: ${JSON.stringify(text)}`));
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const payload = text.slice(split + 4);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: payload === '' ? undefined : JSON.parse(payload), text });
    });
    socket.write(request);
  });
}

interface Row {
  name: string;
  request: (ws: Seeded) => string;
  status: number;
  code: string;
  check?: (answer: RawAnswer) => void;
}

const close = 'Host: 127.0.0.1\r\nConnection: close\r\n';
const authorized = (ws: Seeded) => `${close}Authorization: Bearer ${ws.key}\r\n`;
const jsonPost = (ws: Seeded, body: string) =>
  `POST /api/v1/maas/workspaces/${ws.workspaceId}/api-keys HTTP/1.1\r\n${authorized(ws)}` +
  `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const ROWS: Row[] = [
  {
    name: 'an unknown route is 404 not_found',
    request: () => `GET /api/v1/nothing-here HTTP/1.1\r\n${close}\r\n`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'a known path with a method it does not take is 405 method_not_allowed, naming the methods it takes in Allow',
    request: () => `DELETE /v1/api_keys HTTP/1.1\r\n${close}\r\n`,
    status: 405,
    code: 'method_not_allowed',
    check: (answer) => expect(answer.headers['allow']?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']),
  },
  {
    name: 'PUT on the liveness probe is 405 with Allow: GET, HEAD',
    request: () => `PUT /livez HTTP/1.1\r\n${close}Content-Length: 0\r\n\r\n`,
    status: 405,
    code: 'method_not_allowed',
    check: (answer) => expect(answer.headers['allow']).toBe('GET, HEAD'),
  },
  {
    name: 'a path parameter of 600 characters is 414 uri_too_long',
    request: (ws) => `GET /api/v1/maas/workspaces/${'w'.repeat(600)}/api-keys HTTP/1.1\r\n${authorized(ws)}\r\n`,
    status: 414,
    code: 'uri_too_long',
  },
  {
    name: 'malformed percent-encoding in the path is 400 invalid_request',
    request: (ws) => `GET /api/v1/maas/workspaces/%ED%A0%80/api-keys HTTP/1.1\r\n${authorized(ws)}\r\n`,
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a NUL (%00) in the path is 400 invalid_request',
    request: (ws) => `GET /api/v1/maas/workspaces/${ws.workspaceId}%00/api-keys HTTP/1.1\r\n${authorized(ws)}\r\n`,
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a NUL (%00) in the query string is 400 invalid_request',
    request: (ws) => `GET /api/v1/maas/workspaces/${ws.workspaceId}/api-keys?prefix=a%00 HTTP/1.1\r\n${authorized(ws)}\r\n`,
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a NUL in a JSON body string is 400 invalid_request, and no key is created',
    request: (ws) => jsonPost(ws, '{"name":"a\\u0000b"}'),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a NUL in a JSON property name is 400 invalid_request',
    request: (ws) => jsonPost(ws, '{"name":"ok","labels":{"team\\u0000":"x"}}'),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a 20 KB header is 431 headers_too_large',
    request: () => `GET /livez HTTP/1.1\r\n${close}X-Padding: ${'p'.repeat(20 * 1024)}\r\n\r\n`,
    status: 431,
    code: 'headers_too_large',
  },
  {
    name: 'a malformed request line is 400 invalid_request',
    request: () => 'THIS IS NOT HTTP\r\n\r\n',
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a request with both Content-Length and Transfer-Encoding is 400 invalid_request',
    request: (ws) =>
      `POST /api/v1/maas/workspaces/${ws.workspaceId}/api-keys HTTP/1.1\r\n${authorized(ws)}` +
      'Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'CONNECT is 405 method_not_allowed',
    request: () => 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    status: 405,
    code: 'method_not_allowed',
    check: (answer) => expect(answer.headers['allow']).toContain('GET'),
  },
  {
    name: 'an HTTP/1.1 request without Host is routed like any other (an unknown route stays 404 not_found)',
    request: () => 'GET /api/v1/nothing-here HTTP/1.1\r\nConnection: close\r\n\r\n',
    status: 404,
    code: 'not_found',
  },
];

describe('framework and parser refusals in the one error shape', () => {
  let h: Harness;
  let ws: Seeded;
  let port: number;
  beforeAll(async () => {
    h = await createHarness({ transport: 'socket' });
    ws = await h.seed();
    port = Number(new URL(h.baseUrl!).port);
  });
  afterAll(() => h.close());

  for (const row of ROWS) it(row.name, async () => {
    const answer = await exchange(port, row.request(ws));
    expect(answer.status).toBe(row.status);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(answer.body)).toEqual(['error']);
    const { code, message, request_id, ...rest } = answer.body.error;
    expect(code).toBe(row.code);
    expect(typeof message).toBe('string');
    expect(request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(answer.headers['request-id']).toBe(request_id);
    expect(Object.keys(rest).filter((name) => name !== 'details')).toEqual([]);
    expect(answer.text).not.toMatch(/FST_|"statusCode"|\n\s+at .+:\d+:\d+/);
    row.check?.(answer);
  });

  it('no key was created by the refused bodies', async () => {
    const list = await h.request('GET', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, { key: ws.key });
    expect(list.status).toBe(200);
    expect(list.body.keys).toHaveLength(1);
  });

  it('a malformed HEAD request is answered with the error’s headers and no body', async () => {
    const answer = await exchange(port, `HEAD /li vez HTTP/1.1\r\n${close}\r\n`);
    expect(answer.status).toBe(400);
    expect(answer.headers['request-id']).toMatch(/^req_/);
    expect(answer.body).toBeUndefined();
  });

  it('an Expect other than 100-continue is ignored and the request served', async () => {
    const answer = await exchange(port, `GET /livez HTTP/1.1\r\n${close}Expect: something-else\r\n\r\n`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('a path parameter up to 500 characters is routed (an unknown workspace id is refused, not the length)', async () => {
    const answer = await exchange(port, `GET /api/v1/maas/workspaces/${'w'.repeat(500)}/api-keys HTTP/1.1\r\n${authorized(ws)}\r\n`);
    expect(answer.status).not.toBe(414);
    expect(answer.body.error.code).not.toBe('uri_too_long');
  });

  it('a body that only looks like it holds a NUL (an escaped backslash) is accepted', async () => {
    const answer = await exchange(port, jsonPost(ws, '{"name":"a\\\\u0000b"}'));
    expect(answer.status).toBe(201);
    expect(answer.body.name).toBe('a\\u0000b');
  });
});

describe('the client address', () => {
  async function createdFrom(trustProxy: string[] | undefined): Promise<string> {
    const h = await createHarness({ transport: 'socket', ...(trustProxy ? { app: { trustProxy } } : {}) });
    try {
      const ws = await h.seed();
      const created = await h.request('POST', `/api/v1/maas/workspaces/${ws.workspaceId}/api-keys`, {
        key: ws.key,
        body: { name: 'behind-a-proxy' },
        headers: { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' },
      });
      expect(created.status).toBe(201);
      const events = await h.request('GET', `/api/v1/maas/workspaces/${ws.workspaceId}/audit-events`, { key: ws.key });
      const event = events.body.events.find((e: { key_id: string; type: string }) => e.key_id === created.body.id && e.type === 'key.created');
      return event.ip;
    } finally {
      await h.close();
    }
  }

  it('is the socket peer, whatever X-Forwarded-For says, when no proxy is trusted', async () => {
    expect(await createdFrom(undefined)).toBe('127.0.0.1');
  });

  it('is the first untrusted hop of X-Forwarded-For when the proxy is trusted', async () => {
    expect(await createdFrom(['127.0.0.1'])).toBe('203.0.113.7');
  });
});
