#!/usr/bin/env node
// Prints the test counts as one line: "N passed, N failed, N skipped", from the counts that
// test/helpers/count-reporter.ts writes. Tests that did not run because their setup failed
// (a beforeAll that threw) and files that failed to load count as failed; only tests marked
// .skip or .todo count as skipped. A run that stopped before the tests (build, lint or
// typecheck failed) has no counts and counts as one failure.
'use strict';
const fs = require('node:fs');

const file = process.argv[2] ?? 'test-results/counts.json';
let counts;
try {
  counts = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch {
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(0);
}
const failed = counts.failed + counts.setupFailed + counts.filesFailed;
console.log(`${counts.passed} passed, ${failed} failed, ${counts.skipped} skipped`);
