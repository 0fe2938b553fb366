import { ERROR_CODES, statusOf, type ErrorCode } from '../../../src/core/errors.js';
import type { Exchange, SentRequest } from './target.js';

/** Text that only a stack trace or a framework's own error would put in an answer. */
export const LEAK_MARKERS = ['    at ', '.ts:', '.js:', 'FST_', 'Error:'] as const;

const header = (exchange: Exchange, name: string): string | undefined => {
  const value = exchange.headers[name];
  return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
};

/** Everything the client sent, to tell an echo of its own input from a leak. */
const sentText = (sent: SentRequest): string =>
  [sent.method, sent.url, ...Object.entries(sent.headers).flat(2), sent.body ?? ''].join('\n');

/** Problems with the shape `{"error":{"code","message","request_id"(,"details")}}` and its code. */
function errorBodyProblems(exchange: Exchange): string[] {
  const problems: string[] = [];
  const type = header(exchange, 'content-type');
  if (!type?.toLowerCase().startsWith('application/json')) problems.push(`error answer with Content-Type ${JSON.stringify(type)}`);
  let body: unknown;
  try {
    body = JSON.parse(exchange.text);
  } catch {
    return [...problems, 'error answer whose body is not JSON'];
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).join() !== 'error') {
    return [...problems, 'error answer not shaped {"error":{…}}'];
  }
  const error = (body as { error: unknown }).error as Record<string, unknown>;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return [...problems, '"error" is not an object'];
  const extra = Object.keys(error).filter((name) => !['code', 'message', 'request_id', 'details'].includes(name));
  if (extra.length) problems.push(`"error" has fields outside the contract: ${extra.join(', ')}`);
  for (const name of ['code', 'message', 'request_id'] as const) {
    if (typeof error[name] !== 'string' || error[name] === '') problems.push(`"error.${name}" is not a non-empty string`);
  }
  if (error.details !== undefined) {
    const details = error.details;
    const wellFormed =
      Array.isArray(details) &&
      details.every(
        (detail) =>
          typeof detail === 'object' &&
          detail !== null &&
          Object.keys(detail).sort().join() === 'field,message' &&
          typeof (detail as Record<string, unknown>).field === 'string' &&
          typeof (detail as Record<string, unknown>).message === 'string',
      );
    if (!wellFormed) problems.push('"error.details" is not a list of {field, message}');
  }
  const isErrorCode = (value: unknown): value is ErrorCode => (ERROR_CODES as readonly unknown[]).includes(value);
  if (!isErrorCode(error.code)) problems.push(`code ${JSON.stringify(error.code)} is not in the registry`);
  else if (statusOf(error.code) !== exchange.status) problems.push(`code ${error.code} belongs with ${statusOf(error.code)}, answered ${exchange.status}`);
  const requestId = header(exchange, 'request-id');
  if (requestId !== undefined && requestId !== error.request_id) problems.push('"error.request_id" differs from the Request-Id header');
  return problems;
}

/**
 * What every answer must satisfy: no 5xx; every answer that is not a success
 * carries the one error shape with a registry code whose status it has; no
 * stack trace or framework error text that the client did not send itself;
 * 429 and 503 say when to retry, 405 which methods are allowed; no plaintext
 * key or admin token the service holds. A HEAD answer has no body to judge.
 */
export function contractProblems(sent: SentRequest, exchange: Exchange, secrets: readonly string[]): string[] {
  if (exchange.error !== undefined && exchange.status <= 0) return [exchange.error];
  const problems: string[] = [];
  if (exchange.error !== undefined) problems.push(exchange.error);
  if (exchange.status >= 500) problems.push(`answered ${exchange.status}`);
  const success = exchange.status >= 200 && exchange.status < 300;
  if (!success && sent.method !== 'HEAD') {
    problems.push(...errorBodyProblems(exchange));
    const echoed = sentText(sent);
    const leaks = LEAK_MARKERS.filter((marker) => exchange.text.includes(marker) && !echoed.includes(marker));
    if (leaks.length) problems.push(`error answer contains ${leaks.map((marker) => JSON.stringify(marker)).join(', ')}`);
  }
  if (exchange.status === 429 || exchange.status === 503) {
    const retryAfter = header(exchange, 'retry-after');
    if (retryAfter === undefined || !/^[1-9]\d*$/.test(retryAfter)) problems.push(`${exchange.status} without Retry-After in whole seconds ≥ 1`);
  }
  if (exchange.status === 405 && !header(exchange, 'allow')) problems.push('405 without Allow');
  for (const secret of secrets) {
    if (exchange.text.includes(secret)) {
      problems.push('the answer contains a plaintext key or the admin token');
      break;
    }
  }
  return problems;
}
