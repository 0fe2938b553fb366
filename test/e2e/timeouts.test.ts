import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { runCli, startServer, type ServerProcess } from './process.js';

/**
 * Slow clients against the real `cadreen serve` process: a request must
 * arrive within CADREEN_REQUEST_TIMEOUT_MS, a refusal does not wait for the
 * body, and SIGTERM does not wait past CADREEN_SHUTDOWN_TIMEOUT_MS.
 */

interface Connection {
  socket: Socket;
  /** Everything the server sent so far. */
  received: () => string;
  /** Resolves with everything the server sent once it has closed the connection. */
  closed: Promise<string>;
}

/** Opens a connection and writes `head` (request line, headers, maybe part of a body). */
async function open(baseUrl: string, head: string): Promise<Connection> {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', () => {}); // a reset after the answer is a close too
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(head);
  return { socket, received: () => received, closed };
}

/** Resolves once the server has read a request's headers: it answers `Expect: 100-continue` then. */
function headersRead(connection: Connection): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!connection.received().startsWith('HTTP/1.1 100 ')) return;
      connection.socket.off('data', check);
      resolve();
    };
    connection.socket.on('data', check);
    check();
  });
}

/** Status and error code of a raw HTTP answer; an interim `100 Continue` is skipped. */
function answerOf(all: string): { status: number; code: string | undefined } {
  const raw = all.replace(/^HTTP\/1\.1 100 [^\r]*\r\n\r\n/, '');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1]);
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return { status, code: body ? JSON.parse(body).error?.code : undefined };
}

/** Writes one more byte every `everyMs` until the connection closes. */
function trickle(connection: Connection, everyMs: number): void {
  const timer = setInterval(() => {
    if (connection.socket.writable) connection.socket.write(' ');
  }, everyMs);
  void connection.closed.then(() => clearInterval(timer));
}

function initStore(dir: string) {
  const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'cadreen.db')}` };
  const init = runCli(['init', '--json'], env);
  expect(init.status).toBe(0);
  const created = JSON.parse(init.stdout) as { workspace_id: string; key: { plaintext: string } };
  return { env, workspaceId: created.workspace_id, key: created.key.plaintext };
}

const createKey = (workspaceId: string, key: string | undefined, length: number, extra = '') =>
  `POST /api/v1/maas/workspaces/${workspaceId}/api-keys HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}` +
  (key ? `Authorization: Bearer ${key}\r\n` : '') +
  `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('request timeout', () => {
  let dir: string;
  /** Answers 408 once a request has not fully arrived after 1 s. */
  let server: ServerProcess;
  /** A server with a 10-minute request timeout: any answer it gives to an unfinished request did not wait for it. */
  let patient: ServerProcess;
  let workspaceId: string;
  let key: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-timeouts-'));
    const store = initStore(dir);
    ({ workspaceId, key } = store);
    mkdirSync(join(dir, 'patient'));
    const other = initStore(join(dir, 'patient'));
    [server, patient] = await Promise.all([
      startServer({ ...store.env, CADREEN_REQUEST_TIMEOUT_MS: '1000', CADREEN_SHUTDOWN_TIMEOUT_MS: '1000' }),
      startServer({ ...other.env, CADREEN_REQUEST_TIMEOUT_MS: '600000', CADREEN_SHUTDOWN_TIMEOUT_MS: '1000' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), patient?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a body that trickles in with 408 request_timeout and closes the connection', async () => {
    const connection = await open(server.baseUrl, `${createKey(workspaceId, key, 60_000)}{`);
    trickle(connection, 200);
    const raw = await connection.closed;
    expect(answerOf(raw)).toEqual({ status: 408, code: 'request_timeout' });
    expect(raw).toMatch(/\r\nConnection: close\r\n/i);
    expect(raw).toMatch(/\r\nRequest-Id: req_[0-9a-f]{32}\r\n/i);
  });

  it('answers headers that never end with 408 request_timeout and closes the connection', async () => {
    const connection = await open(server.baseUrl, 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const timer = setInterval(() => connection.socket.writable && connection.socket.write('X-Slow: 1\r\n'), 200);
    try {
      expect(answerOf(await connection.closed)).toEqual({ status: 408, code: 'request_timeout' });
    } finally {
      clearInterval(timer);
    }
  });

  it('closes a connection that never sends a request', async () => {
    const connection = await open(server.baseUrl, '');
    expect(answerOf(await connection.closed).status).toBe(408);
  });

  it('answers an unauthenticated request whose body is announced but not sent with 401 at once, and closes it', async () => {
    const connection = await open(patient.baseUrl, createKey(workspaceId, undefined, 60_000));
    const raw = await connection.closed;
    // Waiting for the body would have meant no answer for 10 minutes.
    expect(answerOf(raw)).toEqual({ status: 401, code: 'auth_missing' });
    expect(raw).toMatch(/\r\nConnection: close\r\n/i);
  });

  it('closes every one of 50 unauthenticated slow connections', async () => {
    const connections = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const connection = await open(patient.baseUrl, `${createKey(workspaceId, undefined, 60_000)}{`);
        trickle(connection, 200);
        return connection;
      }),
    );
    const answers = (await Promise.all(connections.map((connection) => connection.closed))).map(answerOf);
    expect(answers).toHaveLength(50);
    for (const answer of answers) expect(answer).toEqual({ status: 401, code: 'auth_missing' });
    // The server still answers afterwards.
    expect((await fetch(`${patient.baseUrl}/livez`)).status).toBe(200);
  });
});

describe('shutdown deadline', () => {
  it('on SIGTERM finishes a quick request, cuts a slow body off at the deadline, and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadreen-deadline-'));
    const { env, workspaceId, key } = initStore(dir);
    // A request timeout far away: only the shutdown deadline can end the slow body.
    // The deadline leaves the quick request's last bytes, sent once the server says it drains, ample time to arrive.
    const server = await startServer({ ...env, CADREEN_REQUEST_TIMEOUT_MS: '600000', CADREEN_SHUTDOWN_TIMEOUT_MS: '10000' });
    try {
      // Both requests are in flight (the server has read their headers) before SIGTERM.
      const expect100 = 'Expect: 100-continue\r\n';
      const slow = await open(server.baseUrl, `${createKey(workspaceId, key, 60_000, expect100)}{`);
      const body = JSON.stringify({ name: 'quick' });
      const quick = await open(server.baseUrl, `${createKey(workspaceId, key, body.length, expect100)}${body.slice(0, 5)}`);
      await Promise.all([headersRead(slow), headersRead(quick)]);
      trickle(slow, 200);

      const exited = server.stop();
      await eventually('the server saying it drains', () => server.output(), (output) => output.includes('draining'));
      quick.socket.write(body.slice(5));

      expect(answerOf(await quick.closed).status).toBe(201);
      await slow.closed;
      expect(await exited).toBe(0);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
