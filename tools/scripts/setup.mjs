#!/usr/bin/env node
// Idempotent set-up shared by `npm start` and `npm test`. Uses only Node built-ins, because it runs
// before `node_modules` exists. It (1) runs `npm ci` when node_modules is missing or older than
// package-lock.json, (2) makes sure emscripten is callable (installing Debian's package when we are
// root on Debian/Ubuntu; clang-19 too, optionally, for the relaxed-SIMD kernels), and (3) for tests, makes sure a Chromium binary exists the same way.
// Nothing here downloads from anywhere but the npm registry and the OS package manager.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STAMP = join(ROOT, 'node_modules', '.bitnet-setup-stamp');
/** Debian's emscripten needs Debian's node modules (acorn) on NODE_PATH; see docs/toolchain notes. */
export const DEBIAN_NODE_PATH = '/usr/share/nodejs';

const log = (msg) => process.stderr.write(`[setup] ${msg}\n`);

export class SetupError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'SetupError';
    this.code = code;
  }
}

/** Environment for child processes: NODE_PATH fixed for emcc, no Nx daemon, no cloud. */
export function childEnv(extra = {}) {
  const parts = (process.env.NODE_PATH || '').split(':').filter(Boolean);
  if (!parts.includes(DEBIAN_NODE_PATH)) parts.push(DEBIAN_NODE_PATH);
  return { ...process.env, NODE_PATH: parts.join(':'), NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...extra };
}

function lockHash() {
  return createHash('sha256').update(readFileSync(join(ROOT, 'package-lock.json'))).digest('hex');
}

function ensureNodeModules() {
  const want = lockHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === want) return;
  log(existsSync(join(ROOT, 'node_modules')) ? 'package-lock.json changed: running npm ci' : 'node_modules missing: running npm ci');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (r.status !== 0) throw new SetupError('npm_ci_failed', 'npm ci failed (see above). Check network access to the npm registry.');
  writeFileSync(STAMP, want + '\n');
}

function works(cmd, args, env = childEnv()) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', env, timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let aptUpdated = false;
function aptInstall(pkgs, why) {
  if (!isRoot() || !existsSync('/usr/bin/apt-get')) {
    throw new SetupError(
      'missing_tool',
      `${why} is not installed. Install it with your OS package manager, e.g. on Debian/Ubuntu: sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log('apt-get update');
    const u = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    if (u.status !== 0) throw new SetupError('apt_failed', 'apt-get update failed; cannot install ' + pkgs.join(' '));
    aptUpdated = true;
  }
  log(`installing ${pkgs.join(' ')} (${why}) from the OS packages`);
  const r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  if (r.status !== 0) throw new SetupError('apt_failed', `apt-get install ${pkgs.join(' ')} failed`);
}

export function ensureEmscripten() {
  if (works('emcc', ['--version'])) return;
  aptInstall(['emscripten'], 'emscripten (emcc, to build the WebAssembly kernels)');
  if (!works('emcc', ['--version'])) {
    throw new SetupError('missing_tool', `emcc still does not run. Debian's emscripten needs NODE_PATH=${DEBIAN_NODE_PATH}.`);
  }
}

/**
 * Optional: clang-19 + lld-19 (+ the wasm32 runtime/libc packages) let build-wasm.sh add the
 * relaxed-SIMD kernel flavours (bitnet-{st,mt}-rx). Installed only when we are root with apt;
 * never fatal: without it the build prints a notice and makes the SIMD128 flavours only.
 */
export function ensureRelaxedSimdCompiler() {
  if (process.env.BITNET_NO_CLANG19 || works('clang-19', ['--version'])) return;
  if (!isRoot() || !existsSync('/usr/bin/apt-get')) {
    log('optional: clang-19 not found; the relaxed-SIMD kernels are skipped (sudo apt-get install -y clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc)');
    return;
  }
  try {
    aptInstall(['clang-19', 'lld-19', 'libclang-rt-19-dev-wasm32', 'wasi-libc'], 'clang-19 (optional, for the relaxed-SIMD kernels)');
  } catch (e) {
    log(`optional: could not install clang-19 (${e.message}); the relaxed-SIMD kernels are skipped`);
  }
}

export function ensureHostCompiler() {
  if (works('cc', ['--version'])) return;
  aptInstall(['gcc', 'libc6-dev'], 'a C compiler (for the native unit tests)');
}

export const { chromiumPath } = createRequire(import.meta.url)('./chromium.cjs');

export function ensureChromium() {
  if (existsSync(chromiumPath())) return;
  aptInstall(['chromium'], 'Chromium (for the browser tests)');
}

/** Run the whole set-up. `browser` adds Chromium (tests only). */
export function setup({ browser = false } = {}) {
  ensureNodeModules();
  ensureEmscripten();
  ensureRelaxedSimdCompiler();
  if (browser) {
    ensureHostCompiler();
    ensureChromium();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setup({ browser: process.argv.includes('--browser') });
    log('ok');
  } catch (e) {
    log(`${e.code ?? 'error'}: ${e.message}`);
    process.exit(1);
  }
}
