import { createHash } from 'node:crypto';
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

  // Built once, when every route is known; served from memory with a validator.
  let document = { body: '{}', etag: '""' };
  app.addHook('onReady', async () => {
    const body = JSON.stringify(openapi.document({ title: 'Cadreen API', version }));
    document = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
  });
  app.get('/openapi.json', {
    schema: { tags, summary: 'This document (with an ETag: send If-None-Match to get 304 when unchanged)' },
    handler: async (request, reply) => {
      reply.header('ETag', document.etag).header('Cache-Control', 'no-cache');
      if (request.headers['if-none-match'] === document.etag) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(document.body);
    },
  });
}
