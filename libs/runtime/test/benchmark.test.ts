/**
 * BitNet.benchmark (llama-bench's tests, shared by `bitnet bench` and the browser benchmark): which calls it makes
 * on the model (each test at its depth, every repetition from the same cache state), what it returns, and typed
 * errors for options the model cannot run.
 */
import { writeSynthModel } from '@bitnet-wasm/tools-models';
import { loadNodeKernels, type Kernels } from '@bitnet-wasm/kernels/node';
import { BitNet, BitNetError, benchmarkTokens } from '../src/node';
import { runBenchmark, type BenchmarkTarget } from '../src/internal/benchmark';

let kernels: Kernels;
let model: BitNet;
beforeAll(async () => {
  kernels = await loadNodeKernels({ flavor: 'st' });
  model = await BitNet.load(writeSynthModel({ nEmbd: 128, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 256, nCtx: 64, vocab: 'bytes', seed: 5 }), { kernels, contextLength: 64 });
});
afterAll(() => model?.dispose());

/** The model behind a recorder: every reset / truncate / eval with the cache position it started from. */
function recorded(m: BitNet): { target: BenchmarkTarget; calls: string[] } {
  const calls: string[] = [];
  const target: BenchmarkTarget = {
    hparams: m.hparams,
    plan: m.plan,
    tokenizer: m.tokenizer,
    reset: () => (calls.push('reset'), m.reset()),
    truncate: (n) => (calls.push(`truncate ${n}`), m.truncate(n)),
    eval: (t) => (calls.push(`eval ${t.length} @${m.contextUsed}`), m.eval(t)),
    setProfiling: (on) => m.setProfiling(on),
    profileReport: () => m.profileReport(),
  };
  return { target, calls };
}

describe('BitNet.benchmark', () => {
  it('runs each test from its depth: the depth filled once, every repetition truncated back to it', () => {
    const { target, calls } = recorded(model);
    const reps: string[] = [];
    const tests = runBenchmark(target, { prompts: [5], gens: [3], depths: [0, 20], reps: 2, onRepetition: (t, rep) => reps.push(`${t.nPrompt}/${t.nGen}@${t.nDepth}#${rep}`) });
    expect(tests.map((t) => [t.nPrompt, t.nGen, t.nDepth, t.seconds.length])).toEqual([
      [5, 0, 0, 2],
      [0, 3, 0, 2],
      [5, 0, 20, 2],
      [0, 3, 20, 2],
    ]);
    for (const t of tests) for (const s of t.seconds) expect(s).toBeGreaterThan(0);
    expect(reps).toEqual(['5/0@0#0', '5/0@0#1', '0/3@0#0', '0/3@0#1', '5/0@20#0', '5/0@20#1', '0/3@20#0', '0/3@20#1']);
    const decode3 = (from: number) => [`eval 1 @${from}`, `eval 1 @${from + 1}`, `eval 1 @${from + 2}`];
    expect(calls).toEqual([
      'reset', 'eval 8 @0',  // warm-up
      'reset', 'eval 5 @0', 'reset', 'eval 5 @0',  // pp5 from an empty cache
      'reset', 'eval 1 @0', ...decode3(1), 'reset', 'eval 1 @0', ...decode3(1),  // tg3 after BOS
      'reset', 'eval 20 @0',  // depth 20: BOS + 19 ids, once
      'truncate 20', 'eval 5 @20', 'truncate 20', 'eval 5 @20',
      'truncate 20', ...decode3(20), 'truncate 20', ...decode3(20),
    ]);
  });

  it('returns per-token profiles of the last repetition with profile, and the same token ids as benchmarkTokens', () => {
    const tests = model.benchmark({ prompts: [4], gens: [2], reps: 1, profile: true });
    expect(tests).toHaveLength(2);
    for (const t of tests) {
      expect(Object.keys(t.profileMsPerToken ?? {})).toEqual(expect.arrayContaining(['matmul', 'head', 'attention']));
      for (const v of Object.values(t.profileMsPerToken ?? {})) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(model.benchmark({ prompts: [4], reps: 1 })[0]).not.toHaveProperty('profileMsPerToken');
    const ids = benchmarkTokens(model.hparams.nVocab, 50, 9);
    expect(ids.every((t) => Number.isInteger(t) && t >= 0 && t < model.hparams.nVocab)).toBe(true);
    expect(benchmarkTokens(model.hparams.nVocab, 50, 9)).toEqual(ids);
    expect(benchmarkTokens(model.hparams.nVocab, 50, 10)).not.toEqual(ids);
  });

  it('benchmarkTokens is the LCG x <- 1664525 x + 1013904223 mod 2^32 seeded 0x9e3779b9 ^ salt, modulo the vocabulary', () => {
    let x = BigInt((0x9e3779b9 ^ 7) >>> 0);
    const want: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x * 1664525n + 1013904223n) % 2n ** 32n;
      want.push(Number(x % 50000n));
    }
    expect(benchmarkTokens(50000, 4, 7)).toEqual(want);
  });

  it('refuses what the model cannot run with a typed error, and stays usable', () => {
    const bad = (opts: Parameters<BitNet['benchmark']>[0], what: RegExp) => {
      let err: unknown;
      try {
        model.benchmark(opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BitNetError);
      expect((err as BitNetError).code).toBe('bad_option');
      expect((err as BitNetError).message).toMatch(what);
    };
    bad({ prompts: [65] }, /context of 65 tokens, the model has 64/);
    bad({ gens: [64] }, /context of 65 tokens/);  // BOS + 64 steps
    bad({ prompts: [8], depths: [60] }, /depth 60 .* context of 68 tokens/);
    bad({ prompts: [-1] }, /prompts must be a list of non-negative integers/);
    bad({ gens: [1.5] }, /gens must be/);
    bad({ depths: [NaN] as number[] }, /depths must be/);
    bad({ prompts: [4], reps: 0 }, /reps must be an integer/);
    expect(model.benchmark({ prompts: [8], depths: [56], reps: 1 })).toHaveLength(1);  // 56 + 8 = 64: fits
    model.reset();
    expect(model.eval([1, 2, 3]).every(Number.isFinite)).toBe(true);
  });

  it('is refused while a generation runs on the model (busy), and runs once it ended', async () => {
    const gen = model.generate([1, 2, 3], { maxTokens: 4, stopAtEog: false });
    await gen.next();
    const used = model.contextUsed;
    expect(() => model.benchmark({ prompts: [4], reps: 1 })).toThrow(expect.objectContaining({ code: 'busy' }));
    expect(model.contextUsed).toBe(used);  // refused before touching the generation's cache
    await gen.return(undefined as never);
    expect(model.benchmark({ prompts: [4], reps: 1 })).toHaveLength(1);
  });
});
