import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthOutcome, Principal } from '../core/auth.js';
import type { Cadreen } from '../core/cadreen.js';
import { CadreenError } from '../core/errors.js';

/** Who may call a route: anyone, any authenticated caller, or the admin token only. */
export type RouteAccess = 'public' | 'authenticated' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Rate-limit units a call costs (default 1). */
    cost?: (request: FastifyRequest) => number;
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
 * name, value, name, value…: the IETF rate-limit fields and their older
 * spellings, `Retry-After` when the limit refused the call, and
 * `Cadreen-Key-Status` while a rotated key is in its grace period.
 */
export function appendAuthHeaders(into: string[], outcome: AuthOutcome): string[] {
  const decision = outcome.rateLimit;
  if (decision) {
    into.push(
      'ratelimit-policy',
      `"key";q=${decision.limit};w=${decision.windowSeconds}`,
      'ratelimit',
      `"key";r=${decision.remaining};t=${decision.resetSeconds}`,
      'ratelimit-limit',
      String(decision.limit),
      'ratelimit-remaining',
      String(decision.remaining),
      'ratelimit-reset',
      String(decision.resetSeconds),
    );
  }
  if (outcome.ok) {
    if (outcome.principal.kind === 'key' && outcome.principal.status === 'rotating') into.push('cadreen-key-status', 'rotating');
  } else if (outcome.code === 'rate_limited') {
    into.push('retry-after', String(decision?.resetSeconds ?? 1));
  }
  return into;
}

/**
 * The `onRequest` hook of every non-public route: it authenticates before the
 * body is read, so a caller without a valid key learns nothing and costs little.
 * It is callback-style so that a cached key is admitted in the same tick.
 */
export function authenticateHook(cadreen: Cadreen, access: RouteAccess, cost?: (request: FastifyRequest) => number) {
  function admit(outcome: AuthOutcome, request: FastifyRequest, reply: FastifyReply): void {
    const headers = appendAuthHeaders(['request-id', request.id], outcome);
    for (let i = 0; i < headers.length; i += 2) reply.header(headers[i]!, headers[i + 1]);
    if (!outcome.ok) throw new CadreenError(outcome.code, outcome.message);
    const { principal } = outcome;
    if (access === 'admin' && principal.kind !== 'admin') {
      throw new CadreenError('auth_forbidden', 'this route needs the admin token');
    }
    request.principal = principal;
  }

  return function authenticate(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    const finish = (outcome: AuthOutcome) => {
      try {
        admit(outcome, request, reply);
      } catch (error) {
        return done(error as Error);
      }
      done();
    };
    try {
      const outcome = cadreen.auth.authenticate(request.headers.authorization, {
        cost: cost ? cost(request) : 1,
        ip: request.ip,
      });
      if (outcome instanceof Promise) outcome.then(finish, done);
      else finish(outcome);
    } catch (error) {
      done(error as Error);
    }
  };
}
