import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Deadlines here are safety nets against a hang, never measurements: far
    // enough that a loaded machine (the whole suite twice at once on one CPU)
    // does not reach them. Tests wait on conditions, not on time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    expect: { poll: { timeout: 30_000, interval: 50 } },
    pool: 'forks',
    // Finds PostgreSQL and Redis (given URLs or the local servers) before any file runs.
    globalSetup: ['./test/support/global-setup.ts'],
    // One line at the end naming every suite skipped and why; with CI=true a skip fails the run.
    reporters: ['default', './test/support/skip-reporter.ts'],
  },
});
