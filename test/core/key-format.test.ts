import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { crc32Ascii, createKeyHasher, generateKey, hasValidKeyFormat, secretsEqual } from '../../src/core/key-format.js';

/**
 * A fixed key and what it must hash and checksum to, computed outside this
 * code: `printf %s "$KEY" | sha256sum`, `printf %s "$KEY" | openssl dgst
 * -sha256 -hmac pepper-0123456789`, and Python's `zlib.crc32` written in
 * base62. Stored hashes depend on these: a change here is a change of every
 * deployment's data.
 */
const VECTOR = {
  key: 'sk_cadreen_0123456789ABCDEFGHIJabcdefghij2xsQNP',
  crc32: 2_717_040_595,
  sha256: '5a1e88c9e7cefc3a268300e84d86cdb482e863e462f00decb811dc456a44ee89',
  pepper: 'pepper-0123456789',
  hmacSha256: 'b70183a5ab5144b26b8f6747d8e882e4d9cdcec5883ac9b54cb2dee54fda52b5',
};

describe('key format', () => {
  it('accepts a known key and checksums it to the known CRC-32, in base62', () => {
    const body = VECTOR.key.slice(0, -6);
    expect(crc32Ascii(body)).toBe(VECTOR.crc32);
    expect(crc32Ascii(VECTOR.key, body.length)).toBe(VECTOR.crc32);
    expect(hasValidKeyFormat(VECTOR.key, 'sk_cadreen_')).toBe(true);
  });

  it('hashes a known key to the known SHA-256, and with a pepper to the known HMAC-SHA-256', () => {
    expect(createKeyHasher()(VECTOR.key)).toBe(VECTOR.sha256);
    expect(createKeyHasher(VECTOR.pepper)(VECTOR.key)).toBe(VECTOR.hmacSha256);
  });

  it('is the prefix, 30 random base62 characters and a 6-character checksum', () => {
    const { plaintext, start } = generateKey('sk_cadreen_');
    expect(plaintext).toMatch(/^sk_cadreen_[0-9A-Za-z]{36}$/);
    expect(start).toBe(plaintext.slice(0, 'sk_cadreen_'.length + 4));
    expect(hasValidKeyFormat(plaintext, 'sk_cadreen_')).toBe(true);
  });

  it('never repeats across many keys', () => {
    const keys = new Set(Array.from({ length: 10_000 }, () => generateKey('sk_cadreen_').plaintext));
    expect(keys.size).toBe(10_000);
  });

  it('uses every base62 character in the random part', () => {
    const seen = new Set(Array.from({ length: 500 }, () => generateKey('sk_').plaintext.slice(3, 33)).join(''));
    expect(seen.size).toBe(62);
  });

  it('checksums with the standard CRC-32, so scanners can recognise keys', () => {
    for (const text of ['', 'a', 'sk_cadreen_', generateKey('sk_cadreen_').plaintext]) expect(crc32Ascii(text)).toBe(crc32(text));
    const { plaintext } = generateKey('sk_cadreen_');
    const body = plaintext.slice(0, -6);
    let value = crc32(body);
    let checksum = '';
    for (let i = 0; i < 6; i++, value = Math.floor(value / 62)) checksum = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[value % 62] + checksum;
    expect(plaintext.slice(-6)).toBe(checksum);
  });

  it('refuses any single-character typo through the checksum', () => {
    const { plaintext } = generateKey('sk_cadreen_');
    for (let i = 'sk_cadreen_'.length; i < plaintext.length; i++) {
      const replacement = plaintext[i] === 'x' ? 'y' : 'x';
      expect(hasValidKeyFormat(plaintext.slice(0, i) + replacement + plaintext.slice(i + 1), 'sk_cadreen_')).toBe(false);
    }
  });

  it('refuses other prefixes, lengths and alphabets', () => {
    const { plaintext } = generateKey('sk_cadreen_');
    expect(hasValidKeyFormat(plaintext, 'sk_other_')).toBe(false);
    expect(hasValidKeyFormat(`${plaintext}0`, 'sk_cadreen_')).toBe(false);
    expect(hasValidKeyFormat(plaintext.replace(/.$/, '-'), 'sk_cadreen_')).toBe(false);
    expect(hasValidKeyFormat('', 'sk_cadreen_')).toBe(false);
  });

  it('hashes with SHA-256, or HMAC-SHA-256 when a pepper is set', () => {
    const { plaintext } = generateKey('sk_cadreen_');
    const plain = createKeyHasher()(plaintext);
    const peppered = createKeyHasher('pepper-0123456789')(plaintext);
    expect(plain).toMatch(/^[0-9a-f]{64}$/);
    expect(peppered).toMatch(/^[0-9a-f]{64}$/);
    expect(peppered).not.toBe(plain);
    expect(createKeyHasher()(plaintext)).toBe(plain);
    expect(plain).not.toContain(plaintext.slice(11));
  });

  it('compares secrets of any length without throwing', () => {
    expect(secretsEqual('same-secret', 'same-secret')).toBe(true);
    expect(secretsEqual('same-secret', 'same-secreT')).toBe(false);
    expect(secretsEqual('short', 'a much longer secret')).toBe(false);
  });
});
