import fc from 'fast-check';

/**
 * Values hostile clients send: strings, timestamps, numbers and JSON that are
 * nearly right, plainly wrong, or wrong in the ways that broke services
 * before (leap seconds, NUL, lone surrogates, years outside 0–9999, numbers
 * past 2^53, deep nesting). Placeholders such as `{{ws:main}}` stand for ids
 * and keys that exist only once the target is seeded; `target.ts` fills them
 * in, so a generated request reads the same in every run of a seed.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** CRC-32 (zlib's), as the key format uses it: computable by anyone, which is why unknown well-formed keys are cheap to forge. */
function crc32(text: string): number {
  let crc = -1;
  for (let i = 0; i < text.length; i++) {
    let c = (crc ^ text.charCodeAt(i)) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = c ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

/** A key with the right prefix, length and checksum that no workspace holds. */
export function forgedKey(random: string, prefix = 'sk_cadreen_'): string {
  let value = crc32(prefix + random);
  let checksum = '';
  for (let i = 0; i < 6; i++) {
    checksum = BASE62[value % 62] + checksum;
    value = Math.floor(value / 62);
  }
  return `${prefix}${random}${checksum}`;
}

export const forgedKeys = fc
  .string({ unit: fc.constantFrom(...BASE62), minLength: 30, maxLength: 30 })
  .map((random) => forgedKey(random));

/** Strings that broke parsers, stores and loggers somewhere. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '   ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\u0000\u0000\u0000',
  '\uD800',
  'a\uDFFFb',
  'e\u0301',
  '😀',
  '👩‍👩‍👧‍👦',
  '\u202Eevil',
  '\uFEFFbom',
  '\u2028\u2029',
  '\r\n',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  'NaN',
  "'; drop table api_keys; --",
  '" or 1=1 --',
  '%00',
  '%',
  '%zz',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${7*7}',
  '\\',
  '"',
  '__proto__',
  'constructor',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(255),
  'x'.repeat(256),
  'x'.repeat(513),
  'x'.repeat(1025),
  'é'.repeat(300),
] as const;

const insertAt = (text: string, insert: string, at: number) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1));

/** Any string: printable, any unicode (lone surrogates included), with NUL planted, or a known troublemaker. */
export const wildStrings: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.nat()).map(([text, at]) => insertAt(text, '\u0000', at)) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 1100 }).map((length) => 'n'.repeat(length)) },
);

/** Plausible names: mostly accepted, so requests get past validation and reach the store. */
export const plausibleNames = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _.-]{0,30}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
);

/** Timestamps that are wrong in every way RFC 3339, `Date` and the stores disagree about. */
export const TIMESTAMP_EDGES = [
  '2026-12-31T23:59:60Z',
  '2016-12-31T23:59:60.000Z',
  '2030-06-30T23:59:60+00:00',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '10000-01-01T00:00:00Z',
  '+010000-01-01T00:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '-000001-01-01T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '2026-02-29T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-00-10T00:00:00Z',
  '2026-06-03T24:00:00Z',
  '2026-06-03T12:60:00Z',
  '2026-06-03T12:00:61Z',
  '2026-06-03T12:00:00+25:00',
  '2026-06-03T12:00:00+23:59',
  '2026-06-03T12:00:00-00:00',
  '2026-06-03 12:00:00Z',
  '2026-06-03t12:00:00z',
  '2026-06-03T12:00:00.123456789012Z',
  '2026-06-03T12:00:00.Z',
  '2026-06-03T12:00Z',
  '2026-06-03T12:00:00',
  '2026-06-03',
  '12:00:00Z',
  '2026-06-03T12:00:00\u0000Z',
  '2026-06-03T12:00:00Z\u0000',
  '２０２６-06-03T12:00:00Z',
  'now',
  '',
  '1780000000000',
] as const;

const DAY = 86_400_000;

/** A timestamp: mostly valid and in the future (so updates succeed), else an edge or any date `Date` can print. */
export const wildTimestamps: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 3650 }).map((days) => new Date(Date.UTC(2030, 0, 1) + days * DAY).toISOString()) },
  { weight: 3, arbitrary: fc.constantFrom(...TIMESTAMP_EDGES) },
  { weight: 1, arbitrary: fc.integer({ min: 1972, max: 9999 }).map((year) => `${year}-12-31T23:59:60Z`) },
  {
    weight: 2,
    arbitrary: fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((date) => date.toISOString()),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 100 }).map((days) => new Date(Date.UTC(2020, 0, 1) + days * DAY).toISOString()) },
);

/** Numbers around every boundary the schemas and stores have. */
export const wildNumbers: fc.Arbitrary<number> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      0, -0, 1, -1, 2, 5, 60, 100, 500, 501, 1000, 1001, 86_400, 86_401, 604_800, 604_801, 1_000_000, 1_000_001,
      2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, 5e-324, 0.5, 1.5, 59.999,
    ),
  },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

/** Any JSON value, nested a little, with hostile strings and numbers at the leaves. */
export const wildJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    wildStrings,
    wildNumbers,
    fc.boolean(),
    fc.constant(null),
    wildTimestamps,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(wildStrings, fc.constantFrom('name', 'key', 'labels', '__proto__', 'metadata')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/**
 * A field's value: usually one of the right type (`good`), sometimes
 * anything at all, so that every field meets both.
 */
export const field = <T>(good: fc.Arbitrary<T>, wildWeight = 1): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 7, arbitrary: good as fc.Arbitrary<unknown> }, { weight: wildWeight, arbitrary: wildJson });

const LABEL_NAMES = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,20}$/) },
  { weight: 1, arbitrary: wildStrings },
);

/** Labels: a small valid map, a map that breaks one rule (names, values, count), or the wrong type. */
export const wildLabels: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(LABEL_NAMES, fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: wildStrings }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 70 }).map((count) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`l${i}`, 'v']))) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: wildJson },
);

/** A JSON document nested `depth` levels: arrays or objects. */
export const nested = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Bodies no JSON parser should accept, or should accept only to find nonsense inside. */
export const RAW_BODIES = [
  '{',
  '}',
  '[',
  '{"name":',
  '{"name":"a",}',
  "{'name':'a'}",
  '{name:"a"}',
  'nul',
  'tru',
  '"',
  '"\\u0000"',
  '{"name":"a"} trailing',
  '{"name":"a"}{"name":"b"}',
  '\uFEFF{"name":"bom"}',
  '{"name":"\\ud800"}',
  '{"name":"a\\u0000b"}',
  '{"name":"\\u0000"}',
  '{"name":"a","name":"b"}',
  '{"__proto__":{"admin":true},"name":"proto"}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"grace_period_seconds":1e400}',
  '{"gracePeriodSeconds":-1e400}',
  '{"key":1e400}',
  '1e400',
  '-',
  '0x10',
  'NaN',
  'Infinity',
  '[]',
  '{}',
  '""',
  'null',
  'true',
  '123',
  ' ',
  '\n\n',
  '\u0000',
  '{"name":"x"}\u0000',
  nested(10_000, 'array'),
  nested(5_000, 'object'),
  '[' + '1,'.repeat(20_000) + '1]',
  JSON.stringify({ name: 'x'.repeat(70_000) }),
] as const;

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as any client would send it). */
export const percentEncode = (text: string, keep: RegExp = /[A-Za-z0-9_.~-]/): string =>
  [...Buffer.from(text, 'utf8')].map((byte) => {
    const char = String.fromCharCode(byte);
    return byte < 0x80 && keep.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');

/** Path segments that are not ids: malformed or overlong percent-encoding, NUL, dots, unicode, lengths around the limits. */
export const GARBAGE_SEGMENTS = [
  '%00',
  'a%00b',
  'key_%00',
  '%ED%A0%80',
  '%',
  '%zz',
  '%4',
  '%C3%A9',
  '%C3',
  '%C0%AF',
  '%FF%FE',
  '%F0%9F%92%A9',
  '%E2%80%AE',
  '%2F',
  '%2e%2e',
  '%20',
  '+',
  '..',
  '.',
  '~',
  'null',
  '0',
  '-1',
  'key_00000000000000000000000000',
  'key_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  'ws_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  "'%20or%201=1",
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(100),
  'x'.repeat(101),
  'x'.repeat(2_000),
  'x'.repeat(9_000),
  '%41'.repeat(40),
] as const;

/** A path segment that names nothing: a known troublemaker, any string percent-encoded, or raw bytes percent-encoded. */
export const garbageSegments: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...GARBAGE_SEGMENTS) },
  { weight: 2, arbitrary: wildStrings.filter((text) => text.length > 0).map((text) => percentEncode(text)) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 12 })
      .map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/) },
);
