import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerFactory, type FastifyServerOptions } from 'fastify';
import type { Cadreen } from '../core/cadreen.js';
import { invalidRequest } from '../core/errors.js';
import { authenticateHook, type RouteAccess } from './authenticate.js';
import { handleError, sendError } from './errors.js';
import { createFastLane, laneServer } from './fast-lane.js';
import { OpenApiCollector } from './openapi.js';
import { newRequestId } from './request-id.js';
import { cadreenApiKeyRoutes } from './routes/cadreen/api-keys.js';
import { cadreenRuntimeRoutes } from './routes/cadreen/runtime.js';
import { cadreenWorkspaceRoutes } from './routes/cadreen/workspaces.js';
import { resourceApiKeyRoutes } from './routes/resource/api-keys.js';
import { resourceAuditRoutes } from './routes/resource/audit-events.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { systemRoutes } from './routes/system.js';

export interface AppOptions {
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  logger?: FastifyServerOptions['loggerInstance'];
  /** One debug line per request (default off: at tens of thousands of requests a second it would cost more than a verification). */
  accessLog?: boolean;
  version?: string;
}

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

/** The HTTP server: both dialects over the one domain in `cadreen`. */
export async function buildApp(cadreen: Cadreen, options: AppOptions = {}): Promise<FastifyInstance> {
  // With one access line per request wanted, every request goes through Fastify, which writes them.
  const lane = options.accessLog ? undefined : createFastLane(cadreen, () => app.log);
  const serverFactory: FastifyServerFactory | undefined = lane && ((handler, serverOptions) => laneServer(lane, handler, serverOptions));
  const app: FastifyInstance = Fastify({
    ...(serverFactory ? { serverFactory } : {}),
    ...(options.logger ? { loggerInstance: options.logger } : {}),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    genReqId: newRequestId,
    requestIdHeader: false,
    // Fastify's two lines per request are off; with `accessLog` one debug line is written instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // No child logger per request (it costs more than the rest of a cached verification):
    // every line that concerns a request names its request_id itself.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(validators());
  if (lane) app.addHook('preClose', (done) => {
    lane.close();
    done();
  });

  // JSON bodies; an empty body reads as no body, so `POST …/rotate` works with or without one.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = (text as string).trim();
    if (source === '') return done(null, undefined);
    try {
      done(null, JSON.parse(source));
    } catch {
      done(invalidRequest('the body is not valid JSON', [{ field: 'body', message: 'malformed JSON' }]), undefined);
    }
  });

  const openapi = new OpenApiCollector();
  // Hooks go only on the routes that need them: a public probe pays for none of this.
  app.addHook('onRoute', (route) => {
    openapi.collect(route);
    const { access = 'public', cost } = (route.config ?? {}) as { access?: RouteAccess; cost?: (request: FastifyRequest) => number };
    if (access !== 'public') route.onRequest = [authenticateHook(cadreen, access, cost), ...hooks(route.onRequest)];
    if (route.schema?.body) route.preValidation = [missingBodyAsEmpty, ...hooks(route.preValidation)];
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
  app.setNotFoundHandler((request, reply) => sendError(reply, request, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));

  systemRoutes(app, cadreen, openapi, options.version ?? '0.0.0');
  cadreenRuntimeRoutes(app, cadreen);
  cadreenApiKeyRoutes(app, cadreen);
  cadreenWorkspaceRoutes(app, cadreen);
  resourceApiKeyRoutes(app, cadreen);
  resourceAuditRoutes(app, cadreen);
  dashboardRoutes(app, { root: fileURLToPath(new URL('../../dashboard/dist/', import.meta.url)) });
  await app.ready();
  return app;
}
