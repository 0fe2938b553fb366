import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Cadreen } from '../../../core/cadreen.js';
import type { Profile } from '../../../core/model.js';
import { keyReadCost } from '../../../core/api-keys.js';
import { principalOf } from '../../authenticate.js';
import { AUTHENTICATED_ERRORS, ErrorBody, IdParam, millis } from '../../schemas/common.js';
import {
  ApiKeyResource,
  CreateApiKeyBody,
  GetApiKeyQuery,
  ListApiKeysQuery,
  ListApiKeysResponse,
  RotateApiKeyBody,
  UpdateApiKeyBody,
} from '../../schemas/resource.js';
import { presentApiKey } from './present.js';

/** What a read costs: more with `includeInfo=true`, which reads the creators too. */
export const includeInfoCost = (request: FastifyRequest): number =>
  keyReadCost({ withCreators: (request.query as Record<string, unknown>).includeInfo === 'true' });

/** The workspace a resource-dialect call acts on: the key's own, or the header's for the admin token. */
export function resourceScope(cadreen: Cadreen, request: FastifyRequest) {
  const header = request.headers['x-cadreen-workspace-id'];
  return cadreen.scopes.resolve(principalOf(request), typeof header === 'string' ? header : undefined, request.ip);
}

/** `/v1/api_keys…`: key management in the resource dialect. */
export function resourceApiKeyRoutes(app: FastifyInstance, cadreen: Cadreen): void {
  const tags = ['Resource: API keys'];
  const config = { access: 'authenticated' as const };

  app.get<{ Querystring: ListApiKeysQuery }>('/v1/api_keys', {
    config: { ...config, cost: includeInfoCost },
    schema: {
      tags,
      summary: 'Lists all API keys in the workspace',
      querystring: ListApiKeysQuery,
      response: { 200: ListApiKeysResponse, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const q = request.query;
      const page = await cadreen.apiKeys.list(await resourceScope(cadreen, request), {
        limit: q.limit,
        order: q.sortOrder ?? 'desc',
        ...(q.cursor ? { cursor: q.cursor } : {}),
        ...(q.prefix ? { namePrefix: q.prefix } : {}),
      });
      const profiles = q.includeInfo ? await cadreen.apiKeys.creatorsOf(page.keys) : new Map<string, Profile>();
      return {
        items: page.keys.map((key) => {
          const createdBy = profiles.get(key.createdBy);
          return presentApiKey(key, createdBy ? { createdBy } : {});
        }),
        pagination: { ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}), total: page.total },
      };
    },
  });

  app.post<{ Body: CreateApiKeyBody }>('/v1/api_keys', {
    config,
    schema: {
      tags,
      summary: 'Create an API key; spec.token is in this response only',
      body: CreateApiKeyBody,
      response: { 201: ApiKeyResource, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request, reply) => {
      const { metadata, spec } = request.body;
      const issued = await cadreen.apiKeys.create(await resourceScope(cadreen, request), {
        name: metadata.name,
        labels: metadata.labels,
        externalId: metadata.externalId,
        description: spec?.description,
        expiresAt: millis(spec?.expiresAt, 'spec.expiresAt'),
      });
      return reply.code(201).send(presentApiKey(issued.key, { token: issued.plaintext }));
    },
  });

  app.get<{ Params: { id: string }; Querystring: { includeInfo?: boolean } }>('/v1/api_keys/:id', {
    config: { ...config, cost: includeInfoCost },
    schema: {
      tags,
      summary: 'Get one API key',
      params: IdParam,
      querystring: GetApiKeyQuery,
      response: { 200: ApiKeyResource, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const key = await cadreen.apiKeys.get(await resourceScope(cadreen, request), request.params.id);
      const createdBy = request.query.includeInfo ? (await cadreen.apiKeys.creatorsOf([key])).get(key.createdBy) : undefined;
      return presentApiKey(key, createdBy ? { createdBy } : {});
    },
  });

  app.patch<{ Params: { id: string }; Body: UpdateApiKeyBody }>('/v1/api_keys/:id', {
    config,
    schema: {
      tags,
      summary: 'Update an API key (any subset of metadata and spec)',
      params: IdParam,
      body: UpdateApiKeyBody,
      response: { 200: ApiKeyResource, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => {
      const { metadata = {}, spec = {} } = request.body;
      const key = await cadreen.apiKeys.update(await resourceScope(cadreen, request), request.params.id, {
        name: metadata.name,
        labels: metadata.labels,
        externalId: metadata.externalId,
        description: spec.description,
        expiresAt: millis(spec.expiresAt, 'spec.expiresAt'),
      });
      return presentApiKey(key);
    },
  });

  app.delete<{ Params: { id: string } }>('/v1/api_keys/:id', {
    config,
    schema: {
      tags,
      summary: 'Revoke an API key (soft delete; idempotent); returns the revoked key',
      params: IdParam,
      response: { 200: ApiKeyResource, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request) => presentApiKey(await cadreen.apiKeys.revoke(await resourceScope(cadreen, request), request.params.id)),
  });

  app.post<{ Params: { id: string }; Body: { gracePeriodSeconds?: number } }>('/v1/api_keys/:id/rotate', {
    config,
    schema: {
      tags,
      summary: 'Rotate an API key; spec.token of the new key is in this response only',
      params: IdParam,
      body: RotateApiKeyBody,
      response: { 201: ApiKeyResource, 409: ErrorBody, ...AUTHENTICATED_ERRORS },
    },
    handler: async (request, reply) => {
      const rotated = await cadreen.apiKeys.rotate(await resourceScope(cadreen, request), request.params.id, {
        gracePeriodSeconds: request.body.gracePeriodSeconds ?? 0,
      });
      return reply.code(201).send(presentApiKey(rotated.key, { token: rotated.plaintext }));
    },
  });
}
