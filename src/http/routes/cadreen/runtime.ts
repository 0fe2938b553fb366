import type { FastifyInstance } from 'fastify';
import type { Cadreen } from '../../../core/cadreen.js';
import { principalOf } from '../../authenticate.js';
import { Health, Verification, VerifyBody } from '../../schemas/cadreen.js';
import { AUTHENTICATED_ERRORS } from '../../schemas/common.js';
import { presentHealth, presentVerification } from './present.js';

/** `/api/v1/cadreen/…`: the runtime routes a client calls with its key. */
export function cadreenRuntimeRoutes(app: FastifyInstance, cadreen: Cadreen): void {
  const tags = ['Cadreen: runtime'];

  app.get('/api/v1/cadreen/health', {
    config: { access: 'authenticated' },
    schema: { tags, summary: 'Check a key: which workspace and key it is', response: { 200: Health, ...AUTHENTICATED_ERRORS } },
    handler(request, reply) {
      reply.send(presentHealth(principalOf(request)));
    },
  });

  app.post<{ Body: { key: string } }>('/api/v1/cadreen/keys/verify', {
    config: { access: 'authenticated', verifiers: true },
    schema: {
      tags,
      summary: 'Verify a key on behalf of your own API; applies and reports that key’s rate limit',
      body: VerifyBody,
      response: { 200: Verification, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) =>
      presentVerification(await cadreen.auth.verify(principalOf(request), request.body.key, request.ip)),
  });
}
