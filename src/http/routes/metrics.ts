import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { readBearerToken } from '../../core/auth.js';
import { secretsEqual } from '../../core/key-format.js';
import type { PrometheusMetrics } from '../../metrics/prometheus-metrics.js';
import { sendError } from '../errors.js';
import { ErrorBody } from '../schemas/common.js';

/**
 * Who may scrape `GET /metrics`: anyone who can reach it (`public`), the
 * bearers of CADREEN_METRICS_TOKEN (`token`), or nobody (`off`: the route is
 * not there, and answers 404 like any unknown path).
 */
export type MetricsAccess = 'public' | 'token' | 'off';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether the server's listening address is a loopback one: 127.0.0.0/8, ::1 (also IPv4-mapped or in brackets) or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, '$1');
  if (/^localhost\.?$/i.test(address)) return true;
  const version = isIP(address);
  return version !== 0 && LOOPBACK.check(address, version === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The access rule: with a token configured, only its bearers; without one,
 * anyone, but only while the server listens on a loopback address (only this
 * machine can reach it). Anything else would show the deployment's traffic to
 * whoever reaches the port, so the route is off.
 */
export function metricsAccess(options: { host: string; token?: string | undefined }): MetricsAccess {
  if (options.token !== undefined) return 'token';
  return isLoopbackHost(options.host) ? 'public' : 'off';
}

/** Refuses a request without `Authorization: Bearer <token>`, comparing in constant time. */
function requireToken(token: string): onRequestHookHandler {
  return function metricsToken(request, reply, done) {
    const presented = readBearerToken(request.headers.authorization);
    if (presented === null) {
      sendError(reply, request, 'auth_missing', "send 'Authorization: Bearer <CADREEN_METRICS_TOKEN>'");
      return;
    }
    if (!secretsEqual(presented, token)) {
      sendError(reply, request, 'auth_invalid', 'invalid metrics token');
      return;
    }
    done();
  };
}

/**
 * `GET /metrics`: the Prometheus text exposition of `metrics`, as
 * `metricsAccess` allows; answers which access applies. Not rate limited:
 * a scraper holds no key.
 */
export function metricsRoutes(app: FastifyInstance, metrics: PrometheusMetrics, options: { host: string; token?: string | undefined }): MetricsAccess {
  const access = metricsAccess(options);
  if (access === 'off') return access;
  app.get('/metrics', {
    schema: {
      tags: ['System'],
      summary:
        'Prometheus metrics (text exposition format). With CADREEN_METRICS_TOKEN set, send it as a Bearer token; ' +
        'without it, served only when the server listens on a loopback address',
      ...(access === 'token' ? { response: { 401: ErrorBody } } : {}),
    },
    ...(options.token !== undefined ? { onRequest: requireToken(options.token) } : {}),
    handler: async (_request, reply) => {
      const body = await metrics.scrape();
      return reply.header('Cache-Control', 'no-store').type(metrics.contentType).send(body);
    },
  });
  return access;
}
