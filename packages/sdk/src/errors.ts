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
  'quota_exceeded',
  'method_not_allowed',
  'request_timeout',
  'uri_too_long',
  'headers_too_large',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes the SDK itself gives when no API answer explains the failure. */
export type ClientErrorCode = 'connection_error' | 'timeout' | 'configuration_error' | 'aborted';

/** Whether `code` is one of the API's error codes this SDK knows. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** Base of every error the SDK throws. `code` is stable; program against it. */
export class CadreenError extends Error {
  override name = 'CadreenError';
  /**
   * The API's error code, or `connection_error` / `timeout` when no answer came, `aborted` when the
   * caller aborted the call, `configuration_error` for a client without a key. A code this SDK does not
   * know yet (from a newer server) is kept as the server sent it.
   */
  readonly code: ErrorCode | ClientErrorCode | (string & {});
  /** HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly details: FieldProblem[] | undefined;
  /** Seconds the server asked to wait (`Retry-After`, sent with 429 and 503), when it said. */
  retryAfter: number | undefined;

  constructor(init: {
    message: string;
    code: CadreenError['code'];
    status?: number;
    requestId?: string;
    details?: FieldProblem[];
    retryAfter?: number;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.details = init.details;
    this.retryAfter = init.retryAfter;
  }
}

/** 401: the key is missing, unknown, expired, revoked or rotated. */
export class AuthenticationError extends CadreenError {
  override name = 'AuthenticationError';
}
/** 403: the key may not act on that workspace or route (`auth_forbidden`), or the workspace already holds its quota of keys (`quota_exceeded`). */
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
/**
 * The request itself is wrong and sending it again will not help: 400 (`details` names the fields),
 * 405 (no such method on that path), 413 (body too large), 414 (path too long), 431 (headers too large).
 */
export class InvalidRequestError extends CadreenError {
  override name = 'InvalidRequestError';
}
/** 429: over the key's or the workspace's rate limit; `retryAfter` is in seconds. */
export class RateLimitError extends CadreenError {
  override name = 'RateLimitError';
}
/** 503: the service cannot use its store right now; nothing was written. `retryAfter` is in seconds. */
export class ServiceUnavailableError extends CadreenError {
  override name = 'ServiceUnavailableError';
}
/** 500: a bug on the server; the request id helps its operators find it. */
export class InternalServerError extends CadreenError {
  override name = 'InternalServerError';
}
/**
 * The exchange itself failed: no answer (the server could not be reached, or did not answer in time;
 * `status` is undefined), or a 408 `request_timeout` (the server did not receive the whole request in
 * time). Check the network; idempotent calls are retried.
 */
export class ConnectionError extends CadreenError {
  override name = 'ConnectionError';
}
/**
 * The caller aborted the call through its `signal` (see `RequestOptions`); `code` is `aborted` and
 * `cause` is the signal's reason. Not a `ConnectionError`: nothing went wrong, so nothing is retried.
 */
export class APIUserAbortError extends CadreenError {
  override name = 'APIUserAbortError';
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
  quota_exceeded: PermissionDeniedError,
  method_not_allowed: InvalidRequestError,
  request_timeout: ConnectionError,
  uri_too_long: InvalidRequestError,
  headers_too_large: InvalidRequestError,
};

/** The code an answer without our error body stands for (a proxy's page, a server shutting down). */
const CODE_FOR_STATUS: Partial<Record<number, ErrorCode>> = {
  401: 'auth_invalid',
  403: 'auth_forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  429: 'rate_limited',
  431: 'headers_too_large',
  503: 'service_unavailable',
};
function codeForStatus(status: number): ErrorCode {
  return CODE_FOR_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
}

/**
 * The error for an API error response. A code this SDK does not know (from a newer server) is kept as
 * it is, and its family is chosen by the HTTP status.
 */
export function errorFromResponse(status: number, body: unknown, retryAfter: number | undefined): CadreenError {
  const error = (body as { error?: { code?: unknown; message?: string; request_id?: string; details?: FieldProblem[] } } | undefined)
    ?.error;
  const sent = typeof error?.code === 'string' && error.code !== '' ? error.code : undefined;
  const code: CadreenError['code'] = sent ?? codeForStatus(status);
  const Class = ERROR_CLASSES[isErrorCode(code) ? code : codeForStatus(status)];
  return new Class({
    message: error?.message ?? `HTTP ${status}`,
    code,
    status,
    ...(error?.request_id ? { requestId: error.request_id } : {}),
    ...(error?.details ? { details: error.details } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  });
}
