import fc from 'fast-check';
import { ROUTES, routeName, type BodyKind, type QueryKind, type Route, type WorkspaceName } from './routes.js';
import {
  RAW_BODIES,
  field,
  forgedKeys,
  garbageSegments,
  percentEncode,
  plausibleNames,
  wildJson,
  wildLabels,
  wildNumbers,
  wildStrings,
  wildTimestamps,
} from './values.js';

/**
 * One generated HTTP request, before the target fills in its placeholders
 * (`{{ws:main}}`, `{{key:main:3}}`, `{{secret:anchor}}`, `{{cursor:2}}`…).
 * It is plain data, so fast-check prints it, shrinks it and replays it.
 */
export interface FuzzRequest {
  /** The route the request was generated for (`GET /v1/api_keys/{id}`) or `unknown path`; for reports and coverage. */
  aim: string;
  method: string;
  /** The path, percent-encoded as sent (placeholders unfilled). */
  path: string;
  /** `''` or `?…`, as sent. */
  query: string;
  /** The Authorization header, if any. */
  authorization?: string;
  /** X-Cadreen-Workspace-Id: one value, or several header lines. */
  workspaceHeader?: string | string[];
  contentType?: string;
  body?: string;
  /** Any other header lines. */
  headers: [string, string][];
  /** The client address (in-process only; over a socket it is the loopback's). */
  remoteAddress: string;
}

/** Methods the in-process transport can send (Node's list); wrong ones reach routes that have other methods. */
export const INJECT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'MKCOL', 'LOCK', 'PURGE'] as const;

/** A header value a client can put on the wire: no CR, LF or NUL, only latin-1. */
export const headerSafe = (text: string): string => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

const workspaceRef = (allowed: readonly WorkspaceName[] = ['main', 'main', 'main', 'other', 'scratch']) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...allowed).map((name) => `{{ws:${name}}}`) }, { weight: 1, arbitrary: garbageSegments });

const keyRef = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 999 }).map((n) => `{{key:main:${n}}}`) },
  { weight: 1, arbitrary: fc.nat({ max: 999 }).map((n) => `{{key:other:${n}}}`) },
  { weight: 2, arbitrary: garbageSegments },
);

/** Authorization headers: the kept key, the admin token, another tenant's key, dead keys, and garbage around each. */
const authorizations: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 14, arbitrary: fc.constant('Bearer {{secret:anchor}}') },
  { weight: 5, arbitrary: fc.constant('Bearer {{secret:admin}}') },
  { weight: 2, arbitrary: fc.constant('Bearer {{secret:other}}') },
  { weight: 1, arbitrary: fc.constant('Bearer {{secret:rotating}}') },
  { weight: 2, arbitrary: fc.constantFrom('Bearer {{secret:revoked}}', 'Bearer {{secret:rotated}}', 'Bearer {{secret:expired}}') },
  { weight: 1, arbitrary: forgedKeys.map((key) => `Bearer ${key}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'bearer {{secret:anchor}}',
      'BEARER {{secret:anchor}}',
      'Bearer  {{secret:anchor}}',
      'Bearer {{secret:anchor}} ',
      'Bearer\t{{secret:anchor}}',
      '{{secret:anchor}}',
      'Bearer {{secret:anchor}}x',
      'Bearer {{secret:anchor:mutated}}',
      'Bearer {{secret:admin}}x',
      'Bearer {{secret:admin}}{{secret:admin}}',
      'Bearer {{secret:anchor}}, Bearer {{secret:admin}}',
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer ',
      'Token abc',
      'Bearer sk_cadreen_',
      `Bearer ${'k'.repeat(600)}`,
      `Bearer sk_cadreen_${'A'.repeat(5000)}`,
    ),
  },
  { weight: 1, arbitrary: wildStrings.map((text) => headerSafe(`Bearer ${text}`)) },
);

const workspaceHeaders: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom('{{ws:main}}', '{{ws:other}}', '{{ws:scratch}}') },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constantFrom(' {{ws:main}}', '{{ws:main}} ', '{{ws:main}},{{ws:other}}', '', 'ws_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'x'.repeat(300)),
      fc.constant<string[]>(['{{ws:main}}', '{{ws:other}}']),
      wildStrings.map(headerSafe),
    ),
  },
);

const EXTRA_HEADERS: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constant('x-forwarded-for'), fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('unknown', '1.2.3.4, 5.6.7.8', '', '999.1.1.1'))),
  fc.tuple(fc.constantFrom('accept', 'accept-language', 'user-agent', 'x-request-id', 'request-id', 'origin', 'referer', 'cookie'), wildStrings.map(headerSafe)),
  fc.tuple(fc.constant('accept-encoding'), fc.constantFrom('gzip', 'br', 'identity;q=0', '*')),
  fc.tuple(fc.constant('x-http-method-override'), fc.constantFrom('DELETE', 'PATCH', 'PUT')),
  fc.tuple(fc.constant('content-encoding'), fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown')),
  fc.tuple(fc.constant('if-none-match'), fc.constantFrom('*', '"abc"', 'W/"x"')),
);

/** The value of one query parameter of the given kind: mostly plausible, sometimes anything. */
function queryValue(kind: QueryKind): fc.Arbitrary<string> {
  const good: Record<QueryKind, fc.Arbitrary<string>> = {
    limit: fc.constantFrom('1', '2', '5', '50', '100', '500', '501', '1000', '1001', '0', '-1', '1.5', '1e3', '007', ' 5', '0x10', 'Infinity', 'abc', '', '9'.repeat(400)),
    cursor: fc.oneof(
      fc.nat({ max: 99 }).map((n) => `{{cursor:${n}}}`),
      fc.nat({ max: 99 }).map((n) => `{{cursor:${n}:tampered}}`),
      fc.constantFrom('abc.def', 'e30.AAAAAAAAAAAAAAAAAAAAAA', '.', 'a.b.c', 'x'.repeat(600)),
    ),
    keyStatus: fc.constantFrom('active', 'rotating', 'revoked', 'expired', 'ACTIVE', 'all', ''),
    prefix: fc.oneof(plausibleNames.map((name) => name.slice(0, 3)), fc.constantFrom('%', '_', '\\', "'", '*')),
    order: fc.constantFrom('asc', 'desc', 'ASC', 'random', ''),
    auditType: fc.constantFrom('key.created', 'key.updated', 'key.rotated', 'key.revoked', 'auth.refused', 'workspace.created', 'workspace.updated', 'key.*', 'KEY.CREATED', ''),
    boolean: fc.constantFrom('true', 'false', '1', '0', 'yes', 'TRUE', '', 'null'),
  };
  return fc.oneof({ weight: 4, arbitrary: good[kind] }, { weight: 1, arbitrary: wildStrings });
}

/** How one parameter is written: mostly encoded as a client library would, else with broken percent-encoding, no value, or brackets. */
const encodedPair = (name: string, value: string): fc.Arbitrary<string> => {
  const n = percentEncode(name);
  const v = percentEncode(value, /[A-Za-z0-9_.~{}:-]/);
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(`${n}=${v}`) },
    { weight: 1, arbitrary: fc.constant(`${n}=${percentEncode(value, /[\x21-\x7e]/).replace(/[#&]/g, (c) => percentEncode(c, /^$/))}`) },
    { weight: 1, arbitrary: fc.constant(n) },
    { weight: 1, arbitrary: fc.constantFrom(`${n}=${v}%`, `${n}=%zz${v}`, `${n}=${v}%00`, `${n}=${v}%ED%A0%80`, `${n}[]=${v}`) },
  );
};

/** A query string for `route`: its own parameters with wild values, unknown ones, repeats and broken encodings. */
function queries(route: Route | undefined): fc.Arbitrary<string> {
  const known = Object.entries(route?.query ?? {});
  const unknownName = fc.oneof(fc.constantFrom('foo', 'LIMIT', '__proto__', 'constructor', 'limit ', '', 'status[]', 'a.b'), wildStrings);
  const names: fc.Arbitrary<readonly [string, string]>[] = [fc.tuple(unknownName, wildStrings)];
  if (known.length) {
    const knownPair = fc.constantFrom(...known).chain(([name, kind]) => queryValue(kind).map((value) => [name, value] as const));
    names.push(knownPair, knownPair, knownPair, knownPair, knownPair);
  }
  const param = fc.oneof(...names).chain(([name, value]) => encodedPair(name, value));
  const params = fc.array(param, { maxLength: 5 });
  const withRepeat = params.map((list) => (list.length > 0 && list.length % 3 === 0 ? [...list, list[0]!] : list));
  return fc.oneof(
    { weight: known.length ? 2 : 8, arbitrary: fc.constant('') },
    { weight: known.length ? 5 : 1, arbitrary: withRepeat.map((list) => (list.length ? `?${list.join('&')}` : '')) },
    { weight: 1, arbitrary: fc.constantFrom('?', '??', '?&&', '?=', '?a=1#frag', '?%', '?%00', '?x=%ED%A0%80') },
  );
}

/** A plausible body for each kind of route, each field sometimes wild. */
function structuredBody(kind: BodyKind): fc.Arbitrary<unknown> {
  const name = field(plausibleNames);
  const description = field(fc.string({ maxLength: 60 }));
  const externalId = field(fc.stringMatching(/^[a-z0-9-]{1,20}$/));
  const expiry = field(fc.oneof({ weight: 5, arbitrary: wildTimestamps }, { weight: 1, arbitrary: fc.constant(null) }));
  const grace = field(fc.oneof(fc.integer({ min: 0, max: 3600 }), wildNumbers));
  const rateLimit = fc.oneof(
    fc.constant(null),
    fc.record({ limit: field(fc.integer({ min: 1, max: 1_000_000 })), window_seconds: field(fc.integer({ min: 1, max: 86_400 })) }, { requiredKeys: [] }),
    wildJson,
  );
  // An unknown field now and then, so that most bodies can pass the strict schemas.
  const extra = fc.oneof(
    { weight: 9, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constantFrom('id', 'status', 'plaintext', 'workspace_id', 'extra'), wildStrings), wildJson) },
  );
  const withExtra = (body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> =>
    fc.tuple(body, extra).map(([value, more]) => (more ? { ...value, [more[0]]: more[1] } : value));
  const metadata = fc.record({ name, externalId, labels: wildLabels }, { requiredKeys: ['name'] });
  const spec = fc.record({ description, expiresAt: expiry }, { requiredKeys: [] });
  switch (kind) {
    case 'createKey':
      return withExtra(fc.record({ name, description, labels: wildLabels, external_id: externalId, expires_at: expiry }, { requiredKeys: ['name'] }));
    case 'updateKey':
      return withExtra(fc.record({ name, description, labels: wildLabels, external_id: externalId, expires_at: expiry }, { requiredKeys: [] }));
    case 'rotateKey':
      return withExtra(fc.record({ grace_period_seconds: grace }, { requiredKeys: [] }));
    case 'verify':
      return withExtra(
        fc.record({
          key: fc.oneof(
            fc.constantFrom('{{secret:anchor}}', '{{secret:other}}', '{{secret:rotating}}', '{{secret:revoked}}', '{{secret:rotated}}', '{{secret:expired}}', '{{secret:admin}}', '{{secret:anchor:mutated}}'),
            forgedKeys,
            wildJson,
            fc.constant('k'.repeat(513)),
          ),
        }),
      );
    case 'createWorkspace':
      return withExtra(
        fc.record(
          { name, account_id: field(fc.constantFrom('{{acct:main}}', '{{acct:other}}', 'acct_01ARZ3NDEKTSV4RRFFQ69G5FAV')), rate_limit: rateLimit },
          { requiredKeys: ['name'] },
        ),
      );
    case 'updateWorkspace':
      return withExtra(fc.record({ name, rate_limit: rateLimit }, { requiredKeys: [] }));
    case 'resourceCreate':
      return withExtra(fc.record({ metadata: field(metadata), spec: field(spec) }, { requiredKeys: ['metadata'] }));
    case 'resourceUpdate':
      return withExtra(fc.record({ metadata: field(fc.record({ name, externalId, labels: wildLabels }, { requiredKeys: [] })), spec: field(spec) }, { requiredKeys: [] }));
    case 'resourceRotate':
      return withExtra(fc.record({ gracePeriodSeconds: grace }, { requiredKeys: [] }));
    case 'addMember':
      return withExtra(
        fc.record(
          { email: field(fc.oneof(fc.emailAddress(), fc.constantFrom('owner@example.com', 'not-an-email', 'A@B.CO'))), name, role: field(fc.constantFrom('owner', 'member')) },
          { requiredKeys: ['email', 'role'] },
        ),
      );
    case 'lease':
      return withExtra(
        fc.record(
          { key_id: field(fc.oneof(keyRef, fc.constant('key_01ARZ3NDEKTSV4RRFFQ69G5FAV'))), units: field(fc.oneof(fc.integer({ min: 1, max: 200 }), wildNumbers)) },
          { requiredKeys: ['key_id', 'units'] },
        ),
      );
    case 'updateMember':
      return withExtra(fc.record({ role: field(fc.constantFrom('owner', 'member')) }, { requiredKeys: [] }));
  }
}

const OTHER_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/jsonx',
  'application/vnd.api+json',
  'application/json, text/plain',
  'application/json;;;',
  '',
  '*/*',
] as const;

interface Payload {
  contentType?: string;
  body?: string;
}

/** A body and its Content-Type: plausible JSON for `kind`, any JSON, text that is not JSON, or nothing. */
function payloads(kind: BodyKind | undefined): fc.Arbitrary<Payload> {
  const json = kind ? structuredBody(kind).map((value) => JSON.stringify(value) ?? 'null') : wildJson.map((value) => JSON.stringify(value) ?? 'null');
  const text = fc.oneof(
    { weight: kind ? 8 : 1, arbitrary: json },
    { weight: 1, arbitrary: wildJson.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
  );
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constant('application/json; charset=utf-8') },
    { weight: 2, arbitrary: fc.constantFrom(...OTHER_CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.oneof(
    { weight: kind ? 10 : 1, arbitrary: fc.record({ contentType, body: text }) },
    { weight: kind ? 1 : 9, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constant({ contentType: 'application/json', body: '' }) },
  );
}

/** Fills a route's path template with ids of the seeded workspaces and keys, or garbage. */
function paths(route: Route): fc.Arbitrary<string> {
  const parts = route.path.split(/(\{[a-z_*]+\})/).filter((part) => part !== '');
  return fc
    .tuple(
      ...parts.map((part): fc.Arbitrary<string> => {
        if (part === '{workspace_id}') return workspaceRef(route.workspaces);
        if (part === '{key_id}' || part === '{id}') return keyRef;
        if (part === '{profile_id}') return fc.oneof(fc.constant('prof_01ARZ3NDEKTSV4RRFFQ69G5FAV'), keyRef, fc.stringMatching(/^[A-Za-z0-9_.~-]{1,40}$/));
        if (part === '{*}')
          return fc.constantFrom('index.html', 'assets/', 'assets/missing.js', 'missing', '..%2F..%2Fpackage.json', '%2e%2e/%2e%2e/package.json', 'a%00b', '%ED%A0%80', 'x'.repeat(300), 'index.html%00.png');
        return fc.constant(part);
      }),
    )
    .map((filled) => filled.join(''));
}

const UNKNOWN_PATHS = [
  '/',
  '/api',
  '/api/v1',
  '/api/v1/maas',
  '/api/v1/maas/workspaces/',
  '/api/v1/maas/workspaces//api-keys',
  '/api/v1/maas/workspaces/{{ws:main}}/api-keys/',
  '/api/v1/maas/workspaces/{{ws:main}}/unknown',
  '/api/v1/maas/workspaces/{{ws:main}}/api-keys/{{key:main:0}}/unknown',
  '/api/v1/cadreen',
  '/api/v1/cadreen/health/',
  '/api/v1/cadreen/keys',
  '/v1',
  '/v1/api_keys/',
  '/v1/api_keys/{{key:main:1}}/unknown',
  '/v1/api_keys//rotate',
  '/v1/audit_events/x',
  '/livez/',
  '/LIVEZ',
  '/readyz/x',
  '/openapi.yaml',
  '/favicon.ico',
  '/.env',
  '/%00',
  '/v1/api_keys%00',
  '/api/v1/maas/workspaces%2F{{ws:main}}%2Fapi-keys',
  '//v1/api_keys',
  '/./livez',
  '/api/v1/../v1/api_keys',
  '/%ED%A0%80',
  '/%',
  `/${'a'.repeat(3000)}`,
  `/v1/${'a/'.repeat(500)}`,
] as const;

const unknownPaths = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...UNKNOWN_PATHS) },
  { weight: 2, arbitrary: fc.array(garbageSegments, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`) },
);

/** Mostly distinct clients; a third of the traffic from one address, so that a per-client failure limit is reached during a run. */
const remoteAddresses = fc.oneof(
  { weight: 3, arbitrary: fc.ipV4() },
  { weight: 2, arbitrary: fc.constant('127.0.0.1') },
  { weight: 1, arbitrary: fc.constantFrom('::1', '10.0.0.1') },
);

function requestsFor(route: Route | undefined, methods: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const method = route
    ? fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...methods) })
    : fc.constantFrom(...methods);
  return fc
    .record({
      method,
      path: route ? paths(route) : unknownPaths,
      query: queries(route),
      authorization: authorizations,
      workspaceHeader: route?.dialect === 'resource' ? workspaceHeaders : fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: workspaceHeaders }),
      payload: payloads(route?.body),
      headers: fc.array(EXTRA_HEADERS, { maxLength: 2 }),
      remoteAddress: remoteAddresses,
    })
    .map(({ payload, authorization: asked, workspaceHeader, ...rest }) => {
      const authorization = route?.stream && rest.method === 'GET' ? asked?.replaceAll('{{secret:admin}}', '{{secret:anchor}}') : asked;
      return {
        aim: route ? routeName(route) : 'unknown path',
        ...rest,
        ...(authorization !== undefined ? { authorization } : {}),
        ...(workspaceHeader !== undefined ? { workspaceHeader } : {}),
        ...(payload.contentType !== undefined ? { contentType: payload.contentType } : {}),
        ...(payload.body !== undefined ? { body: payload.body } : {}),
      };
    });
}

/** Requests over every route (each about equally often) and unknown paths, with the given methods. */
export function fuzzRequests(methods: readonly string[] = INJECT_METHODS): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    ...ROUTES.map((route) => ({ weight: 4, arbitrary: requestsFor(route, methods) })),
    { weight: 6, arbitrary: requestsFor(undefined, methods) },
  );
}
