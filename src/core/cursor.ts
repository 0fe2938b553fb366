import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalidRequest } from './errors.js';

/**
 * Opaque, tamper-evident page cursors. A cursor names the last row of a page
 * and is signed together with the query it belongs to (what is listed, in
 * which workspace, order and filter), so it cannot be edited or replayed
 * against another query.
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  private sign(scope: string, payload: string): string {
    return createHmac('sha256', this.secret).update(`${scope}\n${payload}`).digest('base64url').slice(0, 22);
  }

  encode(scope: string, lastId: string): string {
    const payload = Buffer.from(JSON.stringify({ a: lastId })).toString('base64url');
    return `${payload}.${this.sign(scope, payload)}`;
  }

  /** The last id of the previous page; throws invalid_request for a cursor that is not ours or not for this query. */
  decode(scope: string, cursor: string): string {
    const bad = () => invalidRequest('cursor is invalid or belongs to a different query', [
      { field: 'cursor', message: 'pass the cursor the previous page of the same query answered with, unchanged' },
    ]);
    const [payload, signature, extra] = cursor.split('.');
    if (!payload || !signature || extra !== undefined) throw bad();
    const expected = Buffer.from(this.sign(scope, payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad();
    try {
      const { a } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { a?: unknown };
      if (typeof a !== 'string') throw bad();
      return a;
    } catch {
      throw bad();
    }
  }
}

/** Builds a page from `limit + 1` fetched rows: the rows to show and the cursor to the next page, if any. */
export function pageOf<T extends { id: string }>(
  rows: T[],
  limit: number,
  codec: CursorCodec,
  scope: string,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: codec.encode(scope, items[items.length - 1]!.id) };
}
