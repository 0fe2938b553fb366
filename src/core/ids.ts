import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

export type IdPrefix = 'acct' | 'ws' | 'prof' | 'key' | 'evt' | 'req';

/** A new prefixed ULID such as `key_01HXK…`; ids sort by creation time. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${ulid(now)}`;
}

const ID_PATTERN = /^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Whether `value` has the shape of an id with the given prefix. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
