/**
 * The Cadreen API as the dashboard uses it, on this origin only. A client signs in one of two ways:
 * a person's session (the HttpOnly cookie the browser sends by itself; the page never sees it) or
 * a pasted token (an API key or the admin token) sent as a Bearer header and no cookie.
 */

import type {
  APIKey,
  ErrorCode,
  FieldProblem,
  Health,
  MemberRole,
  ProfileType,
  WireActor,
  WireAddedMember,
  WireAuditEvent,
  WireAuditEventList,
  WireIssuedKey,
  WireKey,
  WireKeyCreateParams,
  WireKeyList,
  WireKeyListParams,
  WireKeyStatus,
  WireMe,
  WireMember,
  WireMemberList,
  WireMembership,
  WireProfile,
  WireWorkspace,
} from '@cadreen/sdk';

// The API's own JSON shapes, as the SDK has them from the server's OpenAPI document (type-only: nothing
// of the SDK is bundled).
export type { FieldProblem, Health, ProfileType };
export type KeyStatus = WireKeyStatus;
export type Key = WireKey;
/** A key as create and rotate return it: the only answers that carry the plaintext. */
export type IssuedKey = WireIssuedKey;
export type KeyList = WireKeyList;
export type KeyQuery = Required<Pick<WireKeyListParams, 'limit' | 'order'>> & Pick<WireKeyListParams, 'cursor' | 'status' | 'prefix'>;
export type NewKey = Pick<WireKeyCreateParams, 'name' | 'description' | 'labels' | 'expires_at'>;
export type AuditEvent = WireAuditEvent;
export type AuditPage = WireAuditEventList;
export type Workspace = WireWorkspace;
export type Role = MemberRole;
export type Profile = WireProfile;
export type Member = WireMember;
/** An added member; `sign_in_url` when the server has no single sign-on (a single-use link, 15 minutes). */
export type AddedMember = WireAddedMember;
export type MemberPage = WireMemberList;
export type Membership = WireMembership;
export type Me = WireMe;

/**
 * Who did something, as audit events name them, or a key's creator as the resource dialect does (whose
 * name and email may be unknown).
 */
export type Actor = Omit<WireActor, 'profile_id' | 'name' | 'email'> & { profile_id?: string; name?: string | null; email?: string | null };

/** An error code: the API's, `network_error` when no answer came, or one from a newer server. */
export type ApiErrorCode = ErrorCode | 'network_error' | (string & {});

/** An error answer: its stable code, the server's message, the request id and any field problems. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly requestId: string | undefined,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** Whether an error code means the signed-in token or session itself no longer works. */
export function endsSession(code: ApiErrorCode): boolean {
  return code === 'auth_missing' || code === 'auth_invalid' || code === 'auth_revoked' || code === 'auth_rotating';
}

/** How a client signs its calls: a pasted token, or the person's session cookie. */
export type Credentials = { token: string } | 'session';

/** A client of this origin's Cadreen API. */
export class Api {
  /** `onSessionEnded` is told (besides the throw) when the server refuses the token or session itself. */
  constructor(
    private readonly credentials: Credentials,
    private readonly onSessionEnded?: (error: ApiError) => void,
  ) {}

  /** Whether this client signs in with a person's session cookie. */
  get person(): boolean {
    return this.credentials === 'session';
  }

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const token = this.credentials === 'session' ? undefined : this.credentials.token;
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          ...headers,
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        // A pasted token travels alone; a session is the cookie, sent to this origin only.
        credentials: token ? 'omit' : 'same-origin',
        cache: 'no-store',
        redirect: 'error',
      });
    } catch {
      throw new ApiError('network_error', 'no answer from the server', undefined);
    }
    if (response.status === 204) return undefined as T;
    const json = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = json?.error;
      const failure = new ApiError(error?.code ?? 'internal_error', error?.message ?? `HTTP ${response.status}`, error?.request_id, error?.details ?? []);
      if (endsSession(failure.code)) this.onSessionEnded?.(failure);
      throw failure;
    }
    return json as T;
  }

  /** Who the token is: a key's workspace and id, or nulls for the admin token. */
  health(): Promise<Health> {
    return this.call('GET', '/api/v1/cadreen/health');
  }

  /** Who is signed in and the workspaces they may open. */
  me(): Promise<Me> {
    return this.call('GET', '/api/v1/maas/me');
  }

  /** Ends the person's session; the server clears the cookie. */
  async signOut(): Promise<void> {
    const response = await fetch('/auth/sign-out', { method: 'POST', credentials: 'same-origin', cache: 'no-store', redirect: 'error' });
    if (!response.ok && response.status !== 401) throw new ApiError('internal_error', `HTTP ${response.status}`, response.headers.get('request-id') ?? undefined);
  }

  /** One page of a workspace's keys. */
  listKeys(workspaceId: string, query: KeyQuery): Promise<KeyList> {
    const params = new URLSearchParams({ limit: String(query.limit), order: query.order });
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.status) params.set('status', query.status);
    if (query.prefix) params.set('prefix', query.prefix);
    return this.call('GET', `${keysPath(workspaceId)}?${params}`);
  }

  /** One key, whatever its status. */
  getKey(workspaceId: string, keyId: string): Promise<Key> {
    return this.call('GET', `${keysPath(workspaceId)}/${encodeURIComponent(keyId)}`);
  }

  /**
   * Who created a key, from the resource dialect's `info.createdBy` (the Cadreen dialect names the
   * creator by id only); the workspace goes in X-Cadreen-Workspace-Id.
   */
  async keyCreator(workspaceId: string, keyId: string): Promise<Actor | null> {
    const resource: Pick<APIKey, 'info'> =
      await this.call('GET', `/v1/api_keys/${encodeURIComponent(keyId)}?includeInfo=true`, undefined, { 'X-Cadreen-Workspace-Id': workspaceId });
    const creator = resource.info?.createdBy;
    return creator ? { profile_id: creator.metadata.id, type: creator.spec.type, name: creator.spec.name ?? null, email: creator.spec.email ?? null } : null;
  }

  /** Creates a key; the answer holds its plaintext, once. */
  createKey(workspaceId: string, input: NewKey): Promise<IssuedKey> {
    return this.call('POST', keysPath(workspaceId), input);
  }

  /** Replaces an active key; the old one keeps working for `graceSeconds`. */
  rotateKey(workspaceId: string, keyId: string, graceSeconds: number): Promise<IssuedKey> {
    return this.call('POST', `${keysPath(workspaceId)}/${encodeURIComponent(keyId)}/rotate`, { grace_period_seconds: graceSeconds });
  }

  /** Revokes a key at once. */
  revokeKey(workspaceId: string, keyId: string): Promise<void> {
    return this.call('DELETE', `${keysPath(workspaceId)}/${encodeURIComponent(keyId)}`);
  }

  /** One page of a workspace's audit log, newest first, optionally of one event type. */
  auditEvents(workspaceId: string, query: { limit: number; cursor?: string | undefined; type?: string | undefined }): Promise<AuditPage> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.type) params.set('type', query.type);
    return this.call('GET', `${workspacePath(workspaceId)}/audit-events?${params}`);
  }

  /** One page of a workspace's people, oldest membership first. */
  listMembers(workspaceId: string, query: { limit: number; cursor?: string | undefined }): Promise<MemberPage> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.cursor) params.set('cursor', query.cursor);
    return this.call('GET', `${membersPath(workspaceId)}?${params}`);
  }

  /** Adds a person by email (owners only). */
  addMember(workspaceId: string, input: { email: string; name?: string; role: Role }): Promise<AddedMember> {
    return this.call('POST', membersPath(workspaceId), input);
  }

  /** Changes a member's role (owners only; a workspace keeps one owner). */
  changeRole(workspaceId: string, profileId: string, role: Role): Promise<Member> {
    return this.call('PATCH', `${membersPath(workspaceId)}/${encodeURIComponent(profileId)}`, { role });
  }

  /** Removes a person from the workspace (owners only; a workspace keeps one owner). */
  removeMember(workspaceId: string, profileId: string): Promise<void> {
    return this.call('DELETE', `${membersPath(workspaceId)}/${encodeURIComponent(profileId)}`);
  }

  /** A workspace, readable by its own keys, its members and the admin token. */
  getWorkspace(workspaceId: string): Promise<Workspace> {
    return this.call('GET', workspacePath(workspaceId));
  }

  /** Every workspace of the deployment (admin token only), following cursors. */
  async listWorkspaces(): Promise<Workspace[]> {
    const workspaces: Workspace[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({ limit: '1000' });
      if (cursor) params.set('cursor', cursor);
      const page: { workspaces: Workspace[]; next_cursor: string | null } = await this.call('GET', `/api/v1/maas/workspaces?${params}`);
      workspaces.push(...page.workspaces);
      cursor = page.next_cursor;
    } while (cursor);
    return workspaces;
  }

  /** Creates a workspace (admin token only). */
  createWorkspace(name: string): Promise<Workspace> {
    return this.call('POST', '/api/v1/maas/workspaces', { name });
  }
}

/** Whether this server offers single sign-on (a public route: no credentials needed). */
export async function signInMethods(): Promise<{ sso: boolean }> {
  try {
    const response = await fetch('/auth/methods', { credentials: 'omit', cache: 'no-store', redirect: 'error' });
    if (!response.ok) return { sso: false };
    const body = (await response.json()) as { sso?: unknown };
    return { sso: body.sso === true };
  } catch {
    return { sso: false };
  }
}

const workspacePath = (workspaceId: string) => `/api/v1/maas/workspaces/${encodeURIComponent(workspaceId)}`;
const keysPath = (workspaceId: string) => `${workspacePath(workspaceId)}/api-keys`;
const membersPath = (workspaceId: string) => `${workspacePath(workspaceId)}/members`;
