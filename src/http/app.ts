import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type HTTPMethods,
  type onRequestHookHandler,
  type onResponseHookHandler,
} from 'fastify';
import type { Cadreen } from '../core/cadreen.js';
import { CadreenError, invalidRequest, type ErrorCode } from '../core/errors.js';
import { authenticateHook, type RouteAccess } from './authenticate.js';
import { bodyStillArriving, handleError, rawErrorResponse, sendError } from './errors.js';
import { CADREEN_FIELD_NAMES } from './routes/cadreen/field-names.js';
import { RESOURCE_FIELD_NAMES } from './routes/resource/field-names.js';
import { OpenApiCollector } from './openapi.js';
import { newRequestId } from './request-id.js';
import { cadreenApiKeyRoutes } from './routes/cadreen/api-keys.js';
import { cadreenRuntimeRoutes } from './routes/cadreen/runtime.js';
import { cadreenWorkspaceRoutes } from './routes/cadreen/workspaces.js';
import { resourceApiKeyRoutes } from './routes/resource/api-keys.js';
import { resourceAuditRoutes } from './routes/resource/audit-events.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { systemRoutes } from './routes/system.js';
import { metricsRoutes } from './routes/metrics.js';
import { UNMATCHED_ROUTE, type PrometheusMetrics, type RouteRecorder } from '../metrics/prometheus-metrics.js';
import { cadreenMemberRoutes } from './routes/cadreen/members.js';
import { cadreenVerifierRoutes } from './routes/cadreen/key-events.js';
import { signInRoutes } from './routes/sign-in.js';
import type { OidcSettings } from './oidc.js';

export interface AppOptions {
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  logger?: FastifyServerOptions['loggerInstance'];
  /** One debug line per request (default off: at tens of thousands of requests a second it would cost more than a verification). */
  accessLog?: boolean;
  version?: string;
  /** A request's headers and body must arrive within this long, or it is answered 408 (default 30 s). */
  requestTimeoutMs?: number;
  /** The proxies whose `X-Forwarded-For` is believed; unset, the client IP is the socket's peer. */
  trustProxy?: string[];
  /** Where people reach the service (default http://127.0.0.1:8080): the only Origin a session may change things from. */
  publicUrl?: string;
  /** Sign-in with an OpenID provider, when configured. */
  oidc?: OidcSettings;
  /**
   * Prometheus metrics: every answer is recorded in `collector`, and
   * `GET /metrics` serves it to the bearers of `token`, or without a token to
   * anyone, but only when `host` (where the server listens) is a loopback
   * address (see `metricsAccess`).
   */
  metrics?: { collector: PrometheusMetrics; host: string; token?: string };
}

/** Longest path parameter, in characters; a longer one is `414 uri_too_long`. */
const MAX_PARAM_LENGTH = 500;
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Request validators. Bodies are checked strictly (no type coercion: a string
 * where a number belongs is an error); query strings and path parameters are
 * text, so they are coerced. Nothing unknown is silently dropped.
 */
function validators() {
  const common = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false } as const;
  const body = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
  const text = addFormats.default(new Ajv.default({ ...common, coerceTypes: true }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? body : text).compile(schema);
}

const hooks = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A route with a body schema treats a missing body as `{}`, so the schema reports what is required. */
async function missingBodyAsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/**
 * Reads and drops a body sent to a route that takes none (Fastify parses no
 * GET or HEAD body), up to `limit` bytes, before the route answers: closing
 * a connection with unread bytes makes TCP reset it, and the client would
 * lose the answer. A larger body is refused as too large.
 */
function drainUnreadBody(limit: number) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!bodyStillArriving(request)) return;
    const raw = request.raw;
    await new Promise<void>((resolve, reject) => {
      let received = 0;
      const tooLarge = () => new CadreenError('payload_too_large', `the body exceeds ${limit} bytes`);
      raw.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit) {
          raw.pause();
          reject(tooLarge());
        }
      });
      raw.once('end', () => resolve());
      raw.once('error', reject);
      raw.once('close', () => resolve());
      raw.resume();
    });
  };
}

/**
 * A NUL character in the path or query string (HTTP's parser refuses a raw
 * one, so only `%00` can carry it) is refused before any route work: no store
 * keeps it, and PostgreSQL fails on it.
 */
const hasNul = (url: string): boolean => url.includes('%00') || url.includes('\0');
const nulInUrl = () => invalidRequest('the path or query contains a NUL character', [{ field: 'url', message: 'NUL character' }]);

function refuseNulInUrl(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  done(hasNul(request.url) ? nulInUrl() : undefined);
}

/** The NUL check first, then the route's own first hook, as one hook: a hook more costs every request. */
function withNulCheck(first: onRequestHookHandler): onRequestHookHandler {
  return function nulCheckedHook(this: FastifyInstance, request, reply, done) {
    if (hasNul(request.url)) return done(nulInUrl());
    return first.call(this, request, reply, done);
  };
}

/** A NUL in a JSON string or property name (written `\u0000`) is refused; precise, but run only when the text has one. */
function refuseNul(key: string, value: unknown): unknown {
  if (key.includes('\0') || (typeof value === 'string' && value.includes('\0'))) {
    throw invalidRequest('the body contains a NUL character', [{ field: key || 'body', message: 'NUL character' }]);
  }
  return value;
}

const CLIENT_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'request_timeout', message: 'the request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { code: 'headers_too_large', message: 'the request headers are too large' },
};

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (headers too
 * large, malformed HTTP, a request too slow to arrive) is answered in the one
 * error shape and the connection closed. Only the error's code is logged: its
 * raw packet may hold a key.
 */
/** Whether the raw bytes Node's parser refused are those of a HEAD request (leading blank lines are allowed). */
const isHeadRequest = (rawPacket: unknown): boolean =>
  Buffer.isBuffer(rawPacket) && /^(?:\r?\n)*HEAD /.test(rawPacket.toString('latin1', 0, 64));

function answerClientError(this: FastifyInstance, error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = CLIENT_ERRORS[error.code ?? ''] ?? { code: 'invalid_request' as const, message: 'the request is not valid HTTP' };
  const requestId = newRequestId();
  this.log.debug({ request_id: requestId, err: { code: error.code } }, 'client error');
  // An answer already under way cannot be followed by another on the same connection.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(code, message, requestId, {}, { head: isHeadRequest(error.rawPacket) }));
  // A peer that does not read must not hold the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * Requests Node would answer or drop itself, outside the error shape: an
 * `Expect` other than `100-continue` (Node's empty 417; the expectation is
 * ignored, as RFC 9110 allows, and the request served) and `CONNECT` (Node
 * drops the connection; it is answered 405).
 */
function answerWhatNodeWouldRefuse(app: FastifyInstance, served: Set<string>): void {
  app.server.on('checkExpectation', (request, response) => app.server.emit('request', request, response));
  app.server.on('connect', (_request, socket: Socket) => {
    const requestId = newRequestId();
    socket.on('error', () => socket.destroy());
    socket.end(rawErrorResponse('method_not_allowed', 'CONNECT is not served here', requestId, { Allow: [...served].join(', ') }));
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}

/**
 * On close, connections that never carried a byte (a client's spare, opened
 * ahead of need) are closed along with the idle ones. Node's
 * `closeIdleConnections` passes them over, so closing would otherwise wait
 * until the client gives them up or the shutdown deadline cuts them.
 */
function closeUnusedConnectionsOnClose(app: FastifyInstance): void {
  const open = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  app.addHook('preClose', (done) => {
    for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
    done();
  });
}

/** An `onResponse` hook recording each answer's method, status and duration under one route. */
function recordResponses(recorder: RouteRecorder): onResponseHookHandler {
  return function recordResponse(request, reply, done) {
    recorder.record(request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
}

/** The HTTP server: both dialects over the one domain in `cadreen`. */
export async function buildApp(cadreen: Cadreen, options: AppOptions = {}): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const publicUrl = new URL(options.publicUrl ?? 'http://127.0.0.1:8080');
  const app: FastifyInstance = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    bodyLimit,
    genReqId: newRequestId,
    requestIdHeader: false,
    // Fastify's two lines per request are off; with `accessLog` one debug line is written instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // No child logger per request (it costs more than the rest of a cached verification):
    // every line that concerns a request names its request_id itself.
    childLoggerFactory: (logger) => logger,
    // While closing, requests already on an open connection are served (with `Connection: close`):
    // Fastify's own 503 would answer outside the error shape.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Headers and body must both arrive within the limit. Node checks its connections on an
    // interval (30 s by default), so the limit is honoured within a quarter of itself, at most 1 s late.
    requestTimeout,
    http: {
      // Nothing here depends on Host; without this Node answers its absence with an empty 400 of its own.
      requireHostHeader: false,
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(requestTimeout / 4)),
    },
    frameworkErrors: (error, request, reply) => {
      handleError(error, request as FastifyRequest, reply as FastifyReply);
    },
    clientErrorHandler: answerClientError,
  });
  app.setValidatorCompiler(validators());
  const served = new Set<string>();
  answerWhatNodeWouldRefuse(app, served);
  closeUnusedConnectionsOnClose(app);

  // JSON bodies; an empty body reads as no body, so `POST …/rotate` works with or without one.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = (text as string).trim();
    if (source === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch {
      return done(invalidRequest('the body is not valid JSON', [{ field: 'body', message: 'malformed JSON' }]), undefined);
    }
    // JSON can carry a NUL only escaped; the reviver, slower, runs only when the escape is there.
    if (source.includes('\\u0000')) {
      try {
        JSON.parse(source, refuseNul);
      } catch (error) {
        return done(error as Error, undefined);
      }
    }
    done(null, value);
  });

  const metrics = options.metrics;
  metrics?.collector.readFrom({ eventStreams: () => cadreen.keyEvents.subscribers, auditQueue: () => cadreen.auditQueue() });

  const openapi = new OpenApiCollector();
  // Hooks go only on the routes that need them: a public probe pays for none of authentication.
  app.addHook('onRoute', (route) => {
    openapi.collect(route);
    // The resource dialect is every route under /v1/; the Cadreen dialect every other.
    route.config = { ...route.config, fieldNames: route.url.startsWith('/v1/') ? RESOURCE_FIELD_NAMES : CADREEN_FIELD_NAMES };
    for (const method of hooks(route.method)) served.add(method);
    const { access = 'public', cost, verifiers } = (route.config ?? {}) as { access?: RouteAccess; cost?: (request: FastifyRequest) => number; verifiers?: boolean };
    const onRequest = hooks(route.onRequest);
    if (access !== 'public') onRequest.unshift(authenticateHook(cadreen, access, cost, publicUrl.origin, verifiers));
    route.onRequest = onRequest.length > 0 ? [withNulCheck(onRequest[0]!), ...onRequest.slice(1)] : [refuseNulInUrl];
    // The route's pattern, never the path: no id or key ever becomes a label.
    if (metrics) route.onResponse = [...hooks(route.onResponse), recordResponses(metrics.collector.route(route.url))];
    if (route.schema?.body) route.preValidation = [missingBodyAsEmpty, ...hooks(route.preValidation)];
    if (hooks(route.method).some((method) => method === 'GET' || method === 'HEAD')) {
      route.preHandler = [drainUnreadBody(bodyLimit), ...hooks(route.preHandler)];
    }
  });
  if (options.accessLog) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.debug(
        { request_id: request.id, method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request',
      );
      done();
    });
  }
  app.setErrorHandler(handleError);
  // In a scope of its own, so that the hook recording unmatched requests runs for them alone.
  await app.register(async (scope) => {
    if (metrics) scope.addHook('onResponse', recordResponses(metrics.collector.route(UNMATCHED_ROUTE)));
    scope.setNotFoundHandler((request, reply) => {
      // A path that exists under other methods is 405 with the methods it takes, not 404.
      const path = request.url.split('?')[0]!;
      const allowed = METHODS.filter((method) => method !== request.method && app.findRoute({ method, url: path }) !== null);
      if (allowed.length > 0) {
        reply.header('Allow', allowed.join(', '));
        return sendError(reply, request, 'method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(', ')}`);
      }
      return sendError(reply, request, 'not_found', `no route ${request.method} ${path}`);
    });
  });

  systemRoutes(app, cadreen, openapi, options.version ?? '0.0.0');
  if (metrics) metricsRoutes(app, metrics.collector, metrics);
  cadreenRuntimeRoutes(app, cadreen);
  cadreenApiKeyRoutes(app, cadreen);
  cadreenWorkspaceRoutes(app, cadreen);
  resourceApiKeyRoutes(app, cadreen);
  resourceAuditRoutes(app, cadreen);
  cadreenMemberRoutes(app, cadreen);
  cadreenVerifierRoutes(app, cadreen);
  // Only the sign-in page posts a form (its one field, the link's token): the form parser exists for its routes alone.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, text, done) => {
      done(null, Object.fromEntries(new URLSearchParams(text as string)));
    });
    signInRoutes(scope, cadreen, { publicUrl, ...(options.oidc ? { oidc: options.oidc } : {}) });
  });
  dashboardRoutes(app, { root: fileURLToPath(new URL('../../dashboard/dist/', import.meta.url)) });
  await app.ready();
  return app;
}
