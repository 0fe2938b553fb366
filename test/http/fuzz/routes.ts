/**
 * Every route of both dialects, as the fuzz test targets and recognises them.
 * The test compares this table with `/openapi.json`, so a route added to the
 * service without being added here fails the fuzz test instead of going
 * unfuzzed.
 */

/** Who may call a route (as in src/http/authenticate.ts). */
export type Access = 'public' | 'authenticated' | 'admin' | 'verifier';

/** The body a route reads, which picks the generator of plausible bodies. */
export type BodyKind =
  | 'createKey'
  | 'updateKey'
  | 'rotateKey'
  | 'verify'
  | 'createWorkspace'
  | 'updateWorkspace'
  | 'resourceCreate'
  | 'resourceUpdate'
  | 'resourceRotate'
  | 'addMember'
  | 'updateMember'
  | 'lease';

/** The query a route reads: parameter names and the kind of value each takes. */
export type QueryKind = 'limit' | 'cursor' | 'keyStatus' | 'prefix' | 'order' | 'auditType' | 'boolean';

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The path with `{workspace_id}`, `{key_id}`, `{id}` or `{*}` for parameters. */
  path: string;
  access: Access;
  dialect: 'system' | 'cadreen' | 'resource' | 'dashboard';
  body?: BodyKind;
  query?: Record<string, QueryKind>;
  /**
   * The workspaces a generated `{workspace_id}` may name. Changing the main
   * workspace's rate limit would throttle the key the test keeps for its last
   * check, so the workspace update names only the others.
   */
  workspaces?: readonly WorkspaceName[];
  /**
   * An answer that never ends (Server-Sent Events): requests that would open
   * the stream (GET with the admin token) are sent with a key instead.
   */
  stream?: boolean;
}

/** The workspaces the fuzz target seeds: `main` holds the key kept valid, `other` is a second tenant, `scratch` a third. */
export type WorkspaceName = 'main' | 'other' | 'scratch';

const MAAS = '/api/v1/maas/workspaces';
const KEYS = `${MAAS}/{workspace_id}/api-keys`;

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/livez', access: 'public', dialect: 'system' },
  { method: 'GET', path: '/readyz', access: 'public', dialect: 'system' },
  { method: 'GET', path: '/openapi.json', access: 'public', dialect: 'system' },
  { method: 'GET', path: '/dashboard', access: 'public', dialect: 'dashboard' },
  { method: 'GET', path: '/dashboard/', access: 'public', dialect: 'dashboard' },
  { method: 'GET', path: '/dashboard/{*}', access: 'public', dialect: 'dashboard' },

  { method: 'GET', path: '/api/v1/cadreen/health', access: 'authenticated', dialect: 'cadreen' },
  { method: 'POST', path: '/api/v1/cadreen/keys/verify', access: 'authenticated', dialect: 'cadreen', body: 'verify' },
  { method: 'POST', path: '/api/v1/cadreen/keys/leases', access: 'verifier', dialect: 'cadreen', body: 'lease' },
  { method: 'GET', path: '/api/v1/cadreen/keys/events', access: 'verifier', dialect: 'cadreen', query: { last_event_id: 'limit' }, stream: true },

  { method: 'POST', path: KEYS, access: 'authenticated', dialect: 'cadreen', body: 'createKey' },
  {
    method: 'GET',
    path: KEYS,
    access: 'authenticated',
    dialect: 'cadreen',
    query: { limit: 'limit', cursor: 'cursor', status: 'keyStatus', prefix: 'prefix', order: 'order' },
  },
  { method: 'GET', path: `${KEYS}/{key_id}`, access: 'authenticated', dialect: 'cadreen' },
  { method: 'PATCH', path: `${KEYS}/{key_id}`, access: 'authenticated', dialect: 'cadreen', body: 'updateKey' },
  { method: 'DELETE', path: `${KEYS}/{key_id}`, access: 'authenticated', dialect: 'cadreen' },
  { method: 'POST', path: `${KEYS}/{key_id}/rotate`, access: 'authenticated', dialect: 'cadreen', body: 'rotateKey' },

  { method: 'POST', path: MAAS, access: 'admin', dialect: 'cadreen', body: 'createWorkspace' },
  { method: 'GET', path: MAAS, access: 'admin', dialect: 'cadreen', query: { limit: 'limit', cursor: 'cursor' } },
  { method: 'GET', path: `${MAAS}/{workspace_id}`, access: 'authenticated', dialect: 'cadreen' },
  {
    method: 'PATCH',
    path: `${MAAS}/{workspace_id}`,
    access: 'admin',
    dialect: 'cadreen',
    body: 'updateWorkspace',
    workspaces: ['other', 'scratch'],
  },
  {
    method: 'GET',
    path: `${MAAS}/{workspace_id}/audit-events`,
    access: 'authenticated',
    dialect: 'cadreen',
    query: { limit: 'limit', cursor: 'cursor', type: 'auditType' },
  },

  { method: 'GET', path: `${MAAS}/{workspace_id}/members`, access: 'authenticated', dialect: 'cadreen', query: { limit: 'limit', cursor: 'cursor' } },
  { method: 'POST', path: `${MAAS}/{workspace_id}/members`, access: 'authenticated', dialect: 'cadreen', body: 'addMember' },
  { method: 'PATCH', path: `${MAAS}/{workspace_id}/members/{profile_id}`, access: 'authenticated', dialect: 'cadreen', body: 'updateMember' },
  { method: 'DELETE', path: `${MAAS}/{workspace_id}/members/{profile_id}`, access: 'authenticated', dialect: 'cadreen' },
  { method: 'GET', path: '/api/v1/maas/me', access: 'authenticated', dialect: 'cadreen' },

  {
    method: 'GET',
    path: '/v1/api_keys',
    access: 'authenticated',
    dialect: 'resource',
    query: { cursor: 'cursor', limit: 'limit', prefix: 'prefix', sortOrder: 'order', includeInfo: 'boolean' },
  },
  { method: 'POST', path: '/v1/api_keys', access: 'authenticated', dialect: 'resource', body: 'resourceCreate' },
  { method: 'GET', path: '/v1/api_keys/{id}', access: 'authenticated', dialect: 'resource', query: { includeInfo: 'boolean' } },
  { method: 'PATCH', path: '/v1/api_keys/{id}', access: 'authenticated', dialect: 'resource', body: 'resourceUpdate' },
  { method: 'DELETE', path: '/v1/api_keys/{id}', access: 'authenticated', dialect: 'resource' },
  { method: 'POST', path: '/v1/api_keys/{id}/rotate', access: 'authenticated', dialect: 'resource', body: 'resourceRotate' },
  {
    method: 'GET',
    path: '/v1/audit_events',
    access: 'authenticated',
    dialect: 'resource',
    query: { cursor: 'cursor', limit: 'limit', type: 'auditType' },
  },
];

export const routeName = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** A route and the raw (still percent-encoded) values of its path parameters. */
export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function matchTemplate(template: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const part = template[i]!;
    if (part === '{*}') {
      params['*'] = segments.slice(i).join('/');
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.startsWith('{')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return template.length === segments.length ? params : undefined;
}

/**
 * The route `method` and `path` reach, found the way the router does: the
 * path is split on `/` before any decoding, and a parameter holds one
 * non-empty segment (the dashboard's `{*}` holds the rest). HEAD reaches GET
 * routes. `path` must not contain the query string.
 */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const segments = path.split('/');
  for (const route of ROUTES) {
    if (route.method !== wanted) continue;
    const params = matchTemplate(route.path.split('/'), segments);
    if (params) return { route, params };
  }
  return undefined;
}
