/** The Cadreen dialect of the API, as the dashboard uses it: same origin, Bearer token from the session. */

export interface Key {
  id: string;
  name: string;
  description: string | null;
  start: string;
  status: 'active' | 'rotating' | 'revoked' | 'expired';
  labels: Record<string, string> | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  grace_until: string | null;
  rotated_to: string | null;
}

export interface IssuedKey extends Key {
  plaintext: string;
}

export interface KeyList {
  keys: Key[];
  count: number;
  next_cursor: string | null;
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

/** An error answer: its stable code, the server's message and the request id. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

const SENTENCES: Record<string, string> = {
  auth_missing: 'Sign in with an API key first.',
  auth_invalid: 'This key is not valid: it may be mistyped, unknown or expired.',
  auth_revoked: 'This key has been revoked. Sign in with another key.',
  auth_rotating: 'This key was rotated. Sign in with the key that replaced it.',
  auth_forbidden: 'This key may not act on that workspace.',
  rate_limited: 'Too many requests for this key. Wait a moment and try again.',
  invalid_request: 'Something in the request is not right.',
  not_found: 'That no longer exists in this workspace.',
  conflict: 'That change is not possible in the key’s current state.',
  payload_too_large: 'That is more text than a key can hold.',
  service_unavailable: 'Cadreen cannot reach its database right now. Try again shortly.',
  internal_error: 'Something went wrong on the server.',
  network_error: 'The Cadreen server could not be reached.',
};

/** A sentence for people about an error code. */
export function explain(code: string): string {
  return SENTENCES[code] ?? 'The request failed.';
}

export class Api {
  constructor(private readonly token: string) {}

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
      });
    } catch {
      throw new ApiError('network_error', 'no answer from the server', undefined);
    }
    if (response.status === 204) return undefined as T;
    const json = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = json?.error;
      throw new ApiError(error?.code ?? 'internal_error', error?.message ?? `HTTP ${response.status}`, error?.request_id);
    }
    return json as T;
  }

  health(): Promise<Health> {
    return this.call('GET', '/api/v1/cadreen/health');
  }

  listKeys(workspaceId: string, query: { cursor?: string; status?: string; prefix?: string; order: 'asc' | 'desc'; limit: number }): Promise<KeyList> {
    const params = new URLSearchParams({ limit: String(query.limit), order: query.order });
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.status) params.set('status', query.status);
    if (query.prefix) params.set('prefix', query.prefix);
    return this.call('GET', `${keysPath(workspaceId)}?${params}`);
  }

  createKey(workspaceId: string, input: { name: string; description?: string; labels?: Record<string, string>; expires_at?: string }): Promise<IssuedKey> {
    return this.call('POST', keysPath(workspaceId), input);
  }

  rotateKey(workspaceId: string, keyId: string, graceSeconds: number): Promise<IssuedKey> {
    return this.call('POST', `${keysPath(workspaceId)}/${encodeURIComponent(keyId)}/rotate`, { grace_period_seconds: graceSeconds });
  }

  revokeKey(workspaceId: string, keyId: string): Promise<void> {
    return this.call('DELETE', `${keysPath(workspaceId)}/${encodeURIComponent(keyId)}`);
  }

  auditEvents(workspaceId: string, cursor?: string): Promise<{ events: AuditEvent[]; next_cursor: string | null }> {
    const params = new URLSearchParams({ limit: '25' });
    if (cursor) params.set('cursor', cursor);
    return this.call('GET', `/api/v1/maas/workspaces/${encodeURIComponent(workspaceId)}/audit-events?${params}`);
  }

  getWorkspace(workspaceId: string): Promise<Workspace> {
    return this.call('GET', `/api/v1/maas/workspaces/${encodeURIComponent(workspaceId)}`);
  }

  listWorkspaces(): Promise<{ workspaces: Workspace[] }> {
    return this.call('GET', '/api/v1/maas/workspaces?limit=1000');
  }

  createWorkspace(name: string): Promise<Workspace> {
    return this.call('POST', '/api/v1/maas/workspaces', { name });
  }
}

const keysPath = (workspaceId: string) => `/api/v1/maas/workspaces/${encodeURIComponent(workspaceId)}/api-keys`;
