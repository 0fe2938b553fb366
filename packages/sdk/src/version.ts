// Generated from packages/sdk/package.json by `npm run generate:sdk-types`. Do not edit:
// test/sdk/types-drift.test.ts fails when this file and the package's version disagree.
export const VERSION = '0.1.0';
