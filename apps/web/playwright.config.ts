// Playwright set-up of the demo page: Debian's Chromium (never a downloaded browser), two dev
// servers — one cross-origin isolated (threads), one with --no-isolation (single-thread fallback) —
// as two projects, a JSON report in .reports/e2e/web.json (read by `npm test`) and artifacts
// (screenshots) in apps/web/test-results. The servers honour ?throttle= (slow downloads for the
// cancel and resume tests) and serve the fixtures folder at /e2e/.
import { defineConfig } from '@playwright/test';
import { resolve } from 'node:path';
import { FIXTURE_DIR, writeFixtures } from './e2e/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the repo's shared Chromium settings, a plain script (no project)
const { chromiumPath, CHROMIUM_ARGS } = require('../../tools/scripts/chromium.cjs') as { chromiumPath: () => string; CHROMIUM_ARGS: readonly string[] };

const ROOT = resolve(__dirname, '..', '..');
const PORT = Number(process.env.BITNET_E2E_PORT || 4173);
const PLAIN_PORT = PORT + 1;
writeFixtures();

// BITNET_WASM_DIR serves another kernels build at /wasm/ (as @bitnet-wasm/kernels/node reads it).
const wasm = process.env.BITNET_WASM_DIR ? ` --wasm ${resolve(process.env.BITNET_WASM_DIR)}` : '';

const server = (port: number, extra: string) => ({
  command: `node apps/dev-server/bin/dev-server.cjs --port ${port} --allow-throttle --mount /e2e/=${FIXTURE_DIR}${wasm}${extra}`,
  cwd: ROOT,
  url: `http://127.0.0.1:${port}/`,
  reuseExistingServer: false,
  timeout: 30_000,
  stdout: 'ignore' as const,
  stderr: 'pipe' as const,
});

export default defineConfig({
  testDir: './e2e',
  testMatch: /.*\.e2e\.ts$/,
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 20_000 },
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: resolve(ROOT, '.reports/e2e/web.json') }]],
  use: {
    browserName: 'chromium',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath(),
      args: [...CHROMIUM_ARGS],
    },
  },
  projects: [
    { name: 'isolated', use: { baseURL: `http://127.0.0.1:${PORT}` } },
    { name: 'no-isolation', use: { baseURL: `http://127.0.0.1:${PLAIN_PORT}` } },
  ],
  webServer: [server(PORT, ''), server(PLAIN_PORT, ' --no-isolation')],
});
