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
      problem.keyword === 'additionalProperties' ? 'unknown field' : (problem.message ?? 'is invalid');
    return { field, message };
  });
}

/** The one error shape: `{error: {code, message, request_id, details?}}`. */
export function errorBody(code: ErrorCode, message: string, requestId: string, details?: FieldProblem[]) {
  return { error: { code, message, request_id: requestId, ...(details ? { details } : {}) } };
}

/** Sends the one error shape with the code's status and the request id. */
export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: FieldProblem[],
): FastifyReply {
  return reply
    .code(statusOf(code))
    .header('Request-Id', request.id)
    .type('application/json; charset=utf-8')
    .send(errorBody(code, message, request.id, details));
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

/**
 * Maps anything thrown while handling a request to a stable code. Expected
 * failures keep their code; framework rejections of bad input become
 * `invalid_request` or `payload_too_large`; an unreachable store is 503;
 * anything else is a bug, logged in full and answered without detail.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof CadreenError) return sendError(reply, request, error.code, error.message, error.details);
  const fastifyError = error as FastifyError & { validation?: AjvProblem[]; validationContext?: string };
  if (fastifyError.validation) {
    const context = fastifyError.validationContext;
    return sendError(
      reply,
      request,
      'invalid_request',
      `the request ${context === 'querystring' ? 'query' : (context ?? 'body')} is invalid`,
      fieldProblems(fastifyError.validation, context),
    );
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(reply, request, 'payload_too_large', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, request, 'invalid_request', 'send the body as JSON with Content-Type: application/json', [
        { field: 'Content-Type', message: 'must be application/json' },
      ]);
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    if (fastifyError.statusCode === 413) return sendError(reply, request, 'payload_too_large', 'request body is too large');
    return sendError(reply, request, 'invalid_request', 'the request could not be read');
  }
  return sendServerFailure(reply, request, error);
}
