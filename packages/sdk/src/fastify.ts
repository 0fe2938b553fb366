import type { FastifyInstance } from 'fastify';
import { admit } from './verifier-http.js';
import type { CadreenCaller, Verifier } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by `cadreenPlugin` on every route it covers. */
    cadreen: CadreenCaller;
  }
}

export interface CadreenPluginOptions {
  verifier: Verifier;
}

/**
 * Verifies every request's `Authorization: Bearer <key>` with a {@link Verifier} and sets
 * `request.cadreen = { workspaceId, keyId, status }`; a refused key gets Cadreen's own answer
 * (401 `auth_*`, 429 `rate_limited` or 503 `service_unavailable`, with `Retry-After`). It applies to
 * the routes of the context it is registered in.
 *
 * ```ts
 * app.register(cadreenPlugin, { verifier });
 * app.get('/v1/things', async (request) => ({ workspace: request.cadreen!.workspaceId }));
 * ```
 */
export function cadreenPlugin(app: FastifyInstance, options: CadreenPluginOptions, done: (error?: Error) => void): void {
  const { verifier } = options;
  if (!verifier) return done(new Error('cadreenPlugin needs { verifier }'));
  app.decorateRequest('cadreen', null as unknown as CadreenCaller);
  app.addHook('onRequest', async (request, reply) => {
    const admission = await admit(verifier, request.headers.authorization);
    if (admission.ok) {
      request.cadreen = admission.caller;
      return;
    }
    const { status, headers, body } = admission.refusal;
    return reply.code(status).headers(headers).send(body);
  });
  done();
}

// Like fastify-plugin: the hook applies to the context that registers the plugin, not to a child of it.
(cadreenPlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(cadreenPlugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'cadreen';
