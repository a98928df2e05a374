// Seeded pseudo-random numbers for the synthetic weights: xoshiro128** (32-bit state words, imul only)
// seeded through splitmix32, plus fast draws of uniform trits and normal values. Same seed → same stream on
// every JS engine (integer arithmetic only; normals use log/cos/sin/sqrt, which V8 implements with fdlibm).

// Math functions bound once at module scope: inside jest's vm context every access to a global such as `Math`
// goes through a slow interceptor and keeps hot loops from being optimized (15× slower).
const { imul, log, sqrt, cos, sin, floor, min, PI } = Math;

/** splitmix32 step: returns [next state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = imul(z ^ (z >>> 16), 0x85ebca6b);
  z = imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units (tensor names are ASCII). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** base-3 digits of 0..242, 5 per entry, least significant first, as values −1/0/+1. */
const TRIT_TABLE = (() => {
  const t = new Int8Array(243 * 5);
  for (let v = 0; v < 243; v++) {
    let x = v;
    for (let k = 0; k < 5; k++) {
      t[v * 5 + k] = (x % 3) - 1;
      x = floor(x / 3);
    }
  }
  return t;
})();

/** xoshiro128** generator. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0; // second Box–Muller value
  private hasSpare = false;
  private word = 0; // current random word being cut into bytes for trits
  private wordShift = 32; // next byte's bit offset in `word` (32 = used up)
  private tritBase = 0; // TRIT_TABLE offset of the current byte's digits
  private tritLeft = 0; // digits of the current byte not yet handed out

  /** Seed from an integer seed and a stream label (e.g. a tensor name), so streams are independent. */
  constructor(seed: number, label = '') {
    let s = (floor(seed) ^ imul(hashString(label), 0x27d4eb2d)) | 0;
    // mix the high part of seeds above 2^32 in too
    s = (s + floor(seed / 0x100000000)) | 0;
    let o: number;
    [s, o] = splitmix32(s);
    this.a = o;
    [s, o] = splitmix32(s);
    this.b = o;
    [s, o] = splitmix32(s);
    this.c = o;
    [, o] = splitmix32(s);
    this.d = o;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const r = imul(rotl(imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Standard normal N(0, 1) (Box–Muller, pairs cached). */
  nextNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u1 = (this.nextU32() + 0.5) / 0x100000000; // (0, 1): log is finite
    const u2 = this.nextU32() / 0x100000000;
    const r = sqrt(-2 * log(u1));
    this.spare = r * sin(2 * PI * u2);
    this.hasSpare = true;
    return r * cos(2 * PI * u2);
  }

  /**
   * Fill `out` with values uniform over {−1, 0, +1}: each random byte < 243 yields 5 base-3 digits. Leftover
   * digits and bytes carry over to the next call, so the stream does not depend on how callers chunk it.
   */
  fillTrits(out: Int8Array): void {
    let i = 0;
    const n = out.length;
    while (i < n) {
      if (this.tritLeft > 0) {
        const take = min(this.tritLeft, n - i);
        const from = this.tritBase + 5 - this.tritLeft;
        for (let k = 0; k < take; k++) out[i++] = TRIT_TABLE[from + k]!;
        this.tritLeft -= take;
        continue;
      }
      if (this.wordShift >= 32) {
        this.word = this.nextU32();
        this.wordShift = 0;
      }
      const byte = (this.word >>> this.wordShift) & 0xff;
      this.wordShift += 8;
      if (byte >= 243) continue; // rejection keeps the digits exactly uniform
      this.tritBase = byte * 5;
      this.tritLeft = 5;
    }
  }

  /** Fill `out` with `mean + std·N(0,1)`. */
  fillNormal(out: Float32Array, mean: number, std: number): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.nextNormal();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
