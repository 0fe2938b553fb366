import { ConfigurationError } from './errors.js';
import type { Health, Verification } from './generated/api-types.js';
import { type Me, Members, toMe } from './members.js';
import { APIKeys, AuditEvents } from './resources.js';
import { type RequestOptions, Transport, MAX_RETRY_AFTER_SECONDS, USER_AGENT } from './transport.js';
import { Workspaces } from './workspaces.js';

export interface CadreenOptions {
  /** An API key (or the admin token). Defaults to the CADREEN_API_KEY environment variable. */
  apiKey?: string;
  /** Defaults to CADREEN_BASE_URL, then http://127.0.0.1:8080. */
  baseURL?: string;
  /** Per attempt, in milliseconds (default 30 000). */
  timeout?: number;
  /** Retries on 429, 503 and safe network failures (default 2). */
  maxRetries?: number;
  /**
   * The longest `Retry-After` (429, 503) the client waits out before retrying, in seconds (default 60).
   * An answer asking for longer is thrown at once, its `retryAfter` saying how long.
   */
  maxRetryAfterSeconds?: number;
  /** With the admin token: the workspace that `/v1/…` calls act on. */
  workspaceId?: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** Reads an environment variable where there is one (Node.js, Deno, Bun); browsers have none. */
const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] || undefined;

/**
 * The Cadreen API client.
 *
 * ```ts
 * const cadreen = new Cadreen({ apiKey: process.env.CADREEN_API_KEY });
 * for await (const key of cadreen.apiKeys.list({ limit: 50, prefix: 'prod' })) console.log(key.metadata.name);
 * ```
 */
export class Cadreen {
  readonly apiKeys: APIKeys;
  readonly workspaces: Workspaces;
  readonly auditEvents: AuditEvents;
  readonly members: Members;
  readonly baseURL: string;
  private readonly transport: Transport;
  private ownWorkspaceId: string | undefined;

  constructor(options: CadreenOptions = {}) {
    const apiKey = options.apiKey ?? env('CADREEN_API_KEY');
    if (!apiKey) {
      throw new ConfigurationError({
        message: 'no API key: pass { apiKey } or set the CADREEN_API_KEY environment variable',
        code: 'configuration_error',
      });
    }
    this.baseURL = options.baseURL ?? env('CADREEN_BASE_URL') ?? 'http://127.0.0.1:8080';
    this.transport = new Transport({
      apiKey,
      baseURL: this.baseURL,
      timeout: options.timeout ?? 30_000,
      maxRetries: options.maxRetries ?? 2,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? MAX_RETRY_AFTER_SECONDS,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      userAgent: USER_AGENT,
      ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}),
    });
    this.apiKeys = new APIKeys(this.transport);
    this.workspaces = new Workspaces(this.transport);
    this.auditEvents = new AuditEvents(this.transport);
    const workspaceId = options.workspaceId;
    this.members = new Members(this.transport, (requestOptions) => (workspaceId ? Promise.resolve(workspaceId) : this.keyWorkspace(requestOptions)));
  }

  /** The API key's own workspace, asked of the server once; the admin token has none. */
  private async keyWorkspace(options?: RequestOptions): Promise<string> {
    if (this.ownWorkspaceId) return this.ownWorkspaceId;
    const { workspace_id } = await this.health(options);
    if (!workspace_id) {
      throw new ConfigurationError({
        message: 'no workspace: pass { workspaceId } to the call or to new Cadreen()',
        code: 'configuration_error',
      });
    }
    return (this.ownWorkspaceId = workspace_id);
  }

  /** Who the client's credential is: its profile (none for the admin token) and its workspaces. */
  async me(options?: RequestOptions): Promise<Me> {
    return toMe(await this.transport.request({ method: 'GET', path: '/api/v1/maas/me' }, options));
  }

  /** Which workspace and key the client's key is. */
  health(options?: RequestOptions): Promise<Health> {
    return this.transport.request({ method: 'GET', path: '/api/v1/cadreen/health' }, options);
  }

  /** Verifies another key, for services that put Cadreen in front of their own API. */
  verify(key: string, options?: RequestOptions): Promise<Verification> {
    return this.transport.request({ method: 'POST', path: '/api/v1/cadreen/keys/verify', body: { key } }, options);
  }
}
