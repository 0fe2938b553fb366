/** The Cadreen dialect of the API, as the dashboard uses it: same origin, Bearer token from the session. */

export type KeyStatus = 'active' | 'rotating' | 'revoked' | 'expired';

export interface Key {
  id: string;
  name: string;
  description: string | null;
  start: string;
  status: KeyStatus;
  labels: Record<string, string> | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  grace_until: string | null;
  rotated_to: string | null;
}

/** A key as create and rotate return it: the only answers that carry the plaintext. */
export interface IssuedKey extends Key {
  plaintext: string;
}

export interface KeyList {
  keys: Key[];
  count: number;
  next_cursor: string | null;
}

export interface KeyQuery {
  limit: number;
  order: 'asc' | 'desc';
  cursor?: string | undefined;
  status?: string | undefined;
  prefix?: string | undefined;
}

export interface NewKey {
  name: string;
  description?: string;
  labels?: Record<string, string>;
  expires_at?: string;
}

export interface AuditEvent {
  id: string;
  type: string;
  actor_profile_id: string | null;
  key_id: string | null;
  code: string | null;
  ip: string | null;
  created_at: string;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

export interface Workspace {
  id: string;
  name: string;
  created_at: string;
}

export interface Health {
  status: 'ok';
  workspace_id: string | null;
  key_id: string | null;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error answer: its stable code, the server's message, the request id and any field problems. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** Whether an error code means the signed-in token itself no longer works. */
export function endsSession(code: string): boolean {
  return code === 'auth_missing' || code === 'auth_invalid' || code === 'auth_revoked' || code === 'auth_rotating';
}

/** A client of this origin's Cadreen API that sends `token` as a Bearer header and nothing else. */
export class Api {
  /** `onSessionEnded` is told (besides the throw) when the server refuses the token itself. */
  constructor(
    private readonly token: string,
    private readonly onSessionEnded?: (error: ApiError) => void,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        credentials: 'omit',
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

  /** One page of a workspace's keys. */
  listKeys(workspaceId: string, query: KeyQuery): Promise<KeyList> {
    const params = new URLSearchParams({ limit: String(query.limit), order: query.order });
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.status) params.set('status', query.status);
    if (query.prefix) params.set('prefix', query.prefix);
    return this.call('GET', `${keysPath(workspaceId)}?${params}`);
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

  /** A workspace, readable by its own keys and by the admin token. */
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

const workspacePath = (workspaceId: string) => `/api/v1/maas/workspaces/${encodeURIComponent(workspaceId)}`;
const keysPath = (workspaceId: string) => `${workspacePath(workspaceId)}/api-keys`;
