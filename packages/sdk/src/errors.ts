/** Every error code the Cadreen API answers with. Append only, like the server's registry. */
export const ERROR_CODES = [
  'auth_missing',
  'auth_invalid',
  'auth_revoked',
  'auth_rotating',
  'auth_forbidden',
  'rate_limited',
  'invalid_request',
  'not_found',
  'conflict',
  'payload_too_large',
  'service_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldProblem {
  field: string;
  message: string;
}

/** Base of every error the SDK throws. `code` is stable; program against it. */
export class CadreenError extends Error {
  override name = 'CadreenError';
  /** The API's error code, or `connection_error` / `timeout` when no answer came. */
  readonly code: ErrorCode | 'connection_error' | 'timeout' | 'configuration_error';
  /** HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly details: FieldProblem[] | undefined;

  constructor(init: {
    message: string;
    code: CadreenError['code'];
    status?: number;
    requestId?: string;
    details?: FieldProblem[];
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.details = init.details;
  }
}

/** 401: the key is missing, unknown, expired, revoked or rotated. */
export class AuthenticationError extends CadreenError {
  override name = 'AuthenticationError';
}
/** 403: the key may not act on that workspace or route. */
export class PermissionDeniedError extends CadreenError {
  override name = 'PermissionDeniedError';
}
/** 404: no such resource in the caller's workspace. */
export class NotFoundError extends CadreenError {
  override name = 'NotFoundError';
}
/** 409: the resource's state does not allow the call. */
export class ConflictError extends CadreenError {
  override name = 'ConflictError';
}
/** 400 and 413: the request itself is wrong; `details` names the fields. */
export class InvalidRequestError extends CadreenError {
  override name = 'InvalidRequestError';
}
/** 429: over the key's rate limit; `retryAfter` is in seconds. */
export class RateLimitError extends CadreenError {
  override name = 'RateLimitError';
  retryAfter: number | undefined;
}
/** 503: the service cannot reach its store right now; nothing was written. */
export class ServiceUnavailableError extends CadreenError {
  override name = 'ServiceUnavailableError';
}
/** 500: a bug on the server; the request id helps its operators find it. */
export class InternalServerError extends CadreenError {
  override name = 'InternalServerError';
}
/** No answer: the server could not be reached, or did not answer in time. */
export class ConnectionError extends CadreenError {
  override name = 'ConnectionError';
}
/** The client was constructed without what it needs (an API key). */
export class ConfigurationError extends CadreenError {
  override name = 'ConfigurationError';
}

type ErrorClass = new (init: ConstructorParameters<typeof CadreenError>[0]) => CadreenError;

/** The error class for each API code: one family per kind of failure. */
export const ERROR_CLASSES: Record<ErrorCode, ErrorClass> = {
  auth_missing: AuthenticationError,
  auth_invalid: AuthenticationError,
  auth_revoked: AuthenticationError,
  auth_rotating: AuthenticationError,
  auth_forbidden: PermissionDeniedError,
  rate_limited: RateLimitError,
  invalid_request: InvalidRequestError,
  payload_too_large: InvalidRequestError,
  not_found: NotFoundError,
  conflict: ConflictError,
  service_unavailable: ServiceUnavailableError,
  internal_error: InternalServerError,
};

/** The code an answer without our error body stands for (a proxy's page, a server shutting down). */
function codeForStatus(status: number): ErrorCode {
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'service_unavailable';
  if (status === 401) return 'auth_invalid';
  if (status === 403) return 'auth_forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  return status >= 500 ? 'internal_error' : 'invalid_request';
}

/** The error for an API error response. Unknown codes (from a newer server) fall back by status. */
export function errorFromResponse(status: number, body: unknown, retryAfter: number | undefined): CadreenError {
  const error = (body as { error?: { code?: string; message?: string; request_id?: string; details?: FieldProblem[] } } | undefined)
    ?.error;
  const code = (error?.code ?? codeForStatus(status)) as ErrorCode;
  const Class =
    ERROR_CLASSES[code] ??
    (status === 401 ? AuthenticationError : status === 403 ? PermissionDeniedError : status === 404 ? NotFoundError : status >= 500 ? InternalServerError : CadreenError);
  const instance = new Class({
    message: error?.message ?? `HTTP ${status}`,
    code,
    status,
    ...(error?.request_id ? { requestId: error.request_id } : {}),
    ...(error?.details ? { details: error.details } : {}),
  });
  if (instance instanceof RateLimitError) instance.retryAfter = retryAfter;
  return instance;
}
