#!/usr/bin/env node
// The `bitnet` command. No build step: bundles apps/cli/src (and the workspace libs it imports, from
// their TypeScript sources) with esbuild into apps/cli/dist/bitnet.cjs when any source is newer than the
// bundle, then runs it. The WebAssembly kernels are loaded at run time from libs/kernels/dist/wasm.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const appDir = path.resolve(__dirname, '..');
const root = path.resolve(appDir, '..', '..');
const out = path.join(appDir, 'dist', 'bitnet.cjs');

function newestMtime(dirs) {
  let newest = 0;
  const stack = [...dirs];
  while (stack.length) {
    const d = stack.pop();
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (/\.(ts|json)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  }
  return newest;
}

const srcDirs = [path.join(appDir, 'src'), ...['gguf', 'tokenizer', 'kernels', 'runtime'].map((l) => path.join(root, 'libs', l, 'src'))];
let stale = true;
try {
  stale = fs.statSync(out).mtimeMs < newestMtime(srcDirs);
} catch {
  stale = true;
}
process.env.BITNET_WASM_DIR = process.env.BITNET_WASM_DIR || path.join(root, 'libs', 'kernels', 'dist', 'wasm');
if (stale) require('../../../tools/scripts/bundle-ts.cjs').requireTs({ entry: path.join(appDir, 'src', 'run.ts'), outFile: out });
else require(out);
