/**
 * The output head's Q8_0 copy through the built WebAssembly (both flavours): the oracle model's F16
 * token embedding re-quantized by bn_weight_pack_rows into the packed (4-row interleaved) Q8_0 layout,
 * streamed in chunks that start off the 4-row grid, then looked up with bn_weight_get_rows — against an
 * independent TypeScript re-statement of ggml's quantize_row_q8_0 / dequantize_row_q8_0 on the same
 * F16 values; and the same blocks stored GGUF-style through bn_get_rows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGguf, readTensorData, toByteSource } from '@bitnet-wasm/gguf';
import { loadNodeKernels, allocWeight, BnType, type Kernels } from './node';

const FIX = process.env.BITNET_FIXTURES ?? join(__dirname, '../../../../shared/fixtures');

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** f32 value -> IEEE half bits, round to nearest even (finite inputs below 65520). */
function f32ToF16(x: number): number {
  const s = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a < 2 ** -14) return s | roundHalfEven(a * 2 ** 24); // subnormal; 1024 encodes the smallest normal
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  return s | ((e + 15) << 10) | m;
}

/** ggml quantize_row_q8_0 (f32 arithmetic, round half away from zero) then dequantize: x -> q * f16(d). */
function q8RoundTrip(x: Float32Array): { d: Uint16Array; q: Int8Array; y: Float32Array } {
  const nb = x.length / 32;
  const d = new Uint16Array(nb);
  const q = new Int8Array(x.length);
  const y = new Float32Array(x.length);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]!));
    const dd = Math.fround(amax / 127);
    const id = dd !== 0 ? Math.fround(1 / dd) : 0;
    d[b] = f32ToF16(dd);
    const df = f16ToF32(d[b]!);
    for (let j = 0; j < 32; j++) {
      const v = Math.fround(x[32 * b + j]! * id);
      const r = Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
      q[32 * b + j] = Math.max(-128, Math.min(127, r));
      y[32 * b + j] = Math.fround(q[32 * b + j]! * df);
    }
  }
  return { d, q, y };
}

describe.each(['st', 'mt'] as const)('Q8_0 head copy (%s flavour)', (flavor) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await loadNodeKernels({ flavor, threads: flavor === 'mt' ? 2 : 1 });
  });
  afterAll(() => k.dispose());

  it('F16 embedding -> packed Q8_0 -> lookup equals ggml Q8_0 round trip; GGUF blocks give the same rows', async () => {
    const bytes = readFileSync(join(FIX, 'oracle/tiny-bitnet-b158-i2_s.gguf'));
    const file = await parseGguf(bytes);
    const t = file.tensors.find((x) => x.name === 'token_embd.weight')!;
    expect(t.type).toBe(BnType.F16);
    const [cols, rows] = t.shape as [number, number];
    const raw = await readTensorData(toByteSource(bytes), file, t);
    const h = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const src = k.malloc(h.byteLength);
    k.heapU8().set(new Uint8Array(h.buffer), src);
    // the packed copy, streamed in chunks of 7 rows (starts off the 4-row grid), last chunk first
    const packedBytes = k.fn.bn_weight_packed_bytes!(BnType.Q8_0, rows, cols) >>> 0;
    expect(packedBytes).toBe((Math.ceil(rows / 4) * 4 * cols * 34) / 32);
    const dst = k.malloc(packedBytes);
    const w = allocWeight(k, { type: BnType.Q8_0, rows, cols, scale: 1, data: dst });
    for (let r0 = Math.floor((rows - 1) / 7) * 7; r0 >= 0; r0 -= 7) {
      k.check(k.fn.bn_weight_pack_rows!(w, r0, src + r0 * cols * 2, BnType.F16, Math.min(7, rows - r0)), 'bn_weight_pack_rows');
    }
    const ids = [0, 1, 2, 3, 5, rows - 1, Math.floor(rows / 3), 17];
    const pIds = k.malloc(4 * ids.length);
    new Int32Array(k.heapU8().buffer, pIds, ids.length).set(ids);
    const out = k.malloc(4 * cols * ids.length);
    k.check(k.fn.bn_weight_get_rows!(out, w, pIds, ids.length), 'bn_weight_get_rows');
    const got = new Float32Array(k.heapU8().slice(out, out + 4 * cols * ids.length).buffer);
    // the same rows as GGUF Q8_0 blocks (written here from the TypeScript quantizer) through bn_get_rows
    const gguf = new Uint8Array((rows * cols * 34) / 32);
    let bad = 0;
    for (const [i, id] of ids.entries()) {
      const x = new Float32Array(cols);
      for (let c = 0; c < cols; c++) x[c] = f16ToF32(h[id * cols + c]!);
      const { d, q, y } = q8RoundTrip(x);
      for (let c = 0; c < cols; c++) if (!Object.is(got[i * cols + c], y[c])) bad++;
      const dv = new DataView(gguf.buffer);
      for (let b = 0; b < cols / 32; b++) {
        const o = ((id * cols) / 32 + b) * 34;
        dv.setUint16(o, d[b]!, true);
        gguf.set(new Uint8Array(q.buffer, 32 * b, 32), o + 2);
      }
    }
    expect(bad).toBe(0);
    const table = k.malloc(gguf.length);
    k.heapU8().set(gguf, table);
    k.check(k.fn.bn_get_rows!(out, table, BnType.Q8_0, rows, cols, pIds, ids.length), 'bn_get_rows');
    expect(Buffer.from(k.heapU8().slice(out, out + 4 * cols * ids.length)).equals(Buffer.from(got.buffer))).toBe(true);
    // an id outside the table is refused
    new Int32Array(k.heapU8().buffer, pIds, 1).set([rows]);
    expect(k.fn.bn_weight_get_rows!(out, w, pIds, 1)).toBe(7); // BN_ERR_RANGE
    for (const p of [src, dst, w, pIds, out, table]) k.free(p);
  });
});
