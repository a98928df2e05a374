#!/usr/bin/env node
// Browser benchmark driver: our engine (I2_S file and its TQ2_0 copy) against wllama (TQ2_0 copy) in
// the same headless Debian Chromium run. Builds the bench page (tools/bench/browser) with esbuild,
// starts the dev server (cross-origin isolated; the kernels at /wasm/, wllama's wasm at /wllama/, the
// models at /m0/ and /m1/), opens one page per engine/model/thread count, and prints one JSON
// document on stdout (progress goes to stderr):
//   node tools/bench/bin/browser-bench.mjs --model-i2s F1 --model-tq2 F2 [-p 128] [-n 64] [-t 1,2] [--reps 3]
// Missing model files are generated with `npm run synth -- --preset 2b4t` (the 2B-4T shape).
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromiumPath, CHROMIUM_ARGS } = require('../../scripts/chromium.cjs');
const { BROWSER_BUNDLE_OPTIONS } = require('../../scripts/bundle-ts.cjs');

const here = dirname(fileURLToPath(import.meta.url));
const projectDir = join(here, '..');
const repo = resolve(projectDir, '..', '..');

const USAGE = `usage: node tools/bench/bin/browser-bench.mjs --model-i2s <I2_S gguf> --model-tq2 <TQ2_0 gguf> [options]
  -p N             prompt tokens of the prefill test (default 128; 0 = skip)
  -n N             decode steps of the generation test (default 64; 0 = skip)
  -t LIST          thread counts, e.g. 1,2 (default 1,2)
  -d LIST          our engine: cache depths every test also runs at, e.g. 0,1024 (llama-bench's n_depth;
                   default 0). wllama runs depth 0 only: at its ~1 t/s a 1,024-token depth takes 20 minutes
  --reps N         repetitions of each test (default 3)
  --head f16|q8_0  our engine's output head (default f16)
  --batch N        prefill batch for both engines (default 64)
  --engines LIST   subset of ours-i2s,ours-tq2,wllama-tq2 (default all three)
  --preset NAME    synth preset used when a model file is missing (default 2b4t)
  --wllama-arch A  architecture name llama.cpp knows; wllama runs a copy of the TQ2_0 file retagged
                   to it when the file says otherwise (default bitnet)
  --timeout-min N  per page (default 60)
  --chromium PATH  browser binary (default $CHROMIUM_PATH or /usr/bin/chromium)
  --profile        our engine: add profile_ms_per_token (forward-pass ms per token and step, last rep)
  --settle-ms N    our engine: wait N ms between the download and the load (default 0), so that the
                   load is that of a model the browser has stored, as a cached model's
  --verbose        echo the page logs to stderr`;

function fail(msg, code = 2) {
  process.stderr.write(`browser-bench: ${msg}\n`);
  process.exit(code);
}

const { values: v } = (() => {
  try {
    return parseArgs({
      options: {
        'model-i2s': { type: 'string' },
        'model-tq2': { type: 'string' },
        p: { type: 'string', short: 'p' },
        n: { type: 'string', short: 'n' },
        t: { type: 'string', short: 't' },
        d: { type: 'string', short: 'd' },
        reps: { type: 'string' },
        head: { type: 'string' },
        batch: { type: 'string' },
        engines: { type: 'string' },
        preset: { type: 'string' },
        'wllama-arch': { type: 'string' },
        'timeout-min': { type: 'string' },
        chromium: { type: 'string' },
        verbose: { type: 'boolean' },
        profile: { type: 'boolean' },
        'settle-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
})();
if (v.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
if (!v['model-i2s'] || !v['model-tq2']) fail(`--model-i2s and --model-tq2 are required\n${USAGE}`);
const int = (s, name, dflt) => {
  if (s === undefined) return dflt;
  if (!/^\d+$/.test(s)) fail(`${name} must be a non-negative integer, got ${JSON.stringify(s)}`);
  return Number(s);
};
const opts = {
  i2s: resolve(v['model-i2s']),
  tq2: resolve(v['model-tq2']),
  p: int(v.p, '-p', 128),
  n: int(v.n, '-n', 64),
  threads: (v.t ?? '1,2').split(',').map((s) => int(s.trim(), '-t', 1)),
  depths: (v.d ?? '0').split(',').map((s) => int(s.trim(), '-d', 0)),
  reps: int(v.reps, '--reps', 3),
  head: v.head ?? 'f16',
  batch: int(v.batch, '--batch', 64),
  engines: (v.engines ?? 'ours-i2s,ours-tq2,wllama-tq2').split(',').map((s) => s.trim()),
  preset: v.preset ?? '2b4t',
  wllamaArch: v['wllama-arch'] ?? 'bitnet',
  timeoutMs: int(v['timeout-min'], '--timeout-min', 60) * 60_000,
  chromium: v.chromium ?? chromiumPath(),
  verbose: !!v.verbose,
  profile: !!v.profile,
  settleMs: int(v['settle-ms'], '--settle-ms', 0),
};
if (opts.threads.some((t) => t < 1 || t > 16)) fail('-t: thread counts must be in [1, 16]');
if (opts.reps < 1) fail('--reps must be at least 1');
if (!['f16', 'q8_0'].includes(opts.head)) fail('--head must be f16 or q8_0');
for (const e of opts.engines) if (!['ours-i2s', 'ours-tq2', 'wllama-tq2'].includes(e)) fail(`--engines: unknown ${e}`);
const err = (s) => process.stderr.write(s + '\n');

// 1. the models (generated when missing)
for (const [file, type] of [
  [opts.i2s, 'i2_s'],
  [opts.tq2, 'tq2_0'],
]) {
  if (existsSync(file)) continue;
  err(`browser-bench: ${file} is missing: generating it (npm run synth -- --preset ${opts.preset} --type ${type})`);
  mkdirSync(dirname(file), { recursive: true });
  const r = spawnSync('npm', ['run', '--silent', 'synth', '--', '--preset', opts.preset, '--out', file, '--type', type], {
    cwd: repo,
    stdio: ['ignore', 2, 2], // keep stdout for the JSON document
  });
  if (r.status !== 0) fail(`synth failed for ${file} (exit ${r.status})`, 1);
}

// 2. the page
const dist = join(projectDir, 'browser', 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const common = BROWSER_BUNDLE_OPTIONS;
await Promise.all([
  build({ ...common, entryPoints: [join(projectDir, 'src', 'browser-page.ts')], outfile: join(dist, 'page.js'), format: 'esm' }),
  build({ ...common, entryPoints: [join(projectDir, 'src', 'browser-worker.ts')], outfile: join(dist, 'worker.js'), format: 'iife' }),
  // the ratio table and the architecture retagging, for this script
  build({ ...common, platform: 'node', sourcemap: false, entryPoints: [join(projectDir, 'src', 'browser-node.ts')], outfile: join(dist, 'node.mjs'), format: 'esm' }),
]);
const { ratios, retagArchitecture, readArchitecture } = await import(pathToFileURL(join(dist, 'node.mjs')).href);

// wllama (upstream llama.cpp) names the architecture `bitnet`; bitnet.cpp's files and our synthetic
// models say `bitnet-b1.58`. wllama then runs a copy with only the name changed (same tensor bytes).
let wllamaModel = opts.tq2;
if (opts.engines.includes('wllama-tq2')) {
  const arch = await readArchitecture(opts.tq2);
  if (arch !== opts.wllamaArch) {
    wllamaModel = opts.tq2.replace(/(\.gguf)?$/, `.${opts.wllamaArch}-arch.gguf`);
    if (!existsSync(wllamaModel) || statSync(wllamaModel).mtimeMs < statSync(opts.tq2).mtimeMs) {
      err(`browser-bench: writing ${wllamaModel}: ${opts.tq2} with general.architecture ${arch} → ${opts.wllamaArch} (for wllama)`);
      const r = await retagArchitecture(opts.tq2, wllamaModel, opts.wllamaArch);
      err(`browser-bench: ${JSON.stringify(r)}`);
    }
  }
}
copyFileSync(join(projectDir, 'browser', 'index.html'), join(dist, 'index.html'));
const wasmDir = process.env.BITNET_WASM_DIR ? resolve(process.env.BITNET_WASM_DIR) : join(repo, 'libs', 'kernels', 'dist', 'wasm');
if (!existsSync(join(wasmDir, 'bitnet-st.wasm'))) fail(`no kernels in ${wasmDir}: build them with npx nx run kernels:build-wasm`, 1);
const wllamaDir = join(repo, 'node_modules', '@wllama', 'wllama', 'esm', 'wasm');
if (!existsSync(join(wllamaDir, 'wllama.wasm'))) fail(`no ${wllamaDir}/wllama.wasm (is @wllama/wllama installed?)`, 1);

// 3. the dev server (isolated: COOP/COEP, so SharedArrayBuffer and threads work)
const server = spawn(
  process.execPath,
  [
    join(repo, 'apps', 'dev-server', 'bin', 'dev-server.cjs'),
    '--port',
    '0',
    '--root',
    dist,
    '--wasm',
    wasmDir,
    '--mount',
    `/wllama/=${wllamaDir}`,
    '--mount',
    `/m0/=${dirname(opts.i2s)}`,
      '--mount',
    `/m1/=${dirname(opts.tq2)}`,
    '--mount',
    `/m2/=${dirname(wllamaModel)}`,
  ],
  { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
);
const baseUrl = await new Promise((res, rej) => {
  let buf = '';
  const timer = setTimeout(() => rej(new Error('the dev server did not start within 60 s')), 60_000);
  server.stdout.on('data', (d) => {
    buf += d;
    const m = /^(http:\/\/\S+)$/m.exec(buf);
    if (m) {
      clearTimeout(timer);
      res(m[1].replace('localhost', '127.0.0.1'));
    }
  });
  server.on('exit', (code) => rej(new Error(`the dev server exited (${code})`)));
}).catch((e) => {
  server.kill();
  fail(e.message, 1);
});
server.stdout.resume();
const stopServer = () => {
  if (server.exitCode === null) server.kill('SIGTERM');
};
process.on('exit', stopServer);

// 4. the browser: every configuration in the same Chromium
const { chromium } = await import('@playwright/test');
const browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  args: [...CHROMIUM_ARGS],
});
const configs = [];
for (const t of opts.threads) {
  for (const e of opts.engines) {
    if (e === 'wllama-tq2') configs.push({ name: `${e} t=${t}`, engine: 'wllama', file: wllamaModel, mount: '/m2/', t });
    else if (e === 'ours-i2s') configs.push({ name: `${e} t=${t}`, engine: 'bitnet-wasm', file: opts.i2s, mount: '/m0/', t });
    else configs.push({ name: `${e} t=${t}`, engine: 'bitnet-wasm', file: opts.tq2, mount: '/m1/', t });
  }
}
const results = [];
const errors = [];
const loadavgBefore = loadavg().map((x) => Number(x.toFixed(2)));
let pageCores;
let browserVersion = '';
try {
  for (const c of configs) {
    const q = new URLSearchParams({
      model: c.mount + encodeURIComponent(basename(c.file)),
      engine: c.engine,
      p: String(opts.p),
      n: String(opts.n),
      t: String(c.t),
      ...(c.engine === 'bitnet-wasm' ? { d: opts.depths.join(',') } : {}),
      reps: String(opts.reps),
      head: opts.head,
      batch: String(opts.batch),
      ...(opts.profile ? { profile: '1' } : {}),
      ...(opts.settleMs ? { settle: String(opts.settleMs) } : {}),
    });
    err(`browser-bench: ${c.name} …`);
    const page = await browser.newPage();
    page.on('console', (m) => opts.verbose && err(`  [page] ${m.text()}`));
    page.on('pageerror', (e) => err(`  [page error] ${e.message}`));
    const t0 = Date.now();
    const loadBefore = Number(loadavg()[0].toFixed(2));
    try {
      await page.goto(`${baseUrl}index.html?${q}`);
      pageCores ??= await page.evaluate(() => navigator.hardwareConcurrency);
      let seen = 0;
      for (;;) {
        const state = await page.evaluate(() => ({
          result: window.__benchResult,
          error: window.__benchError,
          log: window.__benchLog ?? [],
        }));
        for (const line of state.log.slice(seen)) err(`  ${line}`);
        seen = state.log.length;
        if (state.result) {
          // the page sees a reduced user agent ("156.0.0.0"); Playwright knows the full version.
          // loadavg_1m: the machine's 1-minute load average when the page started (2 cores here is "full").
          const extra = { browser: `Chromium ${browser.version()}`, loadavg_1m_before: loadBefore, loadavg_1m_after: Number(loadavg()[0].toFixed(2)) };
          results.push(...state.result.map((r) => ({ ...r, ...extra })));
          break;
        }
        if (state.error) throw new Error(state.error);
        if (Date.now() - t0 > opts.timeoutMs) throw new Error(`timed out after ${opts.timeoutMs / 60_000} min`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    } catch (e) {
      err(`browser-bench: ${c.name} FAILED: ${e.message}`);
      errors.push({ config: c.name, error: String(e.message ?? e) });
    } finally {
      await page.close().catch(() => {});
    }
  }
} finally {
  browserVersion = browser.version();
  await browser.close();
  stopServer();
}

// 5. one JSON document
const isI2s = (r) => r.model_filename === basename(opts.i2s) && r.engine === 'bitnet-wasm' && / I2_S$/.test(r.model_type);
const doc = {
  results,
  ratios: ratios(results, isI2s),
  errors,
  models: { i2_s: opts.i2s, tq2_0: opts.tq2, wllama_tq2_0: wllamaModel },
  settings: { n_prompt: opts.p, n_gen: opts.n, threads: opts.threads, depths: opts.depths, reps: opts.reps, head: opts.head, batch: opts.batch },
  browser: `Chromium ${browserVersion}`,
  date: new Date().toISOString(),
  machine: { cores: cpus().length, page_hardware_concurrency: pageCores, loadavg_before: loadavgBefore, loadavg_after: loadavg().map((x) => Number(x.toFixed(2))), total_mem_bytes: totalmem() },
};
process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
process.exit(errors.length && !results.length ? 1 : 0);
