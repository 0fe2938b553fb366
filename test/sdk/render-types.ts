/**
 * Renders TypeScript types for the SDK from the server's OpenAPI document, so
 * the SDK's request and response types are the server's own schemas.
 */

type Schema = Record<string, any>;

/**
 * The SDK type name → where its schema sits in the OpenAPI document. `Wire…` types are the API's
 * snake_case shapes, which the SDK renames to its camelCase (packages/sdk/src/workspaces.ts).
 */
export const SDK_TYPES: Record<string, { path: string; method: string; part: 'response' | 'body' | 'query'; status?: string }> = {
  APIKey: { path: '/v1/api_keys/{id}', method: 'get', part: 'response', status: '200' },
  APIKeyList: { path: '/v1/api_keys', method: 'get', part: 'response', status: '200' },
  APIKeyListParams: { path: '/v1/api_keys', method: 'get', part: 'query' },
  APIKeyGetParams: { path: '/v1/api_keys/{id}', method: 'get', part: 'query' },
  APIKeyCreateParams: { path: '/v1/api_keys', method: 'post', part: 'body' },
  APIKeyUpdateParams: { path: '/v1/api_keys/{id}', method: 'patch', part: 'body' },
  APIKeyRotateParams: { path: '/v1/api_keys/{id}/rotate', method: 'post', part: 'body' },
  AuditEventList: { path: '/v1/audit_events', method: 'get', part: 'response', status: '200' },
  AuditEventListParams: { path: '/v1/audit_events', method: 'get', part: 'query' },
  Health: { path: '/api/v1/cadreen/health', method: 'get', part: 'response', status: '200' },
  VerifyParams: { path: '/api/v1/cadreen/keys/verify', method: 'post', part: 'body' },
  Verification: { path: '/api/v1/cadreen/keys/verify', method: 'post', part: 'response', status: '200' },
  WireWorkspace: { path: '/api/v1/maas/workspaces/{workspace_id}', method: 'get', part: 'response', status: '200' },
  WireWorkspaceList: { path: '/api/v1/maas/workspaces', method: 'get', part: 'response', status: '200' },
  WorkspaceListParams: { path: '/api/v1/maas/workspaces', method: 'get', part: 'query' },
  WireWorkspaceCreateParams: { path: '/api/v1/maas/workspaces', method: 'post', part: 'body' },
  WireWorkspaceUpdateParams: { path: '/api/v1/maas/workspaces/{workspace_id}', method: 'patch', part: 'body' },
  // The Cadreen dialect's keys and audit log, and the people API, as the API answers them (the dashboard's types).
  WireKey: { path: '/api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}', method: 'get', part: 'response', status: '200' },
  WireKeyList: { path: '/api/v1/maas/workspaces/{workspace_id}/api-keys', method: 'get', part: 'response', status: '200' },
  WireKeyListParams: { path: '/api/v1/maas/workspaces/{workspace_id}/api-keys', method: 'get', part: 'query' },
  WireIssuedKey: { path: '/api/v1/maas/workspaces/{workspace_id}/api-keys', method: 'post', part: 'response', status: '201' },
  WireKeyCreateParams: { path: '/api/v1/maas/workspaces/{workspace_id}/api-keys', method: 'post', part: 'body' },
  WireKeyUpdateParams: { path: '/api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}', method: 'patch', part: 'body' },
  WireKeyRotateParams: { path: '/api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}/rotate', method: 'post', part: 'body' },
  WireAuditEventList: { path: '/api/v1/maas/workspaces/{workspace_id}/audit-events', method: 'get', part: 'response', status: '200' },
  WireAuditEventListParams: { path: '/api/v1/maas/workspaces/{workspace_id}/audit-events', method: 'get', part: 'query' },
  WireMember: { path: '/api/v1/maas/workspaces/{workspace_id}/members/{profile_id}', method: 'patch', part: 'response', status: '200' },
  WireMemberList: { path: '/api/v1/maas/workspaces/{workspace_id}/members', method: 'get', part: 'response', status: '200' },
  WireAddedMember: { path: '/api/v1/maas/workspaces/{workspace_id}/members', method: 'post', part: 'response', status: '201' },
  WireMemberAddParams: { path: '/api/v1/maas/workspaces/{workspace_id}/members', method: 'post', part: 'body' },
  WireMemberUpdateParams: { path: '/api/v1/maas/workspaces/{workspace_id}/members/{profile_id}', method: 'patch', part: 'body' },
  WireMe: { path: '/api/v1/maas/me', method: 'get', part: 'response', status: '200' },
  ErrorBody: { path: '/api/v1/cadreen/health', method: 'get', part: 'response', status: '401' },
};

/** Schemas already given a name, so a nested copy is written as that name (`Array<APIKey>`). */
let named = new Map<string, string>();

function render(schema: Schema, indent: string): string {
  const name = named.get(JSON.stringify(schema));
  if (name) return name;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf) return schema.anyOf.map((s: Schema) => render(s, indent)).join(' | ');
  if (schema.enum) return schema.enum.map((value: unknown) => JSON.stringify(value)).join(' | ');
  if (Array.isArray(schema.type)) return schema.type.map((type: string) => render({ ...schema, type }, indent)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `Array<${render(schema.items, indent)}>`;
    case 'object':
      return renderObject(schema, indent);
    default:
      return 'unknown';
  }
}

function renderObject(schema: Schema, indent: string): string {
  const properties: Record<string, Schema> = schema.properties ?? {};
  const names = Object.keys(properties);
  if (names.length === 0) {
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      return `Record<string, ${render(schema.additionalProperties, indent)}>`;
    }
    if (schema.patternProperties) {
      const [value] = Object.values<Schema>(schema.patternProperties);
      return `Record<string, ${render(value ?? {}, indent)}>`;
    }
    return 'Record<string, never>';
  }
  const required = new Set<string>(schema.required ?? []);
  const inner = `${indent}  `;
  const lines = names.map((name) => {
    const property = properties[name]!;
    const doc = property.description ? `${inner}/** ${property.description} */\n` : '';
    return `${doc}${inner}${name}${required.has(name) ? '' : '?'}: ${render(property, inner)};`;
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** The schema of one SDK type in the document. */
function schemaFor(document: Schema, where: (typeof SDK_TYPES)[string]): Schema {
  const operation = document.paths[where.path]?.[where.method];
  if (!operation) throw new Error(`no ${where.method.toUpperCase()} ${where.path} in the OpenAPI document`);
  if (where.part === 'body') return operation.requestBody.content['application/json'].schema;
  if (where.part === 'response') return operation.responses[where.status!].content['application/json'].schema;
  const query = (operation.parameters ?? []).filter((p: Schema) => p.in === 'query');
  return {
    type: 'object',
    properties: Object.fromEntries(query.map((p: Schema) => [p.name, { ...p.schema, description: p.description }])),
    required: [],
  };
}

/** The whole generated module. */
export function renderSdkTypes(document: Schema): string {
  named = new Map();
  const blocks = Object.entries(SDK_TYPES).map(([name, where]) => {
    const schema = schemaFor(document, where);
    const block = `export type ${name} = ${render(schema, '')};\n`;
    named.set(JSON.stringify(schema), name);
    return block;
  });
  return [
    '// Generated from the server’s OpenAPI document by `npm run generate:sdk-types`. Do not edit:',
    '// test/sdk/types-drift.test.ts fails when this file and the server disagree.',
    '',
    ...blocks,
  ].join('\n');
}
