#!/usr/bin/env node
// Prints the Vitest JSON report as one line: "N passed, N failed, N skipped".
// A run that stopped before the tests (build, lint or typecheck failed) has no
// report and counts as one failure.
'use strict';
const fs = require('node:fs');

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch {
  console.log('0 passed, 1 failed');
  process.exit(0);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const suiteErrors = (report.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
console.log(`${passed} passed, ${failed + suiteErrors} failed, ${skipped} skipped`);
