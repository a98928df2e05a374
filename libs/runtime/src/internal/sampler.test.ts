import { Sampler, Rng, argmax, resolveSampling } from './sampler';
import { StopMatcher } from './stop';
import { BitNetError } from './errors';

const logitsOf = (xs: number[]) => Float32Array.from(xs);

describe('Sampler', () => {
  it('is greedy at temperature 0', () => {
    const s = new Sampler({ temperature: 0, repeatPenalty: 1 });
    expect(s.sample(logitsOf([0.1, 3, -2, 2.9]))).toBe(1);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const l = new Float32Array(1000).map((_, i) => Math.sin(i) * 3);
    const run = (seed: number) => {
      const s = new Sampler({ temperature: 1, topK: 0, topP: 1, minP: 0, seed });
      return Array.from({ length: 50 }, () => s.sample(l));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('top-k 1 equals greedy whatever the temperature', () => {
    const l = new Float32Array(500).map((_, i) => Math.cos(i * 7));
    const s = new Sampler({ temperature: 5, topK: 1, seed: 3 });
    for (let i = 0; i < 20; i++) expect(s.sample(l)).toBe(argmax(l));
  });

  it('top-p keeps only the nucleus', () => {
    // probabilities ≈ 0.7, 0.2, 0.1·(rest)
    const l = logitsOf([Math.log(0.7), Math.log(0.2), Math.log(0.05), Math.log(0.05)]);
    const s = new Sampler({ temperature: 1, topK: 0, topP: 0.85, minP: 0, seed: 1 });
    const seen = new Set(Array.from({ length: 400 }, () => s.sample(l)));
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('min-p drops tokens below minP × p(top)', () => {
    const l = logitsOf([Math.log(0.5), Math.log(0.3), Math.log(0.02), Math.log(0.18)]);
    const s = new Sampler({ temperature: 1, topK: 0, topP: 1, minP: 0.1, seed: 5 });
    const seen = new Set(Array.from({ length: 400 }, () => s.sample(l)));
    expect(seen.has(2)).toBe(false);
    expect(seen.has(3)).toBe(true);
  });

  it('sampled frequencies follow the softmax', () => {
    const l = logitsOf([0, Math.log(3)]);
    const s = new Sampler({ temperature: 1, topK: 0, topP: 1, minP: 0, seed: 11 });
    let ones = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) ones += s.sample(l);
    expect(ones / n).toBeGreaterThan(0.7);
    expect(ones / n).toBeLessThan(0.8);
  });

  it('repetition penalty demotes recent tokens (positive and negative logits)', () => {
    const s = new Sampler({ temperature: 0, repeatPenalty: 2, repeatLastN: 4 });
    expect(s.sample(logitsOf([2, 1.5, 0]), [0])).toBe(1); // 2/2 = 1 < 1.5
    expect(s.sample(logitsOf([-1, -1.5, -3]), [0])).toBe(1); // -1*2 = -2 < -1.5
    // outside the window: no penalty
    expect(s.sample(logitsOf([2, 1.5, 0]), [0, 2, 2, 2, 2])).toBe(0);
  });

  it('rejects bad options with a typed error', () => {
    expect(() => resolveSampling({ topP: 0 })).toThrow(BitNetError);
    expect(() => resolveSampling({ topK: -1 })).toThrow(expect.objectContaining({ code: 'bad_option' }));
    expect(() => new Sampler({ temperature: 1 }).sample(logitsOf([NaN, NaN]))).toThrow(BitNetError);
  });

  it('Rng gives uniform-looking floats in [0,1)', () => {
    const r = new Rng(42);
    const xs = Array.from({ length: 10000 }, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.02);
  });
});

describe('StopMatcher', () => {
  it('holds back a possible prefix and cuts at the stop string', () => {
    const m = new StopMatcher(['</s>', 'User:']);
    expect(m.push('Hello <')).toEqual({ emit: 'Hello ', stopped: false });
    expect(m.push('/')).toEqual({ emit: '', stopped: false });
    expect(m.push('x')).toEqual({ emit: '</x', stopped: false });
    expect(m.push(' and Us')).toEqual({ emit: ' and ', stopped: false });
    expect(m.push('er: hi')).toEqual({ emit: '', stopped: true });
  });
  it('passes text through without stop strings and flushes the held tail', () => {
    const m = new StopMatcher(['END']);
    expect(m.push('abc EN')).toEqual({ emit: 'abc ', stopped: false });
    expect(m.flush()).toBe('EN');
    expect(new StopMatcher([]).push('x')).toEqual({ emit: 'x', stopped: false });
  });
});
