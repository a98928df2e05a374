/**
 * The relaxed-SIMD flavours (bitnet-st-rx / bitnet-mt-rx; built only when clang-19 is installed):
 * flavour choice by feature detection with SIMD128 fallback, and — in a child
 * `node --experimental-wasm-relaxed-simd` (Node 20 does not validate relaxed SIMD otherwise) —
 * bn_selftest (relaxed, SIMD128 and portable sets against the scalar references) plus I2_S / TQ2_0 / F16
 * results bit-identical to the SIMD128 flavour on random data, 1 and several tokens, 1 and 2 threads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { chooseNodeFlavor, loadNodeKernels, nodeWasmDir, wasmFileNames, hasRelaxedSimd, relaxedFlavor, baseFlavor, factoryName, KernelsError } from './node';

const dir = nodeWasmDir();
const rxBuilt = (['st-rx', 'mt-rx'] as const).every((f) => existsSync(join(dir, wasmFileNames(f).wasm)));
const SKIP = 'skipped: the -rx flavours are not built (clang-19 was not installed when build-wasm ran)';
if (!rxBuilt) console.warn(`relaxed.test.ts: ${SKIP}`);
const itRx = rxBuilt ? it : it.skip;

// Runs in the child process (plain CommonJS, no TypeScript): prints one JSON line.
const CHILD = String.raw`
const fs = require('fs'), path = require('path');
const dir = process.argv[1];
const T = { I2_S: 36, TQ2_0: 35, F16: 1 };
async function load(flavor, threads) {
  const glue = path.join(dir, 'bitnet-' + flavor + '.js');
  const m = await require(glue)({ wasmBinary: fs.readFileSync(path.join(dir, 'bitnet-' + flavor + '.wasm')),
    locateFile: (f) => path.join(dir, f), mainScriptUrlOrBlob: glue, bnPoolSize: Math.max(1, threads - 1),
    print: () => {}, printErr: (s) => process.stderr.write(s + '\n') });
  if (threads > 1 && m._bn_threads_init(threads) !== 0) throw new Error('threads_init');
  return m;
}
let seed = 0x2545f491;
const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
function malloc(m, n) { const p = m._malloc(n) >>> 0; if (!p) throw new Error('malloc'); return p; }
function weight(m, type, rows, cols, tern, d) {  // GGUF-encode ternary values, then pack
  const pt = malloc(m, tern.length); m.HEAPU8.set(new Uint8Array(tern.buffer), pt);
  const packed = malloc(m, m._bn_weight_packed_bytes(type, rows, cols));
  const w = malloc(m, 32);
  let st;
  if (type === T.F16) {  // d: the f16 weights themselves (rows * cols)
    const pd = malloc(m, d.byteLength); m.HEAPU8.set(new Uint8Array(d.buffer), pd);
    m.HEAP32.set([type, rows, cols], w >> 2); m.HEAPF32[(w >> 2) + 3] = 1; m.HEAP32[(w >> 2) + 4] = packed;
    st = m._bn_weight_pack_rows(w, 0, pd, type, rows); m._free(pd);
  } else if (type === T.I2_S) {
    const g = malloc(m, tern.length / 4 + 32); m._bn_test_encode_i2s(g, pt, rows, cols, 0.75);
    st = m._bn_weight_pack_i2s(w, packed, g, rows, cols); m._free(g);
  } else {
    const pd = malloc(m, d.byteLength); m.HEAPU8.set(new Uint8Array(d.buffer), pd);
    const g = malloc(m, (rows * cols / 256) * 66); m._bn_test_encode_tq2(g, pt, pd, rows, cols);
    m.HEAP32.set([type, rows, cols], w >> 2); m.HEAPF32[(w >> 2) + 3] = 1; m.HEAP32[(w >> 2) + 4] = packed;
    st = m._bn_weight_pack_rows(w, 0, g, type, rows); m._free(g); m._free(pd);
  }
  m._free(pt);
  if (st !== 0) throw new Error('pack ' + st);
  return w;
}
function run(m, set, type, w, rows, cols, x, nt) {
  if (m._bn_kernels_select(set) !== 0) throw new Error('select ' + set);
  const px = malloc(m, x.byteLength); m.HEAPF32.set(x, px >> 2);
  const act = malloc(m, m._bn_act_bytes(type, nt, cols));
  const py = malloc(m, rows * nt * 4);
  if (m._bn_act_quantize(act, type, px, nt, cols) !== 0 || m._bn_matmul(py, w, act, nt) !== 0) throw new Error('matmul');
  const y = Buffer.from(m.HEAPU8.slice(py, py + rows * nt * 4));
  for (const p of [px, act, py]) m._free(p);
  m._bn_kernels_select(0);
  return y;
}
(async () => {
  const out = { selftest: {}, features: {}, compared: 0, mismatches: [] };
  const st = await load('st', 1);
  for (const [fl, th] of [['st-rx', 1], ['mt-rx', 2]]) {
    const m = await load(fl, th);
    out.features[fl] = m._bn_features();
    out.selftest[fl] = [1, 2, 3].map((s) => m._bn_selftest(s, 1));
    for (const [type, rows, cols, nt] of [[T.I2_S, 70, 2560, 1], [T.I2_S, 33, 6912, 1], [T.I2_S, 41, 1152, 6], [T.I2_S, 8, 128, 1],
                                          [T.TQ2_0, 45, 2560, 1], [T.TQ2_0, 19, 768, 3], [T.F16, 37, 2560, 1], [T.F16, 21, 1000, 3]]) {
      const tern = new Int8Array(rows * cols).map(() => Math.floor(rnd() * 3) - 1);
      // TQ2_0 block scales, or for F16 the weights: random signs and magnitudes ~2^-7..2^1, some subnormals
      const d = type === T.F16
        ? new Uint16Array(rows * cols).map((_, i) => (rnd() < 0.5 ? 0x8000 : 0) | (i % 101 === 0 ? Math.floor(rnd() * 0x3ff) : 0x2000 + Math.floor(rnd() * 0x2000)))
        : new Uint16Array(rows * cols / 256).map(() => 0x2c00 + Math.floor(rnd() * 0x800));
      // activations with outliers, so int8 quantization reaches -128/127 and the i16 bounds are exercised
      const x = new Float32Array(cols * nt).map((_, i) => (i % 97 === 0 ? 40 : 1) * (rnd() * 2 - 1));
      if (nt > 2) x.fill(-1, cols, 2 * cols);  // a token of all -1 -> all -127
      const ws = weight(st, type, rows, cols, tern, d), wr = weight(m, type, rows, cols, tern, d);
      const ref = run(st, 0, type, ws, rows, cols, x, nt);  // SIMD128 flavour
      const got = { relaxed: run(m, 0, type, wr, rows, cols, x, nt), simd128_set: run(m, 2, type, wr, rows, cols, x, nt) };
      // the portable set sums F16 products in double (ggml's generic path): equal for the integer types only
      if (type !== T.F16) got.generic_set = run(m, 1, type, wr, rows, cols, x, nt);
      for (const [k, y] of Object.entries(got)) {
        out.compared++;
        if (!y.equals(ref)) out.mismatches.push({ flavor: fl, set: k, type, rows, cols, nt });
      }
      st._free(ws); m._free(wr);
    }
    m._bn_threads_init(1); m.PThread?.terminateAllThreads?.();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
})().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
`;

describe('relaxed-SIMD kernel flavours', () => {
  it('maps flavours to file names and to each other', () => {
    expect(wasmFileNames('st-rx')).toEqual({ glue: 'bitnet-st-rx.js', wasm: 'bitnet-st-rx.wasm' });
    expect(wasmFileNames('mt-rx')).toEqual({ glue: 'bitnet-mt-rx.js', wasm: 'bitnet-mt-rx.wasm', worker: 'bitnet-mt-rx.worker.js' });
    expect([relaxedFlavor('st'), relaxedFlavor('mt'), baseFlavor('st-rx'), baseFlavor('mt-rx'), baseFlavor('mt')]).toEqual(['st-rx', 'mt-rx', 'st', 'mt', 'mt']);
    expect([factoryName('st-rx'), factoryName('mt-rx'), factoryName('st')]).toEqual(['createBitnetSt', 'createBitnetMt', 'createBitnetSt']);
    if (rxBuilt) {  // and the rx glue really defines that global
      for (const f of ['st-rx', 'mt-rx'] as const) expect(readFileSync(join(dir, wasmFileNames(f).glue), 'utf8')).toContain(`var ${factoryName(f)}`);
    }
  });

  it('picks -rx only where relaxed SIMD validates (else falls back to SIMD128), never when told not to', async () => {
    expect(chooseNodeFlavor({ flavor: 'st', relaxed: false })).toBe('st');
    expect(chooseNodeFlavor({ threads: 4, relaxed: false })).toBe('mt');
    if (hasRelaxedSimd()) {  // this process runs with relaxed SIMD (e.g. node --experimental-wasm-relaxed-simd jest)
      if (!rxBuilt) return;
      expect([chooseNodeFlavor({ flavor: 'st' }), chooseNodeFlavor({ threads: 2 })]).toEqual(['st-rx', 'mt-rx']);
      const k = await loadNodeKernels({ flavor: 'st' });
      expect(k.flavor).toBe('st-rx');
      expect(k.fn.bn_selftest!(5, 0)).toBe(0);
      return;
    }
    expect(chooseNodeFlavor({ flavor: 'st' })).toBe('st');
    expect(chooseNodeFlavor({ threads: 2 })).toBe('mt');
    const k = await loadNodeKernels({ flavor: 'st' });
    expect(k.flavor).toBe('st');
    if (rxBuilt) await expect(loadNodeKernels({ flavor: 'st-rx' })).rejects.toThrow(KernelsError);
  });

  itRx('the -rx builds validate where relaxed SIMD is on (child node --experimental-wasm-relaxed-simd), so detection picks them', () => {
    // The child cannot load TypeScript; it checks the input of chooseNodeFlavor's decision on the raw files.
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e',
      `const fs=require('fs');process.stdout.write(JSON.stringify(['st-rx','mt-rx'].map((f)=>WebAssembly.validate(fs.readFileSync(require('path').join(process.argv[1],'bitnet-'+f+'.wasm'))))))`, dir],
      { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, true]);
  });

  itRx('relaxed kernels: bn_selftest passes and I2_S/TQ2_0 results are bit-identical to the SIMD128 flavour', () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', CHILD, dir], { encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      selftest: Record<string, number[]>; features: Record<string, number>; compared: number; mismatches: unknown[];
    };
    expect(out.selftest).toEqual({ 'st-rx': [0, 0, 0], 'mt-rx': [0, 0, 0] });
    expect(out.features['mt-rx']! & 2).toBe(2); // threads
    expect(out.compared).toBe(2 * (6 * 3 + 2 * 2));  // flavours x (integer cases x 3 sets + F16 cases x 2 sets)
    expect(out.mismatches).toEqual([]);
  });
});
