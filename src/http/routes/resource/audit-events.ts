import type { FastifyInstance } from 'fastify';
import type { Cadreen } from '../../../core/cadreen.js';
import { AUTHENTICATED_ERRORS } from '../../schemas/common.js';
import { ListAuditEventsQuery, ListAuditEventsResponse } from '../../schemas/resource.js';
import { resourceScope } from './api-keys.js';
import { presentAuditEvent } from './present.js';

/** `GET /v1/audit_events`: the workspace's audit log, newest first. */
export function resourceAuditRoutes(app: FastifyInstance, cadreen: Cadreen): void {
  app.get<{ Querystring: ListAuditEventsQuery }>('/v1/audit_events', {
    config: { access: 'authenticated' },
    schema: {
      tags: ['Resource: audit events'],
      summary: 'Lists the audit events of the workspace, newest first',
      querystring: ListAuditEventsQuery,
      response: { 200: ListAuditEventsResponse, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const { limit, cursor, type } = request.query;
      const page = await cadreen.audit.list(await resourceScope(cadreen, request), {
        limit,
        ...(cursor ? { cursor } : {}),
        ...(type ? { type } : {}),
      });
      return {
        items: page.events.map((event) => presentAuditEvent(event, page.profiles)),
        pagination: page.nextCursor ? { nextCursor: page.nextCursor } : {},
      };
    },
  });
}
