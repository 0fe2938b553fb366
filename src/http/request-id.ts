import { randomBytes } from 'node:crypto';

const ID_BYTES = 16;
/** Random bytes are drawn for this many ids at a time: one system call instead of one per request. */
const POOL_SIZE = ID_BYTES * 256;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A new request id: `req_` and 32 random hex digits. Random rather than
 * time-ordered or counted: an id only needs to be unique, and must not tell
 * anyone how busy an instance is.
 */
export function newRequestId(): string {
  if (offset === pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const id = `req_${pool.toString('hex', offset, offset + ID_BYTES)}`;
  offset += ID_BYTES;
  return id;
}
