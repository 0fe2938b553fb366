import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CadreenError, StoreUnavailableError, statusOf, type ErrorCode, type FieldProblem } from '../core/errors.js';

interface AjvProblem {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** Turns validator output into `details`: one field path and sentence per problem. */
function fieldProblems(problems: AjvProblem[], context: string | undefined): FieldProblem[] {
  return problems.map((problem) => {
    const path = problem.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const extra = (problem.params.additionalProperty ?? problem.params.missingProperty) as string | undefined;
    const field = [path, extra].filter(Boolean).join('.') || context || 'body';
    const message =
      problem.keyword === 'additionalProperties'
        ? 'unknown field'
        : problem.keyword === 'minLength' && problem.params.limit === 1
          ? 'must not be empty'
          : (problem.message ?? 'is invalid');
    return { field, message };
  });
}

/** The one error shape: `{error: {code, message, request_id, details?}}`. */
export function errorBody(code: ErrorCode, message: string, requestId: string, details?: FieldProblem[]) {
  return { error: { code, message, request_id: requestId, ...(details ? { details } : {}) } };
}

/**
 * True while a request's announced body has not fully arrived. Answering such a
 * request keeps the connection only if the rest of the body is read and
 * thrown away, which a slow or hostile client can make last; so it is closed.
 */
export function bodyStillArriving(request: FastifyRequest): boolean {
  const raw = request.raw;
  if (raw.complete) return false;
  const length = raw.headers['content-length'];
  return raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Sends the one error shape with the code's status and the request id. A
 * refusal written before the request's body has arrived closes the connection.
 */
export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: FieldProblem[],
): FastifyReply {
  if (bodyStillArriving(request)) reply.header('Connection', 'close');
  return reply
    .code(statusOf(code))
    .header('Request-Id', request.id)
    .type('application/json; charset=utf-8')
    .send(errorBody(code, message, request.id, details));
}

/**
 * The one error shape as a whole HTTP/1.1 response that closes the connection,
 * for refusals Node's parser raises before there is a request to answer
 * (headers too large, malformed HTTP, a request too slow to arrive). The
 * answer to a HEAD request has the headers of that body but not the body.
 */
export function rawErrorResponse(
  code: ErrorCode,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
  options: { head?: boolean } = {},
): string {
  const status = statusOf(code);
  const body = JSON.stringify(errorBody(code, message, requestId));
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    extra +
    `Content-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Request-Id: ${requestId}\r\n` +
    `Date: ${new Date().toUTCString()}\r\n` +
    `Connection: close\r\n\r\n${options.head ? '' : body}`
  );
}

/** How a failure that is not the client's fault is answered and logged. */
export interface ServerFailure {
  code: 'service_unavailable' | 'internal_error';
  message: string;
  /** Seconds a client should wait before retrying, when retrying can help. */
  retryAfter?: string;
  log: { level: 'warn' | 'error'; err: unknown; message: string };
}

/**
 * An unreachable store is a 503 the client may retry; anything else is a bug,
 * logged in full and answered without detail.
 */
export function describeServerFailure(error: unknown): ServerFailure {
  if (error instanceof StoreUnavailableError) {
    return {
      code: 'service_unavailable',
      message: 'the service is temporarily unavailable; retry shortly',
      retryAfter: '1',
      log: { level: 'warn', err: error.cause ?? error, message: 'store unavailable' },
    };
  }
  return {
    code: 'internal_error',
    message: 'an internal error occurred; it has been logged',
    log: { level: 'error', err: error, message: 'unhandled error' },
  };
}

function sendServerFailure(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  const failure = describeServerFailure(error);
  request.log[failure.log.level]({ request_id: request.id, err: failure.log.err }, failure.log.message);
  if (failure.retryAfter) reply.header('Retry-After', failure.retryAfter);
  return sendError(reply, request, failure.code, failure.message);
}

/** The registry code of a client error the framework raised with only a status. */
function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 408:
      return 'request_timeout';
    case 413:
      return 'payload_too_large';
    case 414:
      return 'uri_too_long';
    case 431:
      return 'headers_too_large';
    default:
      return 'invalid_request';
  }
}

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  not_found: 'no such route',
  method_not_allowed: 'the route does not take this method',
  request_timeout: 'the request did not arrive in time',
  payload_too_large: 'request body is too large',
  uri_too_long: 'a path segment is too long',
  headers_too_large: 'the request headers are too large',
};

/**
 * Maps anything thrown while handling a request to a stable code. Expected
 * failures keep their code; framework rejections of bad input become the
 * registry code of their status (`invalid_request` for most); an unreachable
 * store is 503; anything else is a bug, logged in full and answered without
 * detail.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof CadreenError) {
    const names = request.routeOptions?.config?.fieldNames;
    const details = names ? error.details?.map((problem) => ({ ...problem, field: names[problem.field] ?? problem.field })) : error.details;
    return sendError(reply, request, error.code, error.message, details);
  }
  const fastifyError = error as FastifyError & { validation?: AjvProblem[]; validationContext?: string };
  if (fastifyError.validation) {
    const context = fastifyError.validationContext;
    const part = context === 'querystring' ? 'query' : context === 'params' ? 'path' : (context ?? 'body');
    return sendError(
      reply,
      request,
      'invalid_request',
      `the request ${part} is invalid`,
      fieldProblems(fastifyError.validation, context),
    );
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, request, 'invalid_request', 'send the body as JSON with Content-Type: application/json', [
        { field: 'Content-Type', message: 'must be application/json' },
      ]);
    case 'FST_ERR_BAD_URL':
      return sendError(reply, request, 'invalid_request', 'the path is not validly percent-encoded', [
        { field: 'path', message: 'malformed percent-encoding' },
      ]);
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code = codeOfStatus(fastifyError.statusCode);
    return sendError(reply, request, code, MESSAGES[code] ?? 'the request could not be read');
  }
  return sendServerFailure(reply, request, error);
}

/**
 * Fastify's `frameworkErrors`: refusals its router makes before any route runs
 * (a malformed percent-encoding, a path parameter over the length limit),
 * written through the one error writer.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  handleError(error, request, reply);
}
