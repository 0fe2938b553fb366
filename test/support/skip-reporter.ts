import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import './skip-reason.js';

/**
 * Prints one line at the end of a run naming every suite skipped for a
 * reason (a suite with `meta.skipReason`, see `skipWhen`, or a test that
 * called `context.skip(reason)`), and why. With `CI=true` such a skip fails
 * the run: CI is where every suite must run.
 */
export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const byReason = new Map<string, string[]>();
    const add = (reason: string, name: string) => byReason.set(reason, [...(byReason.get(reason) ?? []), name]);

    for (const module of modules) {
      const file = module.relativeModuleId;
      for (const suite of module.children.allSuites()) {
        const reason = suite.meta().skipReason;
        // Nested suites inherit the reason; name only the outermost.
        if (reason !== undefined && suite.state() === 'skipped' && !skippedFor(suite.parent, reason)) add(reason, `${file} › ${suite.fullName}`);
      }
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'skipped' && result.note !== undefined && !skippedFor(test.parent, result.note)) add(result.note, nameOf(file, test));
      }
    }
    if (byReason.size === 0) return;

    const suites = [...byReason.values()].reduce((count, names) => count + names.length, 0);
    const reasons = [...byReason].map(([reason, names]) => `${names.join(', ')} — ${reason}`).join('; ');
    const ci = process.env.CI === 'true';
    const line = `${ci ? 'CI=true, so this fails the run: ' : ''}skipped ${suites} suite${suites === 1 ? '' : 's'}: ${reasons}`;
    process.stdout.write(`\n${line}\n`);
    if (ci) process.exitCode = 1;
  }
}

/** Whether `parent` (a suite, or the module) is itself skipped for `reason`. */
function skippedFor(parent: TestSuite | TestModule, reason: string): boolean {
  return parent.type === 'suite' && parent.meta().skipReason === reason && parent.state() === 'skipped';
}

const nameOf = (file: string, test: TestCase) => `${file} › ${test.fullName}`;
