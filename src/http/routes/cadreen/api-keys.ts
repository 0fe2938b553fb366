import type { FastifyInstance } from 'fastify';
import type { Cadreen } from '../../../core/cadreen.js';
import { principalOf } from '../../authenticate.js';
import {
  CreateKeyBody,
  IssuedCadreenKey,
  CadreenKey,
  KeyList,
  ListKeysQuery,
  RotateKeyBody,
  UpdateKeyBody,
} from '../../schemas/cadreen.js';
import { AUTHENTICATED_ERRORS, ErrorBody, KeyIdParams, WorkspaceIdParam, millis } from '../../schemas/common.js';
import { presentIssuedKey, presentKey } from './present.js';

type WorkspaceParams = { workspace_id: string };
type KeyParams = WorkspaceParams & { key_id: string };

/** `/api/v1/maas/workspaces/{workspace_id}/api-keys…`: key management in the Cadreen dialect. */
export function cadreenApiKeyRoutes(app: FastifyInstance, cadreen: Cadreen): void {
  const base = '/api/v1/maas/workspaces/:workspace_id/api-keys';
  const config = { access: 'authenticated' as const };
  const tags = ['Cadreen: API keys'];
  const scope = (request: Parameters<typeof principalOf>[0], workspaceId: string) =>
    cadreen.scopes.resolve(principalOf(request), workspaceId, request.ip);

  app.post<{ Params: WorkspaceParams; Body: CreateKeyBody }>(base, {
    config,
    schema: {
      tags,
      summary: 'Create an API key; the plaintext is in this response only',
      params: WorkspaceIdParam,
      body: CreateKeyBody,
      response: { 201: IssuedCadreenKey, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const issued = await cadreen.apiKeys.create(await scope(request, request.params.workspace_id), {
        name: body.name,
        description: body.description,
        labels: body.labels,
        externalId: body.external_id,
        expiresAt: millis(body.expires_at, 'expires_at'),
      });
      return reply.code(201).send(presentIssuedKey(issued));
    },
  });

  app.get<{ Params: WorkspaceParams; Querystring: ListKeysQuery }>(base, {
    config,
    schema: {
      tags,
      summary: 'List the keys of a workspace, newest first',
      params: WorkspaceIdParam,
      querystring: ListKeysQuery,
      response: { 200: KeyList, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const q = request.query;
      const page = await cadreen.apiKeys.list(await scope(request, request.params.workspace_id), {
        limit: q.limit,
        order: q.order ?? 'desc',
        ...(q.cursor ? { cursor: q.cursor } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.prefix ? { namePrefix: q.prefix } : {}),
      });
      return { keys: page.keys.map((key) => presentKey(key)), count: page.total, next_cursor: page.nextCursor };
    },
  });

  app.get<{ Params: KeyParams }>(`${base}/:key_id`, {
    config,
    schema: { tags, summary: 'Get one key', params: KeyIdParams, response: { 200: CadreenKey, ...AUTHENTICATED_ERRORS } },
    handler: async (request) =>
      presentKey(await cadreen.apiKeys.get(await scope(request, request.params.workspace_id), request.params.key_id)),
  });

  app.patch<{ Params: KeyParams; Body: UpdateKeyBody }>(`${base}/:key_id`, {
    config,
    schema: {
      tags,
      summary: 'Change a key’s name, description, labels, external id or expiry',
      params: KeyIdParams,
      body: UpdateKeyBody,
      response: { 200: CadreenKey, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const body = request.body;
      const key = await cadreen.apiKeys.update(await scope(request, request.params.workspace_id), request.params.key_id, {
        name: body.name,
        description: body.description,
        labels: body.labels,
        externalId: body.external_id,
        expiresAt: millis(body.expires_at, 'expires_at'),
      });
      return presentKey(key);
    },
  });

  app.post<{ Params: KeyParams; Body: RotateKeyBody }>(`${base}/:key_id/rotate`, {
    config,
    schema: {
      tags,
      summary: 'Rotate a key: a new active key, the old one rotating (after an optional grace period)',
      params: KeyIdParams,
      body: RotateKeyBody,
      response: { 201: IssuedCadreenKey, 409: ErrorBody, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request, reply) => {
      const rotated = await cadreen.apiKeys.rotate(
        await scope(request, request.params.workspace_id),
        request.params.key_id,
        { gracePeriodSeconds: request.body.grace_period_seconds ?? 0 },
      );
      return reply.code(201).send(presentIssuedKey(rotated));
    },
  });

  app.delete<{ Params: KeyParams }>(`${base}/:key_id`, {
    config,
    schema: {
      tags,
      summary: 'Revoke a key (soft delete; idempotent)',
      params: KeyIdParams,
      response: { 204: { type: 'null', description: 'Revoked' }, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request, reply) => {
      await cadreen.apiKeys.revoke(await scope(request, request.params.workspace_id), request.params.key_id);
      return reply.code(204).send();
    },
  });
}
