// Encoder/decoder tests: bit-level layouts from the spec, round trips, and the oracle I2_S model written by
// bitnet.cpp's own llama-quantize (decoded scales must equal tiny.oracle.json's ternary_weight_scales).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import {
  decodeF16,
  decodeI2S,
  decodeQ8_0,
  decodeTQ1_0,
  decodeTQ2_0,
  encodeF16,
  encodeI2S,
  encodeQ8_0,
  encodeTQ1_0,
  encodeTQ2_0,
  f16ToF32,
  f32ToF16,
  i2sByteLength,
} from './quant';
import { Rng } from './internal/prng';
import { SynthError } from './errors';

const FIXTURES = process.env['BITNET_FIXTURES'] ?? '/work/shared/fixtures';

function randomTrits(n: number, seed: number): Int8Array {
  const t = new Int8Array(n);
  new Rng(seed, 'test').fillTrits(t);
  return t;
}

describe('f16', () => {
  it('known values', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(-2)).toBe(0xc000);
    expect(f32ToF16(0.1)).toBe(0x2e66);
    expect(f32ToF16(1 / 3)).toBe(0x3555);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65519)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00); // halfway to 2^16 rounds to even = overflow
    expect(f32ToF16(-Infinity)).toBe(0xfc00);
    expect(f32ToF16(-0)).toBe(0x8000);
    expect(f32ToF16(2 ** -24)).toBe(1);
    expect(f32ToF16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal → even (0)
    expect(f32ToF16(2 ** -25 * 1.0001)).toBe(1);
    expect(f32ToF16(3 * 2 ** -25)).toBe(2); // tie between 1 and 2 ulps → even (2)
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
  });

  it('every finite f16 round-trips, and every midpoint rounds to the even neighbour', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const failures: string[] = []; // one expect at the end: 10^5 expect() calls would dominate the run time
    const check = (x: number, want: number, what: string): void => {
      const got = f32ToF16(x);
      if (got !== want) failures.push(`${what}: f32ToF16(${x}) = 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    };
    for (let h = 0; h < 0x7c00; h++) {
      check(f16ToF32(h), h, 'exact');
      check(f16ToF32(h | 0x8000), h | 0x8000, 'exact negative');
      if (h + 1 >= 0x7c00) continue;
      const mid = (f16ToF32(h) + f16ToF32(h + 1)) / 2; // exact in f32 (12 significant bits)
      check(mid, h % 2 === 0 ? h : h + 1, 'midpoint');
      f32[0] = mid;
      u32[0] = u32[0]! + 1; // next f32 above the midpoint
      check(f32[0]!, h + 1, 'above midpoint');
      f32[0] = mid;
      u32[0] = u32[0]! - 1; // next f32 below the midpoint
      check(f32[0]!, h, 'below midpoint');
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('encodeF16/decodeF16 round-trip little-endian', () => {
    const bytes = encodeF16([1, -2, 0.5]);
    expect(Array.from(bytes)).toEqual([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]);
    expect(Array.from(decodeF16(bytes, 3))).toEqual([1, -2, 0.5]);
  });
});

describe('I2_S', () => {
  it('byte layout: 128-element blocks, MSB-first 4×32 interleave, code = value + 1, f32 scale then 28 zeros', () => {
    const t = new Int8Array(256); // all zero → code 1 everywhere → byte 0b01010101
    t[0] = 1; // block 0, byte 0, bits 7–6 → code 2
    t[32 + 5] = -1; // block 0, byte 5, bits 5–4 → code 0
    t[64 + 31] = 1; // block 0, byte 31, bits 3–2 → code 2
    t[128 + 96 + 7] = -1; // block 1, byte 7, bits 1–0 → code 0
    const bytes = encodeI2S(t, 1.5);
    expect(bytes.length).toBe(256 / 4 + 32);
    expect(bytes[0]).toBe(0b10010101);
    expect(bytes[5]).toBe(0b01000101);
    expect(bytes[31]).toBe(0b01011001);
    expect(bytes[32 + 7]).toBe(0b01010100);
    expect(bytes[1]).toBe(0x55);
    expect(Array.from(bytes.subarray(64, 68))).toEqual([0x00, 0x00, 0xc0, 0x3f]); // 1.5f LE
    expect(bytes.subarray(68).every((b) => b === 0)).toBe(true);
  });

  it('round-trips random ternary data', () => {
    const t = randomTrits(128 * 37, 1);
    const { values, scales } = decodeI2S(encodeI2S(t, 0.75), t.length);
    expect(values).toEqual(t);
    expect(scales[0]).toBe(0.75);
  });

  it('rejects shapes that are not a multiple of 128, non-ternary values and code 3', () => {
    expect(() => encodeI2S(new Int8Array(100), 1)).toThrow(SynthError);
    expect(() => encodeI2S(Int8Array.from({ length: 128 }, () => 2), 1)).toThrow(/expected -1, 0 or \+1/);
    const bad = encodeI2S(new Int8Array(128), 1);
    bad[3] = 0xff;
    expect(() => decodeI2S(bad, 128)).toThrow(/code 3/);
    expect(() => decodeI2S(bad.subarray(0, 40), 128)).toThrow(SynthError);
  });

  it("decodes bitnet.cpp's oracle model: every tensor's scale equals tiny.oracle.json's ternary_weight_scales", async () => {
    const file = join(FIXTURES, 'oracle', 'tiny-bitnet-b158-i2_s.gguf');
    const oracle = JSON.parse(readFileSync(join(FIXTURES, 'oracle', 'tiny.oracle.json'), 'utf8')) as {
      ternary_weight_scales: Record<string, number>;
    };
    const parsed = await gguf(file, { allowLocalFile: true });
    const bytes = readFileSync(file);
    const i2s = parsed.tensorInfos.filter((t) => (t.dtype as number) === 36);
    expect(i2s.length).toBe(Object.keys(oracle.ternary_weight_scales).length);
    for (const info of i2s) {
      const n = info.shape.reduce((a, b) => a * Number(b), 1);
      const start = Number(parsed.tensorDataOffset + info.offset);
      const data = new Uint8Array(bytes.buffer, bytes.byteOffset + start, i2sByteLength(n));
      const { values, scales } = decodeI2S(data, n);
      const key = info.name.replace(/\.weight$/, '');
      expect({ key, scale: scales[0] }).toEqual({ key, scale: oracle.ternary_weight_scales[key] });
      // random uniform ternary source: each value occurs roughly a third of the time
      const counts = [0, 0, 0];
      for (const v of values) counts[v + 1]!++;
      for (const c of counts) expect(c / n).toBeGreaterThan(0.28);
      // our encoder reproduces bitnet.cpp's codes and scale exactly from the decoded content; the 28 bytes after
      // the scale are whatever llama-quantize's buffer held (not zeros), we write zeros there
      const ours = encodeI2S(values, scales[0]!);
      expect(Buffer.from(ours.subarray(0, n / 4 + 4)).equals(Buffer.from(data.subarray(0, n / 4 + 4)))).toBe(true);
    }
  });
});

describe('TQ2_0', () => {
  it('byte layout: qs[64] low bits first, f16 d last', () => {
    const t = new Int8Array(256);
    t[0] = 1; // byte 0 bits 0–1 → code 2
    t[32 * 3 + 4] = -1; // byte 4 bits 6–7 → code 0
    t[128 + 32 + 9] = 1; // byte 32 + 9 bits 2–3 → code 2
    const bytes = encodeTQ2_0(t, 2);
    expect(bytes.length).toBe(66);
    expect(bytes[0]).toBe(0b01010110);
    expect(bytes[4]).toBe(0b00010101);
    expect(bytes[41]).toBe(0b01011001);
    expect(bytes[1]).toBe(0x55);
    expect([bytes[64], bytes[65]]).toEqual([0x00, 0x40]); // f16 2.0
  });

  it('round-trips random ternary data with one f16 scale per block', () => {
    const t = randomTrits(256 * 9, 2);
    const { values, scales } = decodeTQ2_0(encodeTQ2_0(t, 0.3), t.length);
    expect(values).toEqual(t);
    expect(Array.from(scales)).toEqual(new Array(9).fill(f16ToF32(f32ToF16(0.3))));
  });

  it("decodes llama.cpp's TQ2_0 oracle model: valid codes, one scale per tensor across its blocks", async () => {
    const file = join(FIXTURES, 'oracle-tq2', 'tinyt-bitnet-b158-tq2_0.gguf');
    const parsed = await gguf(file, { allowLocalFile: true });
    const bytes = readFileSync(file);
    const tq = parsed.tensorInfos.filter((t) => (t.dtype as number) === 35);
    expect(tq.length).toBe(28);
    for (const info of tq) {
      const n = info.shape.reduce((a, b) => a * Number(b), 1);
      const start = Number(parsed.tensorDataOffset + info.offset);
      const data = new Uint8Array(bytes.buffer, bytes.byteOffset + start, (n / 256) * 66);
      const { values, scales } = decodeTQ2_0(data, n); // throws on code 3
      expect(new Set(scales).size).toBe(1); // the source was β·T per tensor, so max|w| per block = β
      expect(Buffer.from(encodeTQ2_0(values, scales[0]!)).equals(Buffer.from(data))).toBe(true);
    }
  });
});

describe('TQ1_0', () => {
  it('packs 5 trits per qs byte as ceil(256·v/243) and decodes every one of the 3^5 patterns', () => {
    // block where qs[m] for m < 32 holds pattern m·(243/32)…: cover all 243 values across several blocks
    const nBlocks = 8;
    const t = new Int8Array(256 * nBlocks);
    const patterns: number[] = [];
    for (let b = 0; b < nBlocks; b++) {
      for (let m = 0; m < 32; m++) {
        const v = (b * 32 + m) % 243;
        patterns.push(v);
        let x = v;
        for (let k = 4; k >= 0; k--) {
          t[256 * b + 32 * k + m] = (x % 3) - 1; // slot 0 = most significant digit
          x = Math.floor(x / 3);
        }
      }
    }
    const bytes = encodeTQ1_0(t, 1);
    expect(bytes.length).toBe(54 * nBlocks);
    for (let b = 0; b < nBlocks; b++) {
      for (let m = 0; m < 32; m++) {
        expect(bytes[54 * b + m]).toBe(Math.ceil((patterns[b * 32 + m]! * 256) / 243));
      }
    }
    expect(decodeTQ1_0(bytes, t.length).values).toEqual(t);
  });

  it('qh bytes hold 4 trits and a zero fifth trit; elements 240 + 4k + j', () => {
    const t = new Int8Array(256).fill(-1);
    t[240 + 4 * 0 + 2] = 1; // qh[2], slot 0 → digits 2,0,0,0,(0) → v = 2·81 = 162
    const bytes = encodeTQ1_0(t, 1);
    expect(bytes[48 + 2]).toBe(Math.ceil((162 * 256) / 243));
    expect(bytes[48]).toBe(0);
    expect(decodeTQ1_0(bytes, 256).values).toEqual(t);
  });

  it('round-trips random ternary data', () => {
    const t = randomTrits(256 * 11, 3);
    const { values, scales } = decodeTQ1_0(encodeTQ1_0(t, 0.125), t.length);
    expect(values).toEqual(t);
    expect(scales.every((s) => s === 0.125)).toBe(true);
  });
});

describe('Q8_0', () => {
  it('d = max|x|/127 as f16 first, then int8 rounded half away from zero', () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => i - 16); // max |x| = 16
    const bytes = encodeQ8_0(x);
    expect(bytes.length).toBe(34);
    const d = f16ToF32(bytes[0]! | (bytes[1]! << 8));
    expect(d).toBe(f16ToF32(f32ToF16(16 / 127)));
    expect((bytes[2]! << 24) >> 24).toBe(-127);
    const back = decodeQ8_0(bytes, 32);
    for (let i = 0; i < 32; i++) expect(Math.abs(back[i]! - x[i]!)).toBeLessThanOrEqual(d * 0.6);
  });

  it('round-trips normal data within half a step, zero blocks stay zero', () => {
    const rng = new Rng(5, 'q8');
    const x = new Float32Array(32 * 20);
    rng.fillNormal(x, 0, 1);
    x.fill(0, 0, 32);
    const back = decodeQ8_0(encodeQ8_0(x), x.length);
    for (let b = 0; b < 20; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
      for (let j = 0; j < 32; j++) {
        expect(Math.abs(back[b * 32 + j]! - x[b * 32 + j]!)).toBeLessThanOrEqual((amax / 127) * 0.6);
      }
    }
    expect(back.subarray(0, 32).every((v) => v === 0)).toBe(true);
  });
});
