/**
 * Token sampling over a logits vector: repetition penalty → top-k → top-p → min-p → temperature →
 * draw (llama.cpp's default order; temperature 0 or below means greedy). Deterministic for a seed.
 * Works on a candidate list so a 128k-entry vocabulary is never fully sorted.
 */
import { BitNetError } from './errors';

export interface SamplingOptions {
  /** 0 (or below) = greedy argmax. @default 0.8 */
  temperature?: number;
  /** Keep the k most likely tokens; 0 = off. @default 40 */
  topK?: number;
  /** Nucleus: smallest set whose probability reaches p; 1 = off. @default 0.95 */
  topP?: number;
  /** Drop tokens whose probability is below minP × the top probability; 0 = off. @default 0.05 */
  minP?: number;
  /** Divide positive logits (multiply negative ones) of recently seen tokens; 1 = off (llama.cpp's default). @default 1 */
  repeatPenalty?: number;
  /** How many of the last tokens the penalty looks at. @default 64 */
  repeatLastN?: number;
  /** PRNG seed; the same seed and inputs give the same tokens. @default 0x5eed */
  seed?: number;
}

export const DEFAULT_SAMPLING: Required<SamplingOptions> = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1,
  repeatLastN: 64,
  seed: 0x5eed,
};

/** Greedy settings: what the CLI's and the tests' "--temp 0" mean. */
export const GREEDY: SamplingOptions = { temperature: 0, repeatPenalty: 1 };

export function resolveSampling(o: SamplingOptions | undefined): Required<SamplingOptions> {
  const s = { ...DEFAULT_SAMPLING, ...(o ?? {}) };
  const bad = (what: string) => new BitNetError('bad_option', `sampling.${what} out of range`);
  if (!Number.isFinite(s.temperature)) throw bad('temperature');
  if (!Number.isInteger(s.topK) || s.topK < 0) throw bad('topK');
  if (!(s.topP > 0 && s.topP <= 1)) throw bad('topP');
  if (!(s.minP >= 0 && s.minP < 1)) throw bad('minP');
  if (!(s.repeatPenalty > 0 && Number.isFinite(s.repeatPenalty))) throw bad('repeatPenalty');
  if (!Number.isInteger(s.repeatLastN) || s.repeatLastN < 0) throw bad('repeatLastN');
  if (!Number.isFinite(s.seed)) throw bad('seed');
  return s;
}

/** Small fast seeded PRNG (xoshiro128**), floats in [0, 1). */
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    // splitmix32 to fill the state from one number
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }
  next(): number {
    return this.nextU32() / 4294967296;
  }
}
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/**
 * Samples one token. `logits` is read, never modified. `recent` are the previous tokens (oldest first),
 * used by the repetition penalty.
 */
export class Sampler {
  readonly options: Required<SamplingOptions>;
  private rng: Rng;
  private work = new Float32Array(0);
  private idx = new Int32Array(0);

  constructor(options?: SamplingOptions) {
    this.options = resolveSampling(options);
    this.rng = new Rng(this.options.seed);
  }

  sample(logits: Float32Array, recent: ArrayLike<number> = []): number {
    const o = this.options;
    const n = logits.length;
    if (this.work.length < n) {
      this.work = new Float32Array(n);
      this.idx = new Int32Array(n);
    }
    const l = this.work;
    l.set(logits);
    // 1. repetition penalty over the last repeatLastN tokens (each token once)
    if (o.repeatPenalty !== 1 && o.repeatLastN > 0) {
      const seen = new Set<number>();
      for (let i = Math.max(0, recent.length - o.repeatLastN); i < recent.length; i++) {
        const t = recent[i]!;
        if (t < 0 || t >= n || seen.has(t)) continue;
        seen.add(t);
        l[t] = l[t]! > 0 ? l[t]! / o.repeatPenalty : l[t]! * o.repeatPenalty;
      }
    }
    if (o.temperature <= 0) return argmax(l.subarray(0, n));

    // 2. candidates: top-k (or, with top-k off, every token within a probability floor of the max)
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (l[i]! > max) max = l[i]!;
    if (!Number.isFinite(max)) throw new BitNetError('kernels', 'logits are not finite');
    const idx = this.idx;
    let m = 0;
    // Tokens with p < 1e-9·p_max cannot matter for any top-p < 1 or min-p; skip them up front.
    const floor = max - 20.7;
    for (let i = 0; i < n; i++) if (l[i]! >= floor) idx[m++] = i;
    let cand = Array.from(idx.subarray(0, m));
    cand.sort((a, b) => l[b]! - l[a]! || a - b);
    if (o.topK > 0 && cand.length > o.topK) cand = cand.slice(0, o.topK);

    // 3. softmax over the candidates (untempered, as llama.cpp's top-p/min-p see it)
    const p = new Float64Array(cand.length);
    let sum = 0;
    for (let i = 0; i < cand.length; i++) {
      p[i] = Math.exp(l[cand[i]!]! - max);
      sum += p[i]!;
    }
    for (let i = 0; i < p.length; i++) p[i]! /= sum;
    let keep = cand.length;
    // top-p: smallest prefix reaching topP
    if (o.topP < 1) {
      let c = 0;
      for (let i = 0; i < keep; i++) {
        c += p[i]!;
        if (c >= o.topP) {
          keep = i + 1;
          break;
        }
      }
    }
    // min-p relative to the most likely token
    if (o.minP > 0) {
      const thr = o.minP * p[0]!;
      let k2 = 1;
      while (k2 < keep && p[k2]! >= thr) k2++;
      keep = k2;
    }
    // 4. temperature on the survivors, then draw
    const w = new Float64Array(keep);
    let ws = 0;
    const top = l[cand[0]!]!;
    for (let i = 0; i < keep; i++) {
      w[i] = Math.exp((l[cand[i]!]! - top) / o.temperature);
      ws += w[i]!;
    }
    let r = this.rng.next() * ws;
    for (let i = 0; i < keep; i++) {
      r -= w[i]!;
      if (r < 0) return cand[i]!;
    }
    return cand[keep - 1]!;
  }
}
