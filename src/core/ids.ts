import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

export type IdPrefix = 'acct' | 'ws' | 'prof' | 'key' | 'evt' | 'sess';

/** A new prefixed ULID such as `key_01HXK…`; ids sort by creation time. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${ulid(now)}`;
}

