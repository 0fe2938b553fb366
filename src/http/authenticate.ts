import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthOutcome, Principal } from '../core/auth.js';
import type { Cadreen } from '../core/cadreen.js';
import { CadreenError } from '../core/errors.js';
import type { RateLimitDecision } from '../limits/rate-limiter.js';

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

/** Sets the IETF rate-limit fields and their older spellings. */
function setRateLimitHeaders(reply: FastifyReply, decision: RateLimitDecision): void {
  reply.header('RateLimit-Policy', `"key";q=${decision.limit};w=${decision.windowSeconds}`);
  reply.header('RateLimit', `"key";r=${decision.remaining};t=${decision.resetSeconds}`);
  reply.header('RateLimit-Limit', decision.limit);
  reply.header('RateLimit-Remaining', decision.remaining);
  reply.header('RateLimit-Reset', decision.resetSeconds);
}

/**
 * The `onRequest` hook of every non-public route: it authenticates before the
 * body is read, so a caller without a valid key learns nothing and costs little.
 * It is callback-style so that a cached key is admitted in the same tick.
 */
export function authenticateHook(cadreen: Cadreen, access: RouteAccess, cost?: (request: FastifyRequest) => number) {
  function admit(outcome: AuthOutcome, request: FastifyRequest, reply: FastifyReply): void {
    reply.header('Request-Id', request.id);
    if (outcome.rateLimit) setRateLimitHeaders(reply, outcome.rateLimit);
    if (!outcome.ok) {
      if (outcome.code === 'rate_limited') reply.header('Retry-After', outcome.rateLimit?.resetSeconds ?? 1);
      throw new CadreenError(outcome.code, outcome.message);
    }
    const { principal } = outcome;
    if (access === 'admin' && principal.kind !== 'admin') {
      throw new CadreenError('auth_forbidden', 'this route needs the admin token');
    }
    if (principal.kind === 'key' && principal.status === 'rotating') reply.header('Cadreen-Key-Status', 'rotating');
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
