#!/usr/bin/env node
// `npm test`: set-up (idempotent), then every test target through Nx (cached), then one summary line.
// Targets: lint (module boundaries), typecheck, test (jest, incl. the wasm build it depends on),
// test-native (host-compiled C tests), e2e (Playwright in Debian's Chromium), build (the publishable
// packages: bundles and declarations; a package that does not build fails the run).
// Extra arguments are passed to `nx run-many` (e.g. `npm test -- --projects=gguf`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setup, childEnv, ROOT } from './setup.mjs';

try {
  setup({ browser: true });
} catch (e) {
  process.stderr.write(`[setup] ${e.code ?? 'error'}: ${e.message}\n`);
  process.exit(1);
}

const reports = join(ROOT, '.reports');
rmSync(reports, { recursive: true, force: true });

const nx = join(ROOT, 'node_modules', '.bin', 'nx');
const args = ['run-many', '-t', 'lint', 'typecheck', 'test', 'test-native', 'e2e', 'build', '--output-style=static', '--parallel=2', ...process.argv.slice(2)];
const r = spawnSync(nx, args, { cwd: ROOT, stdio: 'inherit', env: childEnv({ CI: process.env.CI ?? '' }) });

// One closing line for humans and CI: counts from jest, native and Playwright reports.
let passed = 0;
let failed = 0;
let skipped = 0;
const readJson = (f) => {
  try {
    return JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    return undefined;
  }
};
for (const sub of ['jest', 'native', 'e2e']) {
  const dir = join(reports, sub);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const j = readJson(join(dir, f));
    if (!j) continue;
    if (sub === 'jest') {
      passed += j.numPassedTests ?? 0;
      failed += (j.numFailedTests ?? 0) + (j.numRuntimeErrorTestSuites ?? 0);
      skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
    } else if (sub === 'native') {
      passed += j.passed ?? 0;
      failed += j.failed ?? 0;
    } else {
      const s = j.stats ?? {};
      passed += s.expected ?? 0;
      failed += (s.unexpected ?? 0) + (s.flaky ?? 0);
      skipped += s.skipped ?? 0;
    }
  }
}
const status = r.status ?? 1;
if (status !== 0 && failed === 0) failed = 1; // a target failed without a test report (build, lint, typecheck)
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(status);
