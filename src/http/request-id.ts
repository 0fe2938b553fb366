import { randomUUID } from 'node:crypto';

/**
 * A new request id: `req_` and 32 random hex digits. Random rather than
 * time-ordered or counted: an id only needs to be unique, and must not tell
 * anyone how busy an instance is.
 */
export function newRequestId(): string {
  const uuid = randomUUID();
  return `req_${uuid.slice(0, 8)}${uuid.slice(9, 13)}${uuid.slice(14, 18)}${uuid.slice(19, 23)}${uuid.slice(24)}`;
}
