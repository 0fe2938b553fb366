import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Cadreen } from '../../../core/cadreen.js';
import { invalidRequest, notFound } from '../../../core/errors.js';
import type { KeyEvent } from '../../../core/model.js';
import { AUTHENTICATED_ERRORS } from '../../schemas/common.js';
import { KeyEventsQuery, LeaseBody, LeaseGrant } from '../../schemas/cadreen.js';

/** A heartbeat comment at least this often, so a client can tell a quiet stream from a cut one. */
const HEARTBEAT_MS = 1000;
/** A client this far behind (bytes not yet taken) is cut off; it resumes from its Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const frame = (event: KeyEvent): string =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(
    event.type === 'workspace.updated' ? { workspace_id: event.workspaceId } : { key_id: event.keyId, workspace_id: event.workspaceId },
  )}\n\n`;

/** The client's Last-Event-ID (header, or `last_event_id` for clients that cannot set headers), or null. */
function lastEventIdOf(request: FastifyRequest<{ Querystring: { last_event_id?: string } }>): number | null {
  const raw = request.headers['last-event-id'] ?? request.query.last_event_id;
  if (raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' || !/^[0-9]{1,15}$/.test(raw)) {
    throw invalidRequest('Last-Event-ID must be the id of an event', [{ field: 'Last-Event-ID', message: 'a whole number' }]);
  }
  return Number(raw);
}

/**
 * `/api/v1/cadreen/keys/{leases,events}`: what embedded verifiers use
 * (DESIGN §10), with a verifier token or the admin token.
 */
export function cadreenVerifierRoutes(app: FastifyInstance, cadreen: Cadreen): void {
  const tags = ['Cadreen: embedded verifiers'];
  const config = { access: 'verifier' as const };
  /** How to end each open stream. */
  const streams = new Set<() => void>();

  app.post<{ Body: LeaseBody }>('/api/v1/cadreen/keys/leases', {
    config,
    schema: {
      tags,
      summary: 'Charge units to a key’s limit and its workspace’s budget up front, for a verifier to spend locally',
      body: LeaseBody,
      response: { 200: LeaseGrant, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const lease = await cadreen.auth.lease(request.body.key_id, request.body.units);
      if (!lease) throw notFound('API key that may authenticate now');
      return { key_id: lease.keyId, granted: lease.granted, limit: lease.limit, reset: lease.resetSeconds };
    },
  });

  app.get<{ Querystring: { last_event_id?: string } }>('/api/v1/cadreen/keys/events', {
    config,
    schema: {
      tags,
      summary:
        'Server-Sent Events of key and workspace changes (key.revoked, key.rotated, key.updated, key.expired, workspace.updated), ' +
        'resumable with Last-Event-ID; `ready` first, `reset` when the id is older than the retention, a heartbeat comment every second',
      querystring: KeyEventsQuery,
      response: {
        200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...AUTHENTICATED_ERRORS,
      },
    },
    handler: async (request, reply) => {
      const from = lastEventIdOf(request);
      const raw = reply.raw;
      let cut = false;
      // Events that arrive while the stream is being opened wait until its head and first frames are out.
      let held: string[] | undefined = [];
      const write = (text: string) => {
        if (cut) return;
        if (held) {
          held.push(text);
          return;
        }
        raw.write(text);
        // A client that does not read is cut off rather than buffered without end.
        if (raw.writableLength > MAX_BUFFERED_BYTES) stop();
      };
      const start = await cadreen.keyEvents.subscribe(from, (events) => write(events.map(frame).join('')));
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
      function stop() {
        if (cut) return;
        cut = true;
        clearInterval(heartbeat);
        start.close();
        streams.delete(stop);
        raw.end();
      }
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'request-id': request.id,
      });
      streams.add(stop);
      request.raw.once('close', stop);
      raw.once('close', stop);
      // A client gone while the stream was being opened has closed already: nothing would call stop.
      if (request.raw.destroyed || raw.destroyed) stop();
      const live = held;
      held = undefined;
      write(`retry: 1000\nevent: ready\ndata: ${JSON.stringify({ last_event_id: start.latest })}\n\n`);
      if (start.reset) write(`id: ${start.latest}\nevent: reset\ndata: {}\n\n`);
      if (start.backlog.length > 0) write(start.backlog.map(frame).join(''));
      for (const text of live) write(text);
    },
  });

  // Streams never end by themselves: on shutdown they are ended, and clients resume elsewhere from their Last-Event-ID.
  app.addHook('preClose', (done) => {
    for (const stop of [...streams]) stop();
    done();
  });
}
