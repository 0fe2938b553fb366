import type { RouteOptions } from 'fastify';

interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, any>;
  access: string;
}

/** Strips TypeBox's symbol keys and our defaults from a schema by round-tripping through JSON. */
const plain = (schema: unknown): any => JSON.parse(JSON.stringify(schema));

/**
 * Builds the OpenAPI 3.1 document from the very schemas Fastify validates
 * requests and serialises responses with, so the document cannot drift from
 * the behaviour.
 */
export class OpenApiCollector {
  private readonly routes: CollectedRoute[] = [];

  /** For Fastify's `onRoute` hook. */
  collect(route: RouteOptions): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.schema) return;
    for (const method of methods) {
      if (method === 'HEAD') continue;
      this.routes.push({
        method: method.toLowerCase(),
        url: route.url,
        schema: route.schema as Record<string, any>,
        access: (route.config as { access?: string } | undefined)?.access ?? 'public',
      });
    }
  }

  document(info: { title: string; version: string }): object {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes) {
      const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [part, location] of [
        ['params', 'path'],
        ['querystring', 'query'],
      ] as const) {
        const schema = route.schema[part];
        if (!schema) continue;
        const required = new Set<string>(schema.required ?? []);
        for (const [name, property] of Object.entries<Record<string, unknown>>(plain(schema.properties ?? {}))) {
          parameters.push({
            name,
            in: location,
            required: location === 'path' || (required.has(name) && property.default === undefined),
            ...(property.description ? { description: property.description } : {}),
            schema: property,
          });
        }
      }
      const responses: Record<string, unknown> = {};
      for (const [status, schema] of Object.entries<any>(route.schema.response ?? {})) {
        const body = plain(schema);
        responses[status] =
          status === '204'
            ? { description: body.description ?? 'No content' }
            : { description: body.description ?? (Number(status) < 400 ? 'Success' : 'Error'), content: { 'application/json': { schema: body } } };
      }
      paths[path] ??= {};
      paths[path][route.method] = {
        summary: route.schema.summary,
        tags: route.schema.tags,
        ...(route.access === 'public' ? { security: [] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(route.schema.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: plain(route.schema.body) } } } }
          : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: {
        ...info,
        description:
          'Workspace-scoped API keys. Authenticate with `Authorization: Bearer <key>` (or the admin token). ' +
          'Errors are `{"error": {"code", "message", "request_id"}}` with a stable code.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      paths,
    };
  }
}

declare module 'fastify' {
  interface FastifySchema {
    /** Groups the route in the OpenAPI document. */
    tags?: string[];
    /** One line on what the route does, for the OpenAPI document. */
    summary?: string;
  }
}
