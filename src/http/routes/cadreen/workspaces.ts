import type { FastifyInstance } from 'fastify';
import type { Cadreen } from '../../../core/cadreen.js';
import { principalOf } from '../../authenticate.js';
import {
  AuditList,
  AuditQuery,
  CadreenWorkspace,
  CreateWorkspaceBody,
  UpdateWorkspaceBody,
  WorkspaceList,
  WorkspaceQuery,
} from '../../schemas/cadreen.js';
import { AUTHENTICATED_ERRORS, WorkspaceIdParam } from '../../schemas/common.js';
import { presentEvent, presentWorkspace } from './present.js';

type WorkspaceParams = { workspace_id: string };

const policyOf = (setting: { limit: number; window_seconds: number } | null | undefined) =>
  setting === undefined ? undefined : setting === null ? null : { limit: setting.limit, windowSeconds: setting.window_seconds };

/** `/api/v1/maas/workspaces…`: workspaces (admin) and a workspace's audit log. */
export function cadreenWorkspaceRoutes(app: FastifyInstance, cadreen: Cadreen): void {
  const base = '/api/v1/maas/workspaces';
  const tags = ['Cadreen: workspaces'];
  const present = (workspace: Parameters<typeof presentWorkspace>[0]) => presentWorkspace(workspace, cadreen.workspaces.limitsOf(workspace));

  app.post<{ Body: CreateWorkspaceBody }>(base, {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'Create a workspace (admin token)',
      body: CreateWorkspaceBody,
      response: { 201: CadreenWorkspace, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request, reply) => {
      const { name, account_id, rate_limit, workspace_rate_limit } = request.body;
      const workspace = await cadreen.workspaces.create(
        {
          name,
          ...(account_id ? { accountId: account_id } : {}),
          rateLimit: policyOf(rate_limit) ?? null,
          workspaceRateLimit: policyOf(workspace_rate_limit) ?? null,
        },
        request.ip,
      );
      return reply.code(201).send(present(workspace));
    },
  });

  app.get<{ Querystring: WorkspaceQuery }>(base, {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'List workspaces (admin token)',
      querystring: WorkspaceQuery,
      response: { 200: WorkspaceList, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const page = await cadreen.workspaces.list({
        limit: request.query.limit,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      });
      return { workspaces: page.workspaces.map(present), count: page.total, next_cursor: page.nextCursor };
    },
  });

  app.get<{ Params: WorkspaceParams }>(`${base}/:workspace_id`, {
    config: { access: 'authenticated' },
    schema: {
      tags,
      summary: 'Get a workspace (admin token, or a key of that workspace)',
      params: WorkspaceIdParam,
      response: { 200: CadreenWorkspace, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const scope = await cadreen.scopes.resolve(principalOf(request), request.params.workspace_id, request.ip);
      return present(scope.workspace);
    },
  });

  app.patch<{ Params: WorkspaceParams; Body: UpdateWorkspaceBody }>(`${base}/:workspace_id`, {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'Rename a workspace, or set its per-key rate limit or its shared budget (admin token)',
      params: WorkspaceIdParam,
      body: UpdateWorkspaceBody,
      response: { 200: CadreenWorkspace, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const { name, rate_limit, workspace_rate_limit } = request.body;
      const rateLimit = policyOf(rate_limit);
      const workspaceRateLimit = policyOf(workspace_rate_limit);
      const workspace = await cadreen.workspaces.update(
        request.params.workspace_id,
        {
          ...(name !== undefined ? { name } : {}),
          ...(rateLimit !== undefined ? { rateLimit } : {}),
          ...(workspaceRateLimit !== undefined ? { workspaceRateLimit } : {}),
        },
        request.ip,
      );
      return present(workspace);
    },
  });

  app.get<{ Params: WorkspaceParams; Querystring: AuditQuery }>(`${base}/:workspace_id/audit-events`, {
    config: { access: 'authenticated' },
    schema: {
      tags,
      summary: 'The workspace’s audit log, newest first',
      params: WorkspaceIdParam,
      querystring: AuditQuery,
      response: { 200: AuditList, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const scope = await cadreen.scopes.resolve(principalOf(request), request.params.workspace_id, request.ip);
      const { limit, cursor, type } = request.query;
      const page = await cadreen.audit.list(scope, { limit, ...(cursor ? { cursor } : {}), ...(type ? { type } : {}) });
      return { events: page.events.map((event) => presentEvent(event, page.profiles)), next_cursor: page.nextCursor };
    },
  });
}
