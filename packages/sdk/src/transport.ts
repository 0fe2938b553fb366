import { APIUserAbortError, CadreenError, ConnectionError, errorFromResponse } from './errors.js';
import { VERSION } from './version.js';

/** What the SDK sends as `User-Agent`. */
export const USER_AGENT = `cadreen-typescript/${VERSION}`;

/**
 * Options for one call, the last argument of every method. They override the client's own
 * `timeout` and `maxRetries` for this call only.
 *
 * ```ts
 * const controller = new AbortController();
 * const key = await cadreen.apiKeys.get(id, {}, { signal: controller.signal, timeout: 5_000, maxRetries: 0 });
 * ```
 */
export interface RequestOptions {
  /**
   * Aborts the call: it stops at once, also while waiting to retry, with an `APIUserAbortError`.
   * For a list, it covers every page fetched through it.
   */
  signal?: AbortSignal;
  /** Per attempt, in milliseconds. */
  timeout?: number;
  /** Retries on 429, 503 and safe network failures. */
  maxRetries?: number;
}

export interface TransportOptions {
  apiKey: string;
  baseURL: string;
  /** Per attempt, in milliseconds. */
  timeout: number;
  maxRetries: number;
  /** The longest `Retry-After` waited out, in seconds. */
  maxRetryAfterSeconds: number;
  workspaceId?: string;
  fetch: typeof fetch;
  userAgent: string;
}

/** One call to the API. */
export interface APIRequest {
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

const aborted = (signal: AbortSignal) =>
  new APIUserAbortError({ message: 'the request was aborted', code: 'aborted', cause: signal.reason });

/** Waits `ms`, or rejects with an `APIUserAbortError` as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with ±25 % jitter: 0.5 s, 1 s, 2 s … capped at 8 s. */
export function backoffMs(attempt: number): number {
  const base = Math.min(8000, 500 * 2 ** attempt);
  return base * (0.75 + Math.random() * 0.5);
}

/** The default longest `Retry-After` the client waits out; a longer one is handed to the caller at once. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/** Whole seconds from a `Retry-After` header, or undefined when absent or not a number of seconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  return value !== null && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

/**
 * How long to wait before retrying an error answer, in milliseconds, or undefined when it must not
 * be retried. 429 and 503 are refused before anything is written, so any call may be retried; a 408
 * (the server did not receive the whole request in time) only when the call is idempotent. The
 * server's `Retry-After` is honoured up to `maxRetryAfterSeconds` (default
 * {@link MAX_RETRY_AFTER_SECONDS}); beyond that the error is the caller's to handle at once.
 */
export function retryDelayMs(
  status: number,
  method: string,
  retryAfter: number | undefined,
  attempt: number,
  maxRetryAfterSeconds = MAX_RETRY_AFTER_SECONDS,
): number | undefined {
  const retryable = status === 429 || status === 503 || (status === 408 && IDEMPOTENT.has(method));
  if (!retryable) return undefined;
  if (!retryAfter) return backoffMs(attempt);
  return retryAfter <= maxRetryAfterSeconds ? retryAfter * 1000 : undefined;
}

/** One attempt's signal: aborts when the caller's signal does, or when the attempt's time is up. */
function attemptSignal(timeout: number, signal: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeout} ms`, 'TimeoutError'));
  }, timeout);
  const onAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Sends requests with the key, a timeout per attempt, and retries where it is
 * safe (see {@link retryDelayMs}); a network failure is retried for idempotent
 * calls, and for others only when the request was never sent.
 */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  async request<T>(request: APIRequest, options: RequestOptions = {}): Promise<T> {
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
    const timeout = options.timeout ?? this.options.timeout;
    const maxRetries = options.maxRetries ?? this.options.maxRetries;
    const { signal } = options;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw aborted(signal);
      const retriesLeft = attempt < maxRetries;
      const deadline = attemptSignal(timeout, signal);
      try {
        let response: Response;
        try {
          response = await this.options.fetch(url, {
            method: request.method,
            headers,
            ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
            signal: deadline.signal,
          });
        } catch (error) {
          if (signal?.aborted) throw aborted(signal);
          const timedOut = deadline.timedOut();
          if (retriesLeft && ((IDEMPOTENT.has(request.method) && !timedOut) || neverSent(error) || (timedOut && request.method === 'GET'))) {
            deadline.done();
            await sleep(backoffMs(attempt), signal);
            continue;
          }
          throw new ConnectionError({
            message: timedOut
              ? `no answer from ${url.origin} within ${timeout} ms`
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
        const delay = retriesLeft ? retryDelayMs(response.status, request.method, retryAfter, attempt, this.options.maxRetryAfterSeconds) : undefined;
        if (delay !== undefined) {
          await response.body?.cancel();
          deadline.done();
          await sleep(delay, signal);
          continue;
        }
        let body: unknown;
        try {
          body = await response.json();
        } catch {
          if (signal?.aborted) throw aborted(signal);
          body = undefined;
        }
        throw errorFromResponse(response.status, body, retryAfter);
      } catch (error) {
        if (error instanceof CadreenError) throw error;
        // The caller aborted, or the time ran out, while the answer's body was being read.
        if (signal?.aborted) throw aborted(signal);
        if (deadline.timedOut()) {
          throw new ConnectionError({ message: `no whole answer from ${url.origin} within ${timeout} ms`, code: 'timeout', cause: error });
        }
        throw error;
      } finally {
        deadline.done();
      }
    }
  }
}

export { CadreenError };
