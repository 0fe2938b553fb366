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

/** Sends the one error shape: `{error: {code, message, request_id, details?}}`. */
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
    .send({ error: { code, message, request_id: request.id, ...(details ? { details } : {}) } });
}

/**
 * Maps anything thrown while handling a request to a stable code. Expected
 * failures keep their code; framework rejections of bad input become
 * `invalid_request` or `payload_too_large`; an unreachable store is 503;
 * anything else is a bug, logged in full and answered without detail.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof CadreenError) return sendError(reply, request, error.code, error.message, error.details);
  if (error instanceof StoreUnavailableError) {
    request.log.warn({ request_id: request.id, err: error.cause ?? error }, 'store unavailable');
    reply.header('Retry-After', '1');
    return sendError(reply, request, 'service_unavailable', 'the service is temporarily unavailable; retry shortly');
  }
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
  request.log.error({ request_id: request.id, err: error }, 'unhandled error');
  return sendError(reply, request, 'internal_error', 'an internal error occurred; it has been logged');
}
