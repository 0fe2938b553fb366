import type {
  APIKey,
  APIKeyCreateParams,
  APIKeyGetParams,
  APIKeyList,
  APIKeyListParams,
  APIKeyRotateParams,
  APIKeyUpdateParams,
  AuditEventList,
  AuditEventListParams as GeneratedAuditEventListParams,
} from './generated/api-types.js';
import type { ProfileType } from './members.js';
import { Page, PagePromise } from './pagination.js';
import type { RequestOptions, Transport } from './transport.js';

// Written by hand until the generated types carry the people API's event types and `actor`.

/** What an audit event records. */
export type AuditEventType =
  | 'key.created'
  | 'key.updated'
  | 'key.rotated'
  | 'key.revoked'
  | 'auth.refused'
  | 'workspace.created'
  | 'workspace.updated'
  | 'member.added'
  | 'member.updated'
  | 'member.removed'
  | 'session.created'
  | 'session.ended';

/** Who acted: a person (with their name or email), an API key, or the service itself. */
export interface AuditActor {
  profileId: string;
  type: ProfileType;
  name?: string;
  email?: string;
}

/** One entry of the workspace's audit log. */
export type AuditEvent = Omit<AuditEventList['items'][number], 'type'> & {
  type: AuditEventType;
  /** Who acted. */
  actor?: AuditActor;
  /** On `member.*` events: the person added, changed or removed. */
  member?: AuditActor;
};

export type AuditEventListParams = Omit<GeneratedAuditEventListParams, 'type'> & { type?: AuditEventType };

const path = (strings: TemplateStringsArray, ...ids: string[]) =>
  strings.reduce((out, part, i) => out + part + (i < ids.length ? encodeURIComponent(ids[i]!) : ''), '');

/** The keys of the caller's workspace (the resource dialect, `/v1/api_keys`). */
export class APIKeys {
  constructor(private readonly transport: Transport) {}

  /** Creates a key; `spec.token` holds the plaintext, in this response only. */
  create(params: APIKeyCreateParams, options?: RequestOptions): Promise<APIKey> {
    return this.transport.request({ method: 'POST', path: '/v1/api_keys', body: params }, options);
  }

  /**
   * Lists keys, newest first by default. Await it for one page, or iterate it
   * with `for await` to walk every key across pages.
   */
  list(params: APIKeyListParams = {}, options?: RequestOptions): PagePromise<APIKey> {
    const fetchPage = async (cursor?: string): Promise<Page<APIKey>> => {
      const response = await this.transport.request<APIKeyList>({
        method: 'GET',
        path: '/v1/api_keys',
        query: { ...params, ...(cursor ? { cursor } : {}) },
      }, options);
      return new Page(
        { items: response.items, nextCursor: response.pagination.nextCursor, total: response.pagination.total },
        fetchPage,
      );
    };
    return new PagePromise(() => fetchPage(params.cursor));
  }

  get(id: string, params: APIKeyGetParams = {}, options?: RequestOptions): Promise<APIKey> {
    return this.transport.request({ method: 'GET', path: path`/v1/api_keys/${id}`, query: params }, options);
  }

  /** Changes any subset of `metadata` (name, externalId, labels) and `spec` (description, expiresAt). */
  update(id: string, params: APIKeyUpdateParams, options?: RequestOptions): Promise<APIKey> {
    return this.transport.request({ method: 'PATCH', path: path`/v1/api_keys/${id}`, body: params }, options);
  }

  /** Replaces an active key; the new key's `spec.token` is in this response only. */
  rotate(id: string, params: APIKeyRotateParams = {}, options?: RequestOptions): Promise<APIKey> {
    return this.transport.request({ method: 'POST', path: path`/v1/api_keys/${id}/rotate`, body: params }, options);
  }

  /** Revokes a key (idempotent) and returns it. */
  revoke(id: string, options?: RequestOptions): Promise<APIKey> {
    return this.transport.request({ method: 'DELETE', path: path`/v1/api_keys/${id}` }, options);
  }
}

/** The workspace's audit log, newest first. */
export class AuditEvents {
  constructor(private readonly transport: Transport) {}

  list(params: AuditEventListParams = {}, options?: RequestOptions): PagePromise<AuditEvent> {
    const fetchPage = async (cursor?: string): Promise<Page<AuditEvent>> => {
      const response = await this.transport.request<{ items: AuditEvent[]; pagination: AuditEventList['pagination'] }>({
        method: 'GET',
        path: '/v1/audit_events',
        query: { ...params, ...(cursor ? { cursor } : {}) },
      }, options);
      return new Page({ items: response.items, nextCursor: response.pagination.nextCursor, total: undefined }, fetchPage);
    };
    return new PagePromise(() => fetchPage(params.cursor));
  }
}
