import { CadreenError, ConnectionError, errorFromResponse } from './errors.js';

export interface TransportOptions {
  apiKey: string;
  baseURL: string;
  /** Per attempt, in milliseconds. */
  timeout: number;
  maxRetries: number;
  workspaceId?: string;
  fetch: typeof fetch;
  userAgent: string;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

const IDEMPOTENT = new Set(['GET', 'PATCH', 'DELETE']);

/** Network failures that prove the request never reached the server. */
function neverSent(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with ±25 % jitter: 0.5 s, 1 s, 2 s … capped at 8 s. */
export function backoffMs(attempt: number): number {
  const base = Math.min(8000, 500 * 2 ** attempt);
  return base * (0.75 + Math.random() * 0.5);
}

/** The longest `Retry-After` the client waits out; a longer one is handed to the caller at once. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/** Whole seconds from a `Retry-After` header, or undefined when absent or not a number of seconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  return value !== null && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

/**
 * How long to wait before retrying an error answer, in milliseconds, or undefined when it must not
 * be retried. 429 and 503 are refused before anything is written, so any call may be retried; a 408
 * (the server did not receive the whole request in time) only when the call is idempotent. The
 * server's `Retry-After` is honoured up to {@link MAX_RETRY_AFTER_SECONDS}; beyond that the error is
 * the caller's to handle.
 */
export function retryDelayMs(status: number, method: string, retryAfter: number | undefined, attempt: number): number | undefined {
  const retryable = status === 429 || status === 503 || (status === 408 && IDEMPOTENT.has(method));
  if (!retryable) return undefined;
  if (!retryAfter) return backoffMs(attempt);
  return retryAfter <= MAX_RETRY_AFTER_SECONDS ? retryAfter * 1000 : undefined;
}

/**
 * Sends requests with the key, a timeout per attempt, and retries where it is
 * safe (see {@link retryDelayMs}); a network failure is retried for idempotent
 * calls, and for others only when the request was never sent.
 */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  async request<T>(request: RequestOptions): Promise<T> {
    const url = new URL(request.path.replace(/^\//, ''), this.options.baseURL.replace(/\/?$/, '/'));
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.options.apiKey}`,
      Accept: 'application/json',
      'User-Agent': this.options.userAgent,
      ...(this.options.workspaceId ? { 'X-Cadreen-Workspace-Id': this.options.workspaceId } : {}),
      ...(request.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    };
    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < this.options.maxRetries;
      let response: Response;
      try {
        response = await this.options.fetch(url, {
          method: request.method,
          headers,
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
          signal: AbortSignal.timeout(this.options.timeout),
        });
      } catch (error) {
        const timedOut = (error as Error)?.name === 'TimeoutError';
        if (retriesLeft && ((IDEMPOTENT.has(request.method) && !timedOut) || neverSent(error) || (timedOut && request.method === 'GET'))) {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw new ConnectionError({
          message: timedOut
            ? `no answer from ${url.origin} within ${this.options.timeout} ms`
            : `could not reach ${url.origin}: ${(error as Error)?.message ?? error}`,
          code: timedOut ? 'timeout' : 'connection_error',
          cause: error,
        });
      }
      if (response.ok) {
        if (response.status === 204) return undefined as T;
        return (await response.json()) as T;
      }
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      const delay = retriesLeft ? retryDelayMs(response.status, request.method, retryAfter, attempt) : undefined;
      if (delay !== undefined) {
        await response.body?.cancel();
        await sleep(delay);
        continue;
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        body = undefined;
      }
      throw errorFromResponse(response.status, body, retryAfter);
    }
  }
}

export { CadreenError };
