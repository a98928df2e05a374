#!/usr/bin/env node
// tools/bench/bin/kernels.mjs — kernel benchmark (not a test): I2_S and TQ2_0 matrix-vector at the
// BitNet-2B-4T shapes (per shape, and streamed layer after layer from DRAM), an I2_S prefill matmul,
// the 128256x2560 F16 and Q8_0 output head, each next to a plain memory-read loop compiled the same
// way and measured in the same run (the bandwidth ceiling; on rows run with N > 1 threads, the read
// loop split over the same thread pool: bn_bench_read_threads). Prints one JSON object. Loads the
// built wasm directly (build it first: `npx nx run kernels:build-wasm`).
// Usage: node tools/bench/bin/kernels.mjs [--quick | --smoke] [--threads 1,2] [--only a,b] [--no-rx]
// --smoke: a few milliseconds per measurement, no warm-up (the JSON shape, for tests; figures meaningless).
// The relaxed-SIMD flavours (bitnet-{st,mt}-rx, built when clang-19 is installed) are measured too
// when this Node validates them: `node --experimental-wasm-relaxed-simd tools/bench/bin/kernels.mjs`.
// Their I2_S rows carry the SIMD128 kernel of the same module (bn_kernels_select(2)) as a same-run
// baseline next to the relaxed one; `--no-rx` skips them.
// Plain .mjs on purpose: tools may not import @bitnet-wasm/kernels (module boundaries), and a
// benchmark should not need a TypeScript build.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { median, secondsPerCall } from './timing.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const wasmDir = process.env.BITNET_WASM_DIR ?? join(here, '../../../libs/kernels/dist/wasm');
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const quick = smoke || args.includes('--quick');
const ti = args.indexOf('--threads');
const threadList = ti >= 0 ? args[ti + 1].split(',').map(Number) : [1, 2];
const noRx = args.includes('--no-rx');
// --only a,b: run only these sections (decode, stream, pack, prefill, head, tq, attention); default all.
// tq = the TQ2_0 rows (tq2_0_decode) and the TQ2_0 stream row (tq2_0_decode_stream)
const oi = args.indexOf('--only');
const only = oi >= 0 ? new Set(args[oi + 1].split(',')) : null;
const want = (section) => !only || only.has(section);
const fi = args.indexOf('--flavors');
const flavorFilter = fi >= 0 ? new Set(args[fi + 1].split(',')) : null;
const T = { F16: 1, Q8_0: 8, TQ2_0: 35, I2_S: 36 };

// 'ok', or why the relaxed-SIMD flavour is not measured in this process
function rxStatus(flavor) {
  if (noRx) return 'skipped (--no-rx)';
  const wasm = join(wasmDir, `bitnet-${flavor}-rx.wasm`);
  if (!existsSync(wasm)) return `${wasm} missing (build with clang-19 installed)`;
  if (!WebAssembly.validate(readFileSync(wasm))) return 'does not validate here (Node 20: run with --experimental-wasm-relaxed-simd)';
  return 'ok';
}

async function load(flavor, threads) {
  const glue = join(wasmDir, `bitnet-${flavor}.js`);
  if (!existsSync(glue)) throw new Error(`${glue} missing: run npx nx run kernels:build-wasm`);
  const factory = createRequire(glue)(glue);
  const m = await factory({
    wasmBinary: readFileSync(join(wasmDir, `bitnet-${flavor}.wasm`)),
    locateFile: (f) => join(wasmDir, f),
    mainScriptUrlOrBlob: glue,
    bnPoolSize: Math.max(1, threads - 1),
    print: () => {},
    printErr: (s) => process.stderr.write(s + '\n'),
  });
  if (threads > 1 && m._bn_threads_init(threads) !== 0) throw new Error(`bn_threads_init(${threads}) failed`);
  return m;
}

function malloc(m, n) {
  const p = m._malloc(n);
  if (!p) throw new Error(`malloc(${n}) failed`);
  return p >>> 0;
}

// time fn() until at least minMs passed; returns seconds per call (best of 3 batches). The warm-up
// runs long enough for V8 to tier the hot functions up from Liftoff to TurboFan (Liftoff's SIMD code
// is several times slower, and a benchmark of it would say nothing about steady-state decoding).
function timeit(fn, minMs = quick ? 150 : 600) {
  if (smoke) minMs = 6;
  const w0 = performance.now();
  if (!smoke) do fn(); while (performance.now() - w0 < (quick ? 150 : 400));
  let best = Infinity;
  for (let b = 0; b < 3; b++) best = Math.min(best, secondsPerCall(fn, minMs / 3));
  return best;
}

let seed = 12345;
function rnd() {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

function randomI2s(m, rows, cols) {
  const t = new Int8Array(rows * cols);
  for (let i = 0; i < t.length; i++) t[i] = Math.floor(rnd() * 3) - 1;
  const pt = malloc(m, t.length);
  m.HEAPU8.set(new Uint8Array(t.buffer), pt);
  const gguf = malloc(m, t.length / 4 + 32);
  m._bn_test_encode_i2s(gguf, pt, rows, cols, 0.9);
  m._free(pt);
  const w = malloc(m, 32);
  const packed = malloc(m, m._bn_weight_packed_bytes(T.I2_S, rows, cols));
  if (m._bn_weight_pack_i2s(w, packed, gguf, rows, cols) !== 0) throw new Error('pack');
  m._free(gguf);
  return { w, packed, bytes: (rows * cols) / 4 };
}

// A random valid TQ2_0 tensor as a GGUF stores it (per 256-block: 64 bytes of 2-bit codes 0..2,
// then an f16 scale), packed the way the runtime loads one: bn_weight_init + bn_weight_pack_rows.
function randomTq2(m, rows, cols) {
  const nb = (rows * cols) / 256;
  const gguf = malloc(m, nb * 66);
  const h = m.HEAPU8;
  for (let b = 0; b < nb; b++) {
    const o = gguf + b * 66;
    for (let i = 0; i < 64; i++) {
      h[o + i] = Math.floor(rnd() * 3) | (Math.floor(rnd() * 3) << 2) | (Math.floor(rnd() * 3) << 4) | (Math.floor(rnd() * 3) << 6);
    }
    const d = 0x3800 + Math.floor(rnd() * 0x400);  // f16 in [0.5, 0.75)
    h[o + 64] = d & 0xff;
    h[o + 65] = d >> 8;
  }
  const bytes = m._bn_weight_packed_bytes(T.TQ2_0, rows, cols) >>> 0;
  if (!bytes) throw new Error(`TQ2_0 ${rows}x${cols} unsupported`);
  const packed = malloc(m, bytes);
  const w = malloc(m, 32);
  if (m._bn_weight_init(w, T.TQ2_0, rows, cols, packed) !== 0) throw new Error('bn_weight_init');
  if (m._bn_weight_pack_rows(w, 0, gguf, T.TQ2_0, rows) !== 0) throw new Error('TQ2_0 pack');
  m._free(gguf);
  return { w, packed, bytes };
}

function weightStruct(m, type, rows, cols, data) {
  const w = malloc(m, 32);
  m.HEAP32.set([type, rows, cols], w >> 2);
  m.HEAPF32[(w >> 2) + 3] = 1;
  m.HEAPU32[(w >> 2) + 4] = data;
  return w;
}

function activation(m, type, cols, nTokens) {
  const x = new Float32Array(cols * nTokens).map(() => rnd() * 2 - 1);
  const px = malloc(m, x.byteLength);
  m.HEAPF32.set(x, px >> 2);
  const act = malloc(m, m._bn_act_bytes(type, nTokens, cols));
  if (m._bn_act_quantize(act, type, px, nTokens, cols) !== 0) throw new Error('act');
  m._free(px);
  return act;
}

const r2 = (x) => +x.toFixed(2);

// GB/s of a plain read loop over a buffer of `bytes`: bn_bench_read (the calling thread only) or, with
// `threaded`, bn_bench_read_threads (64-byte aligned slices over the module's thread pool, one
// fork/join per pass, like a matmul). The threaded one's checksum is checked first: word i of the
// buffer is i * 0x9e3779b1, so a slice skipped or read twice changes the sum.
function readCeiling(m, bytes, threaded = false) {
  const r = readLoop(m, bytes, threaded);
  const s = timeit(r.run);
  r.free();
  return bytes / s / 1e9;
}

// A buffer of `bytes` and the read loop over it (see readCeiling), the threaded one's checksum checked.
function readLoop(m, bytes, threaded) {
  if (threaded && typeof m._bn_bench_read_threads !== 'function') {
    throw new Error(`bn_bench_read_threads is not exported by ${wasmDir}: the wasm is older than native/src/selftest.c, rebuild it (npx nx run kernels:build-wasm)`);
  }
  const buf = malloc(m, bytes);
  const words = Math.floor(bytes / 4);
  const u32 = new Uint32Array(m.HEAPU8.buffer, buf, words);  // malloc'd: 4-byte aligned
  for (let i = 0; i < words; i++) u32[i] = Math.imul(i, 0x9e3779b1);
  const fn = threaded ? m._bn_bench_read_threads : m._bn_bench_read;
  if (threaded) {
    const want = Number(((BigInt(words) * BigInt(Math.max(0, words - 1))) / 2n * 0x9e3779b1n) % 2n ** 32n);
    const got = fn(buf, bytes, 1) >>> 0;
    if (got !== want) throw new Error(`bn_bench_read_threads checksum ${got}, expected ${want} (${bytes} bytes)`);
  }
  return { run: () => fn(buf, bytes, 1), free: () => m._free(buf) };
}

// `pass` (streaming `bytes` of weights) and a read loop over a buffer of the same size on the same threads,
// in alternating rounds, so that both see the same moment of a shared machine: the medians of each rate and
// of the per-round ratio (the fraction of the ceiling), with the ratio's range. With `regions` (the [ptr, bytes]
// the pass reads, e.g. its matrices), a third loop takes its turn in each round: the same read loop over those
// very bytes, region by region, as the pass walks them (sameCeiling, sameFraction, sameRange). The separate
// buffer's pages and the weights' pages are different physical memory, and this machine reads some of it
// faster than other parts (the same loop over 8 layers of 2B-4T matrices read 2-16% slower than over one
// buffer of their size in 10 of 13 runs, up to 10% faster in the others): the same-bytes ceiling takes that out
// of the kernel's fraction.
function pairedWithCeiling(m, pass, bytes, regions) {
  const rounds = smoke ? 1 : quick ? 3 : 7;
  const ms = smoke ? 6 : quick ? 100 : 250;
  const threaded = m._bn_threads_count() > 1;
  const read = readLoop(m, bytes, threaded);
  const fn = threaded ? m._bn_bench_read_threads : m._bn_bench_read;
  // whole 64-byte lines of each region (the read loops' unit)
  const whole = (regions ?? []).map(([ptr, n]) => [ptr, n - (n % 64)]).filter(([, n]) => n > 0);
  const sameBytes = whole.reduce((a, [, n]) => a + n, 0);
  const same = sameBytes ? () => { for (const [ptr, n] of whole) fn(ptr, n, 1); } : undefined;
  if (!smoke) for (const f of [pass, read.run, ...(same ? [same] : [])]) secondsPerCall(f, quick ? 150 : 400);  // warm-up
  const kernel = [], ceiling = [], ratio = [], sameCeiling = [], sameRatio = [];
  for (let r = 0; r < rounds; r++) {
    const a = bytes / secondsPerCall(pass, ms) / 1e9, b = bytes / secondsPerCall(read.run, ms) / 1e9;
    kernel.push(a);
    ceiling.push(b);
    ratio.push(a / b);
    if (same) {
      const c = sameBytes / secondsPerCall(same, ms) / 1e9;
      sameCeiling.push(c);
      sameRatio.push(a / c);
    }
  }
  read.free();
  return {
    gb_s: median(kernel), ceiling: median(ceiling), fraction: median(ratio), range: [Math.min(...ratio), Math.max(...ratio)], rounds,
    ...(same ? { sameCeiling: median(sameCeiling), sameFraction: median(sameRatio), sameRange: [Math.min(...sameRatio), Math.max(...sameRatio)] } : {}),
  };
}

// The same-bytes fields of a row (pairedWithCeiling with regions)
const sameFields = (p) => (p.sameCeiling === undefined ? {} : {
  read_ceiling_same_bytes_gb_s: r2(p.sameCeiling), fraction_of_same_bytes_ceiling: +p.sameFraction.toFixed(3),
  fraction_of_same_bytes_ceiling_range: p.sameRange.map((x) => +x.toFixed(3)),
});

// The compute ceiling of the prefill tile, measured on the calling thread with the active kernel set:
// bn_bench_dot_peak runs the tile's loop body on L1-resident operands (no code or activation stream).
// Returns {<prefix>dot_peak_gops, <prefix>fraction_of_dot_peak} for a prefill measured at `gops`
// (one thread; on N threads the fraction is against N times the one-thread peak), or {} when the module
// predates the export or the set has no tile instruction.
function dotPeak(m, gops, prefix) {
  if (typeof m._bn_bench_dot_peak !== 'function') return {};
  const src = malloc(m, 160), macsp = malloc(m, 4);
  for (let i = 0; i < 160; i++) m.HEAPU8[src + i] = i % 80 < 32 ? (i * 37 + 11) & 0xff : (i * 7) % 3;  // 2 x (activations, codes 0..2)
  const iters = smoke ? 1000 : 2_000_000;
  const s = timeit(() => m._bn_bench_dot_peak(src, iters, macsp), quick ? 150 : 400);
  const macs = m.HEAP32[macsp >> 2];
  m._free(src);
  m._free(macsp);
  if (!macs) return {};
  const peak = (2 * macs * iters) / s / 1e9;
  const threads = Math.max(1, m._bn_threads_count());
  return { [`${prefix}dot_peak_gops`]: +peak.toFixed(1), [`${prefix}fraction_of_dot_peak`]: +(gops / (peak * threads)).toFixed(3) };
}

// The ceiling of a row run with the module's current pool: 1 thread -> bn_bench_read; N > 1 ->
// bn_bench_read_threads, with the single-thread figure kept as read_ceiling_1t_gb_s.
function ceilings(m, bytes) {
  const threads = m._bn_threads_count();
  const one = readCeiling(m, bytes, false);
  if (threads <= 1) return { gb_s: one, fields: { read_ceiling_gb_s: r2(one), read_ceiling_threads: 1 } };
  const all = readCeiling(m, bytes, true);
  return { gb_s: all, fields: { read_ceiling_gb_s: r2(all), read_ceiling_threads: threads, read_ceiling_1t_gb_s: r2(one) } };
}

// Decode as in the real model: the 7 matrices of several 2B-4T layers, each its own buffer, one
// matrix-vector product after the other, so the weights stream from DRAM (their total is well above
// the last-level cache) instead of staying cache-resident as in the per-shape rows above. The read
// ceiling is a plain read loop over one buffer of the same total size (threaded as the rows), timed in
// rounds alternating with the kernel's (pairedWithCeiling).
// type: T.I2_S or T.TQ2_0 (weights as packed from a GGUF of that type).
function streamDecode(m, flavor, type = T.I2_S) {
  const shapes = [[2560, 2560], [640, 2560], [640, 2560], [2560, 2560], [6912, 2560], [6912, 2560], [2560, 6912]];
  const layers = smoke ? 1 : quick ? 4 : 8;
  const make = type === T.TQ2_0 ? randomTq2 : randomI2s;
  const mats = [];
  const proto = new Map();
  for (let l = 0; l < layers; l++) {
    for (const [rows, cols] of shapes) {
      const key = `${rows}x${cols}`;
      if (!proto.has(key)) proto.set(key, make(m, rows, cols));
      const p = proto.get(key);
      const bytes = p.bytes;
      const packed = l === 0 && !mats.some((x) => x.key === key) ? p.packed : malloc(m, bytes);
      if (packed !== p.packed) m.HEAPU8.copyWithin(packed, p.packed, p.packed + bytes);
      const w = malloc(m, 32);
      m.HEAPU8.copyWithin(w, p.w, p.w + 32);
      m.HEAPU32[(w >> 2) + 4] = packed;
      mats.push({ key, w, packed, rows, cols, bytes });
    }
  }
  const acts = { 2560: activation(m, type, 2560, 1), 6912: activation(m, type, 6912, 1) };
  const y = malloc(m, 6912 * 4);
  const total = mats.reduce((a, x) => a + x.bytes, 0);
  const pass = () => { for (const x of mats) m._bn_matmul(y, x.w, acts[x.cols], 1); };
  const p = pairedWithCeiling(m, pass, total, mats.map((x) => [x.packed, x.bytes]));
  const threads = m._bn_threads_count();
  const s = total / (p.gb_s * 1e9);
  const res = {
    layers, weight_bytes: total, ms_per_pass: +(s * 1e3).toFixed(2), gb_s: r2(p.gb_s),
    read_ceiling_gb_s: r2(p.ceiling), read_ceiling_threads: threads,
    ...(threads > 1 ? { read_ceiling_1t_gb_s: r2(readCeiling(m, total, false)) } : {}),
    fraction_of_ceiling: +p.fraction.toFixed(3), fraction_of_ceiling_range: p.range.map((x) => +x.toFixed(3)), paired_rounds: p.rounds,
    ...sameFields(p),
    ms_per_token_2b4t_layers: +((s * 1e3 * 30) / layers).toFixed(1),
  };
  if (flavor.endsWith('-rx')) {
    m._bn_kernels_select(2);
    const s128 = timeit(pass, quick ? 300 : 1500);
    m._bn_kernels_select(0);
    res.simd128_set_gb_s = +(total / s128 / 1e9).toFixed(2);
  }
  for (const x of mats) { m._free(x.w); m._free(x.packed); }
  for (const p of proto.values()) m._free(p.w);
  m._free(acts[2560]); m._free(acts[6912]); m._free(y);
  return res;
}

// Decode attention over a 2B-4T-shaped KV cache (20 query heads, 5 KV heads of 128), one token attending to
// n_kv positions, layer after layer: 30 layers of K and V, so the cache comes from DRAM as in a real token.
// The model's head-major caches (bn_attention_hm: a KV head's rows contiguous) and position-major ones
// (bn_attention: the heads of a position side by side), same buffers, same run; kv_gb_s counts the K and V
// bytes read, next to the read ceiling over as many bytes.
function attentionRows(m) {
  const nh = 20, nkh = 5, hd = 128, layers = smoke ? 2 : 30;
  const out = [];
  for (const nkv of smoke ? [64] : quick ? [1024] : [1024, 2048]) {
    const per = nkv * nkh * hd;  // halves of K (or V) per layer
    const k = malloc(m, per * 2 * layers), v = malloc(m, per * 2 * layers);
    // f16 magnitudes 2^-3..2^0 with random signs, a 64 KB pattern repeated
    const pat = new Uint16Array(32768).map(() => (0x3000 + Math.floor(rnd() * 0xc00)) | (rnd() < 0.5 ? 0x8000 : 0));
    for (const base of [k, v])
      for (let off = 0; off < per * 2 * layers; off += 65536) m.HEAPU8.set(new Uint8Array(pat.buffer, 0, Math.min(65536, per * 2 * layers - off)), base + off);
    const q = malloc(m, nh * hd * 4), y = malloc(m, nh * hd * 4);
    for (let i = 0; i < nh * hd; i++) m.HEAPF32[(q >> 2) + i] = rnd() * 4 - 2;
    const sc = malloc(m, (m._bn_attention_scratch_bytes(nkv) >>> 0) * Math.max(1, m._bn_threads_count()));
    const check = (st) => { if (st !== 0) throw new Error(`attention status ${st}`); };
    const headMajor = () => { for (let l = 0; l < layers; l++) check(m._bn_attention_hm(y, q, k + l * per * 2, v + l * per * 2, 1, nkv - 1, nh, nkh, hd, nkv, sc)); };
    const posMajor = () => { for (let l = 0; l < layers; l++) check(m._bn_attention(y, q, k + l * per * 2, v + l * per * 2, 1, nkv - 1, nh, nkh, hd, sc)); };
    const sh = timeit(headMajor, quick ? 200 : 1000), sp = timeit(posMajor, quick ? 200 : 1000);
    const kvBytes = 2 * per * 2 * layers;
    const ceil = ceilings(m, kvBytes);
    out.push({
      n_kv: nkv, layers, n_head: nh, n_head_kv: nkh, head_dim: hd, kv_bytes: kvBytes,
      head_major_ms_per_token: +(sh * 1e3).toFixed(2), position_major_ms_per_token: +(sp * 1e3).toFixed(2),
      head_major_kv_gb_s: +(kvBytes / sh / 1e9).toFixed(2), position_major_kv_gb_s: +(kvBytes / sp / 1e9).toFixed(2),
      head_major_speedup: +(sp / sh).toFixed(2), ...ceil.fields, head_major_fraction_of_ceiling: +((kvBytes / sh / 1e9) / ceil.gb_s).toFixed(3),
    });
    for (const p of [k, v, q, y, sc]) m._free(p);
  }
  return out;
}

// matrix-vector shapes: rows x cols = (out features, in features) of 2B-4T
const DECODE_SHAPES = [['attn_q/o', 2560, 2560], ['ffn_gate/up', 6912, 2560], ['ffn_down', 2560, 6912]];

// One matrix-vector row of the report: the active kernel set, and on a -rx module the SIMD128 set of
// the same module as a same-run baseline; the portable set too with `generic`; `plain`: time only.
function decodeRow(m, flavor, name, rows, cols, w, type, bytes, generic, plain = false) {
  const act = activation(m, type, cols, 1);
  const y = malloc(m, rows * 4);
  const s = timeit(() => m._bn_matmul(y, w, act, 1));
  const gbs = bytes / s / 1e9;
  const row = { shape: name, rows, cols, weight_bytes: bytes, ms: +(s * 1e3).toFixed(4), gb_s: r2(gbs), gops: +((2 * rows * cols) / s / 1e9).toFixed(2) };
  if (!plain) {
    const ceil = ceilings(m, bytes);
    Object.assign(row, ceil.fields, { fraction_of_ceiling: +(gbs / ceil.gb_s).toFixed(3) });
    if (flavor.endsWith('-rx')) {
      m._bn_kernels_select(2);
      const s128 = timeit(() => m._bn_matmul(y, w, act, 1));
      row.simd128_gb_s = +(bytes / s128 / 1e9).toFixed(2);
      row.speedup_vs_simd128 = +(s128 / s).toFixed(2);
    }
    if (generic) {
      m._bn_kernels_select(1);
      const sg = timeit(() => m._bn_matmul(y, w, act, 1), 100);
      row.generic_gb_s = +(bytes / sg / 1e9).toFixed(2);
    }
    m._bn_kernels_select(0);
  }
  for (const p of [act, y]) m._free(p);
  return row;
}

async function benchFlavor(flavor, threads) {
  const m = await load(flavor, threads);
  const out = { flavor, threads, i2s_decode: [], i2s_prefill: null, i2s_pack: null, head: [] };
  // I2_S matrix-vector: rows x cols = (out features, in features) of 2B-4T
  for (const [name, rows, cols] of want('decode') ? DECODE_SHAPES : []) {
    const { w, packed, bytes } = randomI2s(m, rows, cols);
    out.i2s_decode.push(decodeRow(m, flavor, name, rows, cols, w, T.I2_S, bytes, true));
    for (const p of [w, packed]) m._free(p);
  }
  if (want('stream')) out.i2s_decode_stream = streamDecode(m, flavor);
  if (want('tq')) {
    // TQ2_0 matrix-vector at the same shapes, weights packed as the runtime packs a GGUF TQ2_0 tensor;
    // i2s_gb_s / i2s_gops: the I2_S row of the same shape (measured here if --only left decode out)
    out.tq2_0_decode = [];
    for (const [name, rows, cols] of DECODE_SHAPES) {
      const { w, packed, bytes } = randomTq2(m, rows, cols);
      const row = decodeRow(m, flavor, name, rows, cols, w, T.TQ2_0, bytes, false);
      let i2s = out.i2s_decode.find((d) => d.shape === name);
      if (!i2s) {
        const r = randomI2s(m, rows, cols);
        i2s = decodeRow(m, flavor, name, rows, cols, r.w, T.I2_S, r.bytes, false, true);
        for (const p of [r.w, r.packed]) m._free(p);
      }
      out.tq2_0_decode.push({ ...row, i2s_gb_s: i2s.gb_s, i2s_gops: i2s.gops, tq_over_i2s: +(row.gb_s / i2s.gb_s).toFixed(3) });
      for (const p of [w, packed]) m._free(p);
    }
    out.tq2_0_decode_stream = streamDecode(m, flavor, T.TQ2_0);
  }
  if (want('attention')) out.attention_decode = attentionRows(m);
  if (want('pack') && !flavor.endsWith('-rx')) {  // bn_weight_pack_i2s (GGUF -> lane layout), gate/up shape
    const rows = 6912, cols = 2560, n = (rows * cols) / 4;
    const t = new Int8Array(rows * cols).map(() => Math.floor(rnd() * 3) - 1);
    const pt = malloc(m, t.length);
    m.HEAPU8.set(new Uint8Array(t.buffer), pt);
    const gguf = malloc(m, n + 32), packed = malloc(m, n), w = malloc(m, 32);
    m._bn_test_encode_i2s(gguf, pt, rows, cols, 0.9);
    const s = timeit(() => { if (m._bn_weight_pack_i2s(w, packed, gguf, rows, cols) !== 0) throw new Error('pack'); }, quick ? 150 : 600);
    out.i2s_pack = { rows, cols, bytes: n, ms: +(s * 1e3).toFixed(3), mb_s: +(n / s / 1e6).toFixed(0) };
    for (const p of [pt, gguf, packed, w]) m._free(p);
  }
  if (want('prefill')) {  // prefill: gate/up shape, 128 tokens
    const rows = 6912, cols = 2560, nt = quick ? 32 : 128;
    const { w, packed } = randomI2s(m, rows, cols);
    const act = activation(m, T.I2_S, cols, nt);
    const y = malloc(m, rows * nt * 4);
    const s = timeit(() => m._bn_matmul(y, w, act, nt), quick ? 200 : 1500);
    const gops = (2 * rows * cols * nt) / s / 1e9;
    out.i2s_prefill = { rows, cols, n_tokens: nt, ms: +(s * 1e3).toFixed(2), gops: +gops.toFixed(2), ...dotPeak(m, gops, '') };
    if (flavor.endsWith('-rx')) {
      m._bn_kernels_select(2);
      const s128 = timeit(() => m._bn_matmul(y, w, act, nt), quick ? 200 : 1500);
      const gops128 = (2 * rows * cols * nt) / s128 / 1e9;
      Object.assign(out.i2s_prefill, { simd128_gops: +gops128.toFixed(2), ...dotPeak(m, gops128, 'simd128_') });
      m._bn_kernels_select(0);
    }
    for (const p of [w, packed, act, y]) m._free(p);
  }
  if (want('head') && !quick) {  // the tied F16 head (relaxed multiply-add in the -rx flavours) and its Q8_0 re-quantization
    const rows = 128256, cols = 2560;
    const f16 = malloc(m, rows * cols * 2);
    const h = new Uint16Array(cols * 64);
    for (let i = 0; i < h.length; i++) h[i] = (0x2000 + Math.floor(rnd() * 0x1800)) | (rnd() < 0.5 ? 0x8000 : 0);  // ~N(0, 0.05)-like magnitudes
    for (let r = 0; r < rows; r += 64) m.HEAPU8.set(new Uint8Array(h.buffer, 0, Math.min(64, rows - r) * cols * 2), f16 + r * cols * 2);
    // both heads packed as the runtime packs them (bn_weight_init + bn_weight_pack_rows): F16 in its
    // 4-row interleaved layout, Q8_0 re-quantized; then the GGUF-layout source is freed
    const f16bytes = m._bn_weight_packed_bytes(T.F16, rows, cols) >>> 0;
    const pf = malloc(m, f16bytes);
    const wf = weightStruct(m, T.F16, rows, cols, pf);
    const tf = performance.now();
    if (m._bn_weight_pack_rows(wf, 0, f16, T.F16, rows) !== 0) throw new Error('f16 pack');
    const packF16Ms = performance.now() - tf;
    const q8bytes = m._bn_weight_packed_bytes(T.Q8_0, rows, cols);
    const q8 = malloc(m, q8bytes);
    const wq = weightStruct(m, T.Q8_0, rows, cols, q8);
    const tp = performance.now();
    if (m._bn_weight_pack_rows(wq, 0, f16, T.F16, rows) !== 0) throw new Error('q8_0 pack');
    const packMs = performance.now() - tp;
    m._free(f16);
    const y = malloc(m, rows * 4);
    const threads = m._bn_threads_count();
    for (let [type, w, bytes, extra] of [[T.F16, wf, f16bytes, { pack_ms: +packF16Ms.toFixed(0) }], [T.Q8_0, wq, q8bytes, { pack_from_f16_ms: +packMs.toFixed(0) }]]) {
      const act = activation(m, type, cols, 1);
      // the head and a read loop over as many bytes take turns, as in the stream rows (pairedWithCeiling)
      const p = pairedWithCeiling(m, () => m._bn_matmul(y, w, act, 1), bytes, [[type === T.F16 ? pf : q8, bytes]]);
      const s = bytes / (p.gb_s * 1e9);
      if (flavor.endsWith('-rx') && type === T.F16) {  // same-run baseline: this module's SIMD128 set
        m._bn_kernels_select(2);
        extra = { ...extra, simd128_set_ms: +(timeit(() => m._bn_matmul(y, w, act, 1), 1500) * 1e3).toFixed(2) };
        m._bn_kernels_select(0);
      }
      out.head.push({
        type: type === T.F16 ? 'F16' : 'Q8_0', rows, cols, weight_bytes: bytes, ms: +(s * 1e3).toFixed(2),
        gb_s: r2(p.gb_s), gops: +((2 * rows * cols) / s / 1e9).toFixed(2),
        read_ceiling_gb_s: r2(p.ceiling), read_ceiling_threads: threads,
        ...(threads > 1 ? { read_ceiling_1t_gb_s: r2(readCeiling(m, bytes, false)) } : {}),
        fraction_of_ceiling: +p.fraction.toFixed(3), fraction_of_ceiling_range: p.range.map((x) => +x.toFixed(3)), paired_rounds: p.rounds, ...sameFields(p), ...extra,
      });
      m._free(act);
    }
    for (const p of [pf, wf, q8, wq, y]) m._free(p);
  }
  m._bn_threads_init(1);
  m.PThread?.terminateAllThreads?.();
  return out;
}

const results = [];
const relaxed = {};
for (const n of threadList) {
  const base = n > 1 ? 'mt' : 'st';
  if (!flavorFilter || flavorFilter.has(base)) results.push(await benchFlavor(base, n));
  relaxed[`${base}-rx`] = rxStatus(base);
  if (relaxed[`${base}-rx`] === 'ok' && (!flavorFilter || flavorFilter.has(`${base}-rx`))) results.push(await benchFlavor(`${base}-rx`, n));
}
// I2_S decode side by side: SIMD128 flavour, relaxed flavour (and its own SIMD128 set), ceiling
const i2sDecodeSummary = [];
for (const r of results) {
  if (!r.flavor.endsWith('-rx')) continue;
  const b = results.find((x) => x.flavor === r.flavor.slice(0, -3) && x.threads === r.threads);
  r.i2s_decode.forEach((d, i) => i2sDecodeSummary.push({
    threads: r.threads, shape: d.shape,
    [`${b?.flavor}_gb_s`]: b?.i2s_decode[i]?.gb_s, [`${r.flavor}_gb_s`]: d.gb_s, [`${r.flavor}_simd128_set_gb_s`]: d.simd128_gb_s,
    read_ceiling_gb_s: d.read_ceiling_gb_s, speedup_vs_simd128_flavor: b ? +(d.gb_s / b.i2s_decode[i].gb_s).toFixed(2) : undefined,
  }));
}
const load1 = os.loadavg()[0];
console.log(JSON.stringify({
  bench: 'kernels',
  node: process.version,
  cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg_1m: +load1.toFixed(2),
  caveat: 'shared machine: other processes were running; figures are indicative only (loadavg above)',
  ceiling_note: 'read_ceiling_gb_s: a plain read loop (16-byte loads + add, same -O3 -msimd128 build) over a buffer of the ' +
    'same size, same run, on the same module and pool as the row: read_ceiling_threads 1 -> bn_bench_read on the calling thread; ' +
    'read_ceiling_threads N > 1 -> bn_bench_read_threads (64-byte aligned slices over the N-thread pool, one fork/join per pass, ' +
    'as a matmul), with the single-thread bn_bench_read figure as read_ceiling_1t_gb_s. fraction_of_ceiling uses read_ceiling_gb_s. ' +
    'Stream rows (*_decode_stream) and head rows: the pass over the weights and the read loop alternate in paired_rounds rounds, so that both see ' +
    'the same moment of the machine; gb_s and read_ceiling_gb_s are the medians of each, fraction_of_ceiling the median of the ' +
    'per-round ratios (their range: fraction_of_ceiling_range). These rows also take, in the same rounds, the same read loop ' +
    'over the very bytes the pass streams (its matrices one after the other, as the pass walks them): read_ceiling_same_bytes_gb_s, ' +
    'and fraction_of_same_bytes_ceiling (median per-round ratio; range: fraction_of_same_bytes_ceiling_range). The separate ' +
    'buffer and the weights are different physical pages, and this machine reads some memory faster than other memory: the ' +
    'same-bytes ceiling compares the kernel with a plain read of its own weights.',
  tq_note: 'tq2_0_decode*: weights are random valid GGUF TQ2_0 blocks packed as the runtime packs them (bn_weight_init + ' +
    'bn_weight_pack_rows); gb_s counts the packed bytes streamed (weight_bytes = bn_weight_packed_bytes(TQ2_0): 2-bit codes plus ' +
    'a 4-byte scale per row block of 256, vs I2_S 2-bit codes only); tq_over_i2s = gb_s / i2s_gb_s, i2s_* = the I2_S row of ' +
    'the same shape, same module and run (compare gops / i2s_gops for time per matrix)',
  dot_peak_note: 'i2s_prefill.dot_peak_gops: the prefill tile\'s own instruction alone (bn_bench_dot_peak: per iteration the ' +
    'tile\'s loop body cut to 3 rows x 2 tokens, 5 loads + 6 dots + 6 adds, on 160 bytes that stay in L1: no weight or ' +
    'activation stream, no code expansion, no i32 folds), one thread, same module and run; ' +
    'relaxed flavours: i16x8.relaxed_dot_i8x16_i7x16 (16 multiply-adds per dot), SIMD128: i32x4.dot_i16x8 (8). ' +
    'fraction_of_dot_peak = gops / (dot_peak_gops x threads): what the prefill loses to loads, code expansion and everything else',
  relaxed_simd: relaxed,
  i2s_decode_summary: i2sDecodeSummary,
  results,
}, null, 1));
process.exit(0);
