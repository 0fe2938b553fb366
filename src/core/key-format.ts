import { createHash, createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
/** Number of random characters kept in a key's display `start`. */
const START_RANDOM_LENGTH = 4;

/** The default prefix of every key; a deployment may choose its own. */
export const DEFAULT_KEY_PREFIX = 'sk_cadreen_';

/** The lookup table of the standard CRC-32 (polynomial 0xEDB88320, as zlib and secret scanners use). */
const CRC32_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * CRC-32 of the first `end` characters of `text`, which must be ASCII (a key's
 * prefix and body are). In JavaScript on purpose: on the hot path it costs less
 * than cutting a substring and crossing into native code for 41 bytes.
 */
export function crc32Ascii(text: string, end = text.length): number {
  let crc = -1;
  for (let i = 0; i < end; i++) crc = CRC32_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** 6 base62 characters of CRC32 over `text` (62^6 > 2^32, so nothing is lost). */
function checksumOf(text: string): string {
  let value = crc32Ascii(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** `length` uniformly random base62 characters from the OS's CSPRNG. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: rejecting the bytes above it keeps every character equally likely.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A freshly generated key: the plaintext (shown once) and its display start. */
export interface GeneratedKey {
  plaintext: string;
  start: string;
}

export function generateKey(prefix: string): GeneratedKey {
  const random = randomBase62(RANDOM_LENGTH);
  return {
    plaintext: `${prefix}${random}${checksumOf(prefix + random)}`,
    start: prefix + random.slice(0, START_RANDOM_LENGTH),
  };
}

/** The value of a base62 character, or -1. */
function base62Value(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  if (code >= 97 && code <= 122) return code - 61;
  return -1;
}

/**
 * Whether `token` is well-formed for `prefix`: right length, base62 body and a
 * matching CRC32. A mistyped or forged string is refused here, before any
 * hashing or store access. (On the hot path: no regular expression, and the
 * checksum is compared as a number.)
 */
export function hasValidKeyFormat(token: string, prefix: string): boolean {
  const bodyStart = prefix.length;
  const checksumStart = bodyStart + RANDOM_LENGTH;
  if (token.length !== checksumStart + CHECKSUM_LENGTH || !token.startsWith(prefix)) return false;
  for (let i = bodyStart; i < checksumStart; i++) if (base62Value(token.charCodeAt(i)) < 0) return false;
  let checksum = 0;
  for (let i = checksumStart; i < token.length; i++) {
    const digit = base62Value(token.charCodeAt(i));
    if (digit < 0) return false;
    checksum = checksum * 62 + digit;
  }
  return checksum === crc32Ascii(token, checksumStart);
}

/**
 * Hashes keys for storage and lookup: SHA-256, or HMAC-SHA-256 when the
 * deployment sets a pepper (so a stolen database alone cannot be brute-forced).
 */
export function createKeyHasher(pepper?: string): (plaintext: string) => string {
  if (pepper) return (plaintext) => createHmac('sha256', pepper).update(plaintext).digest('hex');
  return (plaintext) => hash('sha256', plaintext, 'hex');
}

/** Compares two secrets in time independent of where they first differ. */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
