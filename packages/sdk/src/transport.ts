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

/**
 * Sends requests with the key, a timeout per attempt, and retries where it is
 * safe: 429 and 503 are refused before anything is written, so any call may
 * be retried (429 after `Retry-After`); a network failure is retried for
 * idempotent calls, and for others only when the request was never sent.
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
      const retryAfter = Number(response.headers.get('retry-after')) || undefined;
      if (retriesLeft && (response.status === 429 || response.status === 503)) {
        await response.body?.cancel();
        await sleep(response.status === 429 && retryAfter ? retryAfter * 1000 : backoffMs(attempt));
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
