#!/usr/bin/env node
// tools/bench/bin/lut-decode.mjs — the lookup-table decode experiment (tools/bench/native/lut-decode.c):
// builds it with clang-19 + wasm-ld-19 into a temporary directory, checks the LUT sums against the scalar
// reference exactly, then times the LUT loop and an x1/x4 variant against the engine's relaxed-dot decode
// loop, in turn, on a 6912x2560 matrix (4.4 MB, cache-resident) and on `--stream N` such matrices (from
// DRAM). Prints one JSON object: GB/s of 2-bit weights (median and best of the rounds) per loop, and each
// candidate's median over rx's.
// Usage: node tools/bench/bin/lut-decode.mjs [--stream 24] [--rounds 16] [--smoke]
// Needs relaxed SIMD: re-runs itself under --experimental-wasm-relaxed-simd when this Node does not validate it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, secondsPerCall } from './timing.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const nStream = smoke ? 2 : opt('--stream', 24);
const rounds = smoke ? 2 : opt('--rounds', 16);
const roundMs = smoke ? 5 : 150;

function build() {
  const dir = mkdtempSync(join(tmpdir(), 'lut-decode-'));
  try {
    const src = join(here, '../native/lut-decode.c'), obj = join(dir, 'lut.o'), wasm = join(dir, 'lut.wasm');
    // compile and link separately: clang's link step would run binaryen's wasm-opt, which rejects relaxed SIMD
    execFileSync('clang-19', ['--target=wasm32', '-O3', '-msimd128', '-mrelaxed-simd', '-c', '-o', obj, src], { stdio: 'inherit' });
    execFileSync('wasm-ld-19', ['--no-entry', '--export-memory', '--initial-memory=268435456', '--max-memory=2147483648', '-o', wasm, obj], { stdio: 'inherit' });
    return readFileSync(wasm);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bytes = build();
if (!WebAssembly.validate(bytes)) {
  if (process.execArgv.includes('--experimental-wasm-relaxed-simd')) throw new Error('lut-decode: relaxed SIMD does not validate in this Node');
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
const rows = 6912, cols = 2560, matBytes = (rows * cols) / 4;
let seed = 7;
const rnd = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const grow = (need) => {
  const have = e.memory.buffer.byteLength;
  if (need > have) e.memory.grow(Math.ceil((need - have) / 65536));
};
// n matrices in each layout (random codes 0..2: the 4-row kernel reads whole bytes, the LUT nibbles 0..8)
function matrices(n) {
  const rx = [], lut = [];
  for (let k = 0; k < n; k++) {
    const a = e.alloc(matBytes), b = e.alloc(matBytes);
    grow(b + matBytes);
    const m = new Uint8Array(e.memory.buffer);
    for (let i = 0; i < matBytes; i++) {
      m[a + i] = ((rnd() * 3) | 0) | (((rnd() * 3) | 0) << 2) | (((rnd() * 3) | 0) << 4) | (((rnd() * 3) | 0) << 6);
      m[b + i] = ((rnd() * 9) | 0) | (((rnd() * 9) | 0) << 4);
    }
    rx.push(a);
    lut.push(b);
  }
  return { rx, lut };
}
const q = e.alloc(cols), tab = e.alloc((cols / 2) * 32), out = e.alloc(rows * 4), ref = e.alloc(rows * 4);
const small = matrices(1);
grow(ref + rows * 4);
{
  const m = new Int8Array(e.memory.buffer);
  for (let i = 0; i < cols; i++) m[q + i] = ((rnd() * 256) | 0) - 128;
  m[q] = m[q + 1] = -128;  // the extreme pair sum, 2 * 2 * -128
}
e.lut_tables(tab, q, cols);
e.dot_lut(small.lut[0], tab, rows, cols, out);
e.ref_lut(small.lut[0], q, rows, cols, ref);
const got = new Int32Array(e.memory.buffer, out, rows), want = new Int32Array(e.memory.buffer, ref, rows);
let exact = true;
for (let r = 0; r < rows && exact; r++) exact = got[r] === want[r];

function measure(set) {
  const n = set.rx.length;
  const runs = {
    rx: () => { for (let k = 0; k < n; k++) e.dot_rx(set.rx[k], q, rows, cols, out); },
    x1x4: () => { for (let k = 0; k < n; k++) e.dot_x1x4(set.rx[k], q, rows, cols, out); },
    // tables built once per token in a real kernel (1280 pairs x 32 bytes here): not timed
    lut: () => { for (let k = 0; k < n; k++) e.dot_lut(set.lut[k], tab, rows, cols, out); },
  };
  for (const f of Object.values(runs)) secondsPerCall(f, roundMs * 2);  // warm-up
  const res = { rx: [], x1x4: [], lut: [] };
  for (let r = 0; r < rounds; r++)
    for (const [name, f] of Object.entries(runs)) res[name].push((matBytes * n) / secondsPerCall(f, roundMs) / 1e9);
  const row = {};
  for (const name of ['rx', 'x1x4', 'lut']) row[name] = { gb_s_median: +median(res[name]).toFixed(2), gb_s_best: +Math.max(...res[name]).toFixed(2) };
  row.x1x4_over_rx = +(row.x1x4.gb_s_median / row.rx.gb_s_median).toFixed(3);
  row.lut_over_rx = +(row.lut.gb_s_median / row.rx.gb_s_median).toFixed(3);
  return row;
}

const inCache = measure(small);
const stream = measure(matrices(nStream));
console.log(JSON.stringify({
  bench: 'lut-decode',
  node: process.version,
  shape: { rows, cols, weight_bytes: matBytes },
  lut_exact: exact,
  note: 'rx: the engine\'s relaxed-dot 4-row decode loop (14 vector ops per 64 weights); x1x4: the same layout with the ' +
    'x1/x4 fields in two accumulators per row (13 ops, rows taking turns over 512-byte blocks); lut: TL1/T-MAC-style exact lookup (2 relaxed ' +
    'swizzles + 2 interleaves + 2 adds per 16 rows x 2 columns); GB/s of 2-bit weights, one thread, alternating rounds in one process',
  in_cache: inCache,
  stream: { matrices: nStream, ...stream },
}, null, 1));
