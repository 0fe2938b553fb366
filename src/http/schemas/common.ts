import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ERROR_CODES, invalidRequest } from '../../core/errors.js';
import { parseTimestamp } from '../../core/timestamps.js';

/**
 * `T` or JSON null. Scalars and plain objects become `type: [T, "null"]`
 * rather than `anyOf`, which the response serialiser handles without running
 * a validator per field.
 */
export const Nullable = <T extends TSchema>(schema: T) =>
  typeof schema.type === 'string' && schema.type !== 'object'
    ? Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] })
    : Type.Union([schema, Type.Null()]);

/** One of a fixed set of strings, as a JSON Schema `enum`. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** An RFC 3339 timestamp such as `2026-06-03T12:00:00.000Z`. */
export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339 timestamp' });

export const Name = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S', description: 'Human-readable name' });
export const Description = Type.String({ maxLength: 1024 });
export const ExternalId = Type.String({ minLength: 1, maxLength: 255 });
/** What a label key may be: a letter or digit, then up to 62 of `A-Z a-z 0-9 . _ / -`. */
export const LABEL_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$';

export const Labels = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: { pattern: LABEL_KEY_PATTERN },
  additionalProperties: { type: 'string', maxLength: 255 },
  maxProperties: 64,
  description: 'Arbitrary key-value pairs for categorization and filtering (at most 64; keys [A-Za-z0-9._/-], up to 63 characters)',
});

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: StringEnum(ERROR_CODES),
      message: Type.String(),
      request_id: Type.String(),
      details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    }),
  },
  { description: 'Every error: a stable code to program against and a message for people' },
);

export const Limit = (max: number, fallback: number) =>
  Type.Integer({ minimum: 1, maximum: max, default: fallback, description: `Page size (1–${max}, default ${fallback})` });
export const Cursor = Type.String({ minLength: 1, maxLength: 512, description: 'Cursor from the previous page' });

/** An id in the path: an empty segment (`/workspaces//api-keys`) is `invalid_request` naming the parameter, not a lookup. */
export const PathId = Type.String({ minLength: 1, maxLength: 64 });
export const WorkspaceIdParam = Type.Object({ workspace_id: PathId }, { additionalProperties: false });
export const KeyIdParams = Type.Object({ workspace_id: PathId, key_id: PathId }, { additionalProperties: false });
export const IdParam = Type.Object({ id: PathId }, { additionalProperties: false });

/** The error responses every authenticated route may answer with, for the OpenAPI document. */
export const AUTHENTICATED_ERRORS = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A request's timestamp field in epoch ms (`null` clears it); anything but RFC 3339 within 1970–9999 is `invalid_request` naming `field`. */
export function millis(timestamp: string | null | undefined, field: string): number | null | undefined {
  if (timestamp === undefined || timestamp === null) return timestamp;
  const value = parseTimestamp(timestamp);
  if (value === undefined) {
    throw invalidRequest(`${field} is not a valid timestamp`, [
      { field, message: 'must be an RFC 3339 timestamp between 1970 and 9999, e.g. 2030-01-31T12:00:00Z' },
    ]);
  }
  return value;
}
