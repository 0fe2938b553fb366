import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../errors.js';

/** The dashboard may load only its own files and talk only to this origin. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Serves the built dashboard (`dashboard/dist`) at /dashboard/ with a strict
 * Content-Security-Policy. Hashed assets are cached for a year; the page
 * itself is revalidated. Paths cannot leave the build directory.
 */
export function dashboardRoutes(app: FastifyInstance, options: { root: string }): void {
  const root = normalize(options.root.endsWith(sep) ? options.root : options.root + sep);

  async function send(request: FastifyRequest, reply: FastifyReply, relative: string): Promise<FastifyReply> {
    const path = normalize(join(root, relative));
    if (!path.startsWith(root)) return sendError(reply, request, 'not_found', 'no such dashboard file');
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch {
      return sendError(
        reply,
        request,
        'not_found',
        relative === 'index.html' ? 'the dashboard is not built: run `npm run build`' : 'no such dashboard file',
      );
    }
    return reply
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(CONTENT_TYPES[extname(path)] ?? 'application/octet-stream')
      .send(content);
  }

  const config = { access: 'public' as const };
  app.get('/dashboard', { config }, (request, reply) => send(request, reply, 'index.html'));
  app.get('/dashboard/', { config }, (request, reply) => send(request, reply, 'index.html'));
  app.get<{ Params: { '*': string } }>('/dashboard/*', { config }, (request, reply) =>
    send(request, reply, request.params['*'] || 'index.html'),
  );
}
