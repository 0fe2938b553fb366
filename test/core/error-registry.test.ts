import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, statusOf } from '../../src/core/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The rows of the README's error table: `| 401 | `auth_missing` | … |`. */
const documented = [...readme.matchAll(/^\|\s*(\d{3})\s*\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => ({ status: Number(m[1]), code: m[2]! }));

describe('error code registry', () => {
  it('documents every code in the README with its HTTP status', () => {
    for (const code of ERROR_CODES) {
      expect(documented, `${code} is missing from the README error table`).toContainEqual({ code, status: statusOf(code) });
    }
  });

  it('documents no code that the registry does not have', () => {
    for (const { code } of documented) expect(ERROR_CODES).toContain(code);
  });

  it('gives every code a client or server error status', () => {
    for (const code of ERROR_CODES) expect(statusOf(code)).toBeGreaterThanOrEqual(400);
  });
});
