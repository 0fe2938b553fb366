/** The prefix of every key unless the deployment chose its own (`CADREEN_KEY_PREFIX`). */
export const DEFAULT_KEY_PREFIX = 'sk_cadreen_';

const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;

/** The lookup table of the standard CRC-32 (polynomial 0xEDB88320, as zlib and the server use). */
const CRC32_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 of the first `end` characters of an ASCII `text`. */
function crc32Ascii(text: string, end: number): number {
  let crc = -1;
  for (let i = 0; i < end; i++) crc = CRC32_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** The value of a base62 character (0-9, A-Z, a-z), or -1. */
function base62Value(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  if (code >= 97 && code <= 122) return code - 61;
  return -1;
}

/**
 * Whether `token` is a well-formed key for `prefix`: the prefix, 30 base62 characters and 6 base62
 * characters of CRC-32 over the rest. The same check the server makes, so a mistyped or forged
 * string is refused without asking it.
 */
export function hasValidKeyFormat(token: string, prefix: string = DEFAULT_KEY_PREFIX): boolean {
  const checksumStart = prefix.length + RANDOM_LENGTH;
  if (token.length !== checksumStart + CHECKSUM_LENGTH || !token.startsWith(prefix)) return false;
  for (let i = prefix.length; i < checksumStart; i++) if (base62Value(token.charCodeAt(i)) < 0) return false;
  let checksum = 0;
  for (let i = checksumStart; i < token.length; i++) {
    const digit = base62Value(token.charCodeAt(i));
    if (digit < 0) return false;
    checksum = checksum * 62 + digit;
  }
  return checksum === crc32Ascii(token, checksumStart);
}
