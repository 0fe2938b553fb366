export { Cadreen, type CadreenOptions } from './client.js';
export * from './errors.js';
export type * from './generated/api-types.js';
export { Page, PagePromise } from './pagination.js';
export type { AuditEvent } from './resources.js';
