import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Cadreen } from '../../core/cadreen.js';
import { ErrorBody } from '../schemas/common.js';
import type { OpenApiCollector } from '../openapi.js';

const Status = Type.Object({ status: Type.String() });

/** Public probes and the API description. */
export function systemRoutes(app: FastifyInstance, cadreen: Cadreen, openapi: OpenApiCollector, version: string): void {
  const tags = ['System'];
  app.get('/livez', {
    schema: { tags, summary: 'The process is up', response: { 200: Status } },
    handler(_request, reply) {
      reply.send({ status: 'ok' });
    },
  });

  app.get('/readyz', {
    schema: { tags, summary: 'The store takes writes (probed at most every 5 s)', response: { 200: Status, 503: ErrorBody } },
    handler: async () => {
      await cadreen.ready();
      return { status: 'ok' };
    },
  });

  let document: object | undefined;
  app.get('/openapi.json', {
    schema: { tags, summary: 'This document' },
    handler: async () => (document ??= openapi.document({ title: 'Cadreen API', version })),
  });
}
