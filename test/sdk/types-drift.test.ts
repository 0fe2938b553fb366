import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES as SERVER_CODES } from '../../src/core/errors.js';
import { ERROR_CLASSES, ERROR_CODES as SDK_CODES, CadreenError } from '../../packages/sdk/src/errors.js';
import { createHarness, type Harness } from '../http/harness.js';
import { renderSdkTypes } from './render-types.js';

const GENERATED = new URL('../../packages/sdk/src/generated/api-types.ts', import.meta.url);
const VERSION_MODULE = new URL('../../packages/sdk/src/version.ts', import.meta.url);
const SDK_PACKAGE = new URL('../../packages/sdk/package.json', import.meta.url);

/** packages/sdk/src/version.ts for the SDK package's version (the User-Agent names it). */
const renderVersion = (version: string) =>
  [
    '// Generated from packages/sdk/package.json by `npm run generate:sdk-types`. Do not edit:',
    '// test/sdk/types-drift.test.ts fails when this file and the package\'s version disagree.',
    `export const VERSION = '${version}';`,
    '',
  ].join('\n');

describe('the SDK agrees with the server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('has request and response types generated from the server’s current OpenAPI document', async () => {
    const { body } = await h.request('GET', '/openapi.json');
    const expected = renderSdkTypes(body);
    if (process.env.UPDATE_SDK_TYPES === '1') writeFileSync(GENERATED, expected);
    expect(readFileSync(GENERATED, 'utf8'), 'SDK types drifted from the server: run `npm run generate:sdk-types`').toBe(expected);
  });

  it('says the SDK package’s own version, so the User-Agent never drifts from package.json', () => {
    const expected = renderVersion(JSON.parse(readFileSync(SDK_PACKAGE, 'utf8')).version);
    if (process.env.UPDATE_SDK_TYPES === '1') writeFileSync(VERSION_MODULE, expected);
    expect(readFileSync(VERSION_MODULE, 'utf8'), 'version.ts drifted from package.json: run `npm run generate:sdk-types`').toBe(expected);
  });

  it('knows every error code of the server’s registry, and no other', () => {
    expect([...SDK_CODES]).toEqual([...SERVER_CODES]);
  });

  it('maps every server error code to an error family of its own, not the bare base class', () => {
    for (const code of SERVER_CODES) {
      const Class = ERROR_CLASSES[code];
      expect(Class, code).toBeDefined();
      expect(Class).not.toBe(CadreenError);
      expect(new Class({ message: 'm', code })).toBeInstanceOf(CadreenError);
    }
  });
});
