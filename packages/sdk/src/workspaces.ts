// Workspaces (`/api/v1/maas/workspaces`), for the admin token. The API answers in snake_case; these
// types are in the SDK's camelCase, as keys and members are, and the functions below rename the fields.
import type { WireWorkspace, WireWorkspaceList, WorkspaceListParams } from './generated/api-types.js';
import { Page, PagePromise } from './pagination.js';
import type { RequestOptions, Transport } from './transport.js';

export type { WorkspaceListParams };

/** Where a limit comes from: set on the workspace, or the deployment's default. */
export type RateLimitSource = 'workspace' | 'default';

/** A limit in force: at most `limit` requests per `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
  source: RateLimitSource;
}

/** A limit to set: at most `limit` requests per `windowSeconds`. */
export interface RateLimitParams {
  limit: number;
  windowSeconds: number;
}

export interface Workspace {
  id: string;
  accountId: string;
  name: string;
  /** RFC 3339 timestamp */
  createdAt: string;
  /** The limit of each key. */
  rateLimit: RateLimit;
  /** The budget all keys of the workspace share together. */
  workspaceRateLimit: RateLimit;
}

export interface WorkspaceCreateParams {
  /** Human-readable name. */
  name: string;
  /** The account; optional while the deployment has one. */
  accountId?: string;
  /** The limit of each key; `null` or absent: the deployment's default. */
  rateLimit?: RateLimitParams | null;
  /** The budget all keys share; `null` or absent: the deployment's default. */
  workspaceRateLimit?: RateLimitParams | null;
}

export interface WorkspaceUpdateParams {
  /** Human-readable name. */
  name?: string;
  /** The limit of each key; `null` clears it (back to the deployment's default), absent leaves it. */
  rateLimit?: RateLimitParams | null;
  /** The budget all keys share; `null` clears it, absent leaves it. */
  workspaceRateLimit?: RateLimitParams | null;
}

type WireRateLimit = WireWorkspace['rate_limit'];

const toRateLimit = (r: WireRateLimit): RateLimit => ({ limit: r.limit, windowSeconds: r.window_seconds, source: r.source });

/** Renames the fields of a workspace as the API answers it. */
export const toWorkspace = (w: WireWorkspace): Workspace => ({
  id: w.id,
  accountId: w.account_id,
  name: w.name,
  createdAt: w.created_at,
  rateLimit: toRateLimit(w.rate_limit),
  workspaceRateLimit: toRateLimit(w.workspace_rate_limit),
});

/** `undefined` stays absent, `null` clears. */
const fromRateLimit = (r: RateLimitParams | null | undefined) =>
  r === undefined ? undefined : r === null ? null : { limit: r.limit, window_seconds: r.windowSeconds };

function wireBody(params: WorkspaceCreateParams | WorkspaceUpdateParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (params.name !== undefined) body.name = params.name;
  if ('accountId' in params && params.accountId !== undefined) body.account_id = params.accountId;
  if (params.rateLimit !== undefined) body.rate_limit = fromRateLimit(params.rateLimit);
  if (params.workspaceRateLimit !== undefined) body.workspace_rate_limit = fromRateLimit(params.workspaceRateLimit);
  return body;
}

const workspacePath = (id?: string) => `/api/v1/maas/workspaces${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;

/** Workspaces, for the admin token. */
export class Workspaces {
  constructor(private readonly transport: Transport) {}

  async create(params: WorkspaceCreateParams, options?: RequestOptions): Promise<Workspace> {
    return toWorkspace(await this.transport.request<WireWorkspace>({ method: 'POST', path: workspacePath(), body: wireBody(params) }, options));
  }

  /**
   * Lists workspaces, oldest first. Await it for one page, or iterate it with `for await` to walk every
   * workspace across pages.
   */
  list(params: WorkspaceListParams = {}, options?: RequestOptions): PagePromise<Workspace> {
    const fetchPage = async (cursor?: string): Promise<Page<Workspace>> => {
      const response = await this.transport.request<WireWorkspaceList>({
        method: 'GET',
        path: workspacePath(),
        query: { limit: params.limit, cursor },
      }, options);
      return new Page(
        { items: response.workspaces.map(toWorkspace), nextCursor: response.next_cursor ?? undefined, total: response.count },
        fetchPage,
      );
    };
    return new PagePromise(() => fetchPage(params.cursor));
  }

  async get(id: string, options?: RequestOptions): Promise<Workspace> {
    return toWorkspace(await this.transport.request<WireWorkspace>({ method: 'GET', path: workspacePath(id) }, options));
  }

  /** Renames the workspace or sets its limits; `null` clears a limit. */
  async update(id: string, params: WorkspaceUpdateParams, options?: RequestOptions): Promise<Workspace> {
    return toWorkspace(await this.transport.request<WireWorkspace>({ method: 'PATCH', path: workspacePath(id), body: wireBody(params) }, options));
  }
}
