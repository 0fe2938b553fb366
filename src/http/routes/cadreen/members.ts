import type { FastifyInstance } from 'fastify';
import type { Cadreen } from '../../../core/cadreen.js';
import { principalOf } from '../../authenticate.js';
import { AUTHENTICATED_ERRORS, WorkspaceIdParam } from '../../schemas/common.js';
import {
  AddedMember,
  AddMemberBody,
  MeResponse,
  Member,
  MemberList,
  MemberParams,
  MembersQuery,
  UpdateMemberBody,
} from '../../schemas/cadreen.js';
import { presentMe, presentMember } from './present.js';

type WorkspaceParams = { workspace_id: string };

/** `/api/v1/maas/workspaces/{id}/members…` and `/api/v1/maas/me`: people in workspaces. */
export function cadreenMemberRoutes(app: FastifyInstance, cadreen: Cadreen): void {
  const base = '/api/v1/maas/workspaces/:workspace_id/members';
  const config = { access: 'authenticated' as const };
  const tags = ['Cadreen: members'];
  const scope = (request: Parameters<typeof principalOf>[0], workspaceId: string) =>
    cadreen.scopes.resolve(principalOf(request), workspaceId, request.ip);

  app.get<{ Params: WorkspaceParams; Querystring: MembersQuery }>(base, {
    config,
    schema: { tags, summary: 'The people of a workspace', params: WorkspaceIdParam, querystring: MembersQuery, response: { 200: MemberList, ...AUTHENTICATED_ERRORS } },
    handler: async (request) => {
      const { limit, cursor } = request.query;
      const page = await cadreen.people.listMembers(await scope(request, request.params.workspace_id), { limit, ...(cursor ? { cursor } : {}) });
      return { members: page.members.map(presentMember), next_cursor: page.nextCursor };
    },
  });

  app.post<{ Params: WorkspaceParams; Body: AddMemberBody }>(base, {
    config,
    schema: {
      tags,
      summary: 'Add a person by email (owners and the admin token); without SSO the answer carries a sign-in link',
      params: WorkspaceIdParam,
      body: AddMemberBody,
      response: { 201: AddedMember, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request, reply) => {
      const { email, name, role } = request.body;
      const added = await cadreen.people.addMember(await scope(request, request.params.workspace_id), { email, role, ...(name ? { name } : {}) });
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...presentMember(added), ...(added.signInUrl ? { sign_in_url: added.signInUrl } : {}) });
    },
  });

  app.patch<{ Params: MemberParams; Body: UpdateMemberBody }>(`${base}/:profile_id`, {
    config,
    schema: { tags, summary: 'Change a member’s role (owners and the admin token)', params: MemberParams, body: UpdateMemberBody, response: { 200: Member, ...AUTHENTICATED_ERRORS } },
    handler: async (request) =>
      presentMember(await cadreen.people.changeRole(await scope(request, request.params.workspace_id), request.params.profile_id, request.body.role)),
  });

  app.delete<{ Params: MemberParams }>(`${base}/:profile_id`, {
    config,
    schema: { tags, summary: 'Remove a person from the workspace (owners and the admin token)', params: MemberParams, response: { ...AUTHENTICATED_ERRORS } },
    handler: async (request, reply) => {
      await cadreen.people.removeMember(await scope(request, request.params.workspace_id), request.params.profile_id);
      return reply.code(204).send();
    },
  });

  app.get('/api/v1/maas/me', {
    config,
    schema: { tags, summary: 'Who is calling, and the workspaces they may act in', response: { 200: MeResponse, ...AUTHENTICATED_ERRORS } },
    handler: async (request) => presentMe(await cadreen.people.me(principalOf(request))),
  });
}
