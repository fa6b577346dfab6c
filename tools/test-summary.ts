// Adds up the JSON reports each project's vitest run wrote (see vitest.shared.ts) into one closing
// line, `N passed, N failed, N skipped`, and exits non-zero when a test or a suite failed or nothing ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

const dir = path.resolve('test-output', 'vitest');
const reports = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
// A suite fails with its tests, or alone (an error in a hook or at import): counted apart from tests.
let failedSuites = 0;
let skipped = 0;
for (const file of reports.sort()) {
  const report = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as VitestJsonReport;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  failedSuites += report.numFailedTestSuites;
  skipped += report.numPendingTests + report.numTodoTests;
  console.log(
    `  ${file.replace(/\.json$/, '').padEnd(20)} ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
  );
}
console.log(
  `${passed} passed, ${failed} failed, ${skipped} skipped${failedSuites > 0 ? ` (${failedSuites} failing suites)` : ''}`,
);
process.exit(failed > 0 || failedSuites > 0 || passed === 0 ? 1 : 0);
