import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * `open` forwards everything; `stream_cut` cuts and refuses the event stream only; `stream_silent`
 * keeps event-stream connections open but forwards nothing more on them; `down` refuses everything.
 */
export type ProxyState = 'open' | 'stream_cut' | 'stream_silent' | 'down';

export interface RouteCounts {
  verify: number;
  leases: number;
  events: number;
}

export interface VerifierProxy {
  url: string;
  state: ProxyState;
  setState(state: ProxyState): void;
  /** Requests received per route since the last call (or since start). */
  take(): RouteCounts;
  /** Requests received per route since start. */
  readonly total: RouteCounts;
  close(): Promise<void>;
}

const EVENTS = '/api/v1/cadreen/keys/events';

function routeOf(request: IncomingMessage): keyof RouteCounts | undefined {
  const path = (request.url ?? '').split('?')[0];
  if (request.method === 'POST' && path === '/api/v1/cadreen/keys/verify') return 'verify';
  if (request.method === 'POST' && path === '/api/v1/cadreen/keys/leases') return 'leases';
  if (request.method === 'GET' && path === EVENTS) return 'events';
  return undefined;
}

/**
 * An HTTP proxy between a verifier and Cadreen (the conformance fixture's proxy): it counts requests
 * per route and can cut the event stream alone, or everything, while the server keeps running.
 * Answers are streamed as they arrive, so the event stream passes through unbuffered.
 */
export async function startVerifierProxy(target: string): Promise<VerifierProxy> {
  const upstream = new URL(target);
  const total: RouteCounts = { verify: 0, leases: 0, events: 0 };
  let taken: RouteCounts = { ...total };
  const streams = new Set<Socket>();
  /** Open event-stream answers, to silence them. */
  const flows = new Set<{ answer: IncomingMessage; response: ServerResponse }>();
  const sockets = new Set<Socket>();
  let state: ProxyState = 'open';

  const refuse = (response: ServerResponse) => {
    response.writeHead(502, { 'content-type': 'text/plain', connection: 'close' }).end('proxy: upstream cut');
  };

  const server = createServer((request, response) => {
    const route = routeOf(request);
    if (route) total[route]++;
    const isStream = route === 'events';
    if (state === 'down' || (state === 'stream_cut' && isStream)) return refuse(response);
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        response.flushHeaders();
        answer.on('error', () => response.destroy());
        if (!isStream) return void answer.pipe(response);
        const flow = { answer, response };
        flows.add(flow);
        response.once('close', () => flows.delete(flow));
        // A silent stream's bytes are read and dropped, as a link that lost them would.
        if (state === 'stream_silent') answer.resume();
        else answer.pipe(response);
      },
    );
    outgoing.on('error', () => (response.headersSent ? response.destroy() : refuse(response)));
    if (isStream) {
      const socket = request.socket;
      streams.add(socket);
      socket.once('close', () => {
        streams.delete(socket);
        outgoing.destroy();
      });
    }
    request.pipe(outgoing);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    get state() {
      return state;
    },
    setState(next) {
      state = next;
      if (next === 'stream_silent') {
        for (const { answer, response } of flows) {
          answer.unpipe(response);
          answer.resume();
        }
      }
      if (next === 'open' || next === 'stream_silent') return;
      for (const socket of streams) socket.destroy();
      if (next === 'down') for (const socket of sockets) socket.destroy();
    },
    take() {
      const since = { verify: total.verify - taken.verify, leases: total.leases - taken.leases, events: total.events - taken.events };
      taken = { ...total };
      return since;
    },
    total,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
