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

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
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
