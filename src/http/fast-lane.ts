import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthOutcome } from '../core/auth.js';
import type { Cadreen } from '../core/cadreen.js';
import { statusOf, type ErrorCode } from '../core/errors.js';
import { appendAuthHeaders } from './authenticate.js';
import { describeServerFailure, errorBody } from './errors.js';
import { newRequestId } from './request-id.js';
import { presentHealth } from './routes/cadreen/present.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const HEALTH_PATH = '/api/v1/cadreen/health';
const LIVEZ_PATH = '/livez';
const LIVE_BODY = JSON.stringify({ status: 'ok' });

/**
 * The two routes called far more often than any other — the authenticated
 * health check a fronting service calls on every request of its own, and the
 * liveness probe — answered straight on `node:http`, before the framework's
 * routing, hooks and serialisers. The answers are the ones the framework's
 * routes give (the same core, headers and error shape; a test holds them
 * equal). Anything else — another method, a query string, any other path, and
 * every request once the server is closing — goes to the framework.
 */
export interface FastLane {
  /** Answers `request` and returns true if it is the lane's; false hands it on. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** Hands every later request to the framework, which refuses them while it closes. */
  close(): void;
}

export function createFastLane(cadreen: Cadreen, log: () => FastifyBaseLogger): FastLane {
  let open = true;

  function send(response: ServerResponse, status: number, headers: string[], body: string): void {
    headers.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)));
    response.writeHead(status, headers);
    response.end(body);
  }

  /** The one error shape, with the code's status; `headers` already name the request id. */
  function sendError(response: ServerResponse, requestId: string, headers: string[], code: ErrorCode, message: string): void {
    send(response, statusOf(code), headers, JSON.stringify(errorBody(code, message, requestId)));
  }

  function answer(response: ServerResponse, requestId: string, outcome: AuthOutcome): void {
    const headers = appendAuthHeaders(['request-id', requestId], outcome);
    if (outcome.ok) send(response, 200, headers, JSON.stringify(presentHealth(outcome.principal)));
    else sendError(response, requestId, headers, outcome.code, outcome.message);
  }

  /** Answers a failure that is not the client's; if even that fails, drops the connection rather than the process. */
  function fail(response: ServerResponse, requestId: string, error: unknown): void {
    try {
      const failure = describeServerFailure(error);
      log()[failure.log.level]({ request_id: requestId, err: failure.log.err }, failure.log.message);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const headers = ['request-id', requestId];
      if (failure.retryAfter) headers.push('retry-after', failure.retryAfter);
      sendError(response, requestId, headers, failure.code, failure.message);
    } catch {
      response.destroy();
    }
  }

  function health(request: IncomingMessage, response: ServerResponse): void {
    const requestId = newRequestId();
    try {
      const outcome = cadreen.auth.authenticate(request.headers.authorization, { cost: 1, ip: request.socket.remoteAddress });
      if (!(outcome instanceof Promise)) return answer(response, requestId, outcome);
      outcome.then((settled) => answer(response, requestId, settled)).catch((error: unknown) => fail(response, requestId, error));
    } catch (error) {
      fail(response, requestId, error);
    }
  }

  return {
    handle(request, response) {
      if (!open || request.method !== 'GET') return false;
      if (request.url === HEALTH_PATH) {
        health(request, response);
        return true;
      }
      if (request.url === LIVEZ_PATH) {
        send(response, 200, [], LIVE_BODY);
        return true;
      }
      return false;
    },
    close() {
      open = false;
    },
  };
}

/** What Fastify hands its `serverFactory`: the settings it would apply to a server of its own. */
interface ServerSettings {
  http?: ServerOptions | null;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

/**
 * The HTTP server Fastify runs on (its `serverFactory`): the lane first, then
 * Fastify's own handler, with the timeouts Fastify would set on its own server.
 */
export function laneServer(
  lane: FastLane,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: ServerSettings,
): Server {
  const server = createServer(options.http ?? {}, (request, response) => {
    if (!lane.handle(request, response)) handler(request, response);
  });
  if (options.keepAliveTimeout) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
  if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  return server;
}
