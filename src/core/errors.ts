/**
 * The one registry of error codes. Codes are append-only and never renamed:
 * clients program against them. The HTTP status of each code is decided here
 * and nowhere else.
 */
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

/** The codes an authentication attempt can be refused with. */
export type DenialCode = Extract<
  ErrorCode,
  'auth_missing' | 'auth_invalid' | 'auth_revoked' | 'auth_rotating' | 'auth_forbidden' | 'rate_limited'
>;

/** What a caller is told when it is refused, one sentence per denial code. */
export const DENIAL_MESSAGES: Record<DenialCode, string> = {
  auth_missing: "missing API key: send 'Authorization: Bearer <key>'",
  auth_invalid: 'invalid API key',
  auth_revoked: 'API key has been revoked',
  auth_rotating: 'API key was rotated; use the new key',
  auth_forbidden: 'API key does not have access to this workspace resource',
  rate_limited: 'too many requests for this API key; retry after the Retry-After header',
};

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'auth_missing':
    case 'auth_invalid':
    case 'auth_revoked':
    case 'auth_rotating':
      return 401;
    case 'auth_forbidden':
    case 'quota_exceeded':
      return 403;
    case 'rate_limited':
      return 429;
    case 'invalid_request':
      return 400;
    case 'not_found':
      return 404;
    case 'method_not_allowed':
      return 405;
    case 'request_timeout':
      return 408;
    case 'conflict':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'uri_too_long':
      return 414;
    case 'headers_too_large':
      return 431;
    case 'service_unavailable':
      return 503;
    case 'internal_error':
      return 500;
  }
}


/** One problem with one field of a request, reported in `error.details`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * An expected, client-caused failure of an operation (not found, conflict,
 * invalid input). It carries a stable code; its message is for people.
 */
export class CadreenError extends Error {
  override readonly name = 'CadreenError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
  }

  get status(): number {
    return statusOf(this.code);
  }
}

export const notFound = (what: string): CadreenError => new CadreenError('not_found', `${what} not found`);
export const conflict = (message: string): CadreenError => new CadreenError('conflict', message);
export const invalidRequest = (message: string, details?: FieldProblem[]): CadreenError =>
  new CadreenError('invalid_request', message, details);

/**
 * The store could not be reached or did not answer in time. Nothing was
 * written; the caller may retry.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
