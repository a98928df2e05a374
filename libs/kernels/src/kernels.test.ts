/**
 * The compute layer through the built WebAssembly (both flavours): the SIMD128 kernels against the
 * scalar references (bn_selftest, seeded random data, named budgets in native/src/selftest.c),
 * identical results for 1..4 threads, and the I2_S / TQ2_0 decoders on the oracle models' tensors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGguf, readTensorData, toByteSource, type GgufFile } from '@bitnet-wasm/gguf';
import { loadNodeKernels, allocWeight, readWeight, BnType, BN_MAX_COLS, type Kernels } from './node';

const FIX = process.env.BITNET_FIXTURES ?? join(__dirname, '../../../../shared/fixtures');
const BN_TYPE = BnType;

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Copies bytes into a fresh heap allocation. */
function put(k: Kernels, bytes: Uint8Array): number {
  const p = k.malloc(bytes.length);
  k.heapU8().set(bytes, p);
  return p;
}
function putF32(k: Kernels, v: Float32Array): number {
  return put(k, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}
function readF32(k: Kernels, p: number, n: number): Float32Array {
  return new Float32Array(k.heapU8().slice(p, p + 4 * n).buffer);
}

/** y (n_tokens, rows) for a packed weight at `w` (bn_weight*), through bn_act_quantize + bn_matmul. */
function matmul(k: Kernels, w: number, type: number, rows: number, cols: number, x: Float32Array, nTokens: number): Float32Array {
  const act = k.malloc(k.fn.bn_act_bytes!(type, nTokens, cols));
  const px = putF32(k, x);
  const py = k.malloc(4 * rows * nTokens);
  k.check(k.fn.bn_act_quantize!(act, type, px, nTokens, cols), 'bn_act_quantize');
  k.check(k.fn.bn_matmul!(py, w, act, nTokens), 'bn_matmul');
  const y = readF32(k, py, rows * nTokens);
  k.free(act);
  k.free(px);
  k.free(py);
  return y;
}

describe.each(['st', 'mt'] as const)('kernels (%s flavour)', (flavor) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await loadNodeKernels({ flavor, threads: flavor === 'mt' ? 4 : 1 });
  });
  afterAll(() => k.dispose());

  it('bn_weight_packed_prefix_bytes bounds what row-ordered packing has written', () => {
    const rnd = seeded(7);
    // (packed type, source type, bytes per source value): F16 and Q8_0 in whole 4-row groups, F32 in rows
    const cases = [
      { type: BN_TYPE.F16, src: BN_TYPE.F16, cols: 40 },  // 40 % 8 != 0: padded chunks
      { type: BN_TYPE.Q8_0, src: BN_TYPE.F16, cols: 64 },
      { type: BN_TYPE.F32, src: BN_TYPE.F32, cols: 24 },
    ];
    for (const { type, src, cols } of cases) {
      const rows = 37;
      const all = k.fn.bn_weight_packed_bytes!(type, rows, cols) >>> 0;
      const prefix = (r: number) => k.fn.bn_weight_packed_prefix_bytes!(type, rows, cols, r) >>> 0;
      expect([prefix(0), prefix(rows), prefix(rows + 5)]).toEqual([0, all, all]);
      const dst = k.malloc(all);
      k.heapU8().fill(0xaa, dst, dst + all);
      const w = allocWeight(k, { type, rows, cols, scale: 1, data: dst });
      // source rows: halves of values in [-1, 1) (0x3c00 = 1.0 with the sign bit and a random mantissa) or f32
      const per = src === BN_TYPE.F16 ? 2 : 4;
      const raw = new Uint8Array(rows * cols * per);
      const dv = new DataView(raw.buffer);
      for (let i = 0; i < rows * cols; i++) {
        if (per === 2) dv.setUint16(2 * i, (rnd() < 0.5 ? 0x8000 : 0) | 0x3800 | Math.floor(rnd() * 1024), true);
        else dv.setFloat32(4 * i, rnd() * 2 - 1, true);
      }
      const ps = put(k, raw);
      let last = 0;
      for (let r0 = 0; r0 < rows; r0 += 7) {
        const n = Math.min(7, rows - r0);
        k.check(k.fn.bn_weight_pack_rows!(w, r0, ps + r0 * cols * per, src, n), 'bn_weight_pack_rows');
        const p = prefix(r0 + n);
        expect(p).toBeGreaterThanOrEqual(last);
        last = p;
        // every byte at or past the prefix is still the fill
        const rest = k.heapU8().subarray(dst + p, dst + all);
        expect(rest.every((b) => b === 0xaa)).toBe(true);
      }
      expect(last).toBe(all);
      k.free(ps);
      k.free(w);
      k.free(dst);
    }
    // the ternary layouts: nothing is known to be untouched once packing started
    expect(k.fn.bn_weight_packed_prefix_bytes!(BN_TYPE.TQ2_0, 8, 256, 1) >>> 0).toBe(k.fn.bn_weight_packed_bytes!(BN_TYPE.TQ2_0, 8, 256) >>> 0);
    expect(k.fn.bn_weight_packed_prefix_bytes!(BN_TYPE.I2_S, 8, 128, 1) >>> 0).toBe(k.fn.bn_weight_packed_bytes!(BN_TYPE.I2_S, 8, 128) >>> 0);
    expect(k.fn.bn_weight_packed_prefix_bytes!(99, 8, 128, 1)).toBe(0);
  });

  it('BN_MAX_COLS mirrors the widest matrix the kernels take', () => {
    for (const type of [BnType.I2_S, BnType.TQ2_0, BnType.Q8_0, BnType.F16, BnType.F32]) {
      expect(k.fn.bn_weight_packed_bytes!(type, 4, BN_MAX_COLS)).toBeGreaterThan(0);
      expect(k.fn.bn_weight_packed_bytes!(type, 4, BN_MAX_COLS + 256)).toBe(0);
    }
  });

  it('SIMD128 and portable kernels match the scalar references (bn_selftest)', () => {
    expect(k.fn.bn_kernels_active_id!()).toBe(1); // the SIMD128 set is the one in use
    for (const seed of [1, 2, 3]) expect(k.fn.bn_selftest!(seed, 0)).toBe(0);
  });

  it('thread counts: 1 only in st; 1..4 give identical results in mt', () => {
    if (flavor === 'st') {
      expect(k.fn.bn_threads_init!(1)).toBe(0);
      expect(k.fn.bn_threads_init!(2)).toBe(5); // BN_ERR_THREADS
      return;
    }
    const rows = 300;
    const cols = 1024;
    const rnd = seeded(7);
    const t = new Int8Array(rows * cols).map(() => Math.floor(rnd() * 3) - 1);
    const gguf = k.malloc(rows * cols / 4 + 32);
    const pt = put(k, new Uint8Array(t.buffer));
    k.fn.bn_test_encode_i2s!(gguf, pt, rows, cols, 0.75);
    const w = allocWeight(k);
    const packed = k.malloc(k.fn.bn_weight_packed_bytes!(BN_TYPE.I2_S, rows, cols));
    k.check(k.fn.bn_weight_pack_i2s!(w, packed, gguf, rows, cols), 'pack');
    const x = new Float32Array(3 * cols).map(() => rnd() * 2 - 1);
    const f16 = k.malloc(rows * cols * 2);
    const h = new Uint16Array(rows * cols).map(() => (Math.floor(rnd() * 0x7800) | (rnd() < 0.5 ? 0x8000 : 0)) & 0xbbff);
    k.heapU8().set(new Uint8Array(h.buffer), f16);
    const pf = k.malloc(k.fn.bn_weight_packed_bytes!(BN_TYPE.F16, rows, cols));  // the 4-row interleaved F16 layout
    const wf = allocWeight(k, { type: BN_TYPE.F16, rows, cols, scale: 1, data: pf });
    k.check(k.fn.bn_weight_pack_rows!(wf, 0, f16, BN_TYPE.F16, rows), 'pack f16');
    const results: Float32Array[][] = [];
    for (let n = 1; n <= 4; n++) {
      expect(k.fn.bn_threads_init!(n)).toBe(0);
      expect(k.fn.bn_threads_count!()).toBe(n);
      results.push([matmul(k, w, BN_TYPE.I2_S, rows, cols, x, 1), matmul(k, w, BN_TYPE.I2_S, rows, cols, x, 3), matmul(k, wf, BN_TYPE.F16, rows, cols, x, 2)]);
      expect(k.fn.bn_selftest!(n, 0)).toBe(0);
    }
    for (let n = 1; n < 4; n++) for (let i = 0; i < 3; i++) expect(Buffer.from(results[n]![i]!.buffer).equals(Buffer.from(results[0]![i]!.buffer))).toBe(true);
    expect(k.fn.bn_threads_init!(1)).toBe(0);
    for (const p of [gguf, pt, w, packed, f16, pf, wf]) k.free(p);
  });

  describe('oracle models', () => {
    let file: GgufFile;
    let bytes: Uint8Array;
    beforeAll(async () => {
      bytes = readFileSync(join(FIX, 'oracle/tiny-bitnet-b158-i2_s.gguf'));
      file = await parseGguf(bytes);
    });

    it('I2_S: packing recovers every per-tensor scale of tiny.oracle.json and decodes like the spec', async () => {
      const oracle = JSON.parse(readFileSync(join(FIX, 'oracle/tiny.oracle.json'), 'utf8')) as { ternary_weight_scales: Record<string, number> };
      const i2s = file.tensors.filter((t) => t.type === BN_TYPE.I2_S);
      expect(i2s.length).toBe(Object.keys(oracle.ternary_weight_scales).length);
      for (const t of i2s) {
        const [cols, rows] = t.shape as [number, number];
        const data = await readTensorData(toByteSource(bytes), file, t);
        expect(data.length).toBe(rows * cols / 4 + 32);
        const src = put(k, data);
        const w = allocWeight(k);
        const packed = k.malloc(k.fn.bn_weight_packed_bytes!(BN_TYPE.I2_S, rows, cols));
        k.check(k.fn.bn_weight_pack_i2s!(w, packed, src, rows, cols), `pack ${t.name}`);
        const fields = readWeight(k, w);
        expect(fields).toMatchObject({ type: BN_TYPE.I2_S, rows, cols, data: packed });
        const scale = fields.scale;
        expect(scale).toBe(oracle.ternary_weight_scales[t.name.replace(/\.weight$/, '')]);
        // one-hot activations read back columns of scale*T; compare with a decode written from the spec
        const nCols = 5;
        const x = new Float32Array(nCols * cols);
        const picks = [0, 31, 32, 127, cols - 1];
        picks.forEach((c, i) => (x[i * cols + c] = 1));
        const y = matmul(k, w, BN_TYPE.I2_S, rows, cols, x, nCols);
        const counts = [0, 0, 0];
        for (let i = 0; i < nCols; i++) {
          for (let r = 0; r < rows; r++) {
            const e = r * cols + picks[i]!;
            const j = e % 128;
            const code = (data[Math.floor(e / 128) * 32 + (j % 32)]! >> (6 - 2 * Math.floor(j / 32))) & 3;
            counts[code]!++;
            expect(y[i * rows + r]).toBe(Math.fround(Math.fround(((code - 1) * 127) / 127) * scale));
          }
        }
        // uniform random ternary weights: each value about a third of the time
        for (const c of counts) expect(c / (nCols * rows)).toBeGreaterThan(0.2);
        for (const p of [src, w, packed]) k.free(p);
      }
    });

    it('TQ2_0 (oracle-tq2 model) and the same ternary values re-encoded as TQ1_0 give identical results', async () => {
      const tbytes = readFileSync(join(FIX, 'oracle-tq2/tinyt-bitnet-b158-tq2_0.gguf'));
      const tf = await parseGguf(tbytes);
      const tensors = tf.tensors.filter((t) => t.type === BN_TYPE.TQ2_0);
      expect(tensors.length).toBeGreaterThan(0);
      const rnd = seeded(3);
      for (const t of tensors.slice(0, 7)) {
        const [cols, rows] = t.shape as [number, number];
        const data = await readTensorData(toByteSource(tbytes), tf, t);
        const nb = (rows * cols) / 256;
        expect(data.length).toBe(nb * 66);
        // decode from the spec: chunk c of 128, byte 32c+m, slot n -> value index 128c + 32n + m; low bits first
        const tern = new Int8Array(rows * cols);
        const d = new Uint16Array(nb);
        for (let b = 0; b < nb; b++) {
          for (let j = 0; j < 256; j++) {
            const c = Math.floor(j / 128), r = j % 128;
            tern[b * 256 + j] = ((data[b * 66 + 32 * c + (r % 32)]! >> (2 * Math.floor(r / 32))) & 3) - 1;
          }
          d[b] = data[b * 66 + 64]! | (data[b * 66 + 65]! << 8);
        }
        const pt = put(k, new Uint8Array(tern.buffer));
        const pd = put(k, new Uint8Array(d.buffer));
        const tq1 = k.malloc(nb * 54);
        k.fn.bn_test_encode_tq1!(tq1, pt, pd, rows, cols);
        const src2 = put(k, data);
        const x = new Float32Array(2 * cols).map(() => rnd() * 2 - 1);
        const ys: Float32Array[] = [];
        for (const [type, src] of [[BN_TYPE.TQ2_0, src2], [BN_TYPE.TQ1_0, tq1]] as const) {
          const packed = k.malloc(k.fn.bn_weight_packed_bytes!(type, rows, cols));
          const w = allocWeight(k, { type, rows, cols, scale: 1, data: packed });
          k.check(k.fn.bn_weight_pack_rows!(w, 0, src, type, rows), `pack ${t.name}`);
          ys.push(matmul(k, w, type, rows, cols, x, 2));
          k.free(w);
          k.free(packed);
        }
        expect(Buffer.from(ys[1]!.buffer).equals(Buffer.from(ys[0]!.buffer))).toBe(true);
        // and both agree with float math on the dequantized weights within the Q8_K budget
        const deq = k.malloc(4 * rows * cols);
        k.check(k.fn.bn_dequantize_rows!(deq, src2, BN_TYPE.TQ2_0, rows, cols), 'dequantize');
        const wf = readF32(k, deq, rows * cols);
        for (let r = 0; r < rows; r += 17) {
          let want = 0;
          let mag = 0;
          for (let c = 0; c < cols; c++) {
            want += wf[r * cols + c]! * x[c]!;
            mag += Math.abs(wf[r * cols + c]!);
          }
          expect(Math.abs(ys[0]![r]! - want)).toBeLessThanOrEqual(mag / 127); // |x| <= 1: half a step per term, doubled
        }
        for (const p of [pt, pd, tq1, src2, deq]) k.free(p);
      }
    });
  });
});
