import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthOutcome, Principal } from '../core/auth.js';
import type { Cadreen } from '../core/cadreen.js';
import { tightestWindow } from '../core/rate-limit-windows.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';
import { sendError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who may call a route: anyone, any authenticated caller, or the admin token only. */
/**
 * Who may call a route: anyone; any key, person or the admin token; the admin
 * token only; or the admin token and verifier tokens only (leases, events).
 * A verifier token is refused everywhere else, except on routes that admit
 * verifiers too (`verifiers: true`: verify).
 */
export type RouteAccess = 'public' | 'authenticated' | 'admin' | 'verifier';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Rate-limit units a call costs (default 1). */
    cost?: (request: FastifyRequest) => number;
    /** With `access: 'authenticated'`: verifier tokens are admitted too. */
    verifiers?: boolean;
    /** The dialect's name for each domain field the core names in an error's `details`. */
    fieldNames?: Readonly<Record<string, string>>;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The authenticated caller of a route that is not public. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('principal requested on a public route');
  return request.principal;
}

/**
 * The response fields an authentication outcome sets, appended to `into` as
 * name, value, name, value…: the IETF rate-limit fields for every policy that
 * was charged (`"key"` and `"workspace"`, or `"client"` when a client's failed
 * attempts are throttled) and, for older clients, the single-policy fields of
 * the window closest to exhaustion; `Retry-After` when a limit refused the
 * call, and `Cadreen-Key-Status` while a rotated key is in its grace period.
 */
export function appendAuthHeaders(into: string[], outcome: AuthOutcome): string[] {
  const decision = outcome.rateLimit;
  if (decision) {
    const tightest = tightestWindow(decision);
    into.push(
      'ratelimit-policy',
      decision.windows.map((w) => `"${w.name}";q=${w.limit};w=${w.windowSeconds}`).join(', '),
      'ratelimit',
      decision.windows.map((w) => `"${w.name}";r=${w.remaining};t=${w.resetSeconds}`).join(', '),
      'ratelimit-limit',
      String(tightest.limit),
      'ratelimit-remaining',
      String(tightest.remaining),
      'ratelimit-reset',
      String(tightest.resetSeconds),
    );
  }
  if (outcome.ok) {
    if (outcome.principal.kind === 'key' && outcome.principal.status === 'rotating') into.push('cadreen-key-status', 'rotating');
  } else if (outcome.code === 'rate_limited') {
    into.push('retry-after', String(decision ? tightestWindow(decision).resetSeconds : 1));
  }
  return into;
}

/**
 * The `onRequest` hook of every non-public route: it authenticates before the
 * body is read, so a caller without a valid key learns nothing and costs
 * little. A refusal is answered at once (the error writer closes the
 * connection when a body is still arriving, so nobody can hold it open by
 * sending that body slowly). It is callback-style so that a cached key is
 * admitted in the same tick.
 */
export function authenticateHook(
  cadreen: Cadreen,
  access: RouteAccess,
  cost: ((request: FastifyRequest) => number) | undefined,
  publicOrigin: string,
  verifiers = false,
) {
  function finish(outcome: AuthOutcome, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    const headers = appendAuthHeaders(['request-id', request.id, 'cache-control', 'no-store'], outcome);
    for (let i = 0; i < headers.length; i += 2) reply.header(headers[i]!, headers[i + 1]);
    if (!outcome.ok) {
      sendError(reply, request, outcome.code, outcome.message);
      return;
    }
    const { principal } = outcome;
    if (access === 'admin' && principal.kind !== 'admin') {
      sendError(reply, request, 'auth_forbidden', 'this route needs the admin token');
      return;
    }
    if (access === 'verifier' && principal.kind !== 'admin' && principal.kind !== 'verifier') {
      sendError(reply, request, 'auth_forbidden', 'this route needs a verifier token or the admin token');
      return;
    }
    if (principal.kind === 'verifier' && access === 'authenticated' && !verifiers) {
      sendError(reply, request, 'auth_forbidden', 'a verifier token may only verify, lease and follow the event stream');
      return;
    }
    // A cookie is sent by the browser whoever asks it to: a change made with one must come from our own pages.
    if (principal.kind === 'person' && !SAFE_METHODS.has(request.method) && request.headers.origin !== publicOrigin) {
      sendError(reply, request, 'auth_forbidden', `a change made with a session must come from ${publicOrigin} (Origin header)`);
      return;
    }
    request.principal = principal;
    done();
  }

  return function authenticate(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    try {
      const options = { cost: cost ? cost(request) : 1, ip: request.ip };
      const session = request.headers.authorization === undefined ? readCookie(request.headers.cookie, SESSION_COOKIE) : undefined;
      const outcome = session ? cadreen.auth.authenticateSession(session, options) : cadreen.auth.authenticate(request.headers.authorization, options);
      if (outcome instanceof Promise) outcome.then((settled) => finish(settled, request, reply, done), done);
      else finish(outcome, request, reply, done);
    } catch (error) {
      done(error as Error);
    }
  };
}
