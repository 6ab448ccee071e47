import fs from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Writes test-results/counts.json for scripts/test-summary.js. A test that was meant to run
 * but did not, because its setup failed (a `beforeAll` that threw, a file that did not load),
 * counts as failed: Vitest's own report calls it skipped, like a test marked `.skip`.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, setupFailed: 0, filesFailed: 0 };
    for (const module of modules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else if (test.options.mode === 'skip' || test.options.mode === 'todo') counts.skipped++;
        else counts.setupFailed++;
      }
      // A file that failed before declaring a test (an import or top-level error).
      if (tests === 0 && module.state() === 'failed') counts.filesFailed++;
    }
    const file = path.join(process.cwd(), 'test-results', 'counts.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(counts)}\n`);
  }
}
