#!/usr/bin/env node
// `npm start`: set-up (idempotent), build what the demo needs through Nx (cached: the wasm kernels,
// the web bundle, the embedded random-weight demo model), then run the dev server on $PORT
// (default 8080). Extra arguments go to the dev server (e.g. `npm start -- --port 9000 --no-isolation`).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setup, childEnv, ROOT } from './setup.mjs';

try {
  setup({ browser: false });
} catch (e) {
  process.stderr.write(`[setup] ${e.code ?? 'error'}: ${e.message}\n`);
  process.exit(1);
}

const nx = join(ROOT, 'node_modules', '.bin', 'nx');
const b = spawnSync(nx, ['run', 'web:build', '--output-style=static'], { cwd: ROOT, stdio: 'inherit', env: childEnv() });
if (b.status !== 0) process.exit(b.status ?? 1);

const server = spawn(process.execPath, [join(ROOT, 'apps/dev-server/bin/dev-server.cjs'), ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: childEnv(),
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code) => process.exit(code ?? 0));
