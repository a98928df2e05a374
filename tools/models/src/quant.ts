// Byte encoders and decoders for the tensor types the synthetic writers emit: bitnet.cpp's I2_S (x86 layout),
// llama.cpp's TQ2_0 and TQ1_0 ternary blocks, Q8_0, F16 (round-to-nearest-even) and F32. Pure functions, no I/O.
// Layouts restate /work/shared/docs/bitnet-spec.md §2.2–2.4. A ternary matrix is an Int8Array of −1/0/+1, row-major,
// rows = ne1 (out features), cols = ne0 (in features); all encoders work on the flattened element order.

import { SynthError } from './errors';

/** Elements per I2_S block (x86/generic layout: 32 bytes hold 4 interleaved columns of 32 codes). */
export const QK_I2_S = 128;
/** Bytes after the I2_S codes: a little-endian f32 scale followed by 28 zero bytes. */
export const I2_S_TAIL_BYTES = 32;
/** Elements per TQ1_0 / TQ2_0 block (ggml's QK_K). */
export const QK_K = 256;
/** Bytes per TQ2_0 block: qs[64] (2 bits per element) + f16 d. */
export const TQ2_0_BLOCK_BYTES = 66;
/** Bytes per TQ1_0 block: qs[48] (5 trits per byte) + qh[4] (4 trits per byte) + f16 d. */
export const TQ1_0_BLOCK_BYTES = 54;
/** Elements per Q8_0 block. */
export const QK8_0 = 32;
/** Bytes per Q8_0 block: f16 d + int8 qs[32]. */
export const Q8_0_BLOCK_BYTES = 34;

function checkMultiple(what: string, n: number, k: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n % k !== 0) {
    throw new SynthError('bad_shape', `${what}: element count ${n} is not a multiple of ${k}`);
  }
}

function checkLength(what: string, got: number, want: number): void {
  if (got < want) throw new SynthError('bad_data', `${what}: buffer holds ${got} bytes, need ${want}`);
}

function checkTrit(what: string, v: number, i: number): void {
  if (v !== -1 && v !== 0 && v !== 1) {
    throw new SynthError('bad_data', `${what}: element ${i} is ${v}, expected -1, 0 or +1`);
  }
}

// Math functions bound once (jest runs tests in a vm context where global lookups in hot loops are slow).
const { abs, max, fround, sign, round, floor } = Math;

// ---------------------------------------------------------------------------------------------------------------
// F16 / F32

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE binary32 → binary16 bits with round-to-nearest-even (overflow → ±inf, NaN stays NaN, subnormals kept). */
export function f32ToF16(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15; // biased f16 exponent
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = mant | 0x800000; // implicit 1
    const shift = 14 - e; // 14..24: position of the f16 subnormal unit 2^-24 in m
    const half = 1 << (shift - 1);
    const rem = m & ((1 << shift) - 1);
    let q = m >>> shift;
    if (rem > half || (rem === half && (q & 1) === 1)) q++;
    return sign | q; // q may reach 0x400, which is the smallest normal: still the right encoding
  }
  let q = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (q & 1) === 1)) q++; // a carry into the exponent is correct (up to inf)
  return sign | q;
}

/** IEEE binary16 bits → number (exact). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The f16 value nearest to `x` (ties to even), as a number. */
export function roundToF16(x: number): number {
  return f16ToF32(f32ToF16(x));
}

/** Encode values as little-endian F16 (2 bytes each), written into `out` at `offset`. */
export function encodeF16Into(values: ArrayLike<number>, out: Uint8Array, offset = 0): void {
  checkLength('encodeF16', out.length - offset, values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const h = f32ToF16(values[i]!);
    out[offset + 2 * i] = h & 0xff;
    out[offset + 2 * i + 1] = h >>> 8;
  }
}

/** Encode values as little-endian F16. */
export function encodeF16(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  encodeF16Into(values, out);
  return out;
}

/** Decode `n` little-endian F16 values. */
export function decodeF16(bytes: Uint8Array, n: number): Float32Array {
  checkLength('decodeF16', bytes.length, n * 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f16ToF32(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
  return out;
}

/** Encode values as little-endian F32, written into `out` at `offset`. */
export function encodeF32Into(values: ArrayLike<number>, out: Uint8Array, offset = 0): void {
  checkLength('encodeF32', out.length - offset, values.length * 4);
  const dv = new DataView(out.buffer, out.byteOffset + offset, values.length * 4);
  for (let i = 0; i < values.length; i++) dv.setFloat32(4 * i, values[i]!, true);
}

/** Encode values as little-endian F32. */
export function encodeF32(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  encodeF32Into(values, out);
  return out;
}

/** Decode `n` little-endian F32 values. */
export function decodeF32(bytes: Uint8Array, n: number): Float32Array {
  checkLength('decodeF32', bytes.length, n * 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n * 4);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Q8_0: per 32 values d = max|x| / 127 (stored f16), q = round-half-away(x / d) — llama.cpp's reference quantizer.

/** Encode values (n % 32 == 0) as Q8_0 blocks into `out` at `offset`. */
export function encodeQ8_0Into(values: ArrayLike<number>, out: Uint8Array, offset = 0): void {
  const n = values.length;
  checkMultiple('encodeQ8_0', n, QK8_0);
  checkLength('encodeQ8_0', out.length - offset, (n / QK8_0) * Q8_0_BLOCK_BYTES);
  for (let b = 0; b < n / QK8_0; b++) {
    let amax = 0;
    for (let j = 0; j < QK8_0; j++) amax = max(amax, abs(values[b * QK8_0 + j]!));
    const d = fround(amax / 127);
    const id = d !== 0 ? fround(1 / d) : 0;
    const o = offset + b * Q8_0_BLOCK_BYTES;
    const h = f32ToF16(d);
    out[o] = h & 0xff;
    out[o + 1] = h >>> 8;
    for (let j = 0; j < QK8_0; j++) {
      const x = fround(values[b * QK8_0 + j]! * id);
      const q = sign(x) * round(abs(x)); // C roundf: halves away from zero
      out[o + 2 + j] = q & 0xff;
    }
  }
}

/** Encode values (n % 32 == 0) as Q8_0 blocks. */
export function encodeQ8_0(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array((values.length / QK8_0) * Q8_0_BLOCK_BYTES);
  encodeQ8_0Into(values, out);
  return out;
}

/** Decode `n` (multiple of 32) Q8_0 values. */
export function decodeQ8_0(bytes: Uint8Array, n: number): Float32Array {
  checkMultiple('decodeQ8_0', n, QK8_0);
  checkLength('decodeQ8_0', bytes.length, (n / QK8_0) * Q8_0_BLOCK_BYTES);
  const out = new Float32Array(n);
  for (let b = 0; b < n / QK8_0; b++) {
    const o = b * Q8_0_BLOCK_BYTES;
    const d = f16ToF32(bytes[o]! | (bytes[o + 1]! << 8));
    for (let j = 0; j < QK8_0; j++) out[b * QK8_0 + j] = d * ((bytes[o + 2 + j]! << 24) >> 24);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// I2_S (bitnet.cpp, x86 layout): n/4 code bytes in 128-element blocks, then f32 scale, then 28 zero bytes.
// In block b, byte j holds elements 128b + j (bits 7–6), +32 (5–4), +64 (3–2), +96 (1–0); code = value + 1.

/** Total I2_S byte length of a tensor with `n` elements (n % 128 == 0): n/4 + 32. */
export function i2sByteLength(n: number): number {
  checkMultiple('I2_S', n, QK_I2_S);
  return n / 4 + I2_S_TAIL_BYTES;
}

/**
 * Pack ternary values (length % 128 == 0) into I2_S code bytes (length/4 bytes) at `out[offset..]`.
 * Used for streaming: a chunk of whole blocks maps to a contiguous run of bytes.
 */
export function encodeI2SCodesInto(ternary: Int8Array, out: Uint8Array, offset = 0): void {
  const n = ternary.length;
  checkMultiple('encodeI2S', n, QK_I2_S);
  checkLength('encodeI2S', out.length - offset, n / 4);
  for (let b = 0; b < n / QK_I2_S; b++) {
    const e = b * QK_I2_S;
    const o = offset + b * 32;
    for (let j = 0; j < 32; j++) {
      const t0 = ternary[e + j]!;
      const t1 = ternary[e + 32 + j]!;
      const t2 = ternary[e + 64 + j]!;
      const t3 = ternary[e + 96 + j]!;
      if ((t0 + 1) >>> 0 > 2 || (t1 + 1) >>> 0 > 2 || (t2 + 1) >>> 0 > 2 || (t3 + 1) >>> 0 > 2) {
        for (const [k, t] of [t0, t1, t2, t3].entries()) checkTrit('encodeI2S', t, e + 32 * k + j);
      }
      out[o + j] = ((t0 + 1) << 6) | ((t1 + 1) << 4) | ((t2 + 1) << 2) | (t3 + 1);
    }
  }
}

/** Write the 32-byte I2_S tail (f32 scale + 28 zero bytes) at `out[offset..]`. */
export function encodeI2STailInto(scale: number, out: Uint8Array, offset = 0): void {
  checkLength('encodeI2S tail', out.length - offset, I2_S_TAIL_BYTES);
  out.fill(0, offset, offset + I2_S_TAIL_BYTES);
  new DataView(out.buffer, out.byteOffset + offset, 4).setFloat32(0, scale, true);
}

/** Encode a ternary tensor (length % 128 == 0) with per-tensor scale β as I2_S bytes (n/4 + 32). */
export function encodeI2S(ternary: Int8Array, scale: number): Uint8Array {
  const out = new Uint8Array(i2sByteLength(ternary.length));
  encodeI2SCodesInto(ternary, out, 0);
  encodeI2STailInto(scale, out, ternary.length / 4);
  return out;
}

/** Decoded ternary tensor: values in {−1,0,+1} and the scale(s) that multiply them. */
export interface DecodedTernary {
  /** Ternary values, flattened row-major. */
  values: Int8Array;
  /** One scale per tensor (I2_S) or per 256-element block (TQ types). */
  scales: Float32Array;
}

/** Decode `n` I2_S elements (n % 128 == 0) and the per-tensor scale. Code 3 is invalid → SynthError. */
export function decodeI2S(bytes: Uint8Array, n: number): DecodedTernary {
  const total = i2sByteLength(n);
  checkLength('decodeI2S', bytes.length, total);
  const values = new Int8Array(n);
  for (let b = 0; b < n / QK_I2_S; b++) {
    for (let j = 0; j < 32; j++) {
      const byte = bytes[b * 32 + j]!;
      for (let k = 0; k < 4; k++) {
        const code = (byte >>> (6 - 2 * k)) & 3;
        if (code === 3) throw new SynthError('bad_data', `decodeI2S: code 3 at element ${b * QK_I2_S + 32 * k + j}`);
        values[b * QK_I2_S + 32 * k + j] = code - 1;
      }
    }
  }
  const scale = new DataView(bytes.buffer, bytes.byteOffset + n / 4, 4).getFloat32(0, true);
  return { values, scales: Float32Array.of(scale) };
}

// ---------------------------------------------------------------------------------------------------------------
// TQ2_0 (llama.cpp): per 256 elements qs[64] then f16 d. Chunk c (0..1) uses qs[32c..32c+31]; element
// 128c + 32n + m sits in byte 32c + m at bits 2n..2n+1 (low bits first); code = value + 1.

/** TQ2_0 byte length of `n` elements (n % 256 == 0). */
export function tq2ByteLength(n: number): number {
  checkMultiple('TQ2_0', n, QK_K);
  return (n / QK_K) * TQ2_0_BLOCK_BYTES;
}

/** Encode ternary values (length % 256 == 0) as TQ2_0 blocks with block scale `d` into `out[offset..]`. */
export function encodeTQ2_0Into(ternary: Int8Array, d: number, out: Uint8Array, offset = 0): void {
  const n = ternary.length;
  checkLength('encodeTQ2_0', out.length - offset, tq2ByteLength(n));
  const dh = f32ToF16(d);
  for (let b = 0; b < n / QK_K; b++) {
    const e = b * QK_K;
    const o = offset + b * TQ2_0_BLOCK_BYTES;
    for (let c = 0; c < 2; c++) {
      for (let m = 0; m < 32; m++) {
        let q = 0;
        for (let k = 0; k < 4; k++) {
          const i = e + 128 * c + 32 * k + m;
          const t = ternary[i]!;
          checkTrit('encodeTQ2_0', t, i);
          q |= (t + 1) << (2 * k);
        }
        out[o + 32 * c + m] = q;
      }
    }
    out[o + 64] = dh & 0xff;
    out[o + 65] = dh >>> 8;
  }
}

/** Encode ternary values (length % 256 == 0) as TQ2_0 with the same scale `d` in every block. */
export function encodeTQ2_0(ternary: Int8Array, d: number): Uint8Array {
  const out = new Uint8Array(tq2ByteLength(ternary.length));
  encodeTQ2_0Into(ternary, d, out);
  return out;
}

/** Decode `n` TQ2_0 elements: ternary values and one scale per 256-element block. */
export function decodeTQ2_0(bytes: Uint8Array, n: number): DecodedTernary {
  checkLength('decodeTQ2_0', bytes.length, tq2ByteLength(n));
  const values = new Int8Array(n);
  const scales = new Float32Array(n / QK_K);
  for (let b = 0; b < n / QK_K; b++) {
    const o = b * TQ2_0_BLOCK_BYTES;
    for (let c = 0; c < 2; c++) {
      for (let m = 0; m < 32; m++) {
        const byte = bytes[o + 32 * c + m]!;
        for (let k = 0; k < 4; k++) {
          const code = (byte >>> (2 * k)) & 3;
          const i = b * QK_K + 128 * c + 32 * k + m;
          if (code === 3) throw new SynthError('bad_data', `decodeTQ2_0: code 3 at element ${i}`);
          values[i] = code - 1;
        }
      }
    }
    scales[b] = f16ToF32(bytes[o + 64]! | (bytes[o + 65]! << 8));
  }
  return { values, scales };
}

// ---------------------------------------------------------------------------------------------------------------
// TQ1_0 (llama.cpp): per 256 elements qs[48] (5 trits/byte), qh[4] (4 trits/byte), f16 d.
// A byte holding trits t0..t4 (t0 first, most significant) stores ceil(256 · Σ tₖ·3^(4−k) / 243): the base-3
// number as a fraction of 3^5 scaled to 8 bits. Decoding slot k multiplies by 3^k (mod 256, which drops the
// leading trits) and takes the top trit: ((b·3^k mod 256)·3) >> 8. qh bytes hold 4 trits and a zero 5th trit.
// Element order: qs[0..31] slot-major (element 32k + m in byte m, slot k) = 160 elements; qs[32..47] the same with
// 16 bytes per slot = 80 elements; qh[j] slot k = element 240 + 4k + j.

/** TQ1_0 byte length of `n` elements (n % 256 == 0). */
export function tq1ByteLength(n: number): number {
  checkMultiple('TQ1_0', n, QK_K);
  return (n / QK_K) * TQ1_0_BLOCK_BYTES;
}

/** Pack base-3 digits (most significant first; value 0..242) into one byte: ceil(v · 256 / 243). */
function packTrits(v: number): number {
  return floor((v * 256 + 242) / 243);
}

/** Encode ternary values (length % 256 == 0) as TQ1_0 blocks with block scale `d` into `out[offset..]`. */
export function encodeTQ1_0Into(ternary: Int8Array, d: number, out: Uint8Array, offset = 0): void {
  const n = ternary.length;
  checkLength('encodeTQ1_0', out.length - offset, tq1ByteLength(n));
  const dh = f32ToF16(d);
  const trit = (i: number): number => {
    const t = ternary[i]!;
    checkTrit('encodeTQ1_0', t, i);
    return t + 1;
  };
  for (let b = 0; b < n / QK_K; b++) {
    const e = b * QK_K;
    const o = offset + b * TQ1_0_BLOCK_BYTES;
    for (let m = 0; m < 32; m++) {
      let v = 0;
      for (let k = 0; k < 5; k++) v = v * 3 + trit(e + 32 * k + m);
      out[o + m] = packTrits(v);
    }
    for (let m = 0; m < 16; m++) {
      let v = 0;
      for (let k = 0; k < 5; k++) v = v * 3 + trit(e + 160 + 16 * k + m);
      out[o + 32 + m] = packTrits(v);
    }
    for (let j = 0; j < 4; j++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v = v * 3 + trit(e + 240 + 4 * k + j);
      out[o + 48 + j] = packTrits(v * 3);
    }
    out[o + 52] = dh & 0xff;
    out[o + 53] = dh >>> 8;
  }
}

/** Encode ternary values (length % 256 == 0) as TQ1_0 with the same scale `d` in every block. */
export function encodeTQ1_0(ternary: Int8Array, d: number): Uint8Array {
  const out = new Uint8Array(tq1ByteLength(ternary.length));
  encodeTQ1_0Into(ternary, d, out);
  return out;
}

const POW3 = [1, 3, 9, 27, 81];

/** Trit in slot k of a packed TQ1_0 byte, exactly as llama.cpp's 8/16-bit arithmetic extracts it. */
function unpackTrit(byte: number, k: number): number {
  return (((byte * POW3[k]!) & 0xff) * 3) >>> 8;
}

/** Decode `n` TQ1_0 elements: ternary values and one scale per 256-element block. */
export function decodeTQ1_0(bytes: Uint8Array, n: number): DecodedTernary {
  checkLength('decodeTQ1_0', bytes.length, tq1ByteLength(n));
  const values = new Int8Array(n);
  const scales = new Float32Array(n / QK_K);
  for (let b = 0; b < n / QK_K; b++) {
    const e = b * QK_K;
    const o = b * TQ1_0_BLOCK_BYTES;
    for (let k = 0; k < 5; k++) {
      for (let m = 0; m < 32; m++) values[e + 32 * k + m] = unpackTrit(bytes[o + m]!, k) - 1;
      for (let m = 0; m < 16; m++) values[e + 160 + 16 * k + m] = unpackTrit(bytes[o + 32 + m]!, k) - 1;
    }
    for (let k = 0; k < 4; k++) {
      for (let j = 0; j < 4; j++) values[e + 240 + 4 * k + j] = unpackTrit(bytes[o + 48 + j]!, k) - 1;
    }
    scales[b] = f16ToF32(bytes[o + 52]! | (bytes[o + 53]! << 8));
  }
  return { values, scales };
}
